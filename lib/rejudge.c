/* Re-judgement without the file (DESIGN.md "Data flow"): judgement is a function of facts and
 * a trust context, so a stored file is judged again from its facts alone when a CRL, a
 * blocklist, an IOC feed or the time changes.
 *
 * The facts a judgement reads are captured at scan time by ps_report_judge_facts() as one JSON
 * object: the certificate table's bytes (parsed again here: the signatures, their
 * certificates, timestamps and cryptographic checks are a deterministic function of those
 * bytes), the digests the single pass computed for each signature (they need the file), the
 * header times the TIME- rules compare, the version strings the publisher rule reads, and the
 * file hashes for IOC feeds. ps_rejudge() rebuilds a report from them, runs the same judge
 * (judge.c) and the IOC matching, and keeps every finding that is a fact of the bytes (PE-,
 * PACK-, CAP-, STR-, OVERLAY-, RULE-, the certificate table's SIG- malformations and digest
 * mismatches) from the stored report.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "authenticode.h"
#include "detect.h"
#include "findings.h"
#include "limits.h"
#include "pe.h"
#include "pesleuth/analyze.h"
#include "pesleuth/error.h"
#include "pesleuth/output.h"
#include "report.h"
#include "text.h"

#define FACTS_VERSION 1

/* The IDs a judgement raises (judge.c and the IOC matching); every other stored finding is a
 * fact of the bytes and is kept as it was. */
static bool judged_id(const char *id)
{
	static const char *const ids[] = {
		"CERT-BLOCKLISTED", "CERT-EXPIRED", "CERT-EXPIRED-AT-SIGNING", "CERT-FRESH-AT-SIGNING",
		"CERT-REVOCATION-UNKNOWN", "CERT-REVOKED-AFTER-SIGNING", "CERT-REVOKED-UNDATED",
		"CERT-SIGNED-AFTER-REVOCATION", "SIG-CHAIN-INCOMPLETE", "SIG-CHAIN-INVALID", "SIG-NOT-SIGNED",
		"SIG-PUBLISHER-MISMATCH", "SIG-SIGNATURE-INVALID", "SIG-UNTRUSTED-ROOT", "SIG-WEAK-DIGEST",
		"SIG-WRONG-EKU", "TIME-COMPILE-AFTER-SIGNING", "TIME-COMPILE-CONSTANT", "TIME-COMPILE-FUTURE",
		"TIME-COMPILE-ZERO", "TIME-STAMPS-INCONSISTENT", "TS-UNTRUSTED", "IOC-HASH", "IOC-CERT",
		"IOC-NETWORK",
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!strcmp(id, ids[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ capture */

static json_t *jhex(const uint8_t *p, size_t n)
{
	char *b = malloc(2 * n + 1);
	if (!b)
		return NULL;
	json_t *j = json_string(ps_hex(b, p, n));
	free(b);
	return j;
}

int ps_report_judge_facts(char **out, const ps_report *r)
{
	*out = NULL;
	json_t *o = json_object();
	if (!o)
		return PS_ENOMEM;
	json_object_set_new(o, "v", json_integer(FACTS_VERSION));
	json_object_set_new(o, "size", json_integer((json_int_t)r->size));
	json_object_set_new(o, "format", json_integer(r->format));
	json_t *h = json_object();
	if (r->hashes.computed & PS_HASH_MD5)
		json_object_set_new(h, "md5", jhex(r->hashes.md5, 16));
	if (r->hashes.computed & PS_HASH_SHA1)
		json_object_set_new(h, "sha1", jhex(r->hashes.sha1, 20));
	if (r->hashes.computed & PS_HASH_SHA256)
		json_object_set_new(h, "sha256", jhex(r->hashes.sha256, 32));
	json_object_set_new(o, "hashes", h);
	const ps_pe *pe = r->pe;
	if (pe) {
		json_t *p = json_object();
		json_object_set_new(p, "pe32plus", json_boolean(pe->pe32plus));
		json_object_set_new(p, "characteristics", json_integer(pe->coff.characteristics));
		json_object_set_new(p, "coff_time", json_integer(pe->coff.timedatestamp));
		json_object_set_new(p, "repro", json_boolean(pe->has_repro));
		json_object_set_new(p, "rich", json_boolean(pe->rich.present));
		json_object_set_new(p, "clr", json_boolean(pe->clr.present));
		json_t *dbg = json_array();
		for (size_t i = 0; i < pe->n_debug; i++)
			json_array_append_new(dbg, json_integer(pe->debug[i].timedatestamp));
		json_object_set_new(p, "debug_times", dbg);
		json_object_set_new(p, "export_time", pe->exports.present ? json_integer(pe->exports.timedatestamp) : json_null());
		json_object_set_new(p, "n_resources", json_integer((json_int_t)pe->n_resources));
		json_object_set_new(p, "resource_time", json_integer(pe->resource_timedatestamp));
		json_t *vs = json_array();
		for (size_t i = 0; pe->version.present && i < pe->version.n_strings; i++) {
			const ps_kv *kv = &pe->version.strings[i];
			if (kv->key && kv->value)
				json_array_append_new(vs, json_pack("[ss]", kv->key, kv->value));
		}
		json_object_set_new(p, "version", vs);
		json_object_set_new(p, "has_certificate_table", json_boolean(pe->has_certificate_table));
		json_object_set_new(p, "table_offset", json_integer((json_int_t)pe->certificate_table_offset));
		json_object_set_new(p, "table_size", json_integer((json_int_t)pe->certificate_table_size));
		json_object_set_new(p, "table_entries", json_integer(pe->n_certificate_entries));
		/* "table": the bytes in the file (hex), "" when none of it is in the file; absent
		 * when it was too large to keep (then the file cannot be judged again) */
		if (pe->certificate_table_data)
			json_object_set_new(p, "table", jhex(pe->certificate_table_data, pe->certificate_table_data_len));
		else if (!pe->has_certificate_table || pe->certificate_table_offset >= r->size)
			json_object_set_new(p, "table", json_string(""));
		json_t *sigs = json_array();
		for (size_t i = 0; i < pe->n_signatures; i++) {
			const ps_signature *s = &pe->signatures[i];
			json_t *sj = json_object();
			json_object_set_new(sj, "computed", json_boolean(s->computed));
			if (s->computed) {
				json_object_set_new(sj, "digest", jhex(s->computed_digest, s->digest_len));
				json_object_set_new(sj, "section_digest", jhex(s->section_digest, s->digest_len));
			}
			json_object_set_new(sj, "digest_ok", json_boolean(s->digest_ok));
			json_object_set_new(sj, "section_digest_ok", json_boolean(s->section_digest_ok));
			json_object_set_new(sj, "pages_checked", json_boolean(s->page_hashes_checked));
			json_object_set_new(sj, "pages_ok", json_boolean(s->page_hashes_ok));
			json_object_set_new(sj, "page_mismatch", json_integer((json_int_t)s->page_hash_mismatch));
			json_array_append_new(sigs, sj);
		}
		json_object_set_new(p, "signatures", sigs);
		json_object_set_new(o, "pe", p);
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return PS_ENOMEM;
	*out = s;
	return PS_OK;
}

/* ------------------------------------------------------------------ rebuild */

static uint64_t ju(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v) : 0;
}

static bool jb(const json_t *o, const char *k) { return json_is_true(json_object_get(o, k)); }

/* A stored finding, recreated with its title, evidence and ATT&CK IDs. */
static void keep_finding(ps_findings *fs, const json_t *f)
{
	const char *id = json_string_value(json_object_get(f, "id"));
	const char *sev = json_string_value(json_object_get(f, "severity"));
	const char *title = json_string_value(json_object_get(f, "title"));
	if (!id || !sev)
		return;
	ps_severity sv = PS_SEV_INFO;
	for (int v = PS_SEV_INFO; v <= PS_SEV_CRITICAL; v++)
		if (!strcmp(sev, ps_severity_name((ps_severity)v)))
			sv = (ps_severity)v;
	ps_finding *nf = ps_find(fs, id, sv, "%s", title ? title : "");
	/* ps_find copies the ID only when it is one of ours; the stored one lives in the JSON */
	nf->id = ps_arena_strndup(fs->arena, id, strlen(id));
	if (!nf->id)
		nf->id = "PE-LIMIT-REACHED";
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(f, "evidence"), key, v)
	{
		if (json_is_string(v))
			ps_ev_str(nf, fs, key, json_string_value(v));
		else if (json_is_integer(v) && json_integer_value(v) >= 0)
			ps_ev_uint(nf, key, (uint64_t)json_integer_value(v));
		else if (json_is_integer(v))
			ps_ev_int(nf, key, json_integer_value(v));
		else if (json_is_boolean(v))
			ps_ev_bool(nf, key, json_is_true(v));
	}
	size_t i;
	json_array_foreach(json_object_get(f, "attack"), i, v)
		if (json_is_string(v))
			ps_attack(nf, json_string_value(v));
}

/* Copies the judgement's parts of the new report's JSON into the stored one. */
static char *merge_json(const char *stored, const ps_report *r)
{
	char *fresh = NULL;
	if (ps_report_json(&fresh, r, PS_JSON_DETAIL) != PS_OK)
		return NULL;
	json_error_t e;
	json_t *old = json_loads(stored, JSON_ALLOW_NUL, &e), *nu = json_loads(fresh, JSON_ALLOW_NUL, &e);
	free(fresh);
	char *out = NULL;
	if (json_is_object(old) && json_is_object(nu)) {
		static const char *const top[] = {"signatures", "findings", "verdict", "timeline", "@timestamp", "event"};
		for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
			json_t *v = json_object_get(nu, top[i]);
			if (v)
				json_object_set(old, top[i], v);
		}
		json_t *of = json_object_get(old, "file"), *nf = json_object_get(nu, "file");
		if (json_is_object(of) && json_is_object(nf) && json_object_get(nf, "code_signature"))
			json_object_set(of, "code_signature", json_object_get(nf, "code_signature"));
		out = json_dumps(old, JSON_COMPACT | JSON_ENSURE_ASCII);
	}
	json_decref(old);
	json_decref(nu);
	return out;
}

int ps_rejudge(ps_report **out, char **json_out, const char *facts, const char *stored_json,
               const ps_stored_string *strings, size_t n_strings, const char *path, const ps_options *opt)
{
	*out = NULL;
	if (json_out)
		*json_out = NULL;
	json_error_t e;
	json_t *fj = json_loads(facts ? facts : "", 0, &e);
	json_t *sj = json_loads(stored_json ? stored_json : "", JSON_ALLOW_NUL, &e);
	int rc = PS_OK;
	ps_arena *arena;
	ps_findings *fs;
	ps_pe *pe;
	ps_report *r = NULL;
	ps_sigplan sp;
	ps_sigplan_init(&sp);
	if (!json_is_object(fj) || ju(fj, "v") != FACTS_VERSION || !json_is_object(sj)) {
		rc = PS_EINVAL;
		goto done;
	}
	r = ps_report_alloc(&arena, &fs, &pe);
	if (!r) {
		rc = PS_ENOMEM;
		goto done;
	}
	r->path = path ? ps_arena_strndup(arena, path, strlen(path)) : NULL;
	r->size = ju(fj, "size");
	r->format = (ps_format)ju(fj, "format");
	r->format_detail = r->format == PS_FORMAT_PE ? "PE" : r->format == PS_FORMAT_MZ ? "MZ" : "unknown";
	json_t *h = json_object_get(fj, "hashes");
	if (ps_unhex(r->hashes.md5, 16, json_string_value(json_object_get(h, "md5"))) == 16)
		r->hashes.computed |= PS_HASH_MD5;
	if (ps_unhex(r->hashes.sha1, 20, json_string_value(json_object_get(h, "sha1"))) == 20)
		r->hashes.computed |= PS_HASH_SHA1;
	if (ps_unhex(r->hashes.sha256, 32, json_string_value(json_object_get(h, "sha256"))) == 32)
		r->hashes.computed |= PS_HASH_SHA256;

	/* the facts-of-the-bytes findings of the stored report */
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(sj, "findings"), i, f)
	{
		const char *id = json_string_value(json_object_get(f, "id"));
		if (id && !judged_id(id))
			keep_finding(fs, f);
	}

	json_t *pj = json_object_get(fj, "pe");
	ps_pectx c;
	memset(&c, 0, sizeof(c));
	c.pe = pe;
	c.arena = arena;
	c.fs = fs;
	if (json_is_object(pj)) {
		pe->pe32plus = jb(pj, "pe32plus");
		pe->coff.characteristics = (uint16_t)ju(pj, "characteristics");
		pe->coff.timedatestamp = (uint32_t)ju(pj, "coff_time");
		pe->has_repro = jb(pj, "repro");
		pe->rich.present = jb(pj, "rich");
		pe->clr.present = jb(pj, "clr");
		json_t *d = json_object_get(pj, "debug_times");
		size_t nd = json_array_size(d);
		if (nd) {
			ps_debug_entry *dv = ps_arena_array(arena, nd, sizeof(*dv));
			if (dv) {
				for (size_t k = 0; k < nd; k++)
					dv[k].timedatestamp = (uint32_t)json_integer_value(json_array_get(d, k));
				pe->debug = dv;
				pe->n_debug = nd;
			}
		}
		json_t *et = json_object_get(pj, "export_time");
		pe->exports.present = json_is_integer(et);
		pe->exports.timedatestamp = (uint32_t)json_integer_value(et);
		pe->n_resources = (size_t)ju(pj, "n_resources");
		pe->resource_timedatestamp = (uint32_t)ju(pj, "resource_time");
		json_t *vs = json_object_get(pj, "version");
		size_t nv = json_array_size(vs);
		if (nv) {
			ps_kv *kv = ps_arena_array(arena, nv, sizeof(*kv));
			if (kv) {
				for (size_t k = 0; k < nv; k++) {
					const char *key = json_string_value(json_array_get(json_array_get(vs, k), 0));
					const char *val = json_string_value(json_array_get(json_array_get(vs, k), 1));
					kv[k].key = key ? ps_arena_strndup(arena, key, strlen(key)) : NULL;
					kv[k].value = val ? ps_arena_strndup(arena, val, strlen(val)) : NULL;
				}
				pe->version.present = true;
				pe->version.strings = kv;
				pe->version.n_strings = nv;
			}
		}
		pe->has_certificate_table = jb(pj, "has_certificate_table");
		pe->certificate_table_offset = ju(pj, "table_offset");
		pe->certificate_table_size = ju(pj, "table_size");
		pe->n_certificate_entries = (unsigned)ju(pj, "table_entries");
		const char *tab = json_string_value(json_object_get(pj, "table"));
		if (pe->has_certificate_table && !tab) {
			rc = PS_EINVAL; /* too large to have been kept */
			goto done;
		}
		if (pe->has_certificate_table && tab && *tab) {
			size_t tl = strlen(tab) / 2;
			uint8_t *bytes = ps_arena_alloc(arena, tl ? tl : 1);
			if (!bytes || ps_unhex(bytes, tl, tab) != (long)tl) {
				rc = bytes ? PS_EINVAL : PS_ENOMEM;
				goto done;
			}
			/* The table parsed again on its own, at offset 0; its parse findings are facts,
			 * kept above from the stored report, so they go to a scratch list. */
			ps_findings scratch;
			ps_findings_init(&scratch, arena);
			ps_pe tp = *pe;
			tp.certificate_table_offset = 0;
			tp.certificate_table_in_file = tl >= pe->certificate_table_size;
			c.pe = &tp;
			c.fs = &scratch;
			c.data = bytes;
			c.len = tl;
			ps_rd_init(&c.file, bytes, tl, 0);
			ps_authenticode_parse(&c, &sp);
			c.pe = pe;
			c.fs = fs;
			json_t *sigs = json_object_get(pj, "signatures");
			if (json_array_size(sigs) != sp.sigs.n) {
				rc = PS_EINVAL; /* not the facts of this table */
				goto done;
			}
			ps_signature *sv = sp.sigs.v;
			for (size_t k = 0; k < sp.sigs.n; k++) {
				ps_signature *s = &sv[k];
				json_t *x = json_array_get(sigs, k);
				s->offset += pe->certificate_table_offset;
				s->computed = jb(x, "computed");
				if (s->computed) {
					ps_unhex(s->computed_digest, sizeof(s->computed_digest),
					         json_string_value(json_object_get(x, "digest")));
					ps_unhex(s->section_digest, sizeof(s->section_digest),
					         json_string_value(json_object_get(x, "section_digest")));
				}
				s->digest_ok = jb(x, "digest_ok");
				s->section_digest_ok = jb(x, "section_digest_ok");
				s->page_hashes_checked = jb(x, "pages_checked");
				s->page_hashes_ok = jb(x, "pages_ok");
				s->page_hash_mismatch = ju(x, "page_mismatch");
			}
			pe->signatures = sv;
			pe->n_signatures = sp.sigs.n;
		}
		ps_judge_signatures(&c, opt ? opt->trust : NULL);
		/* counts the judge compared, standing for arrays that were not rebuilt: the rendered
		 * report must not walk them (only its judgement parts are merged) */
		pe->n_resources = 0;
		pe->n_debug = 0;
		pe->debug = NULL;
		r->pe = pe;
	}
	if (opt && opt->iocs) {
		ps_ioc_file_findings(opt->iocs, r, r->pe, fs);
		for (size_t k = 0; k < n_strings; k++)
			ps_ioc_string_findings(opt->iocs, strings[k].text, strings[k].offset, strings[k].decoded, fs);
	}
	ps_report_set_findings(r);
	if (json_out) {
		*json_out = merge_json(stored_json, r);
		if (!*json_out)
			rc = PS_ENOMEM;
	}
done:
	/* the signatures live in the arena; only the plan's own arrays go */
	sp.sigs.v = NULL;
	sp.sigs.n = 0;
	ps_sigplan_free(&sp);
	json_decref(fj);
	json_decref(sj);
	if (rc) {
		ps_report_free(r);
		r = NULL;
		if (json_out) {
			free(*json_out);
			*json_out = NULL;
		}
	}
	*out = r;
	return rc;
}
