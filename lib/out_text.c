/* The human-readable report of `pesleuth show`. Every string that came from the file goes
 * through ps_fputs_escaped(): a section name or a version string can neither move the cursor,
 * recolour the terminal nor reorder the line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "pesleuth/analyze.h"
#include "pesleuth/output.h"
#include "text.h"

#define SHOW_MAX_FUNCS 12   /* functions listed per imported DLL */
#define SHOW_MAX_EXPORTS 40 /* exports listed */

void ps_fputs_escaped(FILE *f, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t l = ps_utf8_next(p + i, len - i, &cp);
		if (l == 0) {
			fprintf(f, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '\\')
			fputs("\\\\", f);
		else if (ps_cp_is_unsafe(cp))
			cp < 0x100 ? fprintf(f, "\\x%02x", (unsigned)cp) : fprintf(f, "\\u{%04x}", (unsigned)cp);
		else
			fwrite(p + i, 1, l, f);
		i += l;
	}
}

static void esc(FILE *f, const char *s)
{
	if (!s) {
		fputs("-", f);
		return;
	}
	ps_fputs_escaped(f, s, strlen(s));
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

char *ps_time_iso(char buf[PS_TIME_ISO_SIZE], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	buf[0] = '\0';
	if (t != PS_TIME_NONE && (int64_t)tt == t && gmtime_r(&tt, &tm) && tm.tm_year >= -1900 &&
	    tm.tm_year <= 9999 - 1900)
		snprintf(buf, PS_TIME_ISO_SIZE, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
		         (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		         (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
	return buf;
}

/* "YYYY-MM-DD HH:MM:SS UTC" */
static void iso_time(FILE *f, int64_t t)
{
	char buf[PS_TIME_ISO_SIZE];
	if (!ps_time_iso(buf, t)[0]) {
		fputs("?", f);
		return;
	}
	buf[10] = ' ';
	buf[19] = '\0';
	fprintf(f, "%s UTC", buf);
}

static void section_name(FILE *f, const ps_section *s)
{
	char buf[PS_UTF8_BOUND(8)];
	size_t n = ps_utf8_from_latin1(buf, s->name, s->name_len);
	ps_fputs_escaped(f, buf, n);
}

static void flags_rwx(FILE *f, uint32_t ch)
{
	fputc(ch & 0x40000000 ? 'R' : '-', f);
	fputc(ch & 0x80000000 ? 'W' : '-', f);
	fputc(ch & 0x20000000 ? 'X' : '-', f);
}

static void opt_time(FILE *f, int64_t t)
{
	if (t == PS_TIME_NONE)
		fputs("-", f);
	else
		iso_time(f, t);
}

static void cert_line(FILE *f, const char *first, const char *indent, const ps_cert *c)
{
	fputs(first, f);
	esc(f, c->subject);
	fprintf(f, "\n%sissuer ", indent);
	esc(f, c->issuer);
	fprintf(f, "\n%svalid ", indent);
	opt_time(f, c->not_before);
	fputs(" .. ", f);
	opt_time(f, c->not_after);
	fprintf(f, "  serial %s  %s %u  sha1 ", c->serial ? c->serial : "-", c->key_type ? c->key_type : "?", c->key_bits);
	hex(f, c->sha1, 20);
	fputc('\n', f);
}

static void timeline_text(FILE *f, const ps_pe *pe)
{
	if (!pe->n_timeline || !pe->primary)
		return;
	fputs("\nTimeline:\n", f);
	for (size_t i = 0; i < pe->n_timeline; i++) {
		fputs("  ", f);
		iso_time(f, pe->timeline[i].time);
		fprintf(f, "  %s", pe->timeline[i].event);
		if (pe->timeline[i].detail) {
			fputs(": ", f);
			esc(f, pe->timeline[i].detail);
		}
		fputc('\n', f);
	}
}

static void signatures_text(FILE *f, const ps_pe *pe)
{
	if (pe->has_certificate_table || pe->n_signatures)
		fprintf(f, "Signature:    %s\n", pe->signature_status ? pe->signature_status : "-");
	for (size_t i = 0; i < pe->n_signatures; i++) {
		const ps_signature *s = &pe->signatures[i];
		fprintf(f, "  #%u%s (entry %u%s): %s\n", s->index, s->depth ? " nested" : "", s->entry,
		        s->depth ? "" : ", primary", s->status ? s->status : "-");
		if (!s->parsed) {
			fprintf(f, "     not parsed: %s\n", s->parse_error ? s->parse_error : "?");
			continue;
		}
		fprintf(f, "     digest %s %s (section method %s)%s%s\n", s->digest_algorithm,
		        s->digest_ok ? "matches the file" : "DOES NOT MATCH the file",
		        s->section_digest_ok ? "matches" : "differs",
		        s->has_page_hashes ? ", page hashes " : "",
		        s->has_page_hashes ? (!s->page_hashes_checked ? "not checked" : s->page_hashes_ok ? "match" : "DO NOT MATCH") : "");
		fprintf(f, "     signer signature %s, messageDigest %s\n", s->signature_ok ? "verifies" : "DOES NOT VERIFY",
		        s->message_digest_ok ? "binds the content" : "DOES NOT BIND the content");
		if (s->program_name || s->program_url) {
			fputs("     program ", f);
			esc(f, s->program_name);
			fputs(" ", f);
			esc(f, s->program_url);
			fputc('\n', f);
		}
		if (s->signer)
			cert_line(f, "     signer  ", "             ", s->signer);
		else
			fputs("     signer  (certificate not embedded)\n", f);
		for (size_t k = 0; k < s->n_timestamps; k++) {
			const ps_timestamp *t = &s->timestamps[k];
			fprintf(f, "     timestamp %s ", t->kind == PS_TS_RFC3161 ? "RFC 3161" : "PKCS#9");
			opt_time(f, t->time);
			fprintf(f, " %s", t->verified ? "(verified, trusted)" : "(NOT trusted: ");
			if (!t->verified) {
				esc(f, t->chain_error ? t->chain_error : "not verified");
				fputc(')', f);
			}
			if (t->tsa) {
				fputs(" by ", f);
				esc(f, t->tsa->subject_cn);
			}
			fputc('\n', f);
		}
		if (s->claimed_signing_time != PS_TIME_NONE) {
			fputs("     claimed signingTime ", f);
			iso_time(f, s->claimed_signing_time);
			fputs(" (unauthenticated: decides nothing)\n", f);
		}
		for (size_t k = 0; k < s->n_revocation; k++) {
			const ps_revocation *rv = &s->revocation[k];
			if (rv->state != PS_REV_REVOKED)
				continue;
			fprintf(f, "     REVOKED%s ", rv->tsa ? " (TSA chain)" : "");
			opt_time(f, rv->revocation_time);
			fprintf(f, " reason %s%s: ", ps_crl_reason_name(rv->reason),
			        rv->signed_after_revocation ? ", SIGNED AFTER REVOCATION" : rv->judged_at != PS_TIME_NONE ? ", after signing" : ", undated");
			esc(f, rv->cert ? rv->cert->subject_cn : NULL);
			fputc('\n', f);
		}
		fputs("     chain judged at ", f);
		opt_time(f, s->evaluated_at);
		fputs(s->at_signing_time ? " (the trusted signing time)\n" : " (now: no trusted timestamp)\n", f);
		for (size_t k = 1; k < s->n_chain; k++)
			if (s->chain[k])
				cert_line(f, "       <- ", "          ", s->chain[k]);
	}
}

static void findings_text(FILE *f, const ps_report *r)
{
	fprintf(f, "\nFindings (%zu):\n", r->n_findings);
	if (!r->n_findings)
		fputs("  none\n", f);
	for (size_t i = 0; i < r->n_findings; i++) {
		const ps_finding *x = &r->findings[i];
		fprintf(f, "  [%-8s] %s  ", ps_severity_name(x->severity), x->id);
		esc(f, x->title);
		fputc('\n', f);
		if (x->n_evidence) {
			fputs("             ", f);
			for (unsigned k = 0; k < x->n_evidence; k++) {
				const ps_evidence *e = &x->evidence[k];
				fprintf(f, "%s%s=", k ? " " : "", e->key);
				switch (e->type) {
				case PS_EV_UINT: fprintf(f, "%" PRIu64, e->u); break;
				case PS_EV_OFFSET: fprintf(f, "0x%" PRIx64, e->u); break;
				case PS_EV_INT: fprintf(f, "%" PRId64, e->i); break;
				case PS_EV_BOOL: fputs(e->u ? "true" : "false", f); break;
				case PS_EV_TIME: iso_time(f, e->i); break;
				case PS_EV_STR:
					fputc('"', f);
					esc(f, e->s);
					fputc('"', f);
					break;
				}
			}
			fputc('\n', f);
		}
		if (x->n_attack) {
			fputs("             ATT&CK:", f);
			for (unsigned k = 0; k < x->n_attack; k++)
				fprintf(f, " %s", x->attack[k]);
			fputc('\n', f);
		}
	}
}

static void pe_text(FILE *f, const ps_report *r)
{
	const ps_pe *pe = r->pe;
	const ps_optional_header *o = &pe->opt;
	fprintf(f, "Type:         %s %s%s, subsystem %s (%u), machine 0x%04x\n", r->format_detail,
	        ps_machine_name(pe->coff.machine), (pe->coff.characteristics & 0x2000) ? " DLL" : " executable",
	        ps_subsystem_name(o->subsystem), o->subsystem, pe->coff.machine);
	fprintf(f, "Compiled:     ");
	if (pe->has_repro)
		fprintf(f, "reproducible build: TimeDateStamp 0x%08x is a hash, not a time\n", pe->coff.timedatestamp);
	else if (!pe->coff.timedatestamp)
		fprintf(f, "no time (TimeDateStamp is 0)\n");
	else {
		iso_time(f, pe->coff.timedatestamp);
		fprintf(f, " (TimeDateStamp 0x%08x)\n", pe->coff.timedatestamp);
	}
	fprintf(f, "Entry point:  0x%08x", o->address_of_entry_point);
	for (size_t i = 0; i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		uint64_t vs = s->virtual_size ? s->virtual_size : s->raw_size;
		if (o->address_of_entry_point >= s->virtual_address &&
		    o->address_of_entry_point < (uint64_t)s->virtual_address + vs) {
			fputs(" in ", f);
			section_name(f, s);
			break;
		}
	}
	fprintf(f, "\nImage base:   0x%" PRIx64 "  size 0x%x  linker %u.%u\n", o->image_base, o->size_of_image,
	        o->major_linker_version, o->minor_linker_version);
	fprintf(f, "Checksum:     stored 0x%08x, computed 0x%08x%s\n", pe->checksum_stored, pe->checksum_computed,
	        pe->checksum_stored == pe->checksum_computed ? " (valid)" : pe->checksum_stored ? " (MISMATCH)" : " (not set)");
	fprintf(f, "imphash:      %s\n", pe->imphash[0] ? pe->imphash : "- (no imports)");
	if (pe->rich.present) {
		fputs("Rich hash:    ", f);
		hex(f, pe->rich.hash_md5, 16);
		fprintf(f, "  (%zu entries, checksum %s)\n", pe->rich.n_entries, pe->rich.checksum_valid ? "valid" : "INVALID");
	}
	if (pe->clr.present) {
		fprintf(f, ".NET:         CLR %u.%u, metadata ", pe->clr.major_runtime_version, pe->clr.minor_runtime_version);
		esc(f, pe->clr.metadata_version);
		fputc('\n', f);
	}
	if (pe->version.present && pe->version.n_strings) {
		fputs("\nVersion information:\n", f);
		for (size_t i = 0; i < pe->version.n_strings; i++) {
			fputs("  ", f);
			esc(f, pe->version.strings[i].key);
			fputs(": ", f);
			esc(f, pe->version.strings[i].value);
			fputc('\n', f);
		}
	}
	fprintf(f, "\nSections (%zu of %u):\n", pe->n_sections, pe->coff.number_of_sections);
	if (pe->n_sections)
		fputs("  name       virt.addr  virt.size  raw.offset raw.size   flags   entropy\n", f);
	for (size_t i = 0; i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		char nb[PS_UTF8_BOUND(8)];
		ps_utf8_from_latin1(nb, s->name, s->name_len);
		fputs("  ", f);
		ps_fputs_escaped(f, nb, strlen(nb));
		int pad = 10 - (int)s->name_len;
		fprintf(f, "%*s 0x%08x 0x%08x 0x%08x 0x%08x ", pad > 0 ? pad : 1, "", s->virtual_address, s->virtual_size,
		        s->raw_offset, s->raw_size);
		flags_rwx(f, s->characteristics);
		if (s->has_entropy)
			fprintf(f, "     %.3f\n", s->entropy);
		else
			fputs("     -\n", f);
	}
	if (pe->n_import_dlls) {
		fprintf(f, "\nImports (%zu DLLs, %zu functions):\n", pe->n_import_dlls, pe->n_imports_total);
		for (size_t i = 0; i < pe->n_import_dlls; i++) {
			const ps_import_dll *d = &pe->import_dlls[i];
			fputs("  ", f);
			esc(f, d->name);
			fprintf(f, "%s (%zu):", d->delay ? " [delay-load]" : "", d->n_imports);
			for (size_t k = 0; k < d->n_imports && k < SHOW_MAX_FUNCS; k++) {
				fputc(' ', f);
				if (d->imports[k].name)
					esc(f, d->imports[k].name);
				else if (d->imports[k].ordinal_name)
					fprintf(f, "#%u(%s)", d->imports[k].ordinal, d->imports[k].ordinal_name);
				else
					fprintf(f, "#%u", d->imports[k].ordinal);
			}
			if (d->n_imports > SHOW_MAX_FUNCS)
				fprintf(f, " ... +%zu", d->n_imports - SHOW_MAX_FUNCS);
			fputc('\n', f);
		}
	}
	if (pe->exports.present) {
		fprintf(f, "\nExports (%zu) of ", pe->exports.n);
		esc(f, pe->exports.dll_name);
		fputs(":\n", f);
		for (size_t i = 0; i < pe->exports.n && i < SHOW_MAX_EXPORTS; i++) {
			const ps_export *e = &pe->exports.v[i];
			fprintf(f, "  #%-5u 0x%08x ", e->ordinal, e->rva);
			esc(f, e->name);
			if (e->forwarder) {
				fputs(" -> ", f);
				esc(f, e->forwarder);
			}
			fputc('\n', f);
		}
		if (pe->exports.n > SHOW_MAX_EXPORTS)
			fprintf(f, "  ... +%zu more\n", pe->exports.n - SHOW_MAX_EXPORTS);
	}
	if (pe->n_resources) {
		/* counts per type in order of first appearance; at most SHOW_MAX_TYPES kinds are
		 * told apart (linear in the number of resources, whatever the file holds) */
		enum { SHOW_MAX_TYPES = 32 };
		const ps_resource *kind[SHOW_MAX_TYPES];
		size_t count[SHOW_MAX_TYPES], nk = 0, other = 0;
		for (size_t i = 0; i < pe->n_resources; i++) {
			const ps_resource *x = &pe->resources[i];
			size_t k = 0;
			for (; k < nk; k++) {
				const ps_resource *y = kind[k];
				bool same = (x->type_name || y->type_name)
				                ? (x->type_name && y->type_name && !strcmp(x->type_name, y->type_name))
				                : x->type_id == y->type_id;
				if (same)
					break;
			}
			if (k < nk)
				count[k]++;
			else if (nk < SHOW_MAX_TYPES) {
				kind[nk] = x;
				count[nk++] = 1;
			} else
				other++;
		}
		fprintf(f, "\nResources (%zu):", pe->n_resources);
		for (size_t k = 0; k < nk; k++) {
			const ps_resource *x = kind[k];
			const char *tn = ps_resource_type_name(x->type_id);
			fputc(' ', f);
			if (x->type_name)
				esc(f, x->type_name);
			else if (tn)
				fputs(tn, f);
			else
				fprintf(f, "#%u", x->type_id);
			fprintf(f, "=%zu", count[k]);
		}
		if (other)
			fprintf(f, " other=%zu", other);
		fputc('\n', f);
	}
	for (size_t i = 0; i < pe->n_debug; i++) {
		const ps_debug_entry *d = &pe->debug[i];
		if (i == 0)
			fputs("\nDebug directory:\n", f);
		const char *tn = ps_debug_type_name(d->type);
		fprintf(f, "  %-12s", tn ? tn : "?");
		if (d->has_codeview) {
			fprintf(f, " %s ", d->cv_format);
			esc(f, d->pdb_path);
			fprintf(f, " (age %u)", d->age);
		}
		fputc('\n', f);
	}
	if (pe->tls.present) {
		fprintf(f, "\nTLS callbacks: %zu", pe->tls.n_callbacks);
		for (size_t i = 0; i < pe->tls.n_callbacks; i++)
			fprintf(f, " 0x%" PRIx64, pe->tls.callbacks[i]);
		fputc('\n', f);
	}
	fputc('\n', f);
	if (pe->has_certificate_table)
		fprintf(f, "Certificate table: offset 0x%" PRIx64 ", %" PRIu64 " bytes, %u entr%s%s\n", pe->certificate_table_offset,
		        pe->certificate_table_size, pe->n_certificate_entries, pe->n_certificate_entries == 1 ? "y" : "ies",
		        pe->certificate_table_in_file ? "" : " (runs past the end of the file)");
	else
		fputs("Certificate table: none (not signed)\n", f);
	signatures_text(f, pe);
	timeline_text(f, pe);
	if (pe->has_overlay)
		fprintf(f, "Overlay:      offset 0x%" PRIx64 ", %" PRIu64 " bytes\n", pe->overlay_offset, pe->overlay_size);
}

int ps_report_text(FILE *f, const ps_report *r)
{
	fputs("File:         ", f);
	esc(f, r->path);
	fprintf(f, "\nSize:         %" PRIu64 " bytes\n", r->size);
	if (r->hashes.computed & PS_HASH_MD5) {
		fputs("MD5:          ", f);
		hex(f, r->hashes.md5, 16);
		fputc('\n', f);
	}
	if (r->hashes.computed & PS_HASH_SHA1) {
		fputs("SHA-1:        ", f);
		hex(f, r->hashes.sha1, 20);
		fputc('\n', f);
	}
	if (r->hashes.computed & PS_HASH_SHA256) {
		fputs("SHA-256:      ", f);
		hex(f, r->hashes.sha256, 32);
		fputc('\n', f);
	}
	if (r->pe)
		pe_text(f, r);
	else
		fprintf(f, "Type:         not a PE file (%s)\n", r->format_detail ? r->format_detail : "unknown");
	findings_text(f, r);
	fprintf(f, "\nVerdict:      %s\n", ps_report_verdict(r));
	return ferror(f) ? -2 : 0;
}
