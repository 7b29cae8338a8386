/* pesleuth CLI: the corpus database's questions — `certs` (every certificate seen, how many
 * files it signed, when, and its revocation under the trust options given now) and `pivot`
 * (the files sharing a certificate, signer, e-mail, imphash, Rich hash or content). Reads the
 * database only, never the files. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct certrec {
	char *sha1, *sha256, *subject, *issuer, *serial, *email;
	int64_t not_before, not_after, first_signed, last_signed;
	uint64_t files;
	uint8_t *der;
	size_t der_len;
} certrec;

typedef struct certlist {
	certrec *v;
	size_t n, cap;
	int oom;
} certlist;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

static int collect(void *ctx, const ps_db_cert *c)
{
	certlist *l = ctx;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		certrec *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv) {
			l->oom = 1;
			return 1;
		}
		l->v = nv;
		l->cap = nc;
	}
	certrec *r = &l->v[l->n];
	memset(r, 0, sizeof(*r));
	r->sha1 = dup0(c->sha1);
	r->sha256 = dup0(c->sha256);
	r->subject = dup0(c->subject);
	r->issuer = dup0(c->issuer);
	r->serial = dup0(c->serial);
	r->email = dup0(c->email);
	r->not_before = c->not_before;
	r->not_after = c->not_after;
	r->first_signed = c->first_signed;
	r->last_signed = c->last_signed;
	r->files = c->files;
	if (c->der && c->der_len && (r->der = malloc(c->der_len))) {
		memcpy(r->der, c->der, c->der_len);
		r->der_len = c->der_len;
	}
	l->n++;
	return 0;
}

static void iso(char *buf, size_t cap, int64_t t)
{
	char b[PS_TIME_ISO_SIZE];
	snprintf(buf, cap, "%s", ps_time_iso(b, t)[0] ? b : "-");
}

static json_t *jtime(int64_t t)
{
	char b[40];
	if (t == PS_TIME_NONE)
		return json_null();
	iso(b, sizeof(b), t);
	return json_string(b);
}

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }

/* "pesleuth: WHAT: the database's last error" on stderr. */
static void say_db_error(const char *what, const ps_db *db)
{
	fprintf(stderr, "pesleuth: %s: ", what);
	cli_put_escaped(stderr, ps_db_errmsg(db));
	fputc('\n', stderr);
}

/* Opens the database of --db, or says why not (the handle is closed then). */
static int open_db(const cli *c, unsigned flags, ps_db **db)
{
	*db = NULL;
	if (ps_db_open(db, c->db_path, flags) == PS_OK)
		return 0;
	fputs("pesleuth: --db ", stderr);
	cli_put_escaped(stderr, c->db_path);
	fprintf(stderr, ": %s\n", *db ? ps_db_errmsg(*db) : "cannot be opened");
	ps_db_close(*db);
	*db = NULL;
	return -1;
}

/* One JSON object on one line of stdout; the object is released. */
static void put_json_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

static const char *rev_name(int state)
{
	return state == PS_REV_REVOKED ? "revoked" : state == PS_REV_GOOD ? "good" : "unknown";
}

/* The revocation of l->v[i], trying as issuer every stored certificate named by its issuer
 * field (the first whose CRL verifies decides). */
static ps_cert_revocation revocation_of(const cli *c, const certlist *l, size_t i)
{
	ps_cert_revocation rv;
	const certrec *r = &l->v[i];
	ps_trust_cert_revocation(c->trust, r->der, r->der_len, NULL, 0, ps_trust_now(c->trust), &rv);
	if (!r->der || !r->issuer)
		return rv;
	for (size_t k = 0; k < l->n; k++) {
		const certrec *is = &l->v[k];
		if (k == i || !is->subject || !is->der || strcmp(is->subject, r->issuer))
			continue;
		ps_cert_revocation t;
		if (ps_trust_cert_revocation(c->trust, r->der, r->der_len, is->der, is->der_len, ps_trust_now(c->trust), &t) ==
		        PS_OK &&
		    (t.state != PS_REV_UNKNOWN || !rv.why)) {
			rv = t;
			if (t.state != PS_REV_UNKNOWN)
				break;
		}
	}
	return rv;
}

int cli_certs(cli *c)
{
	ps_db *db = NULL;
	if (open_db(c, PS_DB_READONLY, &db))
		return EXIT_USAGE;
	certlist l = {0};
	int rc = ps_db_certs(db, collect, &l);
	int ret = EXIT_RAN;
	if (l.oom) {
		fputs("pesleuth: certs: out of memory\n", stderr);
		ret = EXIT_USAGE;
	} else if (rc != PS_OK) {
		say_db_error("certs", db);
		ret = EXIT_USAGE;
	}
	if (!c->jsonl && !c->json && l.n)
		printf("%-5s %-20s %-20s %-8s %-40s %s\n", "files", "first signed", "last signed", "revoked", "sha1",
		       "subject");
	for (size_t i = 0; ret == EXIT_RAN && i < l.n; i++) {
		const certrec *r = &l.v[i];
		ps_cert_revocation rv = revocation_of(c, &l, i);
		if (c->jsonl || c->json) {
			json_t *o = json_object();
			json_object_set_new(o, "subject", jstr(r->subject));
			json_object_set_new(o, "issuer", jstr(r->issuer));
			json_object_set_new(o, "serial", jstr(r->serial));
			json_object_set_new(o, "sha1", jstr(r->sha1));
			json_object_set_new(o, "sha256", jstr(r->sha256));
			json_object_set_new(o, "email", jstr(r->email));
			json_object_set_new(o, "not_before", jtime(r->not_before));
			json_object_set_new(o, "not_after", jtime(r->not_after));
			json_object_set_new(o, "files", json_integer((json_int_t)r->files));
			json_object_set_new(o, "first_signed", jtime(r->first_signed));
			json_object_set_new(o, "last_signed", jtime(r->last_signed));
			json_t *rj = json_object();
			json_object_set_new(rj, "status", json_string(rev_name(rv.state)));
			json_object_set_new(rj, "revocation_time", jtime(rv.revocation_time));
			json_object_set_new(rj, "reason", rv.reason == PS_REASON_NONE ? json_null()
			                                                             : json_string(ps_crl_reason_name(rv.reason)));
			json_object_set_new(rj, "why", jstr(rv.why));
			json_object_set_new(o, "revocation", rj);
			put_json_line(o);
		} else {
			char a[40], b[40];
			iso(a, sizeof(a), r->first_signed);
			iso(b, sizeof(b), r->last_signed);
			char rb[40];
			if (rv.state == PS_REV_REVOKED)
				iso(rb, sizeof(rb), rv.revocation_time);
			else
				snprintf(rb, sizeof(rb), "%s", rv.state == PS_REV_GOOD ? "no" : "?");
			printf("%5llu %-20s %-20s %-8.20s %-40s ", (unsigned long long)r->files, a, b, rb, r->sha1 ? r->sha1 : "-");
			cli_put_escaped(stdout, r->subject ? r->subject : "-");
			putchar('\n');
		}
	}
	for (size_t i = 0; i < l.n; i++) {
		certrec *r = &l.v[i];
		free(r->sha1);
		free(r->sha256);
		free(r->subject);
		free(r->issuer);
		free(r->serial);
		free(r->email);
		free(r->der);
	}
	free(l.v);
	ps_db_close(db);
	return ret;
}

static int on_pivot(void *ctx, const char *path, const char *sha256)
{
	(void)ctx;
	printf("%s  ", sha256 ? sha256 : "-");
	cli_put_escaped(stdout, path);
	putchar('\n');
	return 0;
}

int cli_pivot(cli *c, const char *key_value)
{
	ps_db *db = NULL;
	if (open_db(c, PS_DB_READONLY, &db))
		return EXIT_USAGE;
	int rc = ps_db_pivot(db, key_value, on_pivot, c);
	int ret = EXIT_RAN;
	if (rc != PS_OK) {
		say_db_error("pivot", db);
		ret = EXIT_USAGE;
	}
	ps_db_close(db);
	return ret;
}

/* ------------------------------------------------------------------ rejudge */

typedef struct rj {
	cli *c;
	ps_db *w; /* the writer handle */
	uint64_t files, changed, failed;
} rj;

/* "ID:severity" of each finding, sorted, for comparing two judgements. */
static int finding_keys(char ***out, size_t *n, const ps_report *r)
{
	*out = NULL;
	*n = 0;
	char **v = calloc(r->n_findings ? r->n_findings : 1, sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < r->n_findings; i++) {
		if (asprintf(&v[i], "%s:%s", r->findings[i].id, ps_severity_name(r->findings[i].severity)) < 0) {
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return -1;
		}
	}
	qsort(v, r->n_findings, sizeof(*v), cmp_str);
	*out = v;
	*n = r->n_findings;
	return 0;
}

static int stored_keys(char ***out, size_t *n, const char *json)
{
	*out = NULL;
	*n = 0;
	json_error_t e;
	json_t *j = json_loads(json, JSON_ALLOW_NUL, &e);
	json_t *fs = json_object_get(j, "findings");
	size_t m = json_array_size(fs);
	char **v = calloc(m ? m : 1, sizeof(*v));
	if (!v) {
		json_decref(j);
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		json_t *f = json_array_get(fs, i);
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *sv = json_string_value(json_object_get(f, "severity"));
		if (id && sv && asprintf(&v[k], "%s:%s", id, sv) >= 0)
			k++;
	}
	json_decref(j);
	qsort(v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	return 0;
}

static void free_keys(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends to a (JSON array) or prints with prefix the keys of x not in y (both sorted). */
static void diff_keys(char **x, size_t nx, char **y, size_t ny, json_t *a, const char *prefix)
{
	size_t i = 0, k = 0;
	while (i < nx) {
		int c = k < ny ? strcmp(x[i], y[k]) : -1;
		if (c < 0) {
			if (a)
				json_array_append_new(a, json_string(x[i]));
			else
				printf(" %s%s", prefix, x[i]);
			i++;
		} else if (c > 0) {
			k++;
		} else {
			i++;
			k++;
		}
	}
}

static int on_judged(void *ctx, const ps_db_judged *j)
{
	rj *x = ctx;
	x->files++;
	ps_report *r = NULL;
	char *json = NULL;
	int rc = ps_rejudge(&r, &json, j->facts, j->report_json, j->strings, j->n_strings, j->path, &x->c->opt);
	if (rc != PS_OK) {
		x->failed++;
		fputs("pesleuth: rejudge: ", stderr);
		cli_put_escaped(stderr, j->path ? j->path : j->sha256);
		fprintf(stderr, ": %s\n", ps_strerror(rc));
		return 0;
	}
	char **a = NULL, **b = NULL;
	size_t na = 0, nb = 0;
	if (stored_keys(&a, &na, j->report_json) || finding_keys(&b, &nb, r)) {
		free_keys(a, na);
		ps_report_free(r);
		free(json);
		return 1;
	}
	const char *verdict = ps_report_verdict(r);
	bool same = j->verdict && !strcmp(j->verdict, verdict) && na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = !strcmp(a[i], b[i]);
	if (!same) {
		x->changed++;
		if (x->c->jsonl || x->c->json) {
			json_error_t e;
			json_t *o = json_loads(json, JSON_ALLOW_NUL, &e);
			if (o) {
				json_t *ch = json_object(), *added = json_array(), *removed = json_array();
				diff_keys(b, nb, a, na, added, NULL);
				diff_keys(a, na, b, nb, removed, NULL);
				json_object_set_new(ch, "verdict_before", jstr(j->verdict));
				json_object_set_new(ch, "findings_added", added);
				json_object_set_new(ch, "findings_removed", removed);
				json_object_set_new(o, "rejudge", ch);
				put_json_line(o);
			}
		} else {
			printf("%-8s -> %-8s ", j->verdict ? j->verdict : "?", verdict);
			cli_put_escaped(stdout, j->path ? j->path : j->sha256);
			diff_keys(b, nb, a, na, NULL, "+");
			diff_keys(a, na, b, nb, NULL, "-");
			putchar('\n');
		}
	}
	/* every judgement is replaced (revocation states, chains and times change without
	 * changing the verdict); only the changed files are printed */
	if (ps_db_put_judgement(x->w, r, j->path, json) != PS_OK) {
		say_db_error("rejudge: --db", x->w);
		x->failed++;
	}
	if (x->c->fail_on >= 0 && r->n_findings && (int)r->worst >= x->c->fail_on)
		x->c->failed_on = 1;
	free_keys(a, na);
	free_keys(b, nb);
	ps_report_free(r);
	free(json);
	return 0;
}

int cli_rejudge(cli *c)
{
	ps_db *ro = NULL, *w = NULL;
	/* read-only first: a database that does not exist is an error, not created */
	if (open_db(c, PS_DB_READONLY, &ro))
		return EXIT_USAGE;
	if (open_db(c, 0, &w)) {
		ps_db_close(ro);
		return EXIT_USAGE;
	}
	rj x = {.c = c, .w = w};
	int rc = ps_db_each_judged(ro, on_judged, &x);
	int ret = EXIT_RAN;
	if (rc != PS_OK) {
		say_db_error("rejudge", ro);
		ret = EXIT_USAGE;
	}
	ps_db_close(ro);
	if (ps_db_flush(w) != PS_OK) {
		say_db_error("rejudge: --db", w);
		ret = EXIT_USAGE;
	}
	ps_db_close(w);
	fprintf(stderr, "pesleuth: rejudged %llu files: %llu changed%s\n", (unsigned long long)x.files,
	        (unsigned long long)x.changed, x.failed ? ", some could not be judged again" : "");
	if (x.failed && ret == EXIT_RAN)
		ret = EXIT_USAGE;
	return ret;
}
