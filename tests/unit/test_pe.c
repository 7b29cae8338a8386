/* The PE core on images built byte by byte: headers, sections, imports and imphash, Rich
 * header, checksum, overlay, and the malformations that must become findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pebuild.h"
#include "pesleuth.h"

static ps_report *analyze(const uint8_t *buf, size_t len)
{
	ps_report *r = NULL;
	ps_options opt;
	ps_options_init(&opt);
	assert_int_equal(ps_analyze_buffer(&r, buf, len, "test.exe", &opt), PS_OK);
	assert_non_null(r);
	return r;
}

static ps_report *analyze_image(const pb_image *im)
{
	size_t len;
	uint8_t *buf = pb_build(im, &len);
	ps_report *r = analyze(buf, len);
	free(buf);
	return r;
}

static const ps_finding *find(const ps_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			return &r->findings[i];
	return NULL;
}

static void md5_hex(const char *s, char out[33])
{
	unsigned char md[16];
	unsigned int n = 0;
	EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void headers_and_sections(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, true);
	im.characteristics |= 0x2000; /* DLL */
	im.subsystem = 2;
	im.timedatestamp = 0x4E9A6B00;
	unsigned t = pb_add_section(&im, ".text", 0x60000020);
	pb_put(&im.sections[t].data, "\x90\x90\xc3", 3);
	im.entry_point = pb_section_rva(t);
	unsigned d = pb_add_section(&im, ".data", 0xC0000040);
	pb_zero(&im.sections[d].data, 0x300);
	ps_report *r = analyze_image(&im);
	assert_int_equal(r->format, PS_FORMAT_PE);
	assert_string_equal(r->format_detail, "PE32+");
	const ps_pe *pe = r->pe;
	assert_true(pe->pe32plus);
	assert_int_equal(pe->coff.machine, 0x8664);
	assert_int_equal(pe->coff.timedatestamp, 0x4E9A6B00);
	assert_int_equal(pe->opt.subsystem, 2);
	assert_int_equal(pe->opt.address_of_entry_point, 0x10000);
	assert_true(pe->opt.image_base == 0x140000000ull);
	assert_int_equal(pe->n_sections, 2);
	assert_int_equal(pe->sections[0].name_len, 5);
	assert_memory_equal(pe->sections[0].name, ".text", 5);
	assert_int_equal(pe->sections[1].virtual_address, 0x20000);
	assert_int_equal(pe->sections[1].raw_size, 0x400);
	assert_int_equal(pe->sections[1].characteristics, 0xC0000040);
	/* 3 distinct bytes then 509 zeros: entropy of that histogram, not of the file */
	assert_true(pe->sections[0].has_entropy);
	assert_true(pe->sections[0].entropy > 0.03 && pe->sections[0].entropy < 0.06);
	assert_true(pe->sections[1].has_entropy);
	assert_true(pe->sections[1].entropy == 0.0);
	assert_string_equal(pe->imphash, "");
	assert_false(pe->has_overlay);
	assert_false(pe->rich.present);
	assert_null(find(r, "PE-SECTION-OUT-OF-FILE"));
	assert_int_equal(r->worst, PS_SEV_INFO);
	assert_string_equal(ps_report_verdict(r), "clean");
	ps_report_free(r);
	pb_image_free(&im);
}

static void imports_and_imphash_follow_pefile(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".idata", 0xC0000040);
	const char *dlls[] = {
		"KERNEL32.dll:CreateFileA,ExitProcess",
		"WS2_32.dll:#3,#23,#9999",   /* ordinals resolved through pefile's ws2_32 table */
		"foo.bin:Bar",               /* extension kept: only dll/sys/ocx are dropped */
		"MSVBVM60.DLL:#100",         /* unknown DLL: ordNNN */
		"bad dll.dll:Fn",            /* space: not a DOS file name -> *invalid* */
		"x.dll:Good,Bad-Name",       /* '-' invalid in a function name: skipped */
	};
	pb_imports(&im, s, dlls, 6);
	ps_report *r = analyze_image(&im);
	const ps_pe *pe = r->pe;
	assert_int_equal(pe->n_import_dlls, 6);
	assert_string_equal(pe->import_dlls[0].name, "KERNEL32.dll");
	assert_int_equal(pe->import_dlls[0].n_imports, 2);
	assert_string_equal(pe->import_dlls[0].imports[1].name, "ExitProcess");
	assert_true(pe->import_dlls[1].imports[0].by_ordinal);
	assert_int_equal(pe->import_dlls[1].imports[0].ordinal, 3);
	assert_null(pe->import_dlls[1].imports[0].name); /* the file holds no name */
	assert_string_equal(pe->import_dlls[1].imports[0].ordinal_name, "closesocket");
	assert_string_equal(pe->import_dlls[1].imports[1].ordinal_name, "socket");
	assert_null(pe->import_dlls[1].imports[2].ordinal_name); /* imphash says ord9999 */
	assert_null(pe->import_dlls[3].imports[0].ordinal_name); /* not a known table */
	assert_string_equal(pe->import_dlls[4].name, "*invalid*");
	assert_int_equal(pe->import_dlls[5].n_imports, 1);
	assert_int_equal(pe->n_imports_total, 9);
	char want[33];
	md5_hex("kernel32.createfilea,kernel32.exitprocess,ws2_32.closesocket,ws2_32.socket,"
	        "ws2_32.ord9999,foo.bin.bar,msvbvm60.ord100,*invalid*.fn,x.good",
	        want);
	assert_string_equal(pe->imphash, want);
	ps_report_free(r);
	pb_image_free(&im);
}

static void import_table_hostile(void **state)
{
	(void)state;
	/* A descriptor whose name RVA and thunks point past the file, then one whose thunk table
	 * never ends (repeats the same name address): both must end without a crash, with a
	 * finding, keeping the good DLL. */
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".idata", 0xC0000040);
	const char *dlls[] = {"good.dll:A", "evil.dll:B"};
	uint32_t desc = pb_imports(&im, s, dlls, 2);
	pb_buf *d = &im.sections[s].data;
	size_t off = desc - pb_section_rva(s);
	/* second descriptor: OriginalFirstThunk and FirstThunk far outside */
	pb_set32(d, off + 20 + 0, 0x7FFFFFF0);
	pb_set32(d, off + 20 + 16, 0x7FFFFFF0);
	ps_report *r = analyze_image(&im);
	assert_int_equal(r->pe->n_import_dlls, 1);
	assert_string_equal(r->pe->import_dlls[0].name, "good.dll");
	assert_non_null(find(r, "PE-IMPORTS-MALFORMED"));
	ps_report_free(r);

	/* repeated name addresses: pefile treats more than 15 repeats as a bogus table */
	pb_buf_free(d);
	im.sections[s].data = (pb_buf){0};
	pb_zero(d, 20 * 2);
	size_t names = d->n;
	pb_put16(d, 0);
	pb_str(d, "Same");
	pb_align(d, 4);
	size_t thunks = d->n;
	for (int i = 0; i < 40; i++)
		pb_put32(d, pb_section_rva(s) + (uint32_t)names);
	pb_put32(d, 0);
	size_t dllname = d->n;
	pb_str(d, "rep.dll");
	pb_set32(d, 0, pb_section_rva(s) + (uint32_t)thunks);
	pb_set32(d, 12, pb_section_rva(s) + (uint32_t)dllname);
	pb_set32(d, 16, pb_section_rva(s) + (uint32_t)thunks);
	im.dir_rva[1] = pb_section_rva(s);
	r = analyze_image(&im);
	assert_int_equal(r->pe->n_import_dlls, 0);
	assert_string_equal(r->pe->imphash, "");
	assert_non_null(find(r, "PE-IMPORTS-MALFORMED"));
	ps_report_free(r);
	pb_image_free(&im);
}

static void truncated_and_out_of_file(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".text", 0x60000020);
	pb_zero(&im.sections[s].data, 0x800);
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	/* cut inside the section: raw data runs past the end */
	ps_report *r = analyze(buf, len - 0x400);
	const ps_finding *f = find(r, "PE-SECTION-OUT-OF-FILE");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_MEDIUM);
	assert_int_equal(r->pe->n_sections, 1);
	ps_report_free(r);
	/* cut inside the section table */
	size_t table = 0x40 + 0x18 + 0xE0; /* e_lfanew 0x40, COFF, optional header */
	r = analyze(buf, table + 20);
	assert_int_equal(r->format, PS_FORMAT_PE);
	assert_int_equal(r->pe->n_sections, 0);
	f = find(r, "PE-SECTION-TABLE-INVALID");
	assert_non_null(f);
	ps_report_free(r);
	/* cut inside the optional header: still a PE, zero-filled, flagged */
	r = analyze(buf, 0x40 + 0x18 + 0x30);
	assert_int_equal(r->format, PS_FORMAT_PE);
	assert_non_null(find(r, "PE-HEADER-TRUNCATED"));
	ps_report_free(r);
	/* cut inside the COFF header: not modelled as PE */
	r = analyze(buf, 0x40 + 10);
	assert_int_equal(r->format, PS_FORMAT_MZ);
	assert_null(r->pe);
	ps_report_free(r);
	free(buf);
	pb_image_free(&im);
}

static void not_pe_formats(void **state)
{
	(void)state;
	ps_report *r = analyze((const uint8_t *)"hello", 5);
	assert_int_equal(r->format, PS_FORMAT_UNKNOWN);
	assert_null(r->pe);
	assert_int_equal(r->hashes.computed, PS_HASH_ALL);
	ps_report_free(r);
	r = analyze(NULL, 0);
	assert_string_equal(r->format_detail, "empty");
	ps_report_free(r);
	uint8_t ne[128] = {'M', 'Z'};
	ne[0x3C] = 0x40;
	ne[0x40] = 'N';
	ne[0x41] = 'E';
	r = analyze(ne, sizeof(ne));
	assert_int_equal(r->format, PS_FORMAT_MZ);
	assert_string_equal(r->format_detail, "NE");
	ps_report_free(r);
	uint8_t lfanew_far[64] = {'M', 'Z'};
	lfanew_far[0x3C] = 0xFF;
	lfanew_far[0x3F] = 0xFF; /* e_lfanew = 0xFF0000FF */
	r = analyze(lfanew_far, sizeof(lfanew_far));
	assert_int_equal(r->format, PS_FORMAT_MZ);
	ps_report_free(r);
}

static void checksum_and_overlay(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	unsigned s = pb_add_section(&im, ".text", 0x60000020);
	pb_put(&im.sections[s].data, "code", 4);
	pb_put(&im.overlay, "OVERLAY!", 8);
	im.fix_checksum = true;
	ps_report *r = analyze_image(&im);
	assert_true(r->pe->has_overlay);
	assert_int_equal(r->pe->overlay_size, 8);
	assert_int_equal(r->pe->overlay_offset, r->size - 8);
	assert_int_equal(r->pe->checksum_stored, r->pe->checksum_computed);
	assert_null(find(r, "PE-CHECKSUM-MISMATCH"));
	ps_report_free(r);
	im.fix_checksum = false;
	im.checksum = 0x1234;
	r = analyze_image(&im);
	const ps_finding *f = find(r, "PE-CHECKSUM-MISMATCH");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_LOW);
	ps_report_free(r);
	pb_image_free(&im);
}

static void rich_header(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	pb_add_section(&im, ".text", 0x60000020);
	pb_rich(&im, false);
	ps_report *r = analyze_image(&im);
	const ps_rich *rh = &r->pe->rich;
	assert_true(rh->present);
	assert_int_equal(rh->offset, 0x40);
	assert_int_equal(rh->n_entries, 3);
	assert_int_equal(rh->entries[1].product_id, 261);
	assert_int_equal(rh->entries[1].build, 29395);
	assert_int_equal(rh->entries[1].count, 22);
	assert_true(rh->checksum_valid);
	assert_null(find(r, "PE-RICH-CHECKSUM-INVALID"));
	/* hash = MD5 of the unmasked DanS..Rich bytes */
	uint8_t clear[16 + 24];
	memset(clear, 0, sizeof(clear));
	memcpy(clear, "DanS", 4);
	uint32_t ids[3] = {(259u << 16) | 29395, (261u << 16) | 29395, (1u << 16) | 0};
	uint32_t counts[3] = {4, 22, 270};
	for (int k = 0; k < 3; k++)
		for (int b = 0; b < 4; b++) {
			clear[16 + 8 * k + b] = (uint8_t)(ids[k] >> (8 * b));
			clear[16 + 8 * k + 4 + b] = (uint8_t)(counts[k] >> (8 * b));
		}
	unsigned char md[16];
	unsigned int n = 0;
	EVP_Digest(clear, sizeof(clear), md, &n, EVP_md5(), NULL);
	assert_memory_equal(rh->hash_md5, md, 16);
	ps_report_free(r);
	pb_buf_free(&im.stub);
	pb_rich(&im, true);
	r = analyze_image(&im);
	assert_true(r->pe->rich.present);
	assert_false(r->pe->rich.checksum_valid);
	const ps_finding *f = find(r, "PE-RICH-CHECKSUM-INVALID");
	assert_non_null(f);
	assert_int_equal(f->severity, PS_SEV_MEDIUM);
	ps_report_free(r);
	pb_image_free(&im);
}

static void exports_with_forwarder(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, false);
	im.characteristics |= 0x2000;
	unsigned s = pb_add_section(&im, ".edata", 0x40000040);
	pb_buf *d = &im.sections[s].data;
	uint32_t base = pb_section_rva(s);
	pb_zero(d, 40);
	size_t funcs = d->n;
	pb_put32(d, 0x1000);  /* ordinal 5: "Alpha" */
	pb_put32(d, 0);       /* ordinal 6: unused */
	pb_put32(d, 0x2000);  /* ordinal 7: by ordinal only */
	pb_put32(d, 0);       /* ordinal 8: forwarder, patched below */
	size_t names = d->n;
	pb_put32(d, 0);
	pb_put32(d, 0);
	size_t ords = d->n;
	pb_put16(d, 0);
	pb_put16(d, 3);
	size_t n_alpha = d->n;
	pb_str(d, "Alpha");
	size_t n_fwd = d->n;
	pb_str(d, "Fwd");
	size_t fwd = d->n;
	pb_str(d, "KERNEL32.GetTickCount");
	size_t dllname = d->n;
	pb_str(d, "lib.dll");
	pb_set32(d, funcs + 12, base + (uint32_t)fwd);
	pb_set32(d, names, base + (uint32_t)n_alpha);
	pb_set32(d, names + 4, base + (uint32_t)n_fwd);
	pb_set32(d, 12, base + (uint32_t)dllname);
	pb_set32(d, 16, 5);
	pb_set32(d, 20, 4);
	pb_set32(d, 24, 2);
	pb_set32(d, 28, base + (uint32_t)funcs);
	pb_set32(d, 32, base + (uint32_t)names);
	pb_set32(d, 36, base + (uint32_t)ords);
	im.dir_rva[0] = base;
	im.dir_size[0] = (uint32_t)d->n;
	ps_report *r = analyze_image(&im);
	const ps_exports *ex = &r->pe->exports;
	assert_true(ex->present);
	assert_string_equal(ex->dll_name, "lib.dll");
	assert_int_equal(ex->n, 3);
	assert_string_equal(ex->v[0].name, "Alpha");
	assert_int_equal(ex->v[0].ordinal, 5);
	assert_null(ex->v[0].forwarder);
	assert_string_equal(ex->v[1].name, "Fwd");
	assert_int_equal(ex->v[1].ordinal, 8);
	assert_string_equal(ex->v[1].forwarder, "KERNEL32.GetTickCount");
	assert_null(ex->v[2].name);
	assert_int_equal(ex->v[2].ordinal, 7);
	ps_report_free(r);
	/* NumberOfFunctions far beyond the file: bounded by what is readable, flagged */
	pb_set32(d, 20, 0x7FFFFFFF);
	r = analyze_image(&im);
	assert_non_null(find(r, "PE-EXPORTS-MALFORMED"));
	assert_true(r->pe->exports.n >= 3);
	ps_report_free(r);
	pb_image_free(&im);
}

static void section_cap_and_overlap_entropy(void **state)
{
	(void)state;
	/* 16 sections all pointing at the same raw bytes: each byte hashed once, every section
	 * still gets the entropy of its range. */
	pb_image im;
	pb_init(&im, false);
	for (int i = 0; i < 16; i++)
		pb_add_section(&im, "dup", 0x40000040);
	pb_buf *d = &im.sections[0].data;
	for (int i = 0; i < 512; i++)
		pb_put8(d, (uint8_t)i);
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	/* make sections 1..15 point at section 0's raw data */
	uint32_t lfanew = buf[0x3C] | (buf[0x3D] << 8);
	size_t table = lfanew + 24 + 0xE0;
	uint32_t ptr = buf[table + 20] | (buf[table + 21] << 8) | (buf[table + 22] << 16) | ((uint32_t)buf[table + 23] << 24);
	for (int i = 1; i < 16; i++) {
		uint8_t *h = buf + table + 40 * i;
		h[16] = 0x00; h[17] = 0x02; h[18] = 0; h[19] = 0; /* SizeOfRawData 0x200 */
		memcpy(h + 20, buf + table + 20, 4);
	}
	(void)ptr;
	ps_report *r = analyze(buf, len);
	assert_int_equal(r->pe->n_sections, 16);
	for (int i = 0; i < 16; i++) {
		assert_true(r->pe->sections[i].has_entropy);
		assert_true(r->pe->sections[i].entropy > 7.99 && r->pe->sections[i].entropy < 8.01);
	}
	ps_report_free(r);
	free(buf);
	pb_image_free(&im);
}

/* The single pass works in 1 MiB windows: hashes, the checksum, section entropy and the
 * Authenticode digest must not depend on where a window boundary falls. Compared with the
 * same values computed directly over the whole buffer. */
static void pass_window_boundaries(void **state)
{
	(void)state;
	pb_image im;
	pb_init(&im, true);
	unsigned a = pb_add_section(&im, ".text", 0x60000020);
	unsigned b = pb_add_section(&im, ".data", 0xC0000040);
	uint32_t x = 12345;
	for (size_t i = 0; i < (1u << 20) + 777; i++) { /* crosses the first boundary */
		x = x * 1103515245u + 12345u;
		pb_put8(&im.sections[a].data, (uint8_t)(x >> 16) & 0x3F);
	}
	for (size_t i = 0; i < 600000; i++)
		pb_put8(&im.sections[b].data, (uint8_t)(i * 7));
	pb_put(&im.overlay, "tail", 4); /* an odd length: the checksum's last dword is padded */
	im.fix_checksum = true;
	size_t len;
	uint8_t *buf = pb_build(&im, &len);
	assert_true(len > (1u << 20) + 500000); /* two window boundaries inside the sections */
	ps_report *r = NULL;
	ps_options opt;
	ps_options_init(&opt);
	opt.authentihash = 1;
	assert_int_equal(ps_analyze_buffer(&r, buf, len, NULL, &opt), PS_OK);
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	assert_memory_equal(r->hashes.sha256, md, 32);
	EVP_Digest(buf, len, md, &n, EVP_md5(), NULL);
	assert_memory_equal(r->hashes.md5, md, 16);
	assert_int_equal(r->pe->checksum_computed, r->pe->checksum_stored); /* pebuild computed it directly */
	for (unsigned k = 0; k < 2; k++) {
		const ps_section *sec = &r->pe->sections[k];
		uint64_t h[256] = {0};
		for (uint32_t i = 0; i < sec->raw_size; i++)
			h[buf[sec->raw_offset + i]]++;
		double e = 0;
		for (int v = 0; v < 256; v++)
			if (h[v]) {
				double p = (double)h[v] / sec->raw_size;
				e -= p * log2(p);
			}
		assert_true(fabs(sec->entropy - e) < 1e-9);
	}
	/* linear Authenticode digest: all but CheckSum and the security entry, zero-padded to 8 */
	size_t ck = 0x40 + 24 + 64, sd = 0x40 + 24 + 112 + 32;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	EVP_DigestUpdate(m, buf, ck);
	EVP_DigestUpdate(m, buf + ck + 4, sd - ck - 4);
	EVP_DigestUpdate(m, buf + sd + 8, len - sd - 8);
	static const uint8_t zeros[8];
	EVP_DigestUpdate(m, zeros, (8 - len % 8) % 8);
	EVP_DigestFinal_ex(m, md, &n);
	EVP_MD_CTX_free(m);
	assert_true(r->pe->authentihash_computed & PS_HASH_SHA256);
	assert_memory_equal(r->pe->authentihash_sha256, md, 32);
	ps_report_free(r);
	free(buf);
	pb_image_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(headers_and_sections),
		cmocka_unit_test(imports_and_imphash_follow_pefile),
		cmocka_unit_test(import_table_hostile),
		cmocka_unit_test(truncated_and_out_of_file),
		cmocka_unit_test(not_pe_formats),
		cmocka_unit_test(checksum_and_overlay),
		cmocka_unit_test(rich_header),
		cmocka_unit_test(exports_with_forwarder),
		cmocka_unit_test(section_cap_and_overlap_entropy),
		cmocka_unit_test(pass_window_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
