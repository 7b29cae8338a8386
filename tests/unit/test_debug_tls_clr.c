/* Debug directory (CodeView, REPRO), TLS callbacks and the CLR header, on images built byte by
 * byte: each test states the bytes the parser sees and asserts the model and the findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pebuild.h"
#include "pesleuth.h"

#define SCN_CODE 0x60000020u  /* CNT_CODE | MEM_EXECUTE | MEM_READ */
#define SCN_RDATA 0x40000040u /* INITIALIZED_DATA | MEM_READ */
#define DIR_DEBUG 6
#define DIR_TLS 9
#define DIR_CLR 14

/* ------------------------------------------------------------ helpers */

static const uint8_t guid_bytes[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                       0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x0f};

static ps_report *analyze(const uint8_t *img, size_t len)
{
	ps_report *r = NULL;
	assert_int_equal(ps_analyze_buffer(&r, img, len, "test", NULL), PS_OK);
	assert_non_null(r);
	assert_int_equal(r->format, PS_FORMAT_PE);
	assert_non_null(r->pe);
	return r;
}

static size_t count_findings(const ps_report *r, const char *id)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			n++;
	return n;
}

static const ps_finding *finding(const ps_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			return &r->findings[i];
	return NULL;
}

static const ps_evidence *evidence(const ps_finding *f, const char *key)
{
	for (unsigned i = 0; f && i < f->n_evidence; i++)
		if (!strcmp(f->evidence[i].key, key))
			return &f->evidence[i];
	return NULL;
}

/* A PE-LIMIT-REACHED finding whose "structure" is what. */
static const ps_finding *limit_finding(const ps_report *r, const char *what)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const ps_finding *f = &r->findings[i];
		const ps_evidence *e = evidence(f, "structure");
		if (!strcmp(f->id, "PE-LIMIT-REACHED") && e && e->s && !strcmp(e->s, what))
			return f;
	}
	return NULL;
}

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* PointerToRawData of section i, read back from the built headers (so the tests do not
 * depend on pebuild's layout rules). */
static uint32_t section_raw(const uint8_t *img, unsigned i)
{
	uint32_t lfanew = get32(img + 0x3C);
	uint32_t opt_size = (uint32_t)img[lfanew + 20] | (uint32_t)img[lfanew + 21] << 8;
	return get32(img + lfanew + 24 + opt_size + 40 * i + 20);
}

/* One IMAGE_DEBUG_DIRECTORY; PointerToRawData is patched after the build (see fix_ptr). */
static void debug_entry(pb_buf *b, uint32_t ts, uint32_t type, uint32_t size, uint32_t aord, uint32_t ptr)
{
	pb_put32(b, 0);  /* Characteristics */
	pb_put32(b, ts); /* TimeDateStamp */
	pb_put16(b, 0);  /* MajorVersion */
	pb_put16(b, 0);  /* MinorVersion */
	pb_put32(b, type);
	pb_put32(b, size);
	pb_put32(b, aord);
	pb_put32(b, ptr);
}

/* Sets entry k's PointerToRawData (directory at data offset 0 of section sec) to the file
 * offset of data offset data_off in the same section. */
static void fix_ptr(uint8_t *img, unsigned sec, unsigned k, uint32_t data_off)
{
	uint32_t raw = section_raw(img, sec);
	set32(img + raw + 28 * k + 24, raw + data_off);
}

static void rsds(pb_buf *b, uint32_t age, const char *path)
{
	pb_put(b, "RSDS", 4);
	pb_put(b, guid_bytes, 16);
	pb_put32(b, age);
	pb_str(b, path);
}

/* ------------------------------------------------------------ debug directory */

static void debug_rsds(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	const char *path = "C:\\build\\x86\\Release\\tool.pdb";
	uint32_t cv_size = 24 + (uint32_t)strlen(path) + 1;
	debug_entry(d, 0x5F5E1000, 2, cv_size, base + 56, 0);
	debug_entry(d, 0x5F5E1000, 13, 0, 0, 0); /* POGO without data */
	rsds(d, 7, path);
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 56;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	fix_ptr(img, s, 0, 56);
	ps_report *r = analyze(img, len);
	const ps_pe *pe = r->pe;
	assert_int_equal(pe->n_debug, 2);
	const ps_debug_entry *e = &pe->debug[0];
	assert_int_equal(e->type, 2);
	assert_int_equal(e->timedatestamp, 0x5F5E1000);
	assert_int_equal(e->size_of_data, cv_size);
	assert_int_equal(e->address_of_raw_data, base + 56);
	assert_int_equal(e->pointer_to_raw_data, section_raw(img, s) + 56);
	assert_true(e->has_codeview);
	assert_string_equal(e->cv_format, "RSDS");
	assert_memory_equal(e->guid, guid_bytes, 16);
	assert_int_equal(e->age, 7);
	assert_string_equal(e->pdb_path, path);
	assert_int_equal(pe->debug[1].type, 13);
	assert_false(pe->debug[1].has_codeview);
	assert_null(pe->debug[1].pdb_path);
	assert_false(pe->has_repro);
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

static void debug_nb10(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, true);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 0x3A000000, 2, 16 + 8, base + 28, 0);
	pb_put(d, "NB10", 4);
	pb_put32(d, 0);          /* offset */
	pb_put32(d, 0x3A1B2C3D); /* signature */
	pb_put32(d, 3);          /* age */
	pb_str(d, "old.pdb");
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	fix_ptr(img, s, 0, 28);
	ps_report *r = analyze(img, len);
	const ps_pe *pe = r->pe;
	assert_int_equal(pe->n_debug, 1);
	assert_true(pe->debug[0].has_codeview);
	assert_string_equal(pe->debug[0].cv_format, "NB10");
	assert_int_equal(pe->debug[0].nb10_signature, 0x3A1B2C3D);
	assert_int_equal(pe->debug[0].age, 3);
	assert_string_equal(pe->debug[0].pdb_path, "old.pdb");
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

static void debug_repro(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, true);
	im.timedatestamp = 0xE4A1B2C3; /* a hash under /Brepro */
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 0xE4A1B2C3, 16, 0, 0, 0);
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 1);
	assert_int_equal(r->pe->debug[0].type, 16);
	assert_int_equal(r->pe->debug[0].timedatestamp, 0xE4A1B2C3);
	assert_true(r->pe->has_repro);
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* Entry 0's PointerToRawData is past the end of the file and AddressOfRawData is 0: one
 * finding, and the REPRO and CodeView entries after it are still read. */
static void debug_pointer_past_end(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 1, 2, 40, 0, 0x7FFFFFF0);
	debug_entry(d, 2, 16, 0, 0, 0);
	debug_entry(d, 3, 2, 24 + 6, base + 84, 0);
	rsds(d, 1, "a.pdb");
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 84;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	fix_ptr(img, s, 2, 84);
	ps_report *r = analyze(img, len);
	const ps_pe *pe = r->pe;
	assert_int_equal(pe->n_debug, 3);
	assert_false(pe->debug[0].has_codeview);
	assert_int_equal(pe->debug[0].pointer_to_raw_data, 0x7FFFFFF0);
	assert_true(pe->has_repro);
	assert_true(pe->debug[2].has_codeview);
	assert_string_equal(pe->debug[2].pdb_path, "a.pdb");
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 1);
	const ps_finding *f = finding(r, "PE-DEBUG-MALFORMED");
	assert_int_equal(f->severity, PS_SEV_LOW);
	assert_string_equal(evidence(f, "reason")->s, "CodeView data is outside the file");
	assert_int_equal(evidence(f, "index")->u, 0);
	assert_int_equal(evidence(f, "offset")->u, 0x7FFFFFF0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* PointerToRawData past the end, AddressOfRawData good: read through the RVA, no finding. */
static void debug_pointer_falls_back_to_rva(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 1, 2, 24 + 6, base + 28, 0xFFFFFF00);
	rsds(d, 9, "b.pdb");
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 1);
	assert_true(r->pe->debug[0].has_codeview);
	assert_int_equal(r->pe->debug[0].age, 9);
	assert_string_equal(r->pe->debug[0].pdb_path, "b.pdb");
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* SizeOfData 20 < the 24-byte RSDS header: no CodeView record, one finding. */
static void debug_size_smaller_than_rsds(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 1, 2, 20, base + 28, 0);
	rsds(d, 1, "c.pdb");
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	fix_ptr(img, s, 0, 28);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 1);
	assert_int_equal(r->pe->debug[0].size_of_data, 20);
	assert_false(r->pe->debug[0].has_codeview);
	assert_null(r->pe->debug[0].pdb_path);
	const ps_finding *f = finding(r, "PE-DEBUG-MALFORMED");
	assert_non_null(f);
	assert_string_equal(evidence(f, "reason")->s, "SizeOfData is too small for the CodeView header");
	assert_int_equal(evidence(f, "offset")->u, section_raw(img, s) + 28);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* SizeOfData ends inside the path, before its NUL: the path is cut there, not beyond. */
static void debug_path_bounded_by_size(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 1, 2, 24 + 5, base + 28, 0);
	rsds(d, 1, "abcdefgh.pdb");
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	fix_ptr(img, s, 0, 28);
	ps_report *r = analyze(img, len);
	assert_true(r->pe->debug[0].has_codeview);
	assert_string_equal(r->pe->debug[0].pdb_path, "abcde");
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* Size 2*28 + 5: the 5 trailing bytes are not an entry (pefile agrees); no finding. */
static void debug_size_not_multiple(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 0x11, 13, 0, 0, 0);
	debug_entry(d, 0x22, 16, 0, 0, 0);
	debug_entry(d, 0x33, 2, 0, 0, 0); /* beyond the declared size: never read */
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 2 * 28 + 5;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 2);
	assert_int_equal(r->pe->debug[0].timedatestamp, 0x11);
	assert_int_equal(r->pe->debug[1].timedatestamp, 0x22);
	assert_true(r->pe->has_repro);
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* mtoc-style: Size covers the entry and its CodeView record; the record is not read as
 * further entries (their TimeDateStamps would be garbage). */
static void debug_size_covers_own_data(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	debug_entry(d, 0x6305AC88, 2, 24 + 40, base + 28, 0);
	rsds(d, 1, "0123456789012345678901234567890123456.pdb");
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 28 + 64;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	fix_ptr(img, s, 0, 28);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 1);
	assert_true(r->pe->debug[0].has_codeview);
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* The table runs off the end of the section's raw data (and of the file) after one entry:
 * the readable entry is kept, one finding names the first missing one. */
static void debug_entry_not_in_file(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	im.sections[s].virtual_size = 0x1000;
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	pb_zero(d, 0x200 - 28);
	debug_entry(d, 0x44, 13, 0, 0, 0);
	im.dir_rva[DIR_DEBUG] = base + 0x200 - 28;
	im.dir_size[DIR_DEBUG] = 3 * 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 1);
	assert_int_equal(r->pe->debug[0].timedatestamp, 0x44);
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 1);
	const ps_finding *f = finding(r, "PE-DEBUG-MALFORMED");
	assert_string_equal(evidence(f, "reason")->s, "debug directory entry is not in the file");
	assert_int_equal(evidence(f, "index")->u, 1);
	assert_int_equal(evidence(f, "rva")->u, base + 0x200);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

static void debug_entry_cap(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".rdata", SCN_RDATA);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	for (uint32_t i = 0; i < 70; i++)
		debug_entry(d, i, 13, 0, 0, 0);
	im.dir_rva[DIR_DEBUG] = base;
	im.dir_size[DIR_DEBUG] = 70 * 28;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->n_debug, 64);
	assert_int_equal(r->pe->debug[63].timedatestamp, 63);
	const ps_finding *f = limit_finding(r, "debug directory entries");
	assert_non_null(f);
	assert_int_equal(evidence(f, "cap")->u, 64);
	assert_int_equal(count_findings(r, "PE-DEBUG-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* ------------------------------------------------------------ TLS */

/* .text (executable) with code at +0x10 and +0x20; .data with the TLS directory at 0 and the
 * callback array at 0x40. Returns the image; the callbacks are the given VAs, then a NULL
 * unless terminate is false. */
static uint8_t *tls_image(pb_image *im, bool pe32plus, const uint64_t *cbs, size_t n, bool terminate, size_t *len)
{
	pb_init(im, pe32plus);
	unsigned t = pb_add_section(im, ".text", SCN_CODE);
	pb_zero(&im->sections[t].data, 0x40);
	unsigned s = pb_add_section(im, ".data", 0xC0000040u);
	pb_buf *d = &im->sections[s].data;
	uint64_t ib = im->image_base;
	uint32_t base = pb_section_rva(s);
	uint64_t start = ib + base + 0x100, end = start + 0x10, index = ib + base + 0x120, array = ib + base + 0x40;
	if (pe32plus) {
		pb_put64(d, start);
		pb_put64(d, end);
		pb_put64(d, index);
		pb_put64(d, array);
	} else {
		pb_put32(d, (uint32_t)start);
		pb_put32(d, (uint32_t)end);
		pb_put32(d, (uint32_t)index);
		pb_put32(d, (uint32_t)array);
	}
	pb_put32(d, 0x20);       /* SizeOfZeroFill */
	pb_put32(d, 0x00300000); /* Characteristics: IMAGE_SCN_ALIGN_4BYTES */
	pb_zero(d, 0x40 - d->n);
	for (size_t i = 0; i < n; i++)
		pe32plus ? pb_put64(d, cbs[i]) : pb_put32(d, (uint32_t)cbs[i]);
	if (terminate)
		pe32plus ? pb_put64(d, 0) : pb_put32(d, 0);
	im->dir_rva[DIR_TLS] = base;
	im->dir_size[DIR_TLS] = pe32plus ? 40 : 24;
	return pb_build(im, len);
}

static void tls_two_callbacks(bool pe32plus)
{
	pb_image im;
	size_t len;
	uint64_t ib = pe32plus ? 0x140000000ull : 0x400000;
	uint64_t cbs[2] = {ib + pb_section_rva(0) + 0x10, ib + pb_section_rva(0) + 0x20};
	uint8_t *img = tls_image(&im, pe32plus, cbs, 2, true, &len);
	ps_report *r = analyze(img, len);
	const ps_tls *t = &r->pe->tls;
	assert_int_equal(r->pe->pe32plus, pe32plus);
	assert_true(t->present);
	assert_true(t->start_va == ib + pb_section_rva(1) + 0x100);
	assert_true(t->end_va == t->start_va + 0x10);
	assert_true(t->index_va == ib + pb_section_rva(1) + 0x120);
	assert_true(t->callbacks_va == ib + pb_section_rva(1) + 0x40);
	assert_int_equal(t->size_of_zero_fill, 0x20);
	assert_int_equal(t->characteristics, 0x00300000);
	assert_int_equal(t->n_callbacks, 2);
	assert_true(t->callbacks[0] == cbs[0]);
	assert_true(t->callbacks[1] == cbs[1]);
	/* ordinary callbacks into .text are not a finding */
	assert_int_equal(count_findings(r, "PE-TLS-CALLBACK-ANOMALY"), 0);
	assert_int_equal(count_findings(r, "PE-TLS-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

static void tls_pe32(void **state)
{
	(void)state;
	tls_two_callbacks(false);
}

static void tls_pe32plus(void **state)
{
	(void)state;
	tls_two_callbacks(true);
}

/* 70 non-NULL callbacks: the list stops at the cap with a PE-LIMIT-REACHED. */
static void tls_unterminated_cap(void **state)
{
	(void)state;
	pb_image im;
	size_t len;
	uint64_t cbs[70];
	for (size_t i = 0; i < 70; i++)
		cbs[i] = 0x400000 + pb_section_rva(0) + i;
	uint8_t *img = tls_image(&im, false, cbs, 70, false, &len);
	ps_report *r = analyze(img, len);
	const ps_tls *t = &r->pe->tls;
	assert_true(t->present);
	assert_int_equal(t->n_callbacks, 64);
	assert_true(t->callbacks[63] == cbs[63]);
	const ps_finding *f = limit_finding(r, "TLS callbacks");
	assert_non_null(f);
	assert_int_equal(evidence(f, "cap")->u, 64);
	assert_int_equal(count_findings(r, "PE-TLS-CALLBACK-ANOMALY"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* An array that runs to the end of the section's raw data without a NULL: it ends there
 * (the loader reads zero fill next); no cap, no finding. */
static void tls_array_ends_with_raw_data(void **state)
{
	(void)state;
	pb_image im;
	size_t len;
	uint64_t cbs[10];
	for (size_t i = 0; i < 10; i++)
		cbs[i] = 0x400000 + pb_section_rva(0) + i;
	uint8_t *img = tls_image(&im, false, cbs, 10, true, &len);
	/* Move the array to the last 40 bytes of .data's raw data (0x200 bytes) and point
	 * AddressOfCallBacks at it: no NULL follows in the file. */
	uint32_t raw = section_raw(img, 1);
	for (size_t i = 0; i < 10; i++)
		set32(img + raw + 0x200 - 40 + 4 * i, (uint32_t)cbs[i]);
	set32(img + raw + 12, 0x400000 + pb_section_rva(1) + 0x200 - 40);
	assert_true(len >= raw + 0x200);
	ps_report *r = analyze(img, len);
	assert_true(r->pe->tls.callbacks_va == 0x400000 + pb_section_rva(1) + 0x200 - 40);
	assert_int_equal(r->pe->tls.n_callbacks, 10);
	assert_true(r->pe->tls.callbacks[9] == cbs[9]);
	assert_null(limit_finding(r, "TLS callbacks"));
	assert_int_equal(count_findings(r, "PE-TLS-MALFORMED"), 0);
	assert_int_equal(count_findings(r, "PE-TLS-CALLBACK-ANOMALY"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* Callback 0 is fine, 1 lies below ImageBase (what a TLS array aimed at an unbound IAT
 * looks like on disk), 2 is in the non-executable .data: one finding, for index 1. */
static void tls_callback_outside_image(void **state)
{
	(void)state;
	pb_image im;
	size_t len;
	uint64_t cbs[3] = {0x400000 + pb_section_rva(0) + 0x10, 0x1086, 0x400000 + pb_section_rva(1) + 0x100};
	uint8_t *img = tls_image(&im, false, cbs, 3, true, &len);
	ps_report *r = analyze(img, len);
	assert_int_equal(r->pe->tls.n_callbacks, 3);
	assert_int_equal(count_findings(r, "PE-TLS-CALLBACK-ANOMALY"), 1);
	const ps_finding *f = finding(r, "PE-TLS-CALLBACK-ANOMALY");
	assert_int_equal(f->severity, PS_SEV_MEDIUM);
	assert_int_equal(f->n_attack, 0);
	assert_int_equal(evidence(f, "callback")->u, 0x1086);
	assert_int_equal(evidence(f, "index")->u, 1);
	assert_string_equal(evidence(f, "reason")->s, "outside the image");
	assert_int_equal(evidence(f, "anomalous_callbacks")->u, 2);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

static void tls_callback_in_data_section(void **state)
{
	(void)state;
	pb_image im;
	size_t len;
	uint64_t cbs[1] = {0x400000 + pb_section_rva(1) + 0x100};
	uint8_t *img = tls_image(&im, false, cbs, 1, true, &len);
	ps_report *r = analyze(img, len);
	const ps_finding *f = finding(r, "PE-TLS-CALLBACK-ANOMALY");
	assert_non_null(f);
	assert_int_equal(evidence(f, "index")->u, 0);
	assert_string_equal(evidence(f, "reason")->s, "in a section that is not executable");
	assert_string_equal(evidence(f, "section")->s, ".data");
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* The directory lies in the virtual tail of .data, with nothing in the file behind it. */
static void tls_directory_unreadable(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".data", 0xC0000040u);
	im.sections[s].virtual_size = 0x1000;
	pb_zero(&im.sections[s].data, 0x10);
	im.dir_rva[DIR_TLS] = pb_section_rva(s) + 0x800;
	im.dir_size[DIR_TLS] = 24;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_false(r->pe->tls.present);
	assert_int_equal(r->pe->tls.n_callbacks, 0);
	const ps_finding *f = finding(r, "PE-TLS-MALFORMED");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW);
	assert_int_equal(evidence(f, "rva")->u, pb_section_rva(s) + 0x800);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* ------------------------------------------------------------ CLR */

static void cor20(pb_buf *d, uint32_t md_rva, uint32_t md_size)
{
	pb_put32(d, 72);     /* cb */
	pb_put16(d, 2);      /* MajorRuntimeVersion */
	pb_put16(d, 5);      /* MinorRuntimeVersion */
	pb_put32(d, md_rva); /* MetaData */
	pb_put32(d, md_size);
	pb_put32(d, 1);          /* Flags: ILONLY */
	pb_put32(d, 0x06000001); /* EntryPointToken */
	pb_zero(d, 72 - 24);
}

static void clr_metadata_version(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".text", SCN_CODE);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	cor20(d, base + 72, 0x100);
	pb_put32(d, 0x424A5342); /* BSJB */
	pb_put16(d, 1);
	pb_put16(d, 1);
	pb_put32(d, 0);
	pb_put32(d, 12);
	pb_put(d, "v4.0.30319\0\0", 12);
	pb_put16(d, 0); /* Flags */
	pb_put16(d, 5); /* Streams */
	im.dir_rva[DIR_CLR] = base;
	im.dir_size[DIR_CLR] = 72;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	const ps_clr *c = &r->pe->clr;
	assert_true(c->present);
	assert_int_equal(c->major_runtime_version, 2);
	assert_int_equal(c->minor_runtime_version, 5);
	assert_int_equal(c->metadata_rva, base + 72);
	assert_int_equal(c->metadata_size, 0x100);
	assert_int_equal(c->flags, 1);
	assert_int_equal(c->entry_point_token, 0x06000001);
	assert_non_null(c->metadata_version);
	assert_string_equal(c->metadata_version, "v4.0.30319");
	assert_int_equal(count_findings(r, "PE-CLR-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* The COM descriptor directory points nowhere: still .NET (pefile's is_dotnet), one finding. */
static void clr_points_nowhere(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".text", SCN_CODE);
	pb_zero(&im.sections[s].data, 0x10);
	im.dir_rva[DIR_CLR] = 0x7FFF0000;
	im.dir_size[DIR_CLR] = 72;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_true(r->pe->clr.present);
	assert_null(r->pe->clr.metadata_version);
	const ps_finding *f = finding(r, "PE-CLR-MALFORMED");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW);
	assert_string_equal(evidence(f, "reason")->s, "CLR header is not in the file");
	assert_int_equal(evidence(f, "rva")->u, 0x7FFF0000);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* A readable header whose metadata root is not BSJB: header fields kept, no version. */
static void clr_bad_metadata_signature(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, true);
	unsigned s = pb_add_section(&im, ".text", SCN_CODE);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	cor20(d, base + 72, 0x100);
	pb_put32(d, 0x4A534242); /* byte-swapped */
	pb_zero(d, 28);
	im.dir_rva[DIR_CLR] = base;
	im.dir_size[DIR_CLR] = 72;
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_true(r->pe->clr.present);
	assert_int_equal(r->pe->clr.entry_point_token, 0x06000001);
	assert_null(r->pe->clr.metadata_version);
	const ps_finding *f = finding(r, "PE-CLR-MALFORMED");
	assert_non_null(f);
	assert_string_equal(evidence(f, "reason")->s, "metadata root signature is not BSJB");
	assert_int_equal(evidence(f, "signature")->u, 0x4A534242);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

/* NumberOfRvaAndSizes 14: there is no directory 14, so not .NET, whatever follows. */
static void clr_directory_absent(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	im.number_of_rva_and_sizes = 14;
	unsigned s = pb_add_section(&im, ".text", SCN_CODE);
	pb_zero(&im.sections[s].data, 0x10);
	size_t len;
	uint8_t *img = pb_build(&im, &len);
	ps_report *r = analyze(img, len);
	assert_false(r->pe->clr.present);
	assert_int_equal(count_findings(r, "PE-CLR-MALFORMED"), 0);
	ps_report_free(r);
	free(img);
	pb_image_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debug_rsds),
		cmocka_unit_test(debug_nb10),
		cmocka_unit_test(debug_repro),
		cmocka_unit_test(debug_pointer_past_end),
		cmocka_unit_test(debug_pointer_falls_back_to_rva),
		cmocka_unit_test(debug_size_smaller_than_rsds),
		cmocka_unit_test(debug_path_bounded_by_size),
		cmocka_unit_test(debug_size_not_multiple),
		cmocka_unit_test(debug_size_covers_own_data),
		cmocka_unit_test(debug_entry_not_in_file),
		cmocka_unit_test(debug_entry_cap),
		cmocka_unit_test(tls_pe32),
		cmocka_unit_test(tls_pe32plus),
		cmocka_unit_test(tls_unterminated_cap),
		cmocka_unit_test(tls_array_ends_with_raw_data),
		cmocka_unit_test(tls_callback_outside_image),
		cmocka_unit_test(tls_callback_in_data_section),
		cmocka_unit_test(tls_directory_unreadable),
		cmocka_unit_test(clr_metadata_version),
		cmocka_unit_test(clr_points_nowhere),
		cmocka_unit_test(clr_bad_metadata_signature),
		cmocka_unit_test(clr_directory_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
