/* Shared by the fuzz harnesses: walking every pointer of a model (so that a dangling or
 * short allocation is read and caught by ASan, not just carried around) and asserting the
 * invariants the public headers promise. A broken promise is a bug like a crash: the
 * harness abort()s so libFuzzer keeps the input.
 *
 * Header-only because each harness is built as one translation unit (the Makefile's replay
 * rule and scripts/fuzz.sh both compile fuzz/fuzz_X.c alone with the library).
 */
#ifndef PS_FUZZ_HARNESS_H
#define PS_FUZZ_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "pesleuth/model.h"

/* Sink for reads the optimiser must not drop. */
static volatile uint64_t fuzz_sink;

#define FUZZ_CHECK(cond, what)                                                         \
	do {                                                                               \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz invariant broken: %s (%s:%d: %s)\n", what, __FILE__, \
			        __LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                              \
	} while (0)

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. Linear. */
static inline int fuzz_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = s[i];
		size_t len;
		uint32_t cp, min;
		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xE0) == 0xC0) {
			len = 2, cp = b & 0x1F, min = 0x80;
		} else if ((b & 0xF0) == 0xE0) {
			len = 3, cp = b & 0x0F, min = 0x800;
		} else if ((b & 0xF8) == 0xF0) {
			len = 4, cp = b & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len > n - i)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

/* Reads every byte of a string (ASan checks it lies in one live allocation) and returns
 * its length. */
static inline size_t fuzz_touch_str(const char *s)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	uint64_t h = n;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + (uint8_t)s[i];
	fuzz_sink += h;
	return n;
}

/* A string the model promises to be valid UTF-8 (resource names, version strings, finding
 * titles and string evidence). NULL is allowed where the header says so; callers check. */
static inline void fuzz_touch_utf8(const char *s, const char *what)
{
	size_t n = fuzz_touch_str(s);
	if (s)
		FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *)s, n), what);
}

static inline void fuzz_touch_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = n;
	for (size_t i = 0; i < n; i++)
		h = h * 131 + b[i];
	fuzz_sink += h;
}

static inline void fuzz_touch_findings(const ps_finding *v, size_t n)
{
	FUZZ_CHECK(n <= PS_MAX_FINDINGS, "findings within PS_MAX_FINDINGS");
	FUZZ_CHECK(n == 0 || v, "findings array present");
	for (size_t i = 0; i < n; i++) {
		const ps_finding *f = &v[i];
		FUZZ_CHECK(f->id && f->id[0], "finding has an id");
		fuzz_touch_str(f->id);
		FUZZ_CHECK((unsigned)f->severity <= PS_SEV_CRITICAL, "finding severity in range");
		FUZZ_CHECK(f->title, "finding has a title");
		fuzz_touch_utf8(f->title, "finding title is UTF-8");
		FUZZ_CHECK(f->n_evidence <= PS_FINDING_MAX_EVIDENCE, "evidence count in range");
		for (unsigned k = 0; k < f->n_evidence; k++) {
			const ps_evidence *e = &f->evidence[k];
			FUZZ_CHECK(e->key, "evidence has a key");
			fuzz_touch_str(e->key);
			FUZZ_CHECK((unsigned)e->type <= PS_EV_TIME, "evidence type in range");
			if (e->type == PS_EV_STR) {
				FUZZ_CHECK(e->s, "string evidence present");
				fuzz_touch_utf8(e->s, "string evidence is UTF-8");
			}
		}
		FUZZ_CHECK(f->n_attack <= PS_FINDING_MAX_ATTACK, "ATT&CK count in range");
		for (unsigned k = 0; k < f->n_attack; k++)
			fuzz_touch_str(f->attack[k]);
	}
}

static inline void fuzz_touch_cert(const ps_cert *c)
{
	FUZZ_CHECK(c, "certificate present");
	fuzz_touch_utf8(c->subject, "certificate subject is UTF-8");
	fuzz_touch_utf8(c->issuer, "certificate issuer is UTF-8");
	fuzz_touch_utf8(c->subject_cn, "certificate CN is UTF-8");
	fuzz_touch_str(c->serial);
	fuzz_touch_utf8(c->email, "certificate email is UTF-8");
	fuzz_touch_str(c->key_type);
	FUZZ_CHECK(c->der_len == 0 || c->der, "certificate DER present");
	fuzz_touch_bytes(c->der, c->der_len);
}

static inline void fuzz_touch_signatures(const ps_pe *pe)
{
	FUZZ_CHECK(pe->n_signatures == 0 || pe->signatures, "signatures array present");
	int primary_found = pe->primary == NULL;
	for (size_t i = 0; i < pe->n_signatures; i++) {
		const ps_signature *s = &pe->signatures[i];
		if (s == pe->primary)
			primary_found = 1;
		FUZZ_CHECK(s->parent < (int)pe->n_signatures && (s->depth == 0) == (s->parent < 0),
		           "signature parent in range, exactly for nested signatures");
		fuzz_touch_str(s->parse_error);
		fuzz_touch_str(s->digest_algorithm);
		FUZZ_CHECK(s->digest_len <= sizeof(s->signed_digest), "digest length fits");
		fuzz_touch_str(s->page_hash_algorithm);
		FUZZ_CHECK(s->page_hash_table_len == 0 || s->page_hash_table, "page hash table present");
		fuzz_touch_bytes(s->page_hash_table, s->page_hash_table_len);
		fuzz_touch_str(s->signer_digest_algorithm);
		fuzz_touch_utf8(s->program_name, "program name is UTF-8");
		fuzz_touch_utf8(s->program_url, "program URL is UTF-8");
		if (s->signer)
			fuzz_touch_cert(s->signer);
		FUZZ_CHECK(s->n_certs == 0 || s->certs, "certificates array present");
		for (size_t k = 0; k < s->n_certs; k++)
			fuzz_touch_cert(&s->certs[k]);
		FUZZ_CHECK(s->n_timestamps == 0 || s->timestamps, "timestamps array present");
		for (size_t k = 0; k < s->n_timestamps; k++) {
			const ps_timestamp *t = &s->timestamps[k];
			fuzz_touch_str(t->digest_algorithm);
			if (t->tsa)
				fuzz_touch_cert(t->tsa);
			FUZZ_CHECK(t->n_certs == 0 || t->certs, "TSA certificates array present");
			for (size_t j = 0; j < t->n_certs; j++)
				fuzz_touch_cert(&t->certs[j]);
			fuzz_touch_str(t->chain_error);
		}
		FUZZ_CHECK(s->n_chain == 0 || s->chain, "chain array present");
		for (size_t k = 0; k < s->n_chain; k++)
			fuzz_touch_cert(s->chain[k]);
		fuzz_touch_str(s->status);
	}
	FUZZ_CHECK(primary_found, "primary is one of the signatures");
	fuzz_touch_str(pe->signature_status);
}

static inline void fuzz_touch_pe(const ps_pe *pe)
{
	FUZZ_CHECK(pe->n_directories <= PS_DIR_COUNT, "at most 16 directories");
	fuzz_touch_bytes(pe->dirs, sizeof(pe->dirs));

	FUZZ_CHECK(pe->n_sections <= PS_MAX_SECTIONS, "sections within PS_MAX_SECTIONS");
	FUZZ_CHECK(pe->n_sections <= pe->coff.number_of_sections, "no more sections than declared");
	FUZZ_CHECK(pe->n_sections == 0 || pe->sections, "sections array present");
	for (size_t i = 0; i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		FUZZ_CHECK(s->name_len <= sizeof(s->name), "section name length <= 8");
		fuzz_touch_bytes(s->name, s->name_len);
		if (s->has_entropy)
			FUZZ_CHECK(isfinite(s->entropy) && s->entropy >= 0.0 && s->entropy <= 8.0 + 1e-9,
			           "section entropy within [0, 8]");
		fuzz_sink += s->virtual_size ^ s->raw_offset ^ s->header_offset;
	}

	size_t total = 0;
	FUZZ_CHECK(pe->n_import_dlls <= 2 * (size_t)PS_MAX_IMPORT_DLLS, "import DLLs within cap");
	FUZZ_CHECK(pe->n_import_dlls == 0 || pe->import_dlls, "import DLL array present");
	for (size_t i = 0; i < pe->n_import_dlls; i++) {
		const ps_import_dll *d = &pe->import_dlls[i];
		FUZZ_CHECK(d->name, "import DLL has a name");
		fuzz_touch_str(d->name);
		FUZZ_CHECK(d->n_imports == 0 || d->imports, "imports array present");
		for (size_t k = 0; k < d->n_imports; k++) {
			const ps_import *im = &d->imports[k];
			fuzz_touch_str(im->name);
			fuzz_touch_str(im->ordinal_name);
			if (!im->by_ordinal)
				FUZZ_CHECK(!im->ordinal_name, "ordinal_name only for imports by ordinal");
			fuzz_sink += im->hint + im->ordinal + im->thunk_rva;
		}
		total += d->n_imports;
	}
	FUZZ_CHECK(total == pe->n_imports_total, "n_imports_total is the sum over DLLs");
	FUZZ_CHECK(total <= PS_MAX_IMPORT_SYMBOLS + 1, "imported symbols within cap");
	size_t ih = strnlen(pe->imphash, sizeof(pe->imphash));
	FUZZ_CHECK(ih == 0 || ih == 32, "imphash is empty or 32 hex digits");
	for (size_t i = 0; i < ih; i++)
		FUZZ_CHECK((pe->imphash[i] >= '0' && pe->imphash[i] <= '9') ||
		               (pe->imphash[i] >= 'a' && pe->imphash[i] <= 'f'),
		           "imphash is lowercase hex");

	const ps_exports *ex = &pe->exports;
	fuzz_touch_str(ex->dll_name);
	FUZZ_CHECK(ex->n <= PS_MAX_EXPORTS, "exports within PS_MAX_EXPORTS");
	FUZZ_CHECK(ex->n == 0 || ex->v, "exports array present");
	for (size_t i = 0; i < ex->n; i++) {
		fuzz_touch_str(ex->v[i].name);
		fuzz_touch_str(ex->v[i].forwarder);
		fuzz_sink += ex->v[i].ordinal + ex->v[i].rva;
	}

	FUZZ_CHECK(pe->n_resources <= PS_MAX_RESOURCE_LEAVES, "resources within PS_MAX_RESOURCE_LEAVES");
	FUZZ_CHECK(pe->n_resources == 0 || pe->resources, "resources array present");
	for (size_t i = 0; i < pe->n_resources; i++) {
		const ps_resource *r = &pe->resources[i];
		fuzz_touch_utf8(r->type_name, "resource type name is UTF-8");
		fuzz_touch_utf8(r->name, "resource name is UTF-8");
		fuzz_sink += r->lang + r->data_rva + r->size + r->offset;
	}
	const ps_version_info *vi = &pe->version;
	FUZZ_CHECK(vi->n_strings <= PS_MAX_VERSION_STRINGS, "version strings within cap");
	FUZZ_CHECK(vi->n_strings == 0 || vi->strings, "version strings array present");
	for (size_t i = 0; i < vi->n_strings; i++) {
		fuzz_touch_utf8(vi->strings[i].key, "version key is UTF-8");
		fuzz_touch_utf8(vi->strings[i].value, "version value is UTF-8");
	}

	FUZZ_CHECK(pe->n_debug <= PS_MAX_DEBUG_ENTRIES, "debug entries within cap");
	FUZZ_CHECK(pe->n_debug == 0 || pe->debug, "debug array present");
	for (size_t i = 0; i < pe->n_debug; i++) {
		const ps_debug_entry *d = &pe->debug[i];
		FUZZ_CHECK(memchr(d->cv_format, 0, sizeof(d->cv_format)), "cv_format NUL-terminated");
		size_t n = fuzz_touch_str(d->pdb_path);
		FUZZ_CHECK(n <= PS_MAX_PDB_PATH, "PDB path within PS_MAX_PDB_PATH");
		fuzz_touch_bytes(d->guid, sizeof(d->guid));
	}

	const ps_tls *t = &pe->tls;
	FUZZ_CHECK(t->n_callbacks <= PS_MAX_TLS_CALLBACKS, "TLS callbacks within cap");
	FUZZ_CHECK(t->n_callbacks == 0 || t->callbacks, "TLS callbacks array present");
	fuzz_touch_bytes(t->callbacks, t->n_callbacks * sizeof(uint64_t));

	const ps_rich *rh = &pe->rich;
	FUZZ_CHECK(rh->n_entries <= PS_MAX_RICH_ENTRIES, "Rich entries within cap");
	FUZZ_CHECK(rh->n_entries == 0 || rh->entries, "Rich entries array present");
	fuzz_touch_bytes(rh->entries, rh->n_entries * sizeof(ps_rich_entry));

	fuzz_touch_str(pe->clr.metadata_version);
	fuzz_touch_signatures(pe);

	if (pe->has_overlay)
		FUZZ_CHECK(pe->overlay_size > 0, "an overlay is not empty");
}

static inline void fuzz_touch_report(const ps_report *r, size_t len)
{
	FUZZ_CHECK(r->size == len, "report size is the input size");
	fuzz_touch_str(r->path);
	FUZZ_CHECK(r->format_detail, "format_detail set");
	fuzz_touch_str(r->format_detail);
	FUZZ_CHECK((r->format == PS_FORMAT_PE) == (r->pe != NULL), "pe set exactly for PE files");
	if (r->pe)
		fuzz_touch_pe(r->pe);
	fuzz_touch_findings(r->findings, r->n_findings);
	ps_severity worst = PS_SEV_INFO;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity > worst)
			worst = r->findings[i].severity;
	FUZZ_CHECK(worst == r->worst, "worst is the most severe finding");
}

#endif
