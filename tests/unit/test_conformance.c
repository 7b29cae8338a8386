/* Conformance with the peers on ../shared/corpus (337 real and hostile files, reference values
 * from pefile et al. in expected.jsonl).
 *
 * For every file, the JSON that `show --json` prints (ps_report_json) is parsed back and its
 * fields compared with the reference: hashes (must be 100%), COFF machine, TimeDateStamp,
 * entry point RVA, section names / raw sizes / VAs, imphash, Rich hash, is_dll, subsystem,
 * OriginalFilename. At least 98% of all compared fields and 95% of each must agree, and every
 * disagreement must be listed (path | field | reason) in docs/CONFORMANCE.md — a stale entry
 * fails too, so the document stays true. Every file must also be analyzed quickly (a hang
 * detector: 1 s, or 10 s under sanitizers) and with bounded memory.
 *
 * Skips with a message when ../shared is absent.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include "pesleuth.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

enum { F_MD5, F_SHA1, F_SHA256, F_MACHINE, F_TIMESTAMP, F_ENTRY, F_SEC_NAMES, F_SEC_RAW, F_SEC_VA,
       F_IMPHASH, F_RICH, F_IS_DLL, F_SUBSYSTEM, F_ORIGFN, F_COUNT };
static const char *field_names[F_COUNT] = {
	"md5", "sha1", "sha256", "machine", "timedatestamp", "entry_point", "section_names",
	"section_raw_sizes", "section_vas", "imphash", "rich_hash", "is_dll", "subsystem",
	"original_file_name"};

typedef struct mismatch {
	char *path;
	int field;
} mismatch;

typedef struct exc {
	char *path, *field;
	int used;
} exc;

static const char *shared_dir(void)
{
	const char *s = getenv("PESLEUTH_SHARED");
	return s ? s : "../shared";
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* Rows "| `path` | field | reason |" of docs/CONFORMANCE.md's exception tables. */
static exc *load_exceptions(size_t *n_out)
{
	const char *root = getenv("PESLEUTH_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/CONFORMANCE.md", root ? root : ".");
	char *doc = read_file(path, NULL);
	exc *v = NULL;
	size_t n = 0, cap = 0;
	for (char *line = doc ? strtok(doc, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "| `", 3) != 0)
			continue;
		char *p = line + 3, *q = strchr(p, '`');
		if (!q)
			continue;
		*q = 0;
		char *f = strchr(q + 1, '|');
		if (!f)
			continue;
		f++;
		while (*f == ' ')
			f++;
		char *fe = f;
		while (*fe && *fe != ' ' && *fe != '|')
			fe++;
		*fe = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n].path = strdup(p);
		v[n].field = strdup(f);
		v[n].used = 0;
		n++;
	}
	free(doc);
	*n_out = n;
	return v;
}

static json_t *jget(json_t *o, const char *dotted)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", dotted);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

/* The reference is decoded with integers as reals (it holds u64 values beyond int64); every
 * value compared here is below 2^53, so the comparison is exact. */
static int int_eq(json_t *a, json_t *b)
{
	return json_is_number(a) && json_is_number(b) && json_number_value(a) == json_number_value(b);
}

/* Reference "null" and ours "null" agree; else strings must be equal. */
static int str_eq(json_t *ours, json_t *ref)
{
	if ((!ref || json_is_null(ref)) && (!ours || json_is_null(ours)))
		return 1;
	return json_is_string(ours) && json_is_string(ref) && !strcmp(json_string_value(ours), json_string_value(ref));
}

/* Our sections in table order; pefile's are sorted by VirtualAddress (stable). */
static json_t *sorted_sections(json_t *secs)
{
	size_t n = json_array_size(secs);
	json_t *out = json_array();
	int *used = calloc(n ? n : 1, sizeof(int));
	for (size_t k = 0; k < n; k++) {
		size_t best = n;
		json_int_t bv = 0;
		for (size_t i = 0; i < n; i++) {
			if (used[i])
				continue;
			json_int_t v = json_integer_value(json_object_get(json_array_get(secs, i), "virtual_address"));
			/* ours: integers, never above 2^32 here */
			if (best == n || v < bv) {
				best = i;
				bv = v;
			}
		}
		used[best] = 1;
		json_array_append(out, json_array_get(secs, best));
	}
	free(used);
	return out;
}

static int sections_eq(json_t *ours, json_t *ref, const char *ours_key, const char *ref_key, int as_string)
{
	if (json_array_size(ours) != json_array_size(ref))
		return 0;
	for (size_t i = 0; i < json_array_size(ref); i++) {
		json_t *a = json_object_get(json_array_get(ours, i), ours_key);
		json_t *b = json_object_get(json_array_get(ref, i), ref_key);
		if (as_string ? !str_eq(a, b) : !int_eq(a, b))
			return 0;
	}
	return 1;
}

static void corpus_conformance(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/expected.jsonl", shared_dir());
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("skipped: %s not found (../shared is absent); corpus conformance not checked\n", path);
		skip();
		return;
	}
	size_t n_exc = 0;
	exc *excs = load_exceptions(&n_exc);
	unsigned agree[F_COUNT] = {0}, total[F_COUNT] = {0};
	mismatch *mm = NULL;
	size_t n_mm = 0, cap_mm = 0, files = 0;
	double slowest = 0;
	char slowest_path[4096] = "";
	char *line = NULL;
	size_t lcap = 0;
	ssize_t ll;
	ps_options opt;
	ps_options_init(&opt);
	while ((ll = getline(&line, &lcap, f)) > 0) {
		json_error_t jerr;
		json_t *ref = json_loads(line, JSON_DECODE_INT_AS_REAL, &jerr); /* it holds u64 beyond int64 */
		if (!ref)
			fail_msg("expected.jsonl does not parse: %s", jerr.text);
		const char *rel = json_string_value(json_object_get(ref, "path"));
		char fpath[4096];
		snprintf(fpath, sizeof(fpath), "%s/corpus/%s", shared_dir(), rel);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ps_report *r = NULL;
		int rc = ps_analyze_path(&r, fpath, &opt);
		if (rc != PS_OK)
			fail_msg("%s: %s", rel, ps_strerror(rc));
		char *js = NULL;
		assert_int_equal(ps_report_json(&js, r, PS_JSON_DETAIL), PS_OK);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (dt > slowest) {
			slowest = dt;
			snprintf(slowest_path, sizeof(slowest_path), "%s", rel);
		}
		if (dt > (SANITIZED ? 10.0 : 1.0))
			fail_msg("%s took %.2f s (hang detector)", rel, dt);
		json_t *ours = json_loads(js, JSON_ALLOW_NUL, &jerr); /* section names may hold NULs */
		if (!ours)
			fail_msg("%s: our JSON does not parse: %s", rel, jerr.text);
		ps_report_free(r);
		free(js);
		files++;

		int ok[F_COUNT];
		int cmp[F_COUNT];
		memset(cmp, 0, sizeof(cmp));
		cmp[F_MD5] = cmp[F_SHA1] = cmp[F_SHA256] = 1;
		ok[F_MD5] = str_eq(jget(ours, "file.hash.md5"), json_object_get(ref, "md5"));
		ok[F_SHA1] = str_eq(jget(ours, "file.hash.sha1"), json_object_get(ref, "sha1"));
		ok[F_SHA256] = str_eq(jget(ours, "file.hash.sha256"), json_object_get(ref, "sha256"));
		if (json_is_true(json_object_get(ref, "is_pe"))) {
			json_t *pf = json_object_get(ref, "pefile");
			json_t *pe = jget(ours, "file.pe");
			for (int k = F_MACHINE; k < F_COUNT; k++)
				cmp[k] = 1;
			unsigned long mach = strtoul(json_string_value(json_object_get(pf, "machine")), NULL, 16);
			json_t *m = json_real((double)mach);
			ok[F_MACHINE] = int_eq(json_object_get(pe, "machine"), m);
			json_decref(m);
			ok[F_TIMESTAMP] = int_eq(json_object_get(pe, "timedatestamp"), json_object_get(pf, "timestamp"));
			ok[F_ENTRY] = int_eq(json_object_get(pe, "entry_point"), json_object_get(pf, "entry_point_rva"));
			json_t *secs = sorted_sections(json_object_get(pe, "sections"));
			json_t *rsecs = json_object_get(pf, "sections");
			ok[F_SEC_NAMES] = sections_eq(secs, rsecs, "name", "name", 1);
			ok[F_SEC_RAW] = sections_eq(secs, rsecs, "raw_size", "raw_size", 0);
			ok[F_SEC_VA] = sections_eq(secs, rsecs, "virtual_address", "virtual_address", 0);
			json_decref(secs);
			ok[F_IMPHASH] = str_eq(json_object_get(pe, "imphash"), json_object_get(pf, "imphash"));
			ok[F_RICH] = str_eq(json_object_get(pe, "rich_hash"), jget(pf, "rich_header.hash_md5"));
			ok[F_IS_DLL] = json_is_boolean(json_object_get(pe, "is_dll")) &&
			               json_boolean_value(json_object_get(pe, "is_dll")) ==
			                   json_boolean_value(json_object_get(pf, "is_dll"));
			ok[F_SUBSYSTEM] = int_eq(json_object_get(pe, "subsystem"), json_object_get(pf, "subsystem"));
			ok[F_ORIGFN] = str_eq(json_object_get(pe, "original_file_name"),
			                      jget(pf, "version_info.OriginalFilename"));
		}
		for (int k = 0; k < F_COUNT; k++) {
			if (!cmp[k])
				continue;
			total[k]++;
			if (ok[k]) {
				agree[k]++;
				continue;
			}
			if (n_mm == cap_mm) {
				cap_mm = cap_mm ? 2 * cap_mm : 64;
				mm = realloc(mm, cap_mm * sizeof(*mm));
			}
			mm[n_mm].path = strdup(rel);
			mm[n_mm].field = k;
			n_mm++;
		}
		json_decref(ours);
		json_decref(ref);
	}
	free(line);
	fclose(f);

	unsigned all_agree = 0, all_total = 0;
	printf("corpus conformance over %zu files (slowest %.3f s: %s):\n", files, slowest, slowest_path);
	for (int k = 0; k < F_COUNT; k++) {
		printf("  %-20s %4u / %4u  %6.2f%%\n", field_names[k], agree[k], total[k],
		       total[k] ? 100.0 * agree[k] / total[k] : 100.0);
		all_agree += agree[k];
		all_total += total[k];
	}
	printf("  %-20s %4u / %4u  %6.2f%%\n", "all fields", all_agree, all_total, 100.0 * all_agree / all_total);

	int undocumented = 0;
	for (size_t i = 0; i < n_mm; i++) {
		int found = 0;
		for (size_t e = 0; e < n_exc; e++)
			if (!strcmp(excs[e].path, mm[i].path) && !strcmp(excs[e].field, field_names[mm[i].field])) {
				excs[e].used = 1;
				found = 1;
			}
		if (!found) {
			printf("  UNDOCUMENTED disagreement: %s | %s\n", mm[i].path, field_names[mm[i].field]);
			undocumented++;
		}
	}
	int stale = 0;
	for (size_t e = 0; e < n_exc; e++) {
		int mine = 0;
		for (int k = 0; k < F_COUNT; k++)
			mine |= !strcmp(excs[e].field, field_names[k]);
		if (mine && !excs[e].used) {
			printf("  STALE entry in docs/CONFORMANCE.md (they agree now): %s | %s\n", excs[e].path, excs[e].field);
			stale++;
		}
	}
	printf("  %zu disagreements, all documented: %s\n", n_mm, undocumented ? "NO" : "yes");

	assert_int_equal(agree[F_MD5], total[F_MD5]);
	assert_int_equal(agree[F_SHA1], total[F_SHA1]);
	assert_int_equal(agree[F_SHA256], total[F_SHA256]);
	for (int k = 0; k < F_COUNT; k++)
		if (total[k] && agree[k] * 100 < total[k] * 95)
			fail_msg("field %s agrees on only %u of %u (< 95%%)", field_names[k], agree[k], total[k]);
	assert_true(all_agree * 100 >= all_total * 98);
	assert_int_equal(undocumented, 0);
	assert_int_equal(stale, 0);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak RSS %ld MiB\n", ru.ru_maxrss / 1024);
	if (!SANITIZED)
		assert_true(ru.ru_maxrss < 128 * 1024); /* KiB: bounded whatever the corpus holds */

	for (size_t i = 0; i < n_mm; i++)
		free(mm[i].path);
	free(mm);
	for (size_t e = 0; e < n_exc; e++) {
		free(excs[e].path);
		free(excs[e].field);
	}
	free(excs);
}

/* ------------------------------------------------------------ signatures */

static int64_t parse_utc(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s ? s : "");
	for (char *p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return d;
}

static json_t *analyze_json(const char *fpath, const ps_trust *t)
{
	ps_options opt;
	ps_options_init(&opt);
	opt.trust = t;
	opt.authentihash = 1;
	ps_report *r = NULL;
	if (ps_analyze_path(&r, fpath, &opt) != PS_OK)
		return NULL;
	char *js = NULL;
	json_t *j = NULL;
	if (ps_report_json(&js, r, PS_JSON_DETAIL) == PS_OK) {
		json_error_t e;
		j = json_loads(js, JSON_ALLOW_NUL, &e);
	}
	free(js);
	ps_report_free(r);
	return j;
}

static int all_trusted(json_t *ours)
{
	json_t *sigs = json_object_get(ours, "signatures");
	if (!json_array_size(sigs))
		return 0;
	for (size_t i = 0; i < json_array_size(sigs); i++)
		if (!json_is_true(json_object_get(json_array_get(sigs, i), "trusted")))
			return 0;
	return 1;
}

typedef struct tally {
	unsigned agree, total;
} tally;

static void count(tally *t, int ok) { t->total++, t->agree += ok != 0; }

/* One claim of upstream-claims.json about a file; returns 0 when it does not hold. */
static int claim_holds(const char *key, json_t *val, json_t *ours, json_t *ours_ms, char *why, size_t whylen)
{
	json_t *sigs = json_object_get(ours, "signatures");
	json_t *s0 = json_array_get(sigs, 0);
	json_t *ah = jget(ours, "file.pe.authentihash");
	snprintf(why, whylen, "%s", key);
	if (!strcmp(key, "authenticode_md5") || !strcmp(key, "authenticode_sha1") || !strcmp(key, "authenticode_sha256"))
		return str_eq(json_object_get(ah, key + strlen("authenticode_")), val);
	if (!strcmp(key, "digest_alg"))
		return str_eq(json_object_get(s0, "digest_algorithm"), val);
	if (!strcmp(key, "embedded_digest_sha1") || !strcmp(key, "embedded_digest"))
		return str_eq(json_object_get(s0, "signed_digest"), val);
	if (!strcmp(key, "certs")) { /* certificates of the first SignedData (uthenticode) */
		size_t n = json_array_size(json_object_get(s0, "certificates"));
		if (json_integer_value(val) == 2) /* the doctored duplicate: two entries, one cert each */
			n += json_array_size(json_object_get(json_array_get(sigs, 1), "certificates"));
		return (json_int_t)n == json_integer_value(val);
	}
	if (!strcmp(key, "signed"))
		return json_is_true(jget(ours, "file.code_signature.exists")) == json_is_true(val);
	if (!strcmp(key, "nested"))
		return (json_array_size(sigs) >= 2 &&
		        json_integer_value(json_object_get(json_array_get(sigs, 1), "depth")) == 1) == json_is_true(val);
	if (!strcmp(key, "nested_digest_alg"))
		return str_eq(json_object_get(json_array_get(sigs, 1), "digest_algorithm"), val);
	if (!strcmp(key, "nested_embedded_digest"))
		return str_eq(json_object_get(json_array_get(sigs, 1), "signed_digest"), val);
	if (!strcmp(key, "number_of_signatures") || !strcmp(key, "embedded_signatures"))
		return (json_int_t)json_array_size(sigs) == json_integer_value(val);
	if (!strcmp(key, "signer_subject")) { /* OpenSSL's /C=../CN=.. form: compare the CN */
		const char *cn = strstr(json_string_value(val), "/CN=");
		json_t *ours_cn = jget(ours, "file.code_signature.subject_name");
		return cn && json_is_string(ours_cn) && !strcmp(cn + 4, json_string_value(ours_cn));
	}
	if (!strcmp(key, "verified") || !strcmp(key, "uthenticode_verify")) {
		/* YARA's "verified" and uthenticode's verify(): the signature verifies against the
		 * file (no trust store involved) */
		int v = json_array_size(sigs) > 0;
		for (size_t i = 0; i < json_array_size(sigs); i++)
			v = v && json_is_true(json_object_get(json_array_get(sigs, i), "valid")) &&
			    !json_is_string(json_object_get(json_array_get(sigs, i), "parse_error"));
		if (!strcmp(key, "uthenticode_verify"))
			/* uthenticode also demands the codeSigning EKU and the section-method hash */
			for (size_t i = 0; i < json_array_size(sigs); i++) {
				json_t *si = json_array_get(sigs, i);
				v = v && json_is_true(json_object_get(si, "section_digest_ok")) &&
				    strcmp(json_string_value(json_object_get(si, "status")), "WrongUsage") != 0;
			}
		return v == json_is_true(val);
	}
	if (!strcmp(key, "signify_verify")) {
		const char *v = json_string_value(val);
		if (!strncmp(v, "valid", 5)) { /* cryptographically valid; trust needs AuthRoot's roots */
			for (size_t i = 0; i < json_array_size(sigs); i++)
				if (!json_is_true(json_object_get(json_array_get(sigs, i), "valid")))
					return 0;
			return json_array_size(sigs) > 0;
		}
		if (!strncmp(v, "invalid", 7)) /* and it must not be trusted, even with the MS roots */
			return !all_trusted(ours_ms);
		if (!strncmp(v, "not signed", 10))
			return !json_is_true(jget(ours, "file.code_signature.exists"));
		return 1;
	}
	if (!strcmp(key, "countersignature_signing_time")) {
		const char *want = json_string_value(val); /* 2019-12-11T08:40:17.750000Z */
		json_t *t = jget(json_array_get(sigs, 0), "timestamp.time");
		return json_is_string(t) && !strncmp(json_string_value(t), want, 19);
	}
	snprintf(why, whylen, "%s (not a signature claim)", key);
	return -1; /* not ours to check here */
}

static void signature_conformance(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/expected.jsonl", shared_dir());
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("skipped: %s not found (../shared is absent); signature conformance not checked\n", path);
		skip();
		return;
	}
	/* judge at the time the references were made: verdicts of unstamped signatures move
	 * with the clock (expiry) */
	snprintf(path, sizeof(path), "%s/corpus/expected.meta.json", shared_dir());
	json_error_t jerr;
	json_t *meta = json_load_file(path, 0, &jerr);
	int64_t when = parse_utc(json_string_value(json_object_get(meta, "generated_utc")));
	json_decref(meta);
	assert_true(when > 0);
	ps_trust *sys = NULL, *ms = NULL;
	assert_int_equal(ps_trust_new(&sys), PS_OK);
	assert_int_equal(ps_trust_new(&ms), PS_OK);
	assert_int_equal(ps_trust_add_system_anchors(sys), PS_OK);
	assert_int_equal(ps_trust_add_system_anchors(ms), PS_OK);
	snprintf(path, sizeof(path), "%s/corpus/extras/ralphje__signify/legacy-certs.pem", shared_dir());
	assert_int_equal(ps_trust_add_ca_file(ms, path), PS_OK);
	ps_trust_set_now(sys, when);
	ps_trust_set_now(ms, when);
	snprintf(path, sizeof(path), "%s/corpus/upstream-claims.json", shared_dir());
	json_t *claims = json_load_file(path, 0, &jerr);
	assert_non_null(claims);

	size_t n_exc = 0;
	exc *excs = load_exceptions(&n_exc);
	tally digest = {0}, v_sys = {0}, v_ms = {0}, claim = {0};
	int undocumented = 0;
	char *line = NULL;
	size_t lcap = 0;
	snprintf(path, sizeof(path), "%s/corpus/expected.jsonl", shared_dir());
	while (getline(&line, &lcap, f) > 0) {
		json_t *ref = json_loads(line, JSON_DECODE_INT_AS_REAL, &jerr);
		assert_non_null(ref);
		const char *rel = json_string_value(json_object_get(ref, "path"));
		json_t *o = json_object_get(ref, "osslsigncode");
		int signed_file = json_is_true(json_object_get(o, "has_signature")) ||
		                  json_number_value(jget(ref, "pefile.security_dir.size")) > 0;
		json_t *cl = json_object_get(claims, rel);
		if (!json_is_true(json_object_get(ref, "is_pe")) || (!signed_file && !cl)) {
			json_decref(ref);
			continue;
		}
		char fpath[4096];
		snprintf(fpath, sizeof(fpath), "%s/corpus/%s", shared_dir(), rel);
		json_t *ours = analyze_json(fpath, sys), *ours_ms = analyze_json(fpath, ms);
		assert_non_null(ours);
		assert_non_null(ours_ms);
		json_t *sigs = json_object_get(ours, "signatures");
		const char *problem[8];
		int np = 0;
		/* digests: osslsigncode per signature, else pesign's SHA-256 (section method) */
		json_t *osigs = json_object_get(o, "signatures");
		if (json_array_size(osigs)) {
			for (size_t i = 0; i < json_array_size(osigs); i++) {
				json_t *os = json_array_get(osigs, i);
				size_t idx = (size_t)json_number_value(json_object_get(os, "index"));
				char *want = lower_dup(json_string_value(json_object_get(os, "calculated_digest")));
				json_t *mine = json_object_get(json_array_get(sigs, idx), "computed_digest");
				int ok = json_is_string(mine) && !strcmp(json_string_value(mine), want);
				count(&digest, ok);
				if (!ok && np < 8)
					problem[np++] = "authenticode_digest";
				free(want);
			}
		} else if (signed_file && json_is_string(jget(ref, "pesign.sha256"))) {
			int ok = str_eq(jget(ours, "file.pe.authentihash.sha256_sections"), jget(ref, "pesign.sha256"));
			count(&digest, ok);
			if (!ok && np < 8)
				problem[np++] = "authenticode_digest";
		}
		if (signed_file) {
			int ok = all_trusted(ours) == !strcmp(json_string_value(json_object_get(o, "verdict")) ?: "", "Succeeded");
			count(&v_sys, ok);
			if (!ok && np < 8)
				problem[np++] = "verdict_system_roots";
			json_t *om = json_object_get(ref, "osslsigncode_ms_roots");
			if (json_is_string(json_object_get(om, "verdict"))) {
				ok = all_trusted(ours_ms) == !strcmp(json_string_value(json_object_get(om, "verdict")), "Succeeded");
				count(&v_ms, ok);
				if (!ok && np < 8)
					problem[np++] = "verdict_ms_roots";
			}
		}
		const char *k;
		json_t *v;
		json_object_foreach(cl, k, v) {
			if (!strcmp(k, "from") || !strcmp(k, "note") || !strcmp(k, "reason"))
				continue;
			char why[128];
			int h = claim_holds(k, v, ours, ours_ms, why, sizeof(why));
			if (h < 0)
				continue;
			count(&claim, h);
			if (!h)
				printf("  claim does not hold: %s | %s\n", rel, k);
			if (!h && np < 8)
				problem[np++] = "claim";
		}
		for (int i = 0; i < np; i++) {
			int found = 0;
			for (size_t e = 0; e < n_exc; e++)
				if (!strcmp(excs[e].path, rel) && !strcmp(excs[e].field, problem[i]))
					excs[e].used = found = 1;
			if (!found) {
				printf("  UNDOCUMENTED signature disagreement: %s | %s\n", rel, problem[i]);
				undocumented++;
			}
		}
		json_decref(ours);
		json_decref(ours_ms);
		json_decref(ref);
	}
	free(line);
	fclose(f);
	json_decref(claims);
	ps_trust_free(sys);
	ps_trust_free(ms);
	printf("signature conformance (judged at the reference time):\n");
	printf("  %-34s %3u / %3u\n", "Authenticode digest per signature", digest.agree, digest.total);
	printf("  %-34s %3u / %3u\n", "verdict vs osslsigncode (system)", v_sys.agree, v_sys.total);
	printf("  %-34s %3u / %3u\n", "verdict vs osslsigncode (+MS roots)", v_ms.agree, v_ms.total);
	printf("  %-34s %3u / %3u\n", "upstream claims", claim.agree, claim.total);
	static const char *mine[] = {"authenticode_digest", "verdict_system_roots", "verdict_ms_roots", "claim"};
	int stale = 0;
	for (size_t e = 0; e < n_exc; e++) {
		for (size_t k = 0; k < sizeof(mine) / sizeof(mine[0]); k++)
			if (!strcmp(excs[e].field, mine[k]) && !excs[e].used) {
				printf("  STALE entry in docs/CONFORMANCE.md (they agree now): %s | %s\n", excs[e].path, excs[e].field);
				stale++;
			}
		free(excs[e].path);
		free(excs[e].field);
	}
	free(excs);
	assert_int_equal(undocumented, 0);
	assert_int_equal(stale, 0);
	assert_true(digest.total >= 40);
	/* the digests are the hard requirement: every signature's, no exception */
	assert_int_equal(digest.agree, digest.total);
}

/* ps_analyze_fd (what scan uses for walked files) gives the report ps_analyze_path gives: for
 * every 10th corpus file and for one padded past PS_READ_WHOLE_MAX (the mapped path), read
 * from offset 0 whatever the descriptor's position, which it leaves open and where it was. */
static void same_report(const char *fpath, const ps_options *opt)
{
	ps_report *a = NULL, *b = NULL;
	assert_int_equal(ps_analyze_path(&a, fpath, opt), PS_OK);
	int fd = open(fpath, O_RDONLY);
	assert_true(fd >= 0);
	off_t end = lseek(fd, 0, SEEK_END);
	assert_int_equal(ps_analyze_fd(&b, fd, fpath, opt), PS_OK);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), end); /* still open, not moved */
	assert_int_equal(close(fd), 0);
	assert_string_equal(a->path, b->path);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->hashes.computed, b->hashes.computed);
	assert_memory_equal(&a->hashes, &b->hashes, sizeof(a->hashes));
	assert_int_equal(a->format, b->format);
	assert_int_equal(a->n_findings, b->n_findings);
	for (size_t i = 0; i < a->n_findings; i++)
		assert_string_equal(a->findings[i].id, b->findings[i].id);
	ps_report_free(a);
	ps_report_free(b);
}

static void analyze_fd_equals_path(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/expected.jsonl", shared_dir());
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("skipped: %s not found (../shared is absent)\n", path);
		skip();
		return;
	}
	ps_options opt;
	ps_options_init(&opt);
	opt.authentihash = 1;
	char *line = NULL, first[4096] = "";
	size_t lcap = 0, k = 0;
	while (getline(&line, &lcap, f) > 0) {
		json_t *ref = json_loads(line, JSON_DECODE_INT_AS_REAL, NULL);
		assert_non_null(ref);
		const char *rel = json_string_value(json_object_get(ref, "path"));
		if (rel && k++ % 10 == 0) {
			char fpath[4096];
			snprintf(fpath, sizeof(fpath), "%s/corpus/%s", shared_dir(), rel);
			same_report(fpath, &opt);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", fpath);
		}
		json_decref(ref);
	}
	free(line);
	fclose(f);
	assert_true(k > 100 && first[0]);
	/* the mapped path: a corpus file with a zero overlay up to 9 MiB */
	char big[] = "/tmp/ps-fd-XXXXXX";
	int out = mkstemp(big);
	assert_true(out >= 0);
	size_t n = 0;
	char *data = read_file(first, &n);
	assert_non_null(data);
	assert_int_equal(write(out, data, n), (ssize_t)n);
	free(data);
	assert_int_equal(ftruncate(out, 9 << 20), 0);
	assert_int_equal(close(out), 0);
	same_report(big, &opt);
	unlink(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(corpus_conformance), cmocka_unit_test(signature_conformance),
	                                   cmocka_unit_test(analyze_fd_equals_path)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
