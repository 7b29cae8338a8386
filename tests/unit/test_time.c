/* Compile-time forensics on images built byte by byte: zero, linker constants, the future,
 * stamps that disagree — and none of it for reproducible builds, whose stamps are hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pebuild.h"
#include "pesleuth.h"

#define NOW 1700000000 /* 2023-11-14, the judging time */

static const ps_finding *find(const ps_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			return &r->findings[i];
	return NULL;
}

static size_t count_prefix(const ps_report *r, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		n += !strncmp(r->findings[i].id, prefix, strlen(prefix));
	return n;
}

/* An image with optional Rich header, a debug directory (entries: type, stamp) and an export
 * directory stamp (0: none). */
static ps_report *build(uint32_t coff, bool rich, const uint32_t (*dbg)[2], size_t n_dbg, uint32_t export_stamp)
{
	pb_image im;
	pb_init(&im, false);
	im.timedatestamp = coff;
	if (rich)
		pb_rich(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", 0x40000040);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	if (n_dbg) {
		size_t at = d->n;
		for (size_t i = 0; i < n_dbg; i++) {
			pb_put32(d, 0);          /* Characteristics */
			pb_put32(d, dbg[i][1]);  /* TimeDateStamp */
			pb_put32(d, 0);          /* versions */
			pb_put32(d, dbg[i][0]);  /* Type */
			pb_put32(d, 0);          /* SizeOfData */
			pb_put32(d, 0);          /* AddressOfRawData */
			pb_put32(d, 0);          /* PointerToRawData */
		}
		im.dir_rva[6] = base + (uint32_t)at;
		im.dir_size[6] = (uint32_t)(28 * n_dbg);
	}
	if (export_stamp) {
		pb_align(d, 4);
		size_t at = d->n;
		pb_zero(d, 40);
		pb_set32(d, at + 4, export_stamp);
		pb_set32(d, at + 16, 1); /* Base */
		im.dir_rva[0] = base + (uint32_t)at;
		im.dir_size[0] = 40;
	}
	pb_put8(d, 0);
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	ps_trust *t = NULL;
	assert_int_equal(ps_trust_new(&t), PS_OK);
	ps_trust_set_now(t, NOW);
	ps_options opt;
	ps_options_init(&opt);
	opt.trust = t;
	ps_report *r = NULL;
	assert_int_equal(ps_analyze_buffer(&r, buf, len, NULL, &opt), PS_OK);
	ps_trust_free(t); /* the report does not keep the context */
	free(buf);
	pb_image_free(&im);
	return r;
}

static void zero_and_constant(void **state)
{
	(void)state;
	ps_report *r = build(0, false, NULL, 0, 0);
	const ps_finding *f = find(r, "TIME-COMPILE-ZERO");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW);
	assert_int_equal(count_prefix(r, "TIME-"), 1);
	ps_report_free(r);
	r = build(0x2A425E19, false, NULL, 0, 0); /* Delphi's 1992-06-19 22:22:17 */
	f = find(r, "TIME-COMPILE-CONSTANT");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW);
	assert_int_equal(count_prefix(r, "TIME-"), 1);
	ps_report_free(r);
	r = build(NOW - 86400 * 30, true, NULL, 0, 0); /* an ordinary past time */
	assert_int_equal(count_prefix(r, "TIME-"), 0);
	ps_report_free(r);
}

static void future(void **state)
{
	(void)state;
	ps_report *r = build(NOW + 86400 * 400, true, NULL, 0, 0);
	const ps_finding *f = find(r, "TIME-COMPILE-FUTURE");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_MEDIUM); /* MSVC (Rich header): a stamp is a time */
	assert_int_equal(f->attack[0][0], 'T');
	ps_report_free(r);
	r = build(NOW + 86400 * 400, false, NULL, 0, 0);
	f = find(r, "TIME-COMPILE-FUTURE");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW); /* other toolchains write hash-like stamps */
	ps_report_free(r);
	r = build(NOW + 3600, true, NULL, 0, 0); /* within a day: clock skew */
	assert_null(find(r, "TIME-COMPILE-FUTURE"));
	ps_report_free(r);
}

static void inconsistent_stamps(void **state)
{
	(void)state;
	uint32_t coff = NOW - 86400 * 100;
	const uint32_t same[][2] = {{2, coff}, {13, coff}};
	ps_report *r = build(coff, true, same, 2, coff);
	assert_null(find(r, "TIME-STAMPS-INCONSISTENT"));
	ps_report_free(r);
	const uint32_t edited[][2] = {{2, coff - 86400 * 365}, {13, coff - 86400 * 365}};
	r = build(coff, true, edited, 2, 0); /* the header was moved a year, the debug stamps not */
	const ps_finding *f = find(r, "TIME-STAMPS-INCONSISTENT");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_MEDIUM);
	assert_string_equal(f->evidence[0].s, "debug directory");
	ps_report_free(r);
	r = build(coff, true, same, 2, coff + 86400 * 3); /* export stamp three days off */
	f = find(r, "TIME-STAMPS-INCONSISTENT");
	assert_non_null(f);
	assert_string_equal(f->evidence[0].s, "export directory");
	ps_report_free(r);
	r = build(coff, true, same, 2, coff + 3600 * 6); /* six hours: tolerated */
	assert_null(find(r, "TIME-STAMPS-INCONSISTENT"));
	ps_report_free(r);
	r = build(coff, false, edited, 2, 0); /* no Rich header: stamps prove nothing */
	assert_null(find(r, "TIME-STAMPS-INCONSISTENT"));
	ps_report_free(r);
}

static void repro_has_no_times(void **state)
{
	(void)state;
	/* /Brepro: COFF and debug "stamps" are one hash, which may look like any date, zero or
	 * the future: no time finding at all, and JSON gives no compile_time */
	const uint32_t repro[][2] = {{2, 0x9E5A1C33}, {16, 0x9E5A1C33}};
	ps_report *r = build(0xF1E2D3C4, true, repro, 2, 0x12345678);
	assert_true(r->pe->has_repro);
	assert_int_equal(count_prefix(r, "TIME-"), 0);
	char *js = NULL;
	assert_int_equal(ps_report_json(&js, r, 0), PS_OK);
	assert_non_null(strstr(js, "\"compile_time\":null"));
	assert_non_null(strstr(js, "\"reproducible\":true"));
	free(js);
	ps_report_free(r);
	r = build(0, true, repro, 2, 0);
	assert_int_equal(count_prefix(r, "TIME-"), 0);
	ps_report_free(r);
}

static void timeline_without_signature(void **state)
{
	(void)state;
	ps_report *r = build(NOW - 86400, true, NULL, 0, 0);
	/* compile time and now, in order */
	assert_int_equal(r->pe->n_timeline, 2);
	assert_int_equal(r->pe->timeline[0].time, NOW - 86400);
	assert_string_equal(r->pe->timeline[1].event, "now");
	ps_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_and_constant), cmocka_unit_test(future), cmocka_unit_test(inconsistent_stamps),
		cmocka_unit_test(repro_has_no_times), cmocka_unit_test(timeline_without_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
