/* Output contract: JSON keys and types of DESIGN.md, valid UTF-8 whatever the file holds,
 * terminal escaping of file strings, and the UTF-8 helpers behind both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pebuild.h"
#include "pesleuth.h"
#include "text.h"

static char *capture_text(const ps_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(ps_report_text(f, r), 0);
	fclose(f);
	return buf;
}

static ps_report *hostile_report(void)
{
	pb_image im;
	pb_init(&im, false);
	/* a section name with ESC, a C1 control (as Latin-1 0x9B = CSI) and 0xFF */
	unsigned s = pb_add_section(&im, "\x1b[31m\x9b\xff", 0x60000020);
	pb_put(&im.sections[s].data, "x", 1);
	unsigned i = pb_add_section(&im, ".idata", 0xC0000040);
	const char *dlls[] = {"K32.dll:Fn"};
	pb_imports(&im, i, dlls, 1);
	im.entry_point = pb_section_rva(s); /* an EXE enters its code (else PE-ENTRY-POINT-ANOMALY) */
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	ps_report *r = NULL;
	/* a path with ESC, newline, invalid UTF-8 and a right-to-left override */
	assert_int_equal(ps_analyze_buffer(&r, buf, len, "evil\x1b]0;t\x07\n\xff\xfe\xe2\x80\xae.exe", NULL), PS_OK);
	free(buf);
	pb_image_free(&im);
	return r;
}

static json_t *must_parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_ALLOW_NUL, &e); /* jansson rejects invalid UTF-8 */
	if (!j)
		fail_msg("invalid JSON: %s at %d: %s", e.text, e.position, s);
	return j;
}

static void json_contract_keys(void **state)
{
	(void)state;
	ps_report *r = hostile_report();
	char *s = NULL;
	assert_int_equal(ps_report_json(&s, r, 0), PS_OK);
	assert_null(strchr(s, '\n')); /* JSONL: one line */
	json_t *j = must_parse(s);
	static const char *top[] = {"path", "file", "signatures", "findings", "verdict"};
	for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++)
		assert_non_null(json_object_get(j, top[k]));
	json_t *file = json_object_get(j, "file");
	assert_true(json_is_integer(json_object_get(file, "size")));
	json_t *h = json_object_get(file, "hash");
	assert_int_equal(strlen(json_string_value(json_object_get(h, "sha256"))), 64);
	assert_int_equal(strlen(json_string_value(json_object_get(h, "md5"))), 32);
	json_t *pe = json_object_get(file, "pe");
	static const char *pek[] = {"machine", "architecture", "is_dll", "subsystem", "timedatestamp",
	                            "compile_time", "entry_point", "imphash", "rich_hash",
	                            "original_file_name", "company", "product", "file_version",
	                            "description", "overlay", "sections"};
	for (size_t k = 0; k < sizeof(pek) / sizeof(pek[0]); k++)
		if (!json_object_get(pe, pek[k]))
			fail_msg("file.pe.%s missing", pek[k]);
	assert_true(json_is_null(json_object_get(pe, "rich_hash")));
	assert_true(json_is_null(json_object_get(pe, "original_file_name")));
	assert_true(json_is_null(json_object_get(pe, "overlay")));
	assert_string_equal(json_string_value(json_object_get(pe, "compile_time")), "2020-09-13T12:26:40Z");
	json_t *sec = json_array_get(json_object_get(pe, "sections"), 0);
	static const char *sk[] = {"name", "virtual_address", "virtual_size", "raw_offset", "raw_size",
	                           "characteristics", "entropy"};
	for (size_t k = 0; k < sizeof(sk) / sizeof(sk[0]); k++)
		assert_non_null(json_object_get(sec, sk[k]));
	/* section names are Latin-1 decoded like pefile: ESC stays a (JSON-escaped) U+001B */
	assert_string_equal(json_string_value(json_object_get(sec, "name")), "\x1b[31m\xc2\x9b\xc3\xbf");
	json_t *cs = json_object_get(file, "code_signature");
	static const char *ck[] = {"exists", "status", "trusted", "valid", "subject_name", "timestamp"};
	for (size_t k = 0; k < sizeof(ck) / sizeof(ck[0]); k++)
		assert_non_null(json_object_get(cs, ck[k]));
	assert_true(json_is_false(json_object_get(cs, "exists")));
	assert_string_equal(json_string_value(json_object_get(cs, "status")), "NotSigned");
	/* invalid UTF-8 in the path became U+FFFD; the rest round-trips */
	const char *path = json_string_value(json_object_get(j, "path"));
	assert_non_null(strstr(path, "\xef\xbf\xbd\xef\xbf\xbd\xe2\x80\xae.exe"));
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "clean");
	json_decref(j);
	free(s);
	ps_report_free(r);
}

static void json_findings_shape(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	im.entry_point = pb_section_rva(pb_add_section(&im, ".text", 0x60000020));
	im.checksum = 0xdeadbeef;
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	ps_report *r = NULL;
	assert_int_equal(ps_analyze_buffer(&r, buf, len, NULL, NULL), PS_OK);
	char *s = NULL;
	assert_int_equal(ps_report_json(&s, r, PS_JSON_PRETTY), PS_OK);
	json_t *j = must_parse(s);
	assert_true(json_is_null(json_object_get(j, "path")));
	json_t *f = json_array_get(json_object_get(j, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "id")), "PE-CHECKSUM-MISMATCH");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "low");
	assert_true(json_is_string(json_object_get(f, "title")));
	assert_true(json_is_array(json_object_get(f, "attack")));
	json_t *ev = json_object_get(f, "evidence");
	assert_int_equal(json_integer_value(json_object_get(ev, "stored")), 0xdeadbeef);
	assert_true(json_is_integer(json_object_get(ev, "offset")));
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "low");
	json_decref(j);
	free(s);
	ps_report_free(r);
	free(buf);
	pb_image_free(&im);
}

static void error_record(void **state)
{
	(void)state;
	char *s = NULL;
	assert_int_equal(ps_error_json(&s, "/no/such\xff", PS_EIO, 2), PS_OK);
	json_t *j = must_parse(s);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
	                    "No such file or directory");
	json_decref(j);
	free(s);
}

static void text_is_terminal_safe(void **state)
{
	(void)state;
	ps_report *r = hostile_report();
	char *t = capture_text(r);
	for (const char *p = t; *p; p++)
		if (*p == 0x1b || *p == 0x07 || (unsigned char)*p == 0x9b)
			fail_msg("raw control byte 0x%02x in text output", (unsigned char)*p);
	assert_null(strstr(t, "\xe2\x80\xae")); /* RLO escaped */
	assert_non_null(strstr(t, "evil\\x1b]0;t\\x07\\x0a\\xff\\xfe\\u{202e}.exe"));
	assert_non_null(strstr(t, "\\x1b[31m\\x9b\xc3\xbf")); /* section name, C1 escaped */
	free(t);
	ps_report_free(r);
}

static void utf8_helpers(void **state)
{
	(void)state;
	char out[64];
	/* overlong, surrogate, truncated and out-of-range sequences are invalid bytes */
	assert_int_equal(ps_utf8_from_bytes(out, (const uint8_t *)"a\xc0\xafz", 4), 8);
	assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbdz");
	ps_utf8_from_bytes(out, (const uint8_t *)"\xed\xa0\x80", 3);
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ps_utf8_from_bytes(out, (const uint8_t *)"\xf4\x90\x80\x80", 4);
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ps_utf8_from_bytes(out, (const uint8_t *)"\xe2\x82", 2);
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd");
	ps_utf8_from_bytes(out, (const uint8_t *)"\xf0\x9f\x98\x80", 4);
	assert_string_equal(out, "\xf0\x9f\x98\x80");
	/* UTF-16: a pair, a lone high and a lone low surrogate */
	const uint8_t u16[] = {0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8, 'A', 0, 0x00, 0xdc};
	ps_utf8_from_utf16le(out, u16, 5);
	assert_string_equal(out, "\xf0\x9f\x98\x80\xef\xbf\xbd" "A\xef\xbf\xbd");
	ps_utf8_from_latin1(out, (const uint8_t *)"\xe9t\xe9", 3);
	assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
	assert_true(ps_cp_is_unsafe(0x202E));
	assert_true(ps_cp_is_unsafe(0x2066));
	assert_true(ps_cp_is_unsafe(0x85));
	assert_false(ps_cp_is_unsafe(0xE9));
	assert_false(ps_cp_is_unsafe(0x4E2D));
}

/* One formatter for every output: four-digit years, empty outside 0000-9999 or when absent. */
static void time_iso(void **state)
{
	(void)state;
	char b[PS_TIME_ISO_SIZE];
	assert_string_equal(ps_time_iso(b, 0), "1970-01-01T00:00:00Z");
	assert_string_equal(ps_time_iso(b, 1600000000), "2020-09-13T12:26:40Z");
	assert_string_equal(ps_time_iso(b, -62135596800LL), "0001-01-01T00:00:00Z"); /* X.509's year 1 */
	assert_string_equal(ps_time_iso(b, -62167219200LL), "0000-01-01T00:00:00Z");
	assert_string_equal(ps_time_iso(b, 253402300799LL), "9999-12-31T23:59:59Z");
	assert_string_equal(ps_time_iso(b, 253402300800LL), ""); /* year 10000 */
	assert_string_equal(ps_time_iso(b, -62167219201LL), "");  /* year -1 */
	assert_string_equal(ps_time_iso(b, PS_TIME_NONE), "");
	assert_string_equal(ps_time_iso(b, INT64_MAX), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_contract_keys), cmocka_unit_test(json_findings_shape),
		cmocka_unit_test(error_record),       cmocka_unit_test(text_is_terminal_safe),
		cmocka_unit_test(utf8_helpers),       cmocka_unit_test(time_iso),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
