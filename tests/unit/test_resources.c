/* The resource tree and VS_VERSIONINFO on .rsrc sections laid out byte by byte: a normal
 * three-level tree, version information, and the hostile shapes (loops, offsets past the
 * data, absurd counts, lengths that overrun their parent) that must become findings while
 * the readable part is still reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "pebuild.h"
#include "pesleuth.h"

#define RSRC_CHARS 0x40000040u
#define NAMED 0x80000000u
#define SUBDIR 0x80000000u

/* ------------------------------------------------------------ helpers */

static ps_report *analyze_image(const pb_image *im)
{
	size_t len;
	uint8_t *buf = pb_build(im, &len);
	ps_report *r = NULL;
	ps_options opt;
	ps_options_init(&opt);
	assert_int_equal(ps_analyze_buffer(&r, buf, len, "test.exe", &opt), PS_OK);
	free(buf);
	assert_non_null(r);
	assert_int_equal(r->format, PS_FORMAT_PE);
	return r;
}

static const ps_finding *find(const ps_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			return &r->findings[i];
	return NULL;
}

static size_t count(const ps_report *r, const char *id)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		n += !strcmp(r->findings[i].id, id);
	return n;
}

static const ps_evidence *evidence(const ps_finding *f, const char *key)
{
	for (unsigned i = 0; f && i < f->n_evidence; i++)
		if (!strcmp(f->evidence[i].key, key))
			return &f->evidence[i];
	return NULL;
}

static void assert_reason(const ps_report *r, const char *id, const char *reason)
{
	const ps_finding *f = find(r, id);
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW);
	const ps_evidence *e = evidence(f, "reason");
	assert_non_null(e);
	assert_string_equal(e->s, reason);
	assert_non_null(evidence(f, "rva"));
}

/* A PE-LIMIT-REACHED finding for the named structure. */
static bool has_limit(const ps_report *r, const char *structure)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const ps_finding *f = &r->findings[i];
		const ps_evidence *e = evidence(f, "structure");
		if (!strcmp(f->id, "PE-LIMIT-REACHED") && e && !strcmp(e->s, structure))
			return true;
	}
	return false;
}

static void ensure(pb_buf *b, size_t n)
{
	if (b->n < n)
		pb_zero(b, n - b->n);
}

/* IMAGE_RESOURCE_DIRECTORY at off (entries follow it). */
static void dir_at(pb_buf *b, size_t off, uint16_t named, uint16_t ids, uint32_t stamp)
{
	ensure(b, off + 16);
	pb_set32(b, off + 4, stamp);
	pb_set16(b, off + 12, named);
	pb_set16(b, off + 14, ids);
}

/* Entry i of the directory at dir. */
static void entry_at(pb_buf *b, size_t dir, unsigned i, uint32_t name, uint32_t data)
{
	size_t off = dir + 16 + 8 * (size_t)i;
	ensure(b, off + 8);
	pb_set32(b, off, name);
	pb_set32(b, off + 4, data);
}

/* A counted UTF-16 name (ASCII) at off; len is the stored length. */
static void name_at(pb_buf *b, size_t off, const char *s, uint16_t len)
{
	size_t n = strlen(s);
	ensure(b, off + 2 + 2 * n);
	pb_set16(b, off, len);
	for (size_t i = 0; i < n; i++)
		pb_set16(b, off + 2 + 2 * i, (uint8_t)s[i]);
}

/* IMAGE_RESOURCE_DATA_ENTRY at off. */
static void data_at(pb_buf *b, size_t off, uint32_t rva, uint32_t size, uint32_t codepage)
{
	ensure(b, off + 16);
	pb_set32(b, off, rva);
	pb_set32(b, off + 4, size);
	pb_set32(b, off + 8, codepage);
}

/* A .rsrc section that is the resource directory. */
static unsigned rsrc_section(pb_image *im)
{
	pb_init(im, false);
	unsigned s = pb_add_section(im, ".rsrc", RSRC_CHARS);
	im->dir_rva[2] = pb_section_rva(s);
	return s;
}

static void finish(pb_image *im, unsigned s) { im->dir_size[2] = (uint32_t)im->sections[s].data.n; }

/* VS_VERSIONINFO blocks: begin writes the header, key and padding; end patches wLength. */
static size_t vs_begin(pb_buf *b, const char *key, uint16_t value_length, uint16_t type)
{
	pb_align(b, 4);
	size_t at = b->n;
	pb_put16(b, 0);
	pb_put16(b, value_length);
	pb_put16(b, type);
	pb_wstr(b, key);
	pb_align(b, 4);
	return at;
}

static void vs_end(pb_buf *b, size_t at) { pb_set16(b, at, (uint16_t)(b->n - at)); }

static size_t vs_string(pb_buf *b, const char *key, const char *value)
{
	size_t at = vs_begin(b, key, (uint16_t)(strlen(value) + 1), 1);
	pb_wstr(b, value);
	vs_end(b, at);
	return at;
}

static void vs_fixed(pb_buf *b, uint32_t fv_ms, uint32_t fv_ls, uint32_t pv_ms, uint32_t pv_ls)
{
	pb_put32(b, 0xFEEF04BDu);
	pb_put32(b, 0x00010000);
	pb_put32(b, fv_ms);
	pb_put32(b, fv_ls);
	pb_put32(b, pv_ms);
	pb_put32(b, pv_ls);
	pb_put32(b, 0x3F);       /* FileFlagsMask */
	pb_put32(b, 0x2);        /* FileFlags: VS_FF_PRERELEASE */
	pb_put32(b, 0x40004);    /* FileOS: VOS_NT_WINDOWS32 */
	pb_put32(b, 0x1);        /* FileType: VFT_APP */
	pb_put32(b, 0);
	pb_put32(b, 0);
	pb_put32(b, 0);
}

/* Version info with fixed info, one StringTable and a VarFileInfo; returns its offset.
 * *orig receives the offset of the OriginalFilename String block. */
static size_t version_blob(pb_buf *b, size_t *orig)
{
	pb_align(b, 4);
	size_t root = vs_begin(b, "VS_VERSION_INFO", 52, 0);
	vs_fixed(b, 0x00010002, 0x00030004, 0x00050006, 0x00070008);
	size_t sfi = vs_begin(b, "StringFileInfo", 0, 1);
	size_t table = vs_begin(b, "040904b0", 0, 1);
	vs_string(b, "CompanyName", "ACME Corp");
	size_t o = vs_string(b, "OriginalFilename", "tool.exe");
	if (orig)
		*orig = o;
	vs_string(b, "FileVersion", "1.2.3.4");
	vs_end(b, table);
	vs_end(b, sfi);
	size_t vfi = vs_begin(b, "VarFileInfo", 0, 1);
	size_t var = vs_begin(b, "Translation", 4, 0);
	pb_put32(b, 0x04b00409);
	vs_end(b, var);
	vs_end(b, vfi);
	vs_end(b, root);
	return root;
}

/* A tree whose only leaf is RT_VERSION/1/0x409 pointing at version_blob(); the blob starts at
 * 0x100 in the section. */
static unsigned version_image(pb_image *im, size_t *orig, size_t *blob_size)
{
	unsigned s = rsrc_section(im);
	pb_buf *b = &im->sections[s].data;
	uint32_t base = pb_section_rva(s);
	dir_at(b, 0x00, 0, 1, 0);
	entry_at(b, 0x00, 0, 16, SUBDIR | 0x18);
	dir_at(b, 0x18, 0, 1, 0);
	entry_at(b, 0x18, 0, 1, SUBDIR | 0x30);
	dir_at(b, 0x30, 0, 1, 0);
	entry_at(b, 0x30, 0, 0x409, 0x48);
	ensure(b, 0x100);
	size_t at = version_blob(b, orig);
	*blob_size = b->n - at;
	data_at(b, 0x48, base + (uint32_t)at, (uint32_t)*blob_size, 0);
	finish(im, s);
	return s;
}

/* ------------------------------------------------------------ normal files */

static void three_level_tree(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	/* root: "MYTYPE", RT_ICON (3), RT_MANIFEST (24); named entries first, as rc sorts them */
	dir_at(b, 0x000, 1, 2, 0x5E0B1C00);
	entry_at(b, 0x000, 0, NAMED | 0x300, SUBDIR | 0x040);
	entry_at(b, 0x000, 1, 3, SUBDIR | 0x080);
	entry_at(b, 0x000, 2, 24, SUBDIR | 0x0C0);
	/* MYTYPE -> "Hello" -> 0x409 */
	dir_at(b, 0x040, 1, 0, 0);
	entry_at(b, 0x040, 0, NAMED | 0x310, SUBDIR | 0x100);
	dir_at(b, 0x100, 0, 1, 0);
	entry_at(b, 0x100, 0, 0x409, 0x200);
	/* RT_ICON -> 1 -> 0x409, RT_ICON -> 2 -> 0x407 */
	dir_at(b, 0x080, 0, 2, 0);
	entry_at(b, 0x080, 0, 1, SUBDIR | 0x120);
	entry_at(b, 0x080, 1, 2, SUBDIR | 0x140);
	dir_at(b, 0x120, 0, 1, 0);
	entry_at(b, 0x120, 0, 0x409, 0x210);
	dir_at(b, 0x140, 0, 1, 0);
	entry_at(b, 0x140, 0, 0x407, 0x220);
	/* RT_MANIFEST -> 1 -> 0x409 */
	dir_at(b, 0x0C0, 0, 1, 0);
	entry_at(b, 0x0C0, 0, 1, SUBDIR | 0x160);
	dir_at(b, 0x160, 0, 1, 0);
	entry_at(b, 0x160, 0, 0x409, 0x230);
	data_at(b, 0x200, base + 0x400, 0x10, 1252);
	data_at(b, 0x210, base + 0x410, 0x28, 0);
	data_at(b, 0x220, base + 0x438, 0x30, 0);
	data_at(b, 0x230, base + 0x3000, 0x40, 0); /* past the section: maps nowhere */
	name_at(b, 0x300, "MYTYPE", 6);
	name_at(b, 0x310, "Hello", 5);
	ensure(b, 0x480);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	assert_int_equal(pe->resource_timedatestamp, 0x5E0B1C00);
	assert_int_equal(pe->n_resources, 4);
	const ps_resource *x = pe->resources;
	assert_string_equal(x[0].type_name, "MYTYPE");
	assert_string_equal(x[0].name, "Hello");
	assert_int_equal(x[0].lang, 0x409);
	assert_int_equal(x[0].data_rva, base + 0x400);
	assert_int_equal(x[0].size, 0x10);
	assert_int_equal(x[0].codepage, 1252);
	uint64_t raw = pe->sections[0].raw_offset;
	assert_true(x[0].offset == raw + 0x400);
	assert_null(x[1].type_name);
	assert_int_equal(x[1].type_id, 3);
	assert_null(x[1].name);
	assert_int_equal(x[1].name_id, 1);
	assert_int_equal(x[1].lang, 0x409);
	assert_int_equal(x[1].size, 0x28);
	assert_true(x[1].offset == raw + 0x410);
	assert_int_equal(x[2].type_id, 3);
	assert_int_equal(x[2].name_id, 2);
	assert_int_equal(x[2].lang, 0x407);
	assert_true(x[2].offset == raw + 0x438);
	assert_int_equal(x[3].type_id, 24);
	assert_int_equal(x[3].name_id, 1);
	assert_int_equal(x[3].size, 0x40);
	assert_true(x[3].offset == UINT64_MAX);
	assert_false(pe->version.present);
	ps_report_free(r);
	pb_image_free(&im);
}

static void shallow_and_deep_leaves(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	/* type 10 -> data (level 1); type 11 -> 7 -> data (level 2);
	 * type 12 -> 8 -> 99 -> 0x409 -> data (level 4: language from the last level) */
	dir_at(b, 0x00, 0, 3, 0);
	entry_at(b, 0x00, 0, 10, 0x200);
	entry_at(b, 0x00, 1, 11, SUBDIR | 0x40);
	entry_at(b, 0x00, 2, 12, SUBDIR | 0x60);
	dir_at(b, 0x40, 0, 1, 0);
	entry_at(b, 0x40, 0, 7, 0x210);
	dir_at(b, 0x60, 0, 1, 0);
	entry_at(b, 0x60, 0, 8, SUBDIR | 0x80);
	dir_at(b, 0x80, 0, 1, 0);
	entry_at(b, 0x80, 0, 99, SUBDIR | 0xA0);
	dir_at(b, 0xA0, 0, 1, 0);
	entry_at(b, 0xA0, 0, 0x409, 0x220);
	data_at(b, 0x200, base + 0x300, 1, 0);
	data_at(b, 0x210, base + 0x300, 2, 0);
	data_at(b, 0x220, base + 0x300, 3, 0);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	assert_int_equal(pe->n_resources, 3);
	assert_int_equal(pe->resources[0].type_id, 10);
	assert_int_equal(pe->resources[0].name_id, 0);
	assert_int_equal(pe->resources[0].lang, 0);
	assert_int_equal(pe->resources[0].size, 1);
	assert_int_equal(pe->resources[1].type_id, 11);
	assert_int_equal(pe->resources[1].name_id, 7);
	assert_int_equal(pe->resources[1].lang, 0);
	assert_int_equal(pe->resources[2].type_id, 12);
	assert_int_equal(pe->resources[2].name_id, 8);
	assert_int_equal(pe->resources[2].lang, 0x409);
	ps_report_free(r);
	pb_image_free(&im);
}

static void version_info(void **state)
{
	(void)state;
	pb_image im;
	size_t orig, size;
	version_image(&im, &orig, &size);
	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_null(find(r, "PE-VERSIONINFO-MALFORMED"));
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	assert_int_equal(pe->n_resources, 1);
	assert_int_equal(pe->resources[0].type_id, 16);
	assert_int_equal(pe->resources[0].size, size);
	const ps_version_info *v = &pe->version;
	assert_true(v->present);
	assert_true(v->has_fixed);
	assert_int_equal(v->file_version_ms, 0x00010002);
	assert_int_equal(v->file_version_ls, 0x00030004);
	assert_int_equal(v->product_version_ms, 0x00050006);
	assert_int_equal(v->product_version_ls, 0x00070008);
	assert_int_equal(v->file_flags, 2);
	assert_int_equal(v->file_os, 0x40004);
	assert_int_equal(v->file_type, 1);
	assert_int_equal(v->n_strings, 3);
	assert_string_equal(v->strings[0].key, "CompanyName");
	assert_string_equal(v->strings[2].key, "FileVersion");
	assert_string_equal(ps_version_string(pe, "OriginalFilename"), "tool.exe");
	assert_string_equal(ps_version_string(pe, "CompanyName"), "ACME Corp");
	assert_string_equal(ps_version_string(pe, "FileVersion"), "1.2.3.4");
	assert_null(ps_version_string(pe, "Translation")); /* VarFileInfo is not a string */
	ps_report_free(r);
	pb_image_free(&im);
}

/* pefile's readings that decide what users see: a value length of 0 reads as "", a value
 * length counted in bytes stops at the NUL, a short value length cuts the value; a block
 * without fixed info still has its strings; the first of two tables wins a lookup. */
static void version_value_quirks(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	dir_at(b, 0x00, 0, 1, 0);
	entry_at(b, 0x00, 0, 16, SUBDIR | 0x18);
	dir_at(b, 0x18, 0, 1, 0);
	entry_at(b, 0x18, 0, 1, SUBDIR | 0x30);
	dir_at(b, 0x30, 0, 1, 0);
	entry_at(b, 0x30, 0, 0x409, 0x48);
	ensure(b, 0x100);
	size_t root = vs_begin(b, "VS_VERSION_INFO", 0, 0); /* no VS_FIXEDFILEINFO */
	size_t sfi = vs_begin(b, "StringFileInfo", 0, 1);
	size_t t1 = vs_begin(b, "040904b0", 0, 1);
	size_t x = vs_string(b, "Comments", "not shown");
	pb_set16(b, x + 2, 0); /* wValueLength 0 */
	x = vs_string(b, "CompanyName", "Bytes");
	pb_set16(b, x + 2, 12); /* in bytes: 2 x (5 + 1) */
	x = vs_string(b, "ProductName", "Truncated");
	pb_set16(b, x + 2, 5);
	vs_end(b, t1);
	size_t t2 = vs_begin(b, "040704b0", 0, 1);
	vs_string(b, "CompanyName", "Second");
	vs_string(b, "OriginalFilename", "second.exe");
	vs_end(b, t2);
	vs_end(b, sfi);
	vs_end(b, root);
	data_at(b, 0x48, base + (uint32_t)root, (uint32_t)(b->n - root), 0);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_null(find(r, "PE-VERSIONINFO-MALFORMED"));
	assert_true(pe->version.present);
	assert_false(pe->version.has_fixed);
	assert_int_equal(pe->version.n_strings, 5);
	assert_string_equal(ps_version_string(pe, "Comments"), "");
	assert_string_equal(ps_version_string(pe, "CompanyName"), "Bytes");
	assert_string_equal(ps_version_string(pe, "ProductName"), "Trunc");
	assert_string_equal(ps_version_string(pe, "OriginalFilename"), "second.exe");
	assert_string_equal(pe->version.strings[3].value, "Second");
	ps_report_free(r);
	pb_image_free(&im);
}

static void version_caps(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	dir_at(b, 0x00, 0, 1, 0);
	entry_at(b, 0x00, 0, 16, SUBDIR | 0x18);
	dir_at(b, 0x18, 0, 1, 0);
	entry_at(b, 0x18, 0, 1, SUBDIR | 0x30);
	dir_at(b, 0x30, 0, 1, 0);
	entry_at(b, 0x30, 0, 0x409, 0x48);
	ensure(b, 0x100);
	size_t root = vs_begin(b, "VS_VERSION_INFO", 0, 0);
	size_t sfi = vs_begin(b, "StringFileInfo", 0, 1);
	size_t t = vs_begin(b, "040904b0", 0, 1);
	char big[PS_MAX_VERSION_STRING + 11];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	vs_string(b, "Comments", big);
	for (unsigned i = 1; i < PS_MAX_VERSION_STRINGS + 6; i++) {
		char key[16];
		snprintf(key, sizeof(key), "Key%u", i);
		vs_string(b, key, "x");
	}
	vs_end(b, t);
	vs_end(b, sfi);
	vs_end(b, root);
	data_at(b, 0x48, base + (uint32_t)root, (uint32_t)(b->n - root), 0);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_null(find(r, "PE-VERSIONINFO-MALFORMED"));
	assert_true(has_limit(r, "version strings"));
	assert_true(has_limit(r, "version string length"));
	assert_int_equal(pe->version.n_strings, PS_MAX_VERSION_STRINGS);
	assert_int_equal(strlen(ps_version_string(pe, "Comments")), PS_MAX_VERSION_STRING);
	assert_string_equal(ps_version_string(pe, "Key63"), "x");
	assert_null(ps_version_string(pe, "Key64"));
	ps_report_free(r);
	pb_image_free(&im);
}

/* ------------------------------------------------------------ hostile files */

static void directory_loop(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	/* root -> 3 -> dir 0x40 whose entries point at itself, at the root, and at a real
	 * language directory */
	dir_at(b, 0x00, 0, 2, 0);
	entry_at(b, 0x00, 0, 3, SUBDIR | 0x40);
	entry_at(b, 0x00, 1, 4, SUBDIR | 0x00); /* the root itself */
	dir_at(b, 0x40, 0, 3, 0);
	entry_at(b, 0x40, 0, 1, SUBDIR | 0x40);
	entry_at(b, 0x40, 1, 2, SUBDIR | 0x00);
	entry_at(b, 0x40, 2, 3, SUBDIR | 0x80);
	dir_at(b, 0x80, 0, 1, 0);
	entry_at(b, 0x80, 0, 0x409, 0xC0);
	data_at(b, 0xC0, base + 0x100, 8, 0);
	ensure(b, 0x108);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_reason(r, "PE-RESOURCES-MALFORMED", "resource directory loop");
	assert_int_equal(count(r, "PE-RESOURCES-MALFORMED"), 1);
	assert_int_equal(pe->n_resources, 1);
	assert_int_equal(pe->resources[0].type_id, 3);
	assert_int_equal(pe->resources[0].name_id, 3);
	assert_int_equal(pe->resources[0].lang, 0x409);
	assert_true(pe->resources[0].offset == pe->sections[0].raw_offset + 0x100);
	ps_report_free(r);
	pb_image_free(&im);
}

static void offsets_past_the_end(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	dir_at(b, 0x00, 0, 3, 0);
	entry_at(b, 0x00, 0, 3, SUBDIR | 0x7FFFFFF0); /* subdirectory far past the data */
	entry_at(b, 0x00, 1, 5, 0x00F00000);          /* data entry past the data */
	entry_at(b, 0x00, 2, 6, SUBDIR | 0x40);
	dir_at(b, 0x40, 0, 1, 0);
	entry_at(b, 0x40, 0, 1, SUBDIR | 0x60);
	dir_at(b, 0x60, 0, 1, 0);
	entry_at(b, 0x60, 0, 0x409, 0x80);
	data_at(b, 0x80, base + 0x90, 4, 0);
	ensure(b, 0x100);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_reason(r, "PE-RESOURCES-MALFORMED", "resource directory not readable");
	assert_int_equal(count(r, "PE-RESOURCES-MALFORMED"), 1);
	assert_int_equal(pe->n_resources, 1);
	assert_int_equal(pe->resources[0].type_id, 6);
	assert_int_equal(pe->resources[0].lang, 0x409);
	ps_report_free(r);
	pb_image_free(&im);
}

/* NumberOfIdEntries 0xFFFF on a root at the end of its section's data; its two real
 * subdirectories live in the next section (root + offset crosses sections, as pefile maps
 * it). The third entry is past every byte of the file. */
static void absurd_entry_count(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	unsigned s2 = pb_add_section(&im, ".rsrc2", RSRC_CHARS);
	pb_buf *b = &im.sections[s].data, *b2 = &im.sections[s2].data;
	uint32_t root = pb_section_rva(s) + 0x1E0, base2 = pb_section_rva(s2);
	uint32_t d = base2 - root; /* offset of section 2 relative to the root */
	ensure(b, 0x1E0);
	dir_at(b, 0x1E0, 0, 0xFFFF, 0x12345678);
	entry_at(b, 0x1E0, 0, 3, SUBDIR | d);
	entry_at(b, 0x1E0, 1, 24, SUBDIR | (d + 0x40));
	assert_int_equal(b->n, 0x200); /* the root's entries end where the raw data does */
	dir_at(b2, 0x00, 0, 1, 0);
	entry_at(b2, 0x00, 0, 1, SUBDIR | (d + 0x18));
	dir_at(b2, 0x18, 0, 1, 0);
	entry_at(b2, 0x18, 0, 0x409, d + 0x80);
	dir_at(b2, 0x40, 0, 1, 0);
	entry_at(b2, 0x40, 0, 1, SUBDIR | (d + 0x58));
	dir_at(b2, 0x58, 0, 1, 0);
	entry_at(b2, 0x58, 0, 0x809, d + 0x90);
	data_at(b2, 0x80, base2 + 0xA0, 0x10, 0);
	data_at(b2, 0x90, base2 + 0xB0, 0x20, 0);
	ensure(b2, 0x200);
	im.dir_rva[2] = root;
	im.dir_size[2] = 0x20;
	im.sections[s].virtual_size = 0x200;

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_reason(r, "PE-RESOURCES-MALFORMED", "resource directory entry not readable");
	assert_int_equal(pe->resource_timedatestamp, 0x12345678);
	assert_int_equal(pe->n_resources, 2);
	assert_int_equal(pe->resources[0].type_id, 3);
	assert_int_equal(pe->resources[0].lang, 0x409);
	assert_int_equal(pe->resources[0].size, 0x10);
	assert_int_equal(pe->resources[1].type_id, 24);
	assert_int_equal(pe->resources[1].lang, 0x809);
	assert_int_equal(pe->resources[1].size, 0x20);
	assert_false(has_limit(r, "resource entries"));
	ps_report_free(r);
	pb_image_free(&im);
}

/* A named type whose counted string claims 0x4000 units but the section's data ends after
 * three: the name keeps the readable units, and the leaf is still reported. */
static void name_runs_off_the_file(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	dir_at(b, 0x00, 1, 0, 0);
	entry_at(b, 0x00, 0, NAMED | 0x1F8, SUBDIR | 0x18);
	dir_at(b, 0x18, 0, 1, 0);
	entry_at(b, 0x18, 0, 1, SUBDIR | 0x30);
	dir_at(b, 0x30, 0, 1, 0);
	entry_at(b, 0x30, 0, 0x409, 0x48);
	data_at(b, 0x48, base + 0x60, 4, 0);
	name_at(b, 0x1F8, "ABC", 0x4000);
	assert_int_equal(b->n, 0x200);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_reason(r, "PE-RESOURCES-MALFORMED", "resource name runs past the data");
	assert_int_equal(pe->n_resources, 1);
	assert_string_equal(pe->resources[0].type_name, "ABC");
	assert_int_equal(pe->resources[0].name_id, 1);
	assert_int_equal(pe->resources[0].lang, 0x409);
	/* the name was not cut at the cap, it was cut at the data */
	assert_false(has_limit(r, "resource name"));
	ps_report_free(r);
	pb_image_free(&im);
}

static void long_name_is_capped(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	char big[301];
	memset(big, 'N', 300);
	big[300] = 0;
	dir_at(b, 0x00, 0, 1, 0);
	entry_at(b, 0x00, 0, 10, SUBDIR | 0x18);
	dir_at(b, 0x18, 1, 0, 0);
	entry_at(b, 0x18, 0, NAMED | 0x100, 0x30);
	data_at(b, 0x30, base + 0x40, 4, 0);
	name_at(b, 0x100, big, 300);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	assert_true(has_limit(r, "resource name"));
	assert_int_equal(pe->n_resources, 1);
	assert_int_equal(strlen(pe->resources[0].name), PS_MAX_RESOURCE_NAME);
	ps_report_free(r);
	pb_image_free(&im);
}

static void string_longer_than_parent(void **state)
{
	(void)state;
	pb_image im;
	size_t orig, size;
	unsigned s = version_image(&im, &orig, &size);
	pb_set16(&im.sections[s].data, orig, 0x7000); /* OriginalFilename's wLength */
	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_reason(r, "PE-VERSIONINFO-MALFORMED", "block runs past its parent");
	assert_int_equal(count(r, "PE-VERSIONINFO-MALFORMED"), 1);
	assert_true(pe->version.present);
	assert_true(pe->version.has_fixed);
	assert_string_equal(ps_version_string(pe, "CompanyName"), "ACME Corp");
	/* cut at its table's end, the String still holds its key and NUL-terminated value */
	assert_string_equal(ps_version_string(pe, "OriginalFilename"), "tool.exe");
	/* nothing after a block that overran its parent is believed */
	assert_null(ps_version_string(pe, "FileVersion"));
	ps_report_free(r);
	pb_image_free(&im);
}

static void version_blocks_cut_by_resource_size(void **state)
{
	(void)state;
	pb_image im;
	size_t orig, size;
	unsigned s = version_image(&im, &orig, &size);
	pb_buf *b = &im.sections[s].data;
	/* The data entry's Size ends inside OriginalFilename's key. */
	size_t blob = 0x100;
	pb_set32(b, 0x48 + 4, (uint32_t)(orig - blob + 10));
	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_non_null(find(r, "PE-VERSIONINFO-MALFORMED"));
	assert_true(pe->version.present);
	assert_string_equal(ps_version_string(pe, "CompanyName"), "ACME Corp");
	assert_null(ps_version_string(pe, "FileVersion"));
	ps_report_free(r);
	pb_image_free(&im);
}

static void version_bad_root_key(void **state)
{
	(void)state;
	pb_image im;
	size_t orig, size;
	unsigned s = version_image(&im, &orig, &size);
	pb_set16(&im.sections[s].data, 0x100 + 6, 'X'); /* "XS_VERSION_INFO" */
	ps_report *r = analyze_image(&im);
	assert_reason(r, "PE-VERSIONINFO-MALFORMED", "root key is not VS_VERSION_INFO");
	assert_false(r->pe->version.present);
	assert_int_equal(r->pe->version.n_strings, 0);
	assert_int_equal(r->pe->n_resources, 1); /* the tree itself is fine */
	ps_report_free(r);
	pb_image_free(&im);
}

/* Each directory's two entries both point at the next directory: 2^20 paths. The entries
 * cap ends the walk, the leaves cap the model, and it is fast. */
static void shared_subdirectories_explode(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	const unsigned levels = 20;
	for (unsigned i = 0; i < levels; i++) {
		size_t off = 0x20 * (size_t)i;
		dir_at(b, off, 0, 2, 0);
		uint32_t next = (uint32_t)(0x20 * (i + 1));
		uint32_t target = i + 1 < levels ? (SUBDIR | next) : 0x400;
		entry_at(b, off, 0, 1, target);
		entry_at(b, off, 1, 2, target);
	}
	data_at(b, 0x400, base + 0x400, 16, 0);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	assert_true(has_limit(r, "resource entries"));
	assert_true(has_limit(r, "resource leaves"));
	assert_int_equal(r->pe->n_resources, PS_MAX_RESOURCE_LEAVES);
	ps_report_free(r);
	pb_image_free(&im);
}

static void too_deep(void **state)
{
	(void)state;
	pb_image im;
	unsigned s = rsrc_section(&im);
	pb_buf *b = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	/* root: type 1 -> a chain of 40 one-entry directories; type 5 -> a leaf */
	const unsigned chain = PS_MAX_RESOURCE_DEPTH + 8;
	dir_at(b, 0x00, 0, 2, 0);
	entry_at(b, 0x00, 0, 1, SUBDIR | 0x20);
	entry_at(b, 0x00, 1, 5, 0x800);
	for (unsigned i = 0; i < chain; i++) {
		size_t off = 0x20 + 0x18 * (size_t)i;
		dir_at(b, off, 0, 1, 0);
		entry_at(b, off, 0, i, i + 1 < chain ? (SUBDIR | (uint32_t)(off + 0x18)) : 0x800);
	}
	data_at(b, 0x800, base + 0x800, 16, 0);
	finish(&im, s);

	ps_report *r = analyze_image(&im);
	assert_true(has_limit(r, "resource depth"));
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	assert_int_equal(r->pe->n_resources, 1);
	assert_int_equal(r->pe->resources[0].type_id, 5);
	ps_report_free(r);
	pb_image_free(&im);
}

static void no_resource_directory(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, true);
	unsigned t = pb_add_section(&im, ".text", 0x60000020);
	pb_put(&im.sections[t].data, "\xc3", 1);
	ps_report *r = analyze_image(&im);
	assert_int_equal(r->pe->n_resources, 0);
	assert_false(r->pe->version.present);
	assert_null(find(r, "PE-RESOURCES-MALFORMED"));
	ps_report_free(r);
	pb_image_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(three_level_tree),
		cmocka_unit_test(shallow_and_deep_leaves),
		cmocka_unit_test(version_info),
		cmocka_unit_test(version_value_quirks),
		cmocka_unit_test(version_caps),
		cmocka_unit_test(directory_loop),
		cmocka_unit_test(offsets_past_the_end),
		cmocka_unit_test(absurd_entry_count),
		cmocka_unit_test(name_runs_off_the_file),
		cmocka_unit_test(long_name_is_capped),
		cmocka_unit_test(string_longer_than_parent),
		cmocka_unit_test(version_blocks_cut_by_resource_size),
		cmocka_unit_test(version_bad_root_key),
		cmocka_unit_test(shared_subdirectories_explode),
		cmocka_unit_test(too_deep),
		cmocka_unit_test(no_resource_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
