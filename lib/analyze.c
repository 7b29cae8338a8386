/* One file from bytes to report: map, sniff, PE headers, the single pass, directories,
 * findings, verdict. */
#include "pesleuth/analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "authenticode.h"
#include "detect.h"
#include "findings.h"
#include "limits.h"
#include "pass.h"
#include "pe.h"
#include "pesleuth/error.h"
#include "report.h"
#include "rules.h"
#include "source.h"

typedef struct report_impl {
	ps_report pub; /* first: a ps_report * is a report_impl * */
	ps_arena arena;
	ps_findings fs;
	ps_pe pe;
} report_impl;

const char *ps_strerror(int err)
{
	switch (err) {
	case PS_OK: return "success";
	case PS_ENOMEM: return "out of memory";
	case PS_EIO: return "I/O error";
	case PS_EINVAL: return "invalid argument";
	case PS_ENOTFILE: return "not a regular file";
	case PS_ECRYPTO: return "cryptographic library failure";
	case PS_ERULES: return "the YARA rules could not be compiled";
	default: return "internal error";
	}
}

void ps_options_init(ps_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->hashes = PS_HASH_ALL;
}

const char *ps_severity_name(ps_severity s)
{
	static const char *names[] = {"info", "low", "medium", "high", "critical"};
	return (unsigned)s <= PS_SEV_CRITICAL ? names[s] : "unknown";
}

const char *ps_report_verdict(const ps_report *r)
{
	return r->worst == PS_SEV_INFO ? "clean" : ps_severity_name(r->worst);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void checksum_finding(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	if (!pe->checksum_stored || pe->checksum_stored == pe->checksum_computed)
		return;
	/* Kernel drivers must carry a correct checksum; elsewhere a wrong one only says the
	 * file was changed after linking without re-stamping (common, so low). */
	ps_finding *f = ps_find(c->fs, "PE-CHECKSUM-MISMATCH", PS_SEV_LOW,
	                        "Stored PE checksum 0x%08x differs from the computed 0x%08x",
	                        pe->checksum_stored, pe->checksum_computed);
	ps_ev_off(f, "offset", pe->optional_header_offset + 64);
	ps_ev_uint(f, "stored", pe->checksum_stored);
	ps_ev_uint(f, "computed", pe->checksum_computed);
}

static int analyze(ps_report **out, const uint8_t *data, size_t len, const char *name,
                   const ps_options *opt, ps_source *src)
{
	*out = NULL;
	report_impl *ri = calloc(1, sizeof(*ri));
	if (!ri)
		return PS_ENOMEM;
	int rc = PS_OK;
	ps_pass *pass = NULL;
	ps_traits *traits = NULL;
	ps_sigplan sp;
	ps_sigplan_init(&sp);
	ps_arena_init(&ri->arena, PS_MAX_REPORT_BYTES);
	ps_findings_init(&ri->fs, &ri->arena);
	ps_report *r = &ri->pub;
	if (name) {
		r->path = ps_arena_strndup(&ri->arena, name, strlen(name));
		if (!r->path) {
			rc = PS_ENOMEM;
			goto out;
		}
	}
	r->size = len;

	ps_pectx c;
	memset(&c, 0, sizeof(c));
	ps_rd_init(&c.file, data, len, 0);
	c.data = data;
	c.len = len;
	c.pe = &ri->pe;
	c.arena = &ri->arena;
	c.fs = &ri->fs;
	r->format = ps_pe_parse_headers(&c, &r->format_detail);
	bool is_pe = r->format == PS_FORMAT_PE;
	if (is_pe) {
		/* the certificate table is read before the pass: its signatures say which
		 * Authenticode digests the pass must compute */
		ps_pe *pe = c.pe;
		if (pe->n_directories > PS_DIR_SECURITY && pe->dirs[PS_DIR_SECURITY].rva && pe->dirs[PS_DIR_SECURITY].size) {
			pe->has_certificate_table = true;
			pe->certificate_table_offset = pe->dirs[PS_DIR_SECURITY].rva; /* a file offset */
			pe->certificate_table_size = pe->dirs[PS_DIR_SECURITY].size;
			pe->certificate_table_in_file = pe->certificate_table_offset <= len &&
			                                pe->certificate_table_size <= len - pe->certificate_table_offset;
		}
		ps_authenticode_parse(&c, &sp);
		ps_pe_overlay(&c);
		/* the table's bytes are facts a later re-judgement parses again (rejudge.c) */
		if (pe->has_certificate_table && pe->certificate_table_offset < len) {
			uint64_t n = len - pe->certificate_table_offset;
			if (n > pe->certificate_table_size)
				n = pe->certificate_table_size;
			if (n <= PS_MAX_KEPT_CERT_TABLE) {
				uint8_t *copy = ps_arena_alloc(&ri->arena, (size_t)n ? (size_t)n : 1);
				if (copy) {
					memcpy(copy, data + pe->certificate_table_offset, (size_t)n);
					pe->certificate_table_data = copy;
					pe->certificate_table_data_len = (size_t)n;
				}
			}
		}
	}
	rc = ps_traits_new(&traits, &c, is_pe, opt);
	if (rc)
		goto out;

	ps_pass_plan plan = {
		.hashes = opt && opt->hashes ? opt->hashes : PS_HASH_ALL,
		.checksum = is_pe,
		.sections = is_pe ? c.sections : NULL,
		.n_sections = is_pe ? c.pe->n_sections : 0,
		.file_alignment = c.pe->opt.file_alignment,
	};
	rc = ps_pass_new(&pass, &plan, len, &ri->fs);
	if (rc)
		goto out;
	if (is_pe) {
		rc = ps_authenticode_plan(&c, &sp, pass, opt && opt->authentihash);
		if (rc)
			goto out;
	}
	const uint64_t budget_ms = opt && opt->time_budget_ms ? opt->time_budget_ms : PS_TIME_BUDGET_DEFAULT_MS;
	const uint64_t t0 = now_ms();
	bool scanning = true; /* the string and XOR scanners, within the time budget */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < PS_PASS_WINDOW ? len - off : PS_PASS_WINDOW;
		if (src)
			ps_source_will_need(src, off, n);
		rc = ps_pass_feed(pass, data + off, n);
		if (rc)
			goto out;
		if (scanning && now_ms() - t0 > budget_ms) {
			scanning = false;
			ps_finding *f = ps_find(&ri->fs, "PE-LIMIT-REACHED", PS_SEV_MEDIUM,
			                        "The per-file time budget ran out: string, XOR and rule scanning "
			                        "stopped early (hashes and the model are complete)");
			ps_ev_str(f, &ri->fs, "structure", "time budget (ms)");
			ps_ev_uint(f, "cap", budget_ms);
			ps_ev_off(f, "offset", off);
		}
		if (scanning)
			ps_traits_window(traits, data, len, off, off + n);
		/* The previous window is released, not this one: the scanners look a little behind
		 * the window they are given (a run that began before it, an XOR string decoded
		 * backwards), and one byte touched in a released window maps its whole page-cache
		 * folio again (2 MiB on ext4 with large folios), which kept a 1 GiB file resident. */
		if (src && off >= PS_PASS_WINDOW)
			ps_source_done_with(src, off - PS_PASS_WINDOW, PS_PASS_WINDOW);
		off += n;
	}
	if (src && len)
		ps_source_done_with(src, len > PS_PASS_WINDOW ? len - PS_PASS_WINDOW : 0, len > PS_PASS_WINDOW ? PS_PASS_WINDOW : len);
	uint64_t sum = 0;
	rc = ps_pass_finish(pass, &r->hashes, &sum);
	if (rc)
		goto out;

	if (is_pe) {
		ps_pe *pe = c.pe;
		pe->checksum_stored = pe->opt.checksum;
		pe->checksum_computed = ps_pe_checksum_finish(sum, data, len, pe->optional_header_offset + 64);
		ps_authenticode_finish(&c, &sp, pass);
		ps_pe_parse_directories(&c);
		checksum_finding(&c);
		ps_judge_signatures(&c, opt ? opt->trust : NULL);
		r->pe = pe;
	} else if (ps_jpeg_check(data, len, &ri->fs)) {
		r->format_detail = "JPEG";
	}
	ps_traits_judge(traits, &c, is_pe, r, opt);
	if (opt && opt->rules && scanning && ps_traits_rules_needed(traits)) {
		/* YARA's timeout is in seconds: the smaller of --rules-timeout and what is left */
		uint64_t spent = now_ms() - t0, left_s = spent < budget_ms ? (budget_ms - spent + 999) / 1000 : 1;
		unsigned timeout = opt->rules_timeout ? opt->rules_timeout : PS_RULES_TIMEOUT_DEFAULT;
		if (left_s < timeout)
			timeout = (unsigned)left_s;
		rc = ps_rules_scan(opt->rules, data, len, name, timeout, &ri->fs);
		if (src)
			ps_source_done_with(src, 0, len); /* YARA read it all */
		if (rc)
			goto out;
	}
	if (ri->arena.exhausted) {
		/* Only a hostile file gets here (the count caps keep real ones far below). */
		ps_find_limit(&ri->fs, "report memory", PS_MAX_REPORT_BYTES, 0);
	}
	ps_report_set_findings(r);
out:
	ps_pass_free(pass);
	ps_traits_free(traits);
	ps_sigplan_free(&sp);
	if (rc) {
		ps_report_free(r);
		return rc;
	}
	*out = r;
	return PS_OK;
}

int ps_analyze_buffer(ps_report **out, const uint8_t *data, size_t len, const char *name,
                      const ps_options *opt)
{
	if (!out || (!data && len))
		return PS_EINVAL;
	return analyze(out, data, len, name, opt, NULL);
}

static int analyze_source(ps_report **out, ps_source *src, int rc, const char *name, const ps_options *opt)
{
	if (rc)
		return rc;
	rc = analyze(out, src->data, src->len, name, opt, src);
	int saved = errno;
	ps_source_close(src);
	errno = saved;
	return rc;
}

int ps_analyze_path(ps_report **out, const char *path, const ps_options *opt)
{
	if (!out || !path)
		return PS_EINVAL;
	*out = NULL;
	ps_source src;
	return analyze_source(out, &src, ps_source_open(&src, path), path, opt);
}

int ps_analyze_fd(ps_report **out, int fd, const char *name, const ps_options *opt)
{
	if (!out || fd < 0)
		return PS_EINVAL;
	*out = NULL;
	ps_source src;
	return analyze_source(out, &src, ps_source_open_fd(&src, fd), name, opt);
}

ps_report *ps_report_alloc(ps_arena **arena, ps_findings **fs, ps_pe **pe)
{
	report_impl *ri = calloc(1, sizeof(*ri));
	if (!ri)
		return NULL;
	ps_arena_init(&ri->arena, PS_MAX_REPORT_BYTES);
	ps_findings_init(&ri->fs, &ri->arena);
	*arena = &ri->arena;
	*fs = &ri->fs;
	*pe = &ri->pe;
	return &ri->pub;
}

void ps_report_set_findings(ps_report *r)
{
	report_impl *ri = (report_impl *)r;
	r->findings = ri->fs.v;
	r->n_findings = ri->fs.n;
	r->worst = PS_SEV_INFO;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity > r->worst)
			r->worst = r->findings[i].severity;
}

void ps_report_free(ps_report *r)
{
	if (!r)
		return;
	report_impl *ri = (report_impl *)r;
	ps_arena_release(&ri->arena);
	free(ri);
}

const char *ps_machine_name(uint16_t m)
{
	switch (m) {
	case 0x0000: return "unknown";
	case 0x014c: return "x86";
	case 0x8664: return "x64";
	case 0xaa64: return "arm64";
	case 0xa641: return "arm64ec";
	case 0xa64e: return "arm64x";
	case 0x01c0: return "arm";
	case 0x01c2: return "thumb";
	case 0x01c4: return "armnt";
	case 0x0200: return "ia64";
	case 0x0ebc: return "efi_bytecode";
	case 0x0162: return "r4000";
	case 0x0166: return "mips";
	case 0x0168: return "r10000";
	case 0x0169: return "wcemipsv2";
	case 0x0184: return "alpha";
	case 0x0284: return "alpha64";
	case 0x01a2: return "sh3";
	case 0x01a6: return "sh4";
	case 0x01a8: return "sh5";
	case 0x01f0: return "powerpc";
	case 0x01f1: return "powerpcfp";
	case 0x0266: return "mips16";
	case 0x0366: return "mipsfpu";
	case 0x0466: return "mipsfpu16";
	case 0x5032: return "riscv32";
	case 0x5064: return "riscv64";
	case 0x5128: return "riscv128";
	case 0x6232: return "loongarch32";
	case 0x6264: return "loongarch64";
	case 0x9041: return "m32r";
	case 0xc0ee: return "clr_pure_msil";
	default: return "unknown";
	}
}

const char *ps_subsystem_name(uint16_t s)
{
	static const char *names[] = {
		"unknown", "native", "windows_gui", "windows_cui", "unknown", "os2_cui", "unknown",
		"posix_cui", "native_windows", "windows_ce_gui", "efi_application",
		"efi_boot_service_driver", "efi_runtime_driver", "efi_rom", "xbox", "unknown",
		"windows_boot_application"};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *ps_version_string(const ps_pe *pe, const char *key)
{
	if (!pe || !pe->version.present)
		return NULL;
	for (size_t i = 0; i < pe->version.n_strings; i++)
		if (pe->version.strings[i].key && strcmp(pe->version.strings[i].key, key) == 0)
			return pe->version.strings[i].value;
	return NULL;
}
