/* CSV output (ps_report_csv): the columns, RFC 4180 quoting read back by a strict parser
 * written here, the formula-injection guard, valid UTF-8 whatever the file holds, and exact
 * cells for a report built field by field. */
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

#define N_COLUMNS 24
#define MAX_CELLS 64

static const char *const header_names[N_COLUMNS] = {
	"path", "verdict", "findings", "finding_ids", "verified", "signing_date", "publisher",
	"issuer", "cert_sha1", "company", "description", "product", "product_version",
	"file_version", "original_file_name", "machine", "subsystem", "compile_time", "imphash",
	"rich_hash", "md5", "sha1", "sha256", "size",
};
enum {
	C_PATH, C_VERDICT, C_FINDINGS, C_IDS, C_VERIFIED, C_SIGNING_DATE, C_PUBLISHER, C_ISSUER,
	C_CERT_SHA1, C_COMPANY, C_DESCRIPTION, C_PRODUCT, C_PRODUCT_VERSION, C_FILE_VERSION,
	C_ORIGINAL, C_MACHINE, C_SUBSYSTEM, C_COMPILE_TIME, C_IMPHASH, C_RICH, C_MD5, C_SHA1,
	C_SHA256, C_SIZE
};

/* ------------------------------------------------------------ a strict RFC 4180 reader */

typedef struct row {
	size_t n;
	char *cell[MAX_CELLS];
} row;

static void row_free(row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->cell[i]);
	r->n = 0;
}

/* Reads exactly one record, which must end with CRLF and be all of line: quoted cells may
 * hold anything ("" is a quote), unquoted ones no quote, CR or LF. */
static void parse_line(const char *line, row *out)
{
	size_t len = strlen(line), pos = 0;
	out->n = 0;
	for (;;) {
		char *c = malloc(len + 1);
		assert_non_null(c);
		size_t k = 0;
		if (line[pos] == '"') {
			pos++;
			for (;;) {
				if (pos >= len)
					fail_msg("unterminated quoted cell in %s", line);
				if (line[pos] == '"') {
					if (line[pos + 1] == '"') {
						c[k++] = '"';
						pos += 2;
						continue;
					}
					pos++;
					break;
				}
				c[k++] = line[pos++];
			}
		} else {
			while (pos < len && line[pos] != ',' && line[pos] != '\r' && line[pos] != '\n') {
				if (line[pos] == '"')
					fail_msg("quote inside an unquoted cell at %zu: %s", pos, line);
				c[k++] = line[pos++];
			}
		}
		c[k] = 0;
		if (out->n >= MAX_CELLS)
			fail_msg("too many cells: %s", line);
		out->cell[out->n++] = c;
		if (line[pos] == ',') {
			pos++;
			continue;
		}
		if (line[pos] == '\r' && line[pos + 1] == '\n' && pos + 2 == len)
			return;
		fail_msg("cell not followed by a comma or the final CRLF at %zu: %s", pos, line);
	}
}

/* The value a cell stands for: the formula guard's apostrophe removed. */
static const char *unguard(const char *cell) { return cell[0] == '\'' ? cell + 1 : cell; }

static void assert_valid_utf8(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = ps_utf8_next((const uint8_t *)s + i, n - i, &cp);
		if (!l)
			fail_msg("invalid UTF-8 at byte %zu", i);
		if (ps_cp_is_unsafe(cp) && cp != '\t' && cp != '\r' && cp != '\n')
			fail_msg("unsafe code point U+%04X at byte %zu", (unsigned)cp, i);
		i += l;
	}
}

/* The row of r, checked for shape (one record, N_COLUMNS cells, valid UTF-8). */
static char *csv_row(const ps_report *r, row *out)
{
	char *s = NULL;
	assert_int_equal(ps_report_csv(&s, r), PS_OK);
	assert_non_null(s);
	assert_valid_utf8(s);
	parse_line(s, out);
	assert_int_equal(out->n, N_COLUMNS);
	return s;
}

static void hex(char *dst, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(dst + 2 * i, "%02x", p[i]);
	dst[2 * n] = 0;
}

/* ------------------------------------------------------------ reports from bytes */

static ps_report *analyze(const uint8_t *buf, size_t len, const char *name)
{
	ps_report *r = NULL;
	ps_options opt;
	ps_options_init(&opt);
	assert_int_equal(ps_analyze_buffer(&r, buf, len, name, &opt), PS_OK);
	assert_non_null(r);
	return r;
}

static ps_report *unsigned_pe(size_t *len_out)
{
	pb_image im;
	pb_init(&im, true);
	unsigned t = pb_add_section(&im, ".text", 0x60000020);
	pb_put(&im.sections[t].data, "\xc3", 1);
	im.entry_point = pb_section_rva(t);
	unsigned i = pb_add_section(&im, ".idata", 0xC0000040);
	const char *dlls[] = {"KERNEL32.dll:ExitProcess,GetTickCount"};
	pb_imports(&im, i, dlls, 1);
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	ps_report *r = analyze(buf, len, "C:\\tools\\hello.exe");
	free(buf);
	pb_image_free(&im);
	*len_out = len;
	return r;
}

/* Resource tree RT_VERSION/1/0x409 in a .rsrc section whose VS_VERSIONINFO holds the given
 * strings (key, value pairs; bytes are Latin-1, each one UTF-16 unit). */
static void dir_at(pb_buf *b, size_t off, uint16_t ids)
{
	if (b->n < off + 16)
		pb_zero(b, off + 16 - b->n);
	pb_set16(b, off + 14, ids);
}

static void entry_at(pb_buf *b, size_t dir, uint32_t name, uint32_t data)
{
	size_t off = dir + 16;
	if (b->n < off + 8)
		pb_zero(b, off + 8 - b->n);
	pb_set32(b, off, name);
	pb_set32(b, off + 4, data);
}

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

static void version_resource(pb_image *im, const char *const *kv, size_t n_kv)
{
	unsigned s = pb_add_section(im, ".rsrc", 0x40000040);
	im->dir_rva[2] = pb_section_rva(s);
	pb_buf *b = &im->sections[s].data;
	dir_at(b, 0x00, 1);
	entry_at(b, 0x00, 16, 0x80000000u | 0x18);
	dir_at(b, 0x18, 1);
	entry_at(b, 0x18, 1, 0x80000000u | 0x30);
	dir_at(b, 0x30, 1);
	entry_at(b, 0x30, 0x409, 0x48);
	pb_zero(b, 0x100 - b->n);
	size_t root = vs_begin(b, "VS_VERSION_INFO", 0, 0);
	size_t sfi = vs_begin(b, "StringFileInfo", 0, 1);
	size_t table = vs_begin(b, "040904b0", 0, 1);
	for (size_t i = 0; i + 1 < n_kv; i += 2) {
		size_t at = vs_begin(b, kv[i], (uint16_t)(strlen(kv[i + 1]) + 1), 1);
		pb_wstr(b, kv[i + 1]);
		vs_end(b, at);
	}
	vs_end(b, table);
	vs_end(b, sfi);
	vs_end(b, root);
	size_t size = b->n - root;
	pb_set32(b, 0x48, pb_section_rva(s) + (uint32_t)root);
	pb_set32(b, 0x4c, (uint32_t)size);
	im->dir_size[2] = (uint32_t)b->n;
}

/* ------------------------------------------------------------ tests */

static void header_is_the_column_list(void **state)
{
	(void)state;
	char *h = NULL;
	assert_int_equal(ps_report_csv_header(&h), PS_OK);
	size_t n = strlen(h);
	assert_true(n > 2 && h[n - 2] == '\r' && h[n - 1] == '\n');
	assert_null(strchr(h, '"')); /* plain names: nothing to quote */
	row rw;
	parse_line(h, &rw);
	assert_int_equal(rw.n, N_COLUMNS);
	for (size_t i = 0; i < N_COLUMNS; i++)
		assert_string_equal(rw.cell[i], header_names[i]);
	row_free(&rw);
	free(h);
	assert_int_equal(ps_report_csv_header(NULL), PS_EINVAL);
	assert_int_equal(ps_report_csv(&h, NULL), PS_EINVAL);
	assert_null(h);
}

static void unsigned_pe_row(void **state)
{
	(void)state;
	size_t len;
	ps_report *r = unsigned_pe(&len);
	row rw;
	char *s = csv_row(r, &rw);
	assert_string_equal(rw.cell[C_PATH], "C:\\tools\\hello.exe");
	assert_string_equal(rw.cell[C_VERDICT], ps_report_verdict(r));
	char buf[160];
	snprintf(buf, sizeof(buf), "%zu", r->n_findings);
	assert_string_equal(rw.cell[C_FINDINGS], buf);
	assert_non_null(strstr(rw.cell[C_IDS], "SIG-NOT-SIGNED"));
	assert_string_equal(rw.cell[C_VERIFIED], "NotSigned");
	for (int c = C_SIGNING_DATE; c <= C_ORIGINAL; c++) /* no signature, no version info */
		assert_string_equal(rw.cell[c], "");
	assert_string_equal(rw.cell[C_MACHINE], "x64");
	assert_string_equal(rw.cell[C_SUBSYSTEM], "windows_cui");
	assert_string_equal(rw.cell[C_COMPILE_TIME], "2020-09-13T12:26:40Z");
	assert_int_equal(strlen(rw.cell[C_IMPHASH]), 32);
	assert_string_equal(rw.cell[C_IMPHASH], r->pe->imphash);
	assert_string_equal(rw.cell[C_RICH], "");
	hex(buf, r->hashes.md5, 16);
	assert_string_equal(rw.cell[C_MD5], buf);
	hex(buf, r->hashes.sha1, 20);
	assert_string_equal(rw.cell[C_SHA1], buf);
	hex(buf, r->hashes.sha256, 32);
	assert_string_equal(rw.cell[C_SHA256], buf);
	snprintf(buf, sizeof(buf), "%zu", len);
	assert_string_equal(rw.cell[C_SIZE], buf);
	/* the header has as many columns as the row */
	char *h = NULL;
	assert_int_equal(ps_report_csv_header(&h), PS_OK);
	row hr;
	parse_line(h, &hr);
	assert_int_equal(hr.n, rw.n);
	row_free(&hr);
	free(h);
	row_free(&rw);
	free(s);
	ps_report_free(r);
}

static void not_a_pe_row(void **state)
{
	(void)state;
	const char text[] = "hello, \"world\"\n=1+1\n";
	ps_report *r = analyze((const uint8_t *)text, sizeof(text) - 1, "notes,v2.txt");
	row rw;
	char *s = csv_row(r, &rw);
	assert_string_equal(rw.cell[C_PATH], "notes,v2.txt");
	assert_string_equal(rw.cell[C_VERDICT], "clean");
	assert_string_equal(rw.cell[C_VERIFIED], "NotSigned");
	for (int c = C_SIGNING_DATE; c <= C_RICH; c++)
		assert_string_equal(rw.cell[c], "");
	assert_int_equal(strlen(rw.cell[C_SHA256]), 64);
	assert_string_equal(rw.cell[C_SIZE], "20");
	/* an empty buffer and a NULL name: still 24 cells, the path empty */
	row_free(&rw);
	free(s);
	ps_report_free(r);
	r = analyze((const uint8_t *)"", 0, NULL);
	s = csv_row(r, &rw);
	assert_string_equal(rw.cell[C_PATH], "");
	assert_string_equal(rw.cell[C_SIZE], "0");
	row_free(&rw);
	free(s);
	ps_report_free(r);
}

/* Version strings and a path holding what breaks naive CSV: commas, quotes, CR/LF, formula
 * starts, controls, a C1 control, invalid UTF-8, a right-to-left override. */
static void hostile_strings(void **state)
{
	(void)state;
	static const char *const kv[] = {
		"CompanyName", "=cmd|' /C calc'!A0",
		"FileDescription", "a,b \"quoted\"\r\nsecond line",
		"ProductName", "-2+3",
		"ProductVersion", "@SUM(1,2)",
		"FileVersion", "\t1.0",
		"OriginalFilename", "'quoted.exe\x1b[31m\x9b",
	};
	pb_image im;
	pb_init(&im, false);
	unsigned t = pb_add_section(&im, ".te,\"x\n", 0x60000020); /* not a column, but in the file */
	pb_put(&im.sections[t].data, "\xc3", 1);
	im.entry_point = pb_section_rva(t);
	version_resource(&im, kv, sizeof(kv) / sizeof(kv[0]));
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	ps_report *r = analyze(buf, len, "+evil\",\r\n\xff\xe2\x80\xae.exe");
	free(buf);
	pb_image_free(&im);
	assert_string_equal(ps_version_string(r->pe, "FileDescription"), "a,b \"quoted\"\r\nsecond line");

	row rw;
	char *s = csv_row(r, &rw);
	/* formula starts are guarded, and the guard is the only change */
	assert_string_equal(rw.cell[C_COMPANY], "'=cmd|' /C calc'!A0");
	assert_string_equal(rw.cell[C_PRODUCT], "'-2+3");
	assert_string_equal(rw.cell[C_PRODUCT_VERSION], "'@SUM(1,2)");
	assert_string_equal(rw.cell[C_FILE_VERSION], "'\t1.0");
	assert_string_equal(rw.cell[C_DESCRIPTION], "a,b \"quoted\"\r\nsecond line");
	/* ESC and the C1 CSI are replaced, and the leading apostrophe is doubled */
	assert_string_equal(rw.cell[C_ORIGINAL], "''quoted.exe\xef\xbf\xbd[31m\xef\xbf\xbd");
	/* invalid UTF-8 and the RLO are replaced; the rest of the path is kept */
	assert_string_equal(rw.cell[C_PATH], "'+evil\",\r\n\xef\xbf\xbd\xef\xbf\xbd.exe");
	/* what the raw line holds: quoted cells, no raw ESC, C1 or NUL */
	assert_non_null(strstr(s, "\"a,b \"\"quoted\"\"\r\nsecond line\""));
	assert_null(strchr(s, 0x1b));
	assert_null(strstr(s, "\xc2\x9b"));
	/* round trip: unguard gives back every value that held nothing unsafe */
	for (size_t i = 0; i + 1 < 10; i += 2)
		assert_string_equal(unguard(rw.cell[C_COMPANY + (int)(i / 2)]),
		                    ps_version_string(r->pe, kv[i]));
	row_free(&rw);
	free(s);
	ps_report_free(r);
}

/* ------------------------------------------------------------ a report built by hand */

typedef struct crafted {
	ps_report r;
	ps_pe pe;
	ps_signature sig;
	ps_cert signer;
	ps_kv strings[6];
	ps_finding findings[3];
} crafted;

static void crafted_init(crafted *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < 20; i++)
		c->signer.sha1[i] = (uint8_t)i;
	c->signer.subject = "CN=Contoso\\, Ltd.,O=Contoso\\, Ltd.,C=US";
	c->signer.subject_cn = "Contoso, Ltd.";
	c->signer.issuer = "CN=Contoso Code Signing CA,O=Contoso\\, Ltd.,C=US";
	c->sig.signer = &c->signer;
	c->sig.valid = true;
	c->sig.trusted = true;
	c->sig.status = "Valid";
	c->sig.signing_time = 1409875200; /* 2014-09-05T00:00:00Z */
	c->sig.claimed_signing_time = PS_TIME_NONE;
	c->pe.coff.machine = 0x8664;
	c->pe.coff.timedatestamp = 1400000000; /* 2014-05-13T16:53:20Z */
	c->pe.opt.subsystem = 2;
	strcpy(c->pe.imphash, "f34d5f2d4577ed6d9ceec516c1f5a744");
	c->pe.rich.present = true;
	for (unsigned i = 0; i < 16; i++)
		c->pe.rich.hash_md5[i] = (uint8_t)(0xa0 + i);
	c->pe.n_signatures = 1;
	c->pe.signatures = &c->sig;
	c->pe.primary = &c->sig;
	c->pe.signature_status = "Valid";
	c->pe.has_certificate_table = true;
	c->strings[0] = (ps_kv){"CompanyName", "Contoso, Ltd."};
	c->strings[1] = (ps_kv){"FileDescription", "Setup \"Wizard\""};
	c->strings[2] = (ps_kv){"ProductName", "Contoso Tools"};
	c->strings[3] = (ps_kv){"ProductVersion", "2.0"};
	c->strings[4] = (ps_kv){"FileVersion", "2.0.1.7"};
	c->strings[5] = (ps_kv){"OriginalFilename", "setup.exe"};
	c->pe.version.present = true;
	c->pe.version.n_strings = 6;
	c->pe.version.strings = c->strings;
	c->findings[0] = (ps_finding){.id = "SIG-CERT-PADDING", .severity = PS_SEV_HIGH, .title = "t"};
	c->findings[1] = (ps_finding){.id = "PE-CHECKSUM-MISMATCH", .severity = PS_SEV_LOW, .title = "t"};
	c->findings[2] = (ps_finding){.id = "SIG-CERT-PADDING", .severity = PS_SEV_HIGH, .title = "t"};
	c->r.path = "/cases/7/setup.exe";
	c->r.size = 123456;
	c->r.format = PS_FORMAT_PE;
	c->r.format_detail = "PE32+";
	c->r.pe = &c->pe;
	c->r.n_findings = 3;
	c->r.findings = c->findings;
	c->r.worst = PS_SEV_HIGH;
	c->r.hashes.computed = PS_HASH_ALL;
	for (unsigned i = 0; i < 32; i++) {
		if (i < 16)
			c->r.hashes.md5[i] = (uint8_t)(0x10 + i);
		if (i < 20)
			c->r.hashes.sha1[i] = (uint8_t)(0x40 + i);
		c->r.hashes.sha256[i] = (uint8_t)(0x80 + i);
	}
}

static void crafted_exact_line(void **state)
{
	(void)state;
	crafted c;
	crafted_init(&c);
	char *s = NULL;
	assert_int_equal(ps_report_csv(&s, &c.r), PS_OK);
	assert_string_equal(s,
		"/cases/7/setup.exe,high,3,SIG-CERT-PADDING PE-CHECKSUM-MISMATCH,Signed,2014-09-05T00:00:00Z,"
		"\"Contoso, Ltd.\",\"CN=Contoso Code Signing CA,O=Contoso\\, Ltd.,C=US\","
		"000102030405060708090a0b0c0d0e0f10111213,"
		"\"Contoso, Ltd.\",\"Setup \"\"Wizard\"\"\",Contoso Tools,2.0,2.0.1.7,setup.exe,"
		"x64,windows_gui,2014-05-13T16:53:20Z,f34d5f2d4577ed6d9ceec516c1f5a744,"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf,"
		"101112131415161718191a1b1c1d1e1f,"
		"404142434445464748494a4b4c4d4e4f50515253,"
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f,"
		"123456\r\n");
	free(s);
}

static void crafted_variants(void **state)
{
	(void)state;
	crafted c;
	row rw;
	char *s;

	/* untrusted: the status word, and the trusted signing time still shown */
	crafted_init(&c);
	c.sig.trusted = false;
	c.sig.status = "Revoked";
	c.pe.signature_status = "Revoked";
	s = csv_row(&c.r, &rw);
	assert_string_equal(rw.cell[C_VERIFIED], "Revoked");
	assert_string_equal(rw.cell[C_SIGNING_DATE], "2014-09-05T00:00:00Z");
	assert_string_equal(rw.cell[C_PUBLISHER], "Contoso, Ltd.");
	row_free(&rw);
	free(s);

	/* no trusted time; a REPRO "timestamp" (a hash) and no Rich header */
	crafted_init(&c);
	c.sig.signing_time = PS_TIME_NONE;
	c.pe.has_repro = true;
	c.pe.rich.present = false;
	s = csv_row(&c.r, &rw);
	assert_string_equal(rw.cell[C_SIGNING_DATE], "");
	assert_string_equal(rw.cell[C_COMPILE_TIME], "");
	assert_string_equal(rw.cell[C_RICH], "");
	row_free(&rw);
	free(s);

	/* a signature without its signer certificate; a malformed table; only SHA-256 asked */
	crafted_init(&c);
	c.sig.signer = NULL;
	c.sig.trusted = false;
	c.pe.signature_status = "Malformed";
	c.r.hashes.computed = PS_HASH_SHA256;
	c.pe.imphash[0] = 0;
	c.pe.coff.timedatestamp = 0;
	s = csv_row(&c.r, &rw);
	assert_string_equal(rw.cell[C_VERIFIED], "Malformed");
	assert_string_equal(rw.cell[C_PUBLISHER], "");
	assert_string_equal(rw.cell[C_ISSUER], "");
	assert_string_equal(rw.cell[C_CERT_SHA1], "");
	assert_string_equal(rw.cell[C_IMPHASH], "");
	assert_string_equal(rw.cell[C_COMPILE_TIME], "");
	assert_string_equal(rw.cell[C_MD5], "");
	assert_string_equal(rw.cell[C_SHA1], "");
	assert_int_equal(strlen(rw.cell[C_SHA256]), 64);
	row_free(&rw);
	free(s);

	/* no findings at all: count 0, no IDs, clean */
	crafted_init(&c);
	c.r.n_findings = 0;
	c.r.worst = PS_SEV_INFO;
	s = csv_row(&c.r, &rw);
	assert_string_equal(rw.cell[C_VERDICT], "clean");
	assert_string_equal(rw.cell[C_FINDINGS], "0");
	assert_string_equal(rw.cell[C_IDS], "");
	row_free(&rw);
	free(s);
}

/* The value at a dotted path of a JSON object ("a.b.0.c": index 0 of array b), or NULL. */
static json_t *jget(json_t *j, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); j && k; k = strtok_r(NULL, ".", &save))
		j = json_is_array(j) ? json_array_get(j, strtoul(k, NULL, 10)) : json_object_get(j, k);
	return j;
}

static const char *jstr(json_t *j, const char *path) { return json_string_value(jget(j, path)); }

static json_t *parse_json(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("invalid JSON: %s: %s", e.text, s);
	return j;
}

/* Years before 1000 (an X.509 GeneralizedTime can say 0001) keep four digits, in the CSV and
 * in the JSON, where Elasticsearch would reject "1-01-01T00:00:00Z" as a date. */
static void four_digit_years(void **state)
{
	(void)state;
	crafted c;
	crafted_init(&c);
	c.sig.signing_time = -62135596800; /* 0001-01-01T00:00:00Z */
	c.signer.not_before = -62135596800;
	c.signer.not_after = 253402300799; /* 9999-12-31T23:59:59Z */
	row rw;
	char *s = csv_row(&c.r, &rw);
	assert_string_equal(rw.cell[C_SIGNING_DATE], "0001-01-01T00:00:00Z");
	row_free(&rw);
	free(s);
	assert_int_equal(ps_report_json(&s, &c.r, 0), PS_OK);
	json_t *j = parse_json(s);
	assert_string_equal(jstr(j, "file.code_signature.timestamp"), "0001-01-01T00:00:00Z");
	assert_string_equal(jstr(j, "signatures.0.signer.not_before"), "0001-01-01T00:00:00Z");
	assert_string_equal(jstr(j, "signatures.0.signer.not_after"), "9999-12-31T23:59:59Z");
	json_decref(j);
	free(s);
}

/* The ECS fields of the JSON rendering of the same report: @timestamp, ecs.version, event.*,
 * file.path and file.name; an alert when the verdict is high or critical. */
static void json_ecs_fields(void **state)
{
	(void)state;
	crafted c;
	crafted_init(&c);
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			c.findings[0].severity = PS_SEV_MEDIUM;
			c.findings[2].severity = PS_SEV_MEDIUM;
			c.r.worst = PS_SEV_MEDIUM;
		}
		char *s = NULL;
		assert_int_equal(ps_report_json(&s, &c.r, 0), PS_OK);
		json_t *j = parse_json(s);
		const char *ts = jstr(j, "@timestamp");
		assert_non_null(ts);
		assert_int_equal(strlen(ts), 20);
		assert_true(ts[4] == '-' && ts[10] == 'T' && ts[19] == 'Z');
		assert_string_equal(jstr(j, "ecs.version"), "8.11.0");
		assert_string_equal(jstr(j, "event.kind"), pass ? "event" : "alert");
		assert_string_equal(jstr(j, "event.module"), "pesleuth");
		assert_string_equal(jstr(j, "event.dataset"), "pesleuth.file");
		assert_string_equal(jstr(j, "event.outcome"), "success");
		assert_string_equal(jstr(j, "event.category.0"), "file");
		assert_string_equal(jstr(j, "event.type.0"), "info");
		assert_string_equal(jstr(j, "file.path"), "/cases/7/setup.exe");
		assert_string_equal(jstr(j, "file.name"), "setup.exe");
		assert_string_equal(jstr(j, "path"), "/cases/7/setup.exe");
		json_decref(j);
		free(s);
	}
	/* an error record is an ECS event too, with outcome failure */
	char *s = NULL;
	assert_int_equal(ps_error_json(&s, "/gone/x.exe", PS_EIO, 2), PS_OK);
	json_t *j = parse_json(s);
	assert_string_equal(jstr(j, "event.outcome"), "failure");
	assert_string_equal(jstr(j, "event.kind"), "event");
	assert_null(jget(j, "file")); /* what tells an error record from a report */
	assert_string_equal(jstr(j, "path"), "/gone/x.exe");
	assert_non_null(jstr(j, "@timestamp"));
	json_decref(j);
	free(s);
}

/* Every value, written into a cell and read back by the parser, comes back exactly once the
 * guard apostrophe is removed. */
static void round_trip(void **state)
{
	(void)state;
	static const char *const values[] = {
		"plain", "", "a,b", "\"", "\"\"", "say \"hi\"", "line\nbreak", "cr\ronly", "crlf\r\n",
		"\r\n", ",", ",,,", "=1+1", "+1", "-1", "@x", "\tTab", "\rCR", "'", "''", "'=x",
		"x=1", "a-b", " =leading space", "trailing,", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87",
		"\xf0\x9f\x98\x80,\"", "=HYPERLINK(\"http://x\",\"y\")", "tab\tinside",
	};
	crafted c;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		crafted_init(&c);
		c.strings[0].value = values[i]; /* company */
		c.strings[1].value = values[i]; /* description */
		c.signer.subject_cn = values[i];
		c.r.path = values[i];
		row rw;
		char *s = csv_row(&c.r, &rw);
		assert_string_equal(unguard(rw.cell[C_PATH]), values[i]);
		assert_string_equal(unguard(rw.cell[C_PUBLISHER]), values[i]);
		assert_string_equal(unguard(rw.cell[C_COMPANY]), values[i]);
		assert_string_equal(unguard(rw.cell[C_DESCRIPTION]), values[i]);
		/* the other cells did not move */
		assert_string_equal(rw.cell[C_PRODUCT], "Contoso Tools");
		assert_string_equal(rw.cell[C_SIZE], "123456");
		/* a cell a spreadsheet would evaluate never starts with a formula character */
		const char *cell = rw.cell[C_COMPANY];
		assert_true(strchr("=+-@\t\r", cell[0]) == NULL || cell[0] == 0);
		row_free(&rw);
		free(s);
	}
}

/* Many rows under one header: the same number of cells everywhere. */
static void rows_match_header(void **state)
{
	(void)state;
	char *h = NULL;
	assert_int_equal(ps_report_csv_header(&h), PS_OK);
	row hr;
	parse_line(h, &hr);
	size_t len;
	ps_report *reports[3];
	reports[0] = unsigned_pe(&len);
	reports[1] = analyze((const uint8_t *)"MZ", 2, "tiny,\"mz\".exe");
	crafted c;
	crafted_init(&c);
	for (int i = 0; i < 3; i++) {
		row rw;
		char *s = csv_row(i < 2 ? reports[i] : &c.r, &rw);
		assert_int_equal(rw.n, hr.n);
		row_free(&rw);
		free(s);
	}
	ps_report_free(reports[0]);
	ps_report_free(reports[1]);
	row_free(&hr);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_is_the_column_list),
		cmocka_unit_test(unsigned_pe_row),
		cmocka_unit_test(not_a_pe_row),
		cmocka_unit_test(hostile_strings),
		cmocka_unit_test(crafted_exact_line),
		cmocka_unit_test(crafted_variants),
		cmocka_unit_test(four_digit_years),
		cmocka_unit_test(json_ecs_fields),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(rows_match_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
