/* The corpus database (lib/db.c): schema and version checks, idempotent puts, paths vs files,
 * incremental checks, certs, pivots, read-only handles, and durability when the writer is
 * killed mid-batch. Reports come from PE images built by tests/support/pebuild.c; signatures
 * from synthetic ps_signature records attached to such reports (so that every assertion holds
 * without the signing toolchain) and, when tests/fixtures/make-signed.sh has been run, from
 * the real signed fixtures under build/fixtures. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "limits.h"
#include "pebuild.h"
#include "pesleuth.h"

/* ------------------------------------------------------------------ scratch directory */

typedef struct env {
	char dir[64];
	char db[96];
} env;

static int setup(void **state)
{
	env *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_db.XXXXXX");
	if (!mkdtemp(e->dir)) {
		free(e);
		return -1;
	}
	snprintf(e->db, sizeof(e->db), "%s/case.db", e->dir);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	env *e = *state;
	char p[128];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", e->db, sfx[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
	return 0;
}

/* ------------------------------------------------------------------ raw SQLite checks */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	return h;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *h = raw_open(path);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* The first column of the first row as text (caller frees), or NULL when there is no row. */
static char *raw_text(const char *path, const char *sql)
{
	sqlite3 *h = raw_open(path);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	char *v = NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *h = raw_open(path);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static const char *const tables[] = {
	"files", "sections", "certs", "signatures", "signature_certs", "timestamps", "strings", "paths",
	"judgements", "findings", "signature_judgements", "timestamp_judgements", "revocations",
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static void count_all(const char *path, int64_t out[N_TABLES])
{
	for (size_t i = 0; i < N_TABLES; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		out[i] = raw_int(path, sql);
	}
}

static void assert_counts_equal(const int64_t a[N_TABLES], const int64_t b[N_TABLES])
{
	for (size_t i = 0; i < N_TABLES; i++) {
		if (a[i] != b[i])
			fail_msg("table %s: %lld rows, expected %lld", tables[i], (long long)b[i], (long long)a[i]);
	}
}

static int64_t count_of(const char *path, const char *table)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return raw_int(path, sql);
}

static void assert_sound(const char *path)
{
	char *ic = raw_text(path, "PRAGMA integrity_check");
	assert_non_null(ic);
	assert_string_equal(ic, "ok");
	free(ic);
	char *fk = raw_text(path, "PRAGMA foreign_key_check");
	if (fk)
		fail_msg("foreign_key_check: a row of %s has no parent", fk);
}

/* ------------------------------------------------------------------ reports */

static void put_enc(pb_buf *b, const char *s, bool add, uint8_t k)
{
	pb_put8(b, k); /* an encoded NUL first, so that nothing before extends the string */
	for (size_t i = 0; i <= strlen(s); i++)
		pb_put8(b, add ? (uint8_t)(s[i] + k) : (uint8_t)(s[i] ^ k));
}

#define IP_URL "http://45.77.12.34/gate.php"
#define XOR_URL "http://83.166.234.250/panel/admin.php"
#define RUN_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\Run"

/* A small PE; `variant` changes its bytes (the COFF time stamp), `imports` which of two import
 * tables it has (two imphashes), `rich` adds a Rich header, `strings` network indicators and
 * XOR/ADD-encoded strings. */
static uint8_t *make_pe(unsigned variant, int imports, bool rich, bool strings, size_t *len)
{
	pb_image im;
	pb_init(&im, false);
	im.timedatestamp = 0x50000000u + variant;
	unsigned t = pb_add_section(&im, ".text", 0x60000020);
	pb_zero(&im.sections[t].data, 64);
	if (strings) {
		unsigned d = pb_add_section(&im, ".data", 0xC0000040);
		pb_buf *b = &im.sections[d].data;
		pb_zero(b, 16);
		pb_str(b, "connect to " IP_URL " now");
		pb_zero(b, 16);
		pb_str(b, "backup update.evil-domain.com server");
		pb_zero(b, 16);
		put_enc(b, XOR_URL, false, 0x5a);
		pb_zero(b, 16);
		put_enc(b, RUN_KEY, true, 0x13);
		pb_zero(b, 16);
	}
	unsigned r = pb_add_section(&im, ".rdata", 0x40000040);
	const char *a[] = {"KERNEL32.dll:GetProcAddress,LoadLibraryA", "USER32.dll:MessageBoxA"};
	const char *b[] = {"ADVAPI32.dll:RegSetValueExA", "WS2_32.dll:#23,connect"};
	pb_imports(&im, r, imports ? b : a, 2);
	if (rich)
		pb_rich(&im, false);
	uint8_t *buf = pb_build(&im, len);
	pb_image_free(&im);
	return buf;
}

static ps_report *analyze(const uint8_t *buf, size_t len, const char *name, unsigned hashes)
{
	ps_options o;
	ps_options_init(&o);
	o.hashes = hashes;
	ps_report *r = NULL;
	assert_int_equal(ps_analyze_buffer(&r, buf, len, name, &o), PS_OK);
	return r;
}

static ps_report *report_of(unsigned variant, int imports, bool rich, bool strings)
{
	size_t len;
	uint8_t *buf = make_pe(variant, imports, rich, strings, &len);
	ps_report *r = analyze(buf, len, NULL, 0);
	free(buf);
	return r;
}

/* A report with one synthetic signature attached: what the database must store from a signed
 * file, with exactly known certificates and times. The copy borrows the base report. */
typedef struct fake {
	ps_report r;
	ps_pe pe;
	ps_signature sig[2];
	ps_timestamp ts;
	const ps_cert *chain[3];
} fake;

static ps_cert cert_a, cert_b, cert_ca;
static const uint8_t der_a[] = {0x30, 0x03, 0x02, 0x01, 0x0a};
static const uint8_t der_b[] = {0x30, 0x03, 0x02, 0x01, 0x0b};
static const uint8_t der_ca[] = {0x30, 0x03, 0x02, 0x01, 0x0c};

#define T_A1 1705320000 /* 2024-01-15T12:00:00Z */
#define T_A2 1709999999
#define T_A3 1600000000

static void init_certs(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	ps_cert *cs[] = {&cert_a, &cert_b, &cert_ca};
	const uint8_t *ders[] = {der_a, der_b, der_ca};
	for (int i = 0; i < 3; i++) {
		ps_cert *c = cs[i];
		memset(c, 0, sizeof(*c));
		memset(c->sha1, 0xa0 + i, 20);
		memset(c->sha256, 0xb0 + i, 32);
		c->sha256[31] = (uint8_t)(0x10 + i); /* mixed digits for the case test */
		c->not_before = 1577836800; /* 2020-01-01 */
		c->not_after = 3786825600;  /* 2090-01-01 */
		c->key_type = "RSA";
		c->key_bits = 2048;
		c->der = ders[i];
		c->der_len = sizeof(der_a);
		c->issuer = "CN=Hunter Test CA,O=Example";
		c->serial = i == 0 ? "30a1" : i == 1 ? "30a2" : "01";
	}
	cert_a.subject = "CN=Hunter Test Signer,O=Example";
	cert_a.subject_cn = "Hunter Test Signer";
	cert_a.email = "Signer@Example.com";
	cert_a.has_eku = cert_a.eku_code_signing = true;
	cert_b.subject = "CN=Other Signer \xc3\xa9,O=Example"; /* é: UTF-8 from the model */
	cert_b.subject_cn = "Other Signer \xc3\xa9";
	cert_ca.subject = cert_ca.issuer;
	cert_ca.subject_cn = "Hunter Test CA";
	cert_ca.is_ca = cert_ca.self_issued = true;
}

static void fake_sig(ps_signature *s, unsigned index, const ps_cert *signer, int64_t signing_time)
{
	memset(s, 0, sizeof(*s));
	s->index = index;
	s->depth = index ? 1 : 0;
	s->parent = index ? 0 : -1;
	s->offset = 0x1000 + index * 0x100;
	s->parsed = true;
	s->digest_algorithm = "sha256";
	s->digest_len = 32;
	memset(s->signed_digest, 0x11, 32);
	memcpy(s->computed_digest, s->signed_digest, 32);
	memcpy(s->section_digest, s->signed_digest, 32);
	s->computed = s->digest_ok = s->section_digest_ok = s->entry_valid = true;
	s->signer_digest_algorithm = "sha256";
	s->content_type_ok = s->message_digest_ok = s->signature_ok = true;
	s->program_name = "pesleuth test";
	s->claimed_signing_time = PS_TIME_NONE;
	s->signer = signer;
	s->n_certs = 1;
	s->certs = signer;
	s->evaluated_at = signing_time == PS_TIME_NONE ? 1800000000 : signing_time;
	s->at_signing_time = signing_time != PS_TIME_NONE;
	s->signing_time = signing_time;
	s->valid = s->trusted = true;
	s->status = "Valid";
}

/* n signatures (1 or 2) by `signer`, at t0 (and t1 for the nested one). */
static void fake_signed(fake *f, const ps_report *base, const ps_cert *signer, int64_t t0, int nsig, int64_t t1)
{
	init_certs();
	memset(f, 0, sizeof(*f));
	f->r = *base;
	f->pe = *base->pe;
	f->r.pe = &f->pe;
	fake_sig(&f->sig[0], 0, signer, t0);
	if (nsig > 1)
		fake_sig(&f->sig[1], 1, signer, t1);
	f->chain[0] = signer;
	f->chain[1] = &cert_ca;
	f->sig[0].n_chain = 2;
	f->sig[0].chain = f->chain;
	if (t0 != PS_TIME_NONE) {
		f->ts.kind = PS_TS_RFC3161;
		f->ts.time = t0;
		f->ts.digest_algorithm = "sha256";
		f->ts.imprint_ok = f->ts.signature_ok = f->ts.chain_trusted = f->ts.verified = true;
		f->ts.tsa = &cert_ca;
		f->sig[0].n_timestamps = 1;
		f->sig[0].timestamps = &f->ts;
	}
	f->pe.n_signatures = (size_t)nsig;
	f->pe.signatures = f->sig;
	f->pe.primary = &f->sig[0];
	f->pe.signature_status = "Valid";
	f->pe.has_certificate_table = true;
}

static char *hexstr(char *dst, const uint8_t *p, size_t n, bool upper)
{
	for (size_t i = 0; i < n; i++)
		sprintf(dst + 2 * i, upper ? "%02X" : "%02x", p[i]);
	return dst;
}

static ps_db *open_db(const char *path, unsigned flags)
{
	ps_db *db = NULL;
	int rc = ps_db_open(&db, path, flags);
	if (rc != PS_OK)
		fail_msg("ps_db_open %s: %d %s", path, rc, ps_db_errmsg(db));
	return db;
}

static void put(ps_db *db, const ps_report *r, const char *path, const ps_db_filestat *st)
{
	int rc = ps_db_put(db, r, path, st);
	if (rc != PS_OK)
		fail_msg("ps_db_put %s: %d %s", path ? path : "(report path)", rc, ps_db_errmsg(db));
}

/* ------------------------------------------------------------------ pivot/certs collectors */

typedef struct hits {
	size_t n;
	char path[32][128];
	char sha[32][65];
} hits;

static int on_hit(void *ctx, const char *path, const char *sha256)
{
	hits *h = ctx;
	if (h->n < 32) {
		snprintf(h->path[h->n], sizeof(h->path[0]), "%s", path);
		snprintf(h->sha[h->n], sizeof(h->sha[0]), "%s", sha256);
	}
	h->n++;
	return 0;
}

static hits pivot(ps_db *db, const char *kv)
{
	hits h;
	memset(&h, 0, sizeof(h));
	int rc = ps_db_pivot(db, kv, on_hit, &h);
	if (rc != PS_OK)
		fail_msg("pivot %s: %d %s", kv, rc, ps_db_errmsg(db));
	return h;
}

/* Asserts the pivot's paths, in order: a space-separated list. */
static void assert_pivot(ps_db *db, const char *kv, const char *want)
{
	hits h = pivot(db, kv);
	char got[1024] = "";
	for (size_t i = 0; i < h.n && i < 32; i++) {
		const char *base = strrchr(h.path[i], '/');
		base = base ? base + 1 : h.path[i];
		size_t n = strlen(got);
		snprintf(got + n, sizeof(got) - n, "%s%s", n ? " " : "", base);
	}
	if (strcmp(got, want))
		fail_msg("pivot %s: got [%s], want [%s]", kv, got, want);
}

typedef struct certrow {
	char sha1[41], sha256[65], subject[128], email[64];
	uint64_t files;
	int64_t first, last, not_before;
	size_t der_len;
	uint8_t der[8];
} certrow;

typedef struct certlist {
	size_t n;
	certrow v[16];
} certlist;

static int on_cert(void *ctx, const ps_db_cert *c)
{
	certlist *l = ctx;
	if (l->n >= 16)
		return 0;
	certrow *r = &l->v[l->n++];
	snprintf(r->sha1, sizeof(r->sha1), "%s", c->sha1);
	snprintf(r->sha256, sizeof(r->sha256), "%s", c->sha256);
	snprintf(r->subject, sizeof(r->subject), "%s", c->subject ? c->subject : "");
	snprintf(r->email, sizeof(r->email), "%s", c->email ? c->email : "");
	r->files = c->files;
	r->first = c->first_signed;
	r->last = c->last_signed;
	r->not_before = c->not_before;
	r->der_len = c->der_len;
	memcpy(r->der, c->der, c->der_len < 8 ? c->der_len : 8);
	return 0;
}

static const certrow *cert_by_sha256(const certlist *l, const uint8_t sha[32])
{
	char h[65];
	hexstr(h, sha, 32, false);
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].sha256, h))
			return &l->v[i];
	return NULL;
}

/* ------------------------------------------------------------------ tests */

static void schema_created(void **state)
{
	env *e = *state;
	ps_db *db = open_db(e->db, 0);
	ps_db_close(db);
	assert_int_equal(raw_int(e->db, "PRAGMA user_version"), PS_DB_SCHEMA_VERSION);
	assert_int_equal(raw_int(e->db, "PRAGMA application_id"), 0x50534442);
	char *jm = raw_text(e->db, "PRAGMA journal_mode");
	assert_string_equal(jm, "wal");
	free(jm);
	for (size_t i = 0; i < N_TABLES; i++)
		assert_int_equal(count_of(e->db, tables[i]), 0);
	/* an index per pivot */
	const char *idx[] = {"certs_sha1", "certs_email", "signatures_signer", "files_imphash", "files_rich_hash",
	                     "paths_sha256", "strings_value"};
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", idx[i]);
		assert_int_equal(raw_int(e->db, sql), 1);
	}
	/* reopening keeps it; read-only too */
	db = open_db(e->db, 0);
	ps_db_close(db);
	db = open_db(e->db, PS_DB_READONLY);
	ps_db_close(db);
	assert_int_equal(raw_int(e->db, "PRAGMA user_version"), PS_DB_SCHEMA_VERSION);
	assert_sound(e->db);
}

static void refuses_newer_foreign_and_missing(void **state)
{
	env *e = *state;
	ps_db *db = open_db(e->db, 0);
	ps_db_close(db);
	raw_exec(e->db, "PRAGMA user_version = 99");
	db = NULL;
	assert_int_equal(ps_db_open(&db, e->db, 0), PS_EINVAL);
	assert_non_null(db);
	assert_non_null(strstr(ps_db_errmsg(db), "newer pesleuth"));
	/* a handle that failed to open refuses everything but errmsg and close */
	ps_report *r = report_of(30, 0, false, false);
	assert_int_equal(ps_db_put(db, r, "/c/x.exe", NULL), PS_EINVAL);
	assert_int_equal(ps_db_flush(db), PS_EINVAL);
	int same = 1;
	ps_db_filestat st = {0};
	assert_int_equal(ps_db_unchanged(db, "/c/x.exe", &st, &same), PS_EINVAL);
	assert_int_equal(same, 0);
	assert_int_equal(ps_db_pivot(db, "signer:x", on_hit, NULL), PS_EINVAL);
	ps_report_free(r);
	ps_db_close(db);
	assert_int_equal(ps_db_open(&db, e->db, PS_DB_READONLY), PS_EINVAL);
	assert_non_null(strstr(ps_db_errmsg(db), "newer pesleuth"));
	ps_db_close(db);
	assert_int_equal(raw_int(e->db, "PRAGMA user_version"), 99); /* untouched */

	/* someone else's SQLite file */
	char other[128];
	snprintf(other, sizeof(other), "%s/other.db", e->dir);
	raw_exec(other, "CREATE TABLE notes (x TEXT)");
	assert_int_equal(ps_db_open(&db, other, 0), PS_EINVAL);
	assert_non_null(strstr(ps_db_errmsg(db), "not a pesleuth database"));
	ps_db_close(db);
	assert_int_equal(raw_int(other, "SELECT count(*) FROM sqlite_master"), 1);
	unlink(other);

	/* not SQLite at all */
	FILE *f = fopen(other, "w");
	assert_non_null(f);
	fputs("this is not a database, just some text long enough to fill a header page ......\n", f);
	fclose(f);
	assert_int_equal(ps_db_open(&db, other, 0), PS_EIO);
	assert_true(ps_db_errmsg(db)[0] != '\0');
	ps_db_close(db);
	unlink(other);

	/* read-only: absent file, and an empty one */
	assert_int_equal(ps_db_open(&db, other, PS_DB_READONLY), PS_EIO);
	ps_db_close(db);
	f = fopen(other, "w");
	fclose(f);
	assert_int_equal(ps_db_open(&db, other, PS_DB_READONLY), PS_EINVAL);
	ps_db_close(db);
	unlink(other);

	assert_int_equal(ps_db_open(NULL, e->db, 0), PS_EINVAL);
	assert_string_equal(ps_db_errmsg(NULL), "out of memory");
	ps_db_close(NULL);
}

static void put_is_idempotent(void **state)
{
	env *e = *state;
	ps_report *plain = report_of(1, 0, true, true);
	ps_report *base = report_of(2, 1, false, false);
	fake signed1;
	fake_signed(&signed1, base, &cert_a, T_A1, 2, T_A2);
	ps_db_filestat st = {.size = plain->size, .inode = 11, .dev = 3, .mtime_ns = 1000, .ctime_ns = 2000};

	ps_db *db = open_db(e->db, 0);
	put(db, plain, "/c/one.exe", &st);
	put(db, &signed1.r, "/c/signed.exe", NULL);
	assert_int_equal(ps_db_flush(db), PS_OK);
	int64_t first[N_TABLES];
	count_all(e->db, first);

	/* what one put stores */
	assert_int_equal(count_of(e->db, "files"), 2);
	assert_int_equal(count_of(e->db, "paths"), 2);
	assert_int_equal(count_of(e->db, "judgements"), 2);
	assert_int_equal(count_of(e->db, "sections"), (int64_t)(plain->pe->n_sections + base->pe->n_sections));
	assert_int_equal(count_of(e->db, "findings"), (int64_t)(plain->n_findings + base->n_findings));
	assert_int_equal(count_of(e->db, "signatures"), 2);
	assert_int_equal(count_of(e->db, "signature_judgements"), 2);
	assert_int_equal(count_of(e->db, "timestamps"), 1);
	assert_int_equal(count_of(e->db, "timestamp_judgements"), 1);
	assert_int_equal(count_of(e->db, "certs"), 2);           /* signer + CA (chain and TSA) */
	assert_int_equal(count_of(e->db, "signature_certs"), 2); /* each signature's bag */
	/* strings from STR-NETWORK-INDICATORS and STR-XOR-ENCODED */
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM strings WHERE kind = 'url' AND value = '" IP_URL
	                                "' AND offset > 0"),
	                 1);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM strings WHERE kind = 'domain'"
	                                " AND value = 'update.evil-domain.com'"),
	                 1);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM strings WHERE kind = 'xor' AND value = '" XOR_URL
	                                "' AND method = 'xor' AND key = 90 AND wide = 0"),
	                 1);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM strings WHERE kind = 'xor' AND value = '" RUN_KEY
	                                "' AND method = 'add' AND key = 19"),
	                 1);
	assert_int_equal(count_of(e->db, "strings"), 4);
	/* facts vs judgement columns */
	char *v = raw_text(e->db, "SELECT verdict FROM judgements j JOIN paths p ON p.sha256 = j.file_sha256"
	                          " WHERE p.path = '/c/one.exe'");
	assert_string_equal(v, ps_report_verdict(plain));
	free(v);
	v = raw_text(e->db, "SELECT json_extract(report, '$.file.hash.sha256') = file_sha256 FROM judgements"
	                    " WHERE path = '/c/one.exe'");
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM findings WHERE id = 'STR-XOR-ENCODED' AND level = 3"
	                                " AND json_extract(evidence, '$.key') = 90"),
	                 1);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM signature_judgements WHERE signing_time = " "1705320000"
	                                " AND trusted = 1 AND status = 'Valid' AND json_array_length(chain) = 2"),
	                 1);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM files WHERE imphash IS NOT NULL AND rich_hash IS NOT NULL"
	                                " AND type = 'pe' AND primary_signature IS NULL"),
	                 1);

	/* the same reports again, and again after a reopen: no row more */
	put(db, plain, "/c/one.exe", &st);
	put(db, &signed1.r, "/c/signed.exe", NULL);
	ps_db_close(db);
	int64_t again[N_TABLES];
	count_all(e->db, again);
	assert_counts_equal(first, again);
	db = open_db(e->db, 0);
	put(db, &signed1.r, "/c/signed.exe", NULL);
	put(db, plain, "/c/one.exe", &st);
	ps_db_close(db);
	count_all(e->db, again);
	assert_counts_equal(first, again);

	/* facts extracted by another pesleuth version (here: an older one that saw fewer sections
	 * and no strings) are extracted again; the same version's are left alone */
	raw_exec(e->db, "PRAGMA foreign_keys = ON; UPDATE files SET facts_version = '0.0.1', md5 = NULL;"
	                " DELETE FROM sections WHERE idx > 0; DELETE FROM strings;"
	                " DELETE FROM findings; DELETE FROM revocations; DELETE FROM timestamp_judgements;"
	                " DELETE FROM signature_judgements; DELETE FROM signature_certs; DELETE FROM timestamps;"
	                " DELETE FROM signatures");
	assert_int_equal(count_of(e->db, "strings"), 0);
	db = open_db(e->db, 0);
	put(db, plain, "/c/one.exe", &st);
	put(db, &signed1.r, "/c/signed.exe", NULL);
	ps_db_close(db);
	count_all(e->db, again);
	assert_counts_equal(first, again);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM files WHERE facts_version = '" PESLEUTH_VERSION
	                                "' AND md5 IS NOT NULL"),
	                 2);
	raw_exec(e->db, "DELETE FROM sections WHERE idx > 0");
	db = open_db(e->db, 0);
	put(db, plain, "/c/one.exe", &st);
	ps_db_close(db);
	assert_int_equal(count_of(e->db, "sections"), first[1] - (int64_t)(plain->pe->n_sections - 1) -
	                                                   (int64_t)(base->pe->n_sections - 1));
	raw_exec(e->db, "UPDATE files SET facts_version = 'old'");
	db = open_db(e->db, 0);
	put(db, plain, "/c/one.exe", &st);
	put(db, &signed1.r, "/c/signed.exe", NULL);
	ps_db_close(db);
	count_all(e->db, again);
	assert_counts_equal(first, again);

	/* two paths, same bytes: one file, two paths; the judgement remembers the last path */
	db = open_db(e->db, 0);
	put(db, plain, "/c/copy-of-one.exe", &st);
	ps_db_close(db);
	count_all(e->db, again);
	for (size_t i = 0; i < N_TABLES; i++)
		assert_int_equal(again[i], first[i] + (strcmp(tables[i], "paths") ? 0 : 1));
	v = raw_text(e->db, "SELECT group_concat(path, ' ') FROM (SELECT path FROM paths WHERE sha256 ="
	                    " (SELECT sha256 FROM paths WHERE path = '/c/one.exe') ORDER BY path)");
	assert_string_equal(v, "/c/copy-of-one.exe /c/one.exe");
	free(v);
	v = raw_text(e->db, "SELECT j.path FROM judgements j JOIN paths p ON p.sha256 = j.file_sha256"
	                    " WHERE p.path = '/c/one.exe'");
	assert_string_equal(v, "/c/copy-of-one.exe");
	free(v);
	assert_sound(e->db);
	ps_report_free(plain);
	ps_report_free(base);
}

static void needs_sha256_and_a_path(void **state)
{
	env *e = *state;
	size_t len;
	uint8_t *buf = make_pe(7, 0, false, false, &len);
	ps_report *r = analyze(buf, len, NULL, PS_HASH_MD5 | PS_HASH_SHA1);
	assert_false(r->hashes.computed & PS_HASH_SHA256);
	ps_db *db = open_db(e->db, 0);
	assert_int_equal(ps_db_put(db, r, "/c/x.exe", NULL), PS_EINVAL);
	assert_non_null(strstr(ps_db_errmsg(db), "SHA-256"));
	ps_report_free(r);
	r = analyze(buf, len, NULL, 0);
	assert_int_equal(ps_db_put(db, r, NULL, NULL), PS_EINVAL); /* no path anywhere */
	ps_report_free(r);
	r = analyze(buf, len, "/c/named.exe", PS_HASH_SHA256); /* the report's own path */
	put(db, r, NULL, NULL);
	ps_report_free(r);
	assert_int_equal(ps_db_flush(db), PS_OK);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM files WHERE md5 IS NULL AND sha1 IS NULL"), 1);
	/* a later scan that computed more hashes adds them to the known facts */
	r = analyze(buf, len, NULL, PS_HASH_ALL);
	put(db, r, "/c/named.exe", NULL);
	char md5[33];
	hexstr(md5, r->hashes.md5, 16, false);
	ps_report_free(r);
	ps_db_close(db);
	free(buf);
	assert_int_equal(count_of(e->db, "files"), 1);
	char *v = raw_text(e->db, "SELECT path FROM paths");
	assert_string_equal(v, "/c/named.exe");
	free(v);
	v = raw_text(e->db, "SELECT md5 FROM files");
	assert_string_equal(v, md5);
	free(v);
}

static void incremental_unchanged(void **state)
{
	env *e = *state;
	ps_report *r = report_of(3, 0, false, false);
	ps_db_filestat st = {.size = r->size, .inode = 1234567, .dev = 0xfd01, .mtime_ns = 1700000000123456789,
	                     .ctime_ns = 1700000001000000000};
	ps_db *db = open_db(e->db, 0);
	int same = -1;
	assert_int_equal(ps_db_unchanged(db, "/c/a.exe", &st, &same), PS_OK);
	assert_int_equal(same, 0); /* unknown path */
	put(db, r, "/c/a.exe", &st);
	put(db, r, "/c/nostat.exe", NULL);
	/* this handle sees its own pending batch */
	assert_int_equal(ps_db_unchanged(db, "/c/a.exe", &st, &same), PS_OK);
	assert_int_equal(same, 1);
	/* another handle sees committed batches only */
	ps_db *ro = open_db(e->db, PS_DB_READONLY);
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &st, &same), PS_OK);
	assert_int_equal(same, 0);
	assert_int_equal(ps_db_flush(db), PS_OK);
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &st, &same), PS_OK);
	assert_int_equal(same, 1);

	ps_db_filestat d;
	d = st, d.size++;
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &d, &same), PS_OK);
	assert_int_equal(same, 0);
	d = st, d.mtime_ns++;
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &d, &same), PS_OK);
	assert_int_equal(same, 0);
	d = st, d.ctime_ns += 1000000000; /* timestomped: mtime put back, ctime moved */
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &d, &same), PS_OK);
	assert_int_equal(same, 0);
	d = st, d.inode++;
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &d, &same), PS_OK);
	assert_int_equal(same, 0);
	d = st, d.dev++;
	assert_int_equal(ps_db_unchanged(ro, "/c/a.exe", &d, &same), PS_OK);
	assert_int_equal(same, 0);
	assert_int_equal(ps_db_unchanged(ro, "/c/A.exe", &st, &same), PS_OK); /* paths are bytes */
	assert_int_equal(same, 0);
	assert_int_equal(ps_db_unchanged(ro, "/c/nostat.exe", &st, &same), PS_OK);
	assert_int_equal(same, 0);
	/* a path is bytes, not necessarily UTF-8 (Linux file names) */
	const char *raw_path = "/c/\xff\xfe-latin1-\xe9.exe";
	put(db, r, raw_path, &st);
	assert_int_equal(ps_db_unchanged(db, raw_path, &st, &same), PS_OK);
	assert_int_equal(same, 1);
	hits hp;
	memset(&hp, 0, sizeof(hp));
	char kv[80];
	snprintf(kv, sizeof(kv), "sha256:");
	hexstr(kv + 7, r->hashes.sha256, 32, false);
	assert_int_equal(ps_db_pivot(db, kv, on_hit, &hp), PS_OK);
	bool found = false;
	for (size_t i = 0; i < hp.n; i++)
		found |= !strcmp(hp.path[i], raw_path);
	assert_true(found);
	/* huge unsigned values round-trip */
	ps_db_filestat big = {.size = r->size, .inode = UINT64_MAX - 1, .dev = UINT64_MAX, .mtime_ns = -5, .ctime_ns = 0};
	put(db, r, "/c/big.exe", &big);
	assert_int_equal(ps_db_unchanged(db, "/c/big.exe", &big, &same), PS_OK);
	assert_int_equal(same, 1);
	/* a changed file put again at the same path: the path follows the new bytes */
	ps_report *r2 = report_of(4, 0, false, false);
	d = st, d.size = r2->size, d.mtime_ns += 5;
	put(db, r2, "/c/a.exe", &d);
	assert_int_equal(ps_db_unchanged(db, "/c/a.exe", &d, &same), PS_OK);
	assert_int_equal(same, 1);
	assert_int_equal(ps_db_unchanged(db, "/c/a.exe", &st, &same), PS_OK);
	assert_int_equal(same, 0);
	assert_int_equal(ps_db_unchanged(db, "/c/a.exe", NULL, &same), PS_EINVAL);
	ps_db_close(ro);
	ps_db_close(db);
	assert_int_equal(count_of(e->db, "files"), 2);
	assert_int_equal(count_of(e->db, "paths"), 4);
	assert_sound(e->db);
	ps_report_free(r);
	ps_report_free(r2);
}

static void certs_and_pivots(void **state)
{
	env *e = *state;
	ps_report *b1 = report_of(10, 0, true, false);  /* imphash A, rich */
	ps_report *b2 = report_of(11, 0, false, false); /* imphash A */
	ps_report *b3 = report_of(12, 1, true, true);   /* imphash B, rich, strings */
	ps_report *b4 = report_of(13, 1, false, false); /* imphash B */
	fake f1, f2, f3;
	fake_signed(&f1, b1, &cert_a, T_A1, 1, 0);           /* A at T_A1 */
	fake_signed(&f2, b2, &cert_a, T_A3, 2, T_A2);        /* A twice: T_A3 and (nested) T_A2 */
	fake_signed(&f3, b3, &cert_b, PS_TIME_NONE, 1, 0);   /* B, no trusted time */

	ps_db *db = open_db(e->db, 0);
	put(db, &f2.r, "/corpus/z/two.exe", NULL);
	put(db, &f1.r, "/corpus/b/one.exe", NULL);
	put(db, &f1.r, "/corpus/a/one-copy.exe", NULL);
	put(db, &f3.r, "/corpus/c/three.exe", NULL);
	put(db, b4, "/corpus/d/four.exe", NULL);
	assert_int_equal(ps_db_flush(db), PS_OK);

	certlist l;
	memset(&l, 0, sizeof(l));
	assert_int_equal(ps_db_certs(db, on_cert, &l), PS_OK);
	assert_int_equal(l.n, 3);
	const certrow *a = cert_by_sha256(&l, cert_a.sha256), *b = cert_by_sha256(&l, cert_b.sha256),
	              *ca = cert_by_sha256(&l, cert_ca.sha256);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(ca);
	assert_ptr_equal(a, &l.v[0]); /* most files first */
	assert_int_equal(a->files, 2); /* two files, three signatures */
	assert_int_equal(a->first, T_A3);
	assert_int_equal(a->last, T_A2);
	assert_string_equal(a->subject, cert_a.subject);
	assert_string_equal(a->email, "Signer@Example.com");
	assert_int_equal(a->not_before, cert_a.not_before);
	char h[65];
	assert_string_equal(a->sha1, hexstr(h, cert_a.sha1, 20, false));
	assert_int_equal(a->der_len, sizeof(der_a));
	assert_memory_equal(a->der, der_a, sizeof(der_a));
	assert_int_equal(b->files, 1);
	assert_int_equal(b->first, PS_TIME_NONE);
	assert_int_equal(b->last, PS_TIME_NONE);
	assert_string_equal(b->subject, cert_b.subject);
	assert_int_equal(ca->files, 0);
	assert_int_equal(ca->first, PS_TIME_NONE);
	/* pivots */
	char up1[128], mixed256[65];
	hexstr(up1, cert_a.sha1, 20, true);
	char colons[80];
	size_t k = 0;
	for (int i = 0; i < 20; i++)
		k += (size_t)sprintf(colons + k, i ? ":%02X" : "%02X", cert_a.sha1[i]);
	hexstr(mixed256, cert_a.sha256, 32, false);
	for (int i = 0; mixed256[i]; i += 2)
		if (mixed256[i] >= 'a')
			mixed256[i] = (char)(mixed256[i] - 'a' + 'A');
	char kv[256];
	snprintf(kv, sizeof(kv), "cert:%s", up1);
	assert_pivot(db, kv, "one-copy.exe one.exe two.exe");
	snprintf(kv, sizeof(kv), "cert:%s", colons);
	assert_pivot(db, kv, "one-copy.exe one.exe two.exe");
	snprintf(kv, sizeof(kv), "cert:%s", mixed256);
	assert_pivot(db, kv, "one-copy.exe one.exe two.exe");
	snprintf(kv, sizeof(kv), "cert:%s", hexstr(h, cert_b.sha256, 32, false));
	assert_pivot(db, kv, "three.exe");
	snprintf(kv, sizeof(kv), "cert:%s", hexstr(h, cert_ca.sha256, 32, false));
	assert_pivot(db, kv, ""); /* seen, but never a signer */
	assert_pivot(db, "signer:hunter TEST signer", "one-copy.exe one.exe two.exe");
	assert_pivot(db, "signer:O=Example", "one-copy.exe one.exe three.exe two.exe");
	assert_pivot(db, "signer:Other Signer \xc3\xa9", "three.exe");
	assert_pivot(db, "signer:nobody", "");
	assert_pivot(db, "email:signer@EXAMPLE.com", "one-copy.exe one.exe two.exe");
	assert_pivot(db, "email:signer@example.co", "");
	snprintf(kv, sizeof(kv), "imphash:%s", b1->pe->imphash);
	for (char *p = kv + strlen("imphash:"); *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_pivot(db, kv, "one-copy.exe one.exe two.exe");
	snprintf(kv, sizeof(kv), "imphash:%s", b3->pe->imphash);
	assert_pivot(db, kv, "three.exe four.exe");
	snprintf(kv, sizeof(kv), "rich:%s", hexstr(h, b1->pe->rich.hash_md5, 16, true));
	assert_pivot(db, kv, "one-copy.exe one.exe three.exe"); /* the same Rich header in b1 and b3 */
	snprintf(kv, sizeof(kv), "sha256:%s", hexstr(h, b1->hashes.sha256, 32, true));
	assert_pivot(db, kv, "one-copy.exe one.exe");
	hits hs = pivot(db, kv);
	assert_int_equal(hs.n, 2);
	assert_string_equal(hs.path[0], "/corpus/a/one-copy.exe");
	assert_string_equal(hs.sha[0], hexstr(h, b1->hashes.sha256, 32, false));
	assert_pivot(db, "string:" IP_URL, "three.exe");
	assert_pivot(db, "string:UPDATE.EVIL-DOMAIN.COM", "three.exe");
	assert_pivot(db, "string:" XOR_URL, "three.exe");

	/* errors */
	const char *bad[] = {"colour:red", "nokey", "cert:xyz", "cert:abcd", "signer:", "imphash:1234",
	                     "sha256:00", ":x", "CERT:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hits none;
		memset(&none, 0, sizeof(none));
		if (ps_db_pivot(db, bad[i], on_hit, &none) != PS_EINVAL)
			fail_msg("pivot %s: not refused", bad[i]);
		assert_true(ps_db_errmsg(db)[0] != '\0');
		assert_int_equal(none.n, 0);
	}
	hits none;
	memset(&none, 0, sizeof(none));
	assert_int_equal(ps_db_pivot(db, "colour:red", on_hit, &none), PS_EINVAL);
	assert_non_null(strstr(ps_db_errmsg(db), "KEY:VALUE"));
	ps_db_close(db);
	assert_sound(e->db);
	ps_report_free(b1);
	ps_report_free(b2);
	ps_report_free(b3);
	ps_report_free(b4);
}

static int stop_at_first(void *ctx, const ps_db_cert *c)
{
	(void)c;
	++*(int *)ctx;
	return 7;
}

static int reenter(void *ctx, const char *path, const char *sha256)
{
	(void)path;
	(void)sha256;
	ps_db *db = ctx;
	hits h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(ps_db_pivot(db, "signer:hunter", on_hit, &h), PS_EINVAL); /* busy */
	assert_non_null(strstr(ps_db_errmsg(db), "callback"));
	assert_int_equal(h.n, 0);
	return 0;
}

static void read_only_and_callbacks(void **state)
{
	env *e = *state;
	ps_report *b1 = report_of(20, 0, false, false);
	fake f1;
	fake_signed(&f1, b1, &cert_a, T_A1, 1, 0);
	ps_db *db = open_db(e->db, 0);
	put(db, &f1.r, "/c/s.exe", NULL);
	ps_db_close(db);
	int64_t before[N_TABLES];
	count_all(e->db, before);

	ps_db *ro = open_db(e->db, PS_DB_READONLY);
	ps_report *b2 = report_of(21, 0, false, false);
	assert_int_equal(ps_db_put(ro, b2, "/c/new.exe", NULL), PS_EINVAL);
	assert_non_null(strstr(ps_db_errmsg(ro), "read-only"));
	assert_int_equal(ps_db_put(ro, &f1.r, "/c/s.exe", NULL), PS_EINVAL);
	assert_int_equal(ps_db_flush(ro), PS_OK);
	assert_pivot(ro, "signer:hunter", "s.exe");
	int calls = 0;
	assert_int_equal(ps_db_certs(ro, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
	assert_int_equal(ps_db_pivot(ro, "signer:hunter", reenter, ro), PS_OK);
	ps_db_close(ro);
	int64_t after[N_TABLES];
	count_all(e->db, after);
	assert_counts_equal(before, after);
	assert_sound(e->db);
	ps_report_free(b1);
	ps_report_free(b2);
}

/* Kill the writer mid-batch (SIGKILL, nothing flushed), then re-run the whole scan. The lost
 * batch (255 puts) outgrows SQLite's page cache, so part of it already sits in the WAL without
 * a commit frame when the writer dies (TEST_DB_VERBOSE=1 shows the WAL ~0.8 MB larger than
 * after a kill right behind a commit): recovery must ignore those frames. */
#define DUR_FILES (2 * PS_DB_BATCH_FILES + 100)
#define DUR_KILL_AT (2 * PS_DB_BATCH_FILES - 1) /* the largest batch lost: 255 puts */

static int dur_put(ps_db *db, unsigned i)
{
	ps_report *r = report_of(1000 + i, (int)(i % 2), i % 3 == 0, i % 5 == 0);
	char path[64];
	snprintf(path, sizeof(path), "/evidence/%04u.exe", i);
	ps_db_filestat st = {.size = r->size, .inode = 5000 + i, .dev = 1, .mtime_ns = 1, .ctime_ns = 2};
	int rc;
	if (i % 4 == 1) {
		fake f;
		fake_signed(&f, r, i % 8 == 1 ? &cert_a : &cert_b, i % 8 == 1 ? T_A1 : PS_TIME_NONE, 1, 0);
		rc = ps_db_put(db, &f.r, path, &st);
	} else {
		rc = ps_db_put(db, r, path, &st);
	}
	ps_report_free(r);
	return rc;
}

static void durability_after_sigkill(void **state)
{
	env *e = *state;
	init_certs();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ps_db *db = NULL;
		if (ps_db_open(&db, e->db, 0) != PS_OK)
			_exit(3);
		for (unsigned i = 0; i < DUR_FILES; i++) {
			if (i == DUR_KILL_AT)
				raise(SIGKILL);
			if (dur_put(db, i) != PS_OK)
				_exit(4);
		}
		_exit(5); /* never reached */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the writer was not killed: status 0x%x", status);

	{
		char w[128];
		struct stat sb;
		snprintf(w, sizeof(w), "%s-wal", e->db);
		if (getenv("TEST_DB_VERBOSE") && stat(w, &sb) == 0)
			printf("wal after the kill: %lld bytes\n", (long long)sb.st_size);
	}
	/* the WAL still holds what was committed: sound, exactly the committed batch */
	assert_sound(e->db);
	assert_int_equal(count_of(e->db, "files"), PS_DB_BATCH_FILES);
	assert_int_equal(count_of(e->db, "paths"), PS_DB_BATCH_FILES);
	assert_int_equal(count_of(e->db, "judgements"), PS_DB_BATCH_FILES);
	char *last = raw_text(e->db, "SELECT max(path) FROM paths");
	char want[64];
	snprintf(want, sizeof(want), "/evidence/%04u.exe", PS_DB_BATCH_FILES - 1);
	assert_string_equal(last, want);
	free(last);

	/* the re-run completes it without a duplicate row */
	ps_db *db = open_db(e->db, 0);
	for (unsigned i = 0; i < DUR_FILES; i++)
		assert_int_equal(dur_put(db, i), PS_OK);
	ps_db_close(db);
	assert_sound(e->db);
	unsigned n_signed = 0, n_ts = 0, n_strings = 0;
	for (unsigned i = 0; i < DUR_FILES; i++) {
		n_signed += i % 4 == 1;
		n_ts += i % 8 == 1;
		n_strings += i % 5 == 0;
	}
	assert_int_equal(count_of(e->db, "files"), DUR_FILES);
	assert_int_equal(count_of(e->db, "paths"), DUR_FILES);
	assert_int_equal(count_of(e->db, "judgements"), DUR_FILES);
	assert_int_equal(count_of(e->db, "signatures"), n_signed);
	assert_int_equal(count_of(e->db, "signature_judgements"), n_signed);
	assert_int_equal(count_of(e->db, "signature_certs"), n_signed);
	assert_int_equal(count_of(e->db, "timestamps"), n_ts);
	assert_int_equal(count_of(e->db, "certs"), 3);
	assert_int_equal(count_of(e->db, "strings"), 4 * n_strings);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM judgements WHERE n_findings <>"
	                                " (SELECT count(*) FROM findings f WHERE f.file_sha256 = judgements.file_sha256)"),
	                 0);
	int64_t once[N_TABLES], twice[N_TABLES];
	count_all(e->db, once);
	db = open_db(e->db, 0);
	for (unsigned i = 0; i < DUR_FILES; i += 7)
		assert_int_equal(dur_put(db, i), PS_OK);
	ps_db_close(db);
	count_all(e->db, twice);
	assert_counts_equal(once, twice);
	/* batches: the pivot sees every file */
	db = open_db(e->db, PS_DB_READONLY);
	char kv[80];
	snprintf(kv, sizeof(kv), "cert:");
	hexstr(kv + 5, cert_b.sha1, 20, false);
	hits h = pivot(db, kv);
	assert_int_equal(h.n, n_signed - n_ts);
	ps_db_close(db);
}

/* ------------------------------------------------------------------ real signed fixtures */

static const char *fixtures_dir(void)
{
	static char dir[512];
	const char *env_dir = getenv("PESLEUTH_FIXTURES");
	const char *root = getenv("PESLEUTH_ROOT");
	const char *cands[4] = {env_dir, NULL, "build/fixtures", "build-asan/fixtures"};
	char rootfx[512];
	if (root) {
		snprintf(rootfx, sizeof(rootfx), "%s/build/fixtures", root);
		cands[1] = rootfx;
	}
	for (size_t i = 0; i < 4; i++) {
		if (!cands[i])
			continue;
		char probe[600];
		snprintf(probe, sizeof(probe), "%s/01-valid-ts.exe", cands[i]);
		if (access(probe, R_OK) == 0) {
			snprintf(dir, sizeof(dir), "%s", cands[i]);
			return dir;
		}
	}
	return NULL;
}

static ps_report *analyze_fixture(const char *dir, const char *name, const ps_trust *t)
{
	char p[700];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ps_options o;
	ps_options_init(&o);
	o.trust = t;
	ps_report *r = NULL;
	if (ps_analyze_path(&r, p, &o) != PS_OK)
		fail_msg("cannot analyze %s", p);
	return r;
}

static void signed_fixtures(void **state)
{
	env *e = *state;
	const char *fx = fixtures_dir();
	if (!fx) {
		printf("skipped: build/fixtures/01-valid-ts.exe absent (run make check once: tests/fixtures/make-signed.sh)\n");
		skip();
	}
	char p[700];
	ps_trust *t = NULL;
	assert_int_equal(ps_trust_new(&t), PS_OK);
	snprintf(p, sizeof(p), "%s/pki/root.pem", fx);
	assert_int_equal(ps_trust_add_ca_file(t, p), PS_OK);
	snprintf(p, sizeof(p), "%s/pki/tsaroot.pem", fx);
	assert_int_equal(ps_trust_add_ca_file(t, p), PS_OK);
	snprintf(p, sizeof(p), "%s/pki/crls", fx);
	assert_true(ps_trust_add_crls(t, p) > 0);

	const char *names[] = {"01-valid-ts.exe", "02-valid-nots.exe", "09-dual-sha1-sha256.exe",
	                       "05-untrusted-root.exe", "revocation/r09-carbanak-ts-2014-08-20.exe"};
	ps_report *r[5];
	ps_db *db = open_db(e->db, 0);
	for (size_t i = 0; i < 5; i++) {
		r[i] = analyze_fixture(fx, names[i], t);
		snprintf(p, sizeof(p), "%s/%s", fx, names[i]);
		put(db, r[i], p, NULL);
	}
	assert_int_equal(ps_db_flush(db), PS_OK);
	const ps_cert *leaf = r[0]->pe->primary->signer;
	assert_non_null(leaf);
	assert_int_equal(r[0]->pe->primary->signing_time, 1705320000);

	certlist l;
	memset(&l, 0, sizeof(l));
	assert_int_equal(ps_db_certs(db, on_cert, &l), PS_OK);
	const certrow *c = cert_by_sha256(&l, leaf->sha256);
	assert_non_null(c);
	assert_ptr_equal(c, &l.v[0]);
	assert_int_equal(c->files, 3);          /* 01, 02, 09 (two signatures) */
	assert_int_equal(c->first, 1705320000); /* TS */
	assert_int_equal(c->last, 1705323600);  /* TS+1h, the nested signature */
	assert_non_null(strstr(c->subject, "pesleuth Test Signer"));
	assert_int_equal(c->der_len, leaf->der_len);
	const certrow *u = cert_by_sha256(&l, r[3]->pe->primary->signer->sha256);
	assert_non_null(u);
	assert_int_equal(u->files, 1);
	bool inter_seen = false;
	for (size_t i = 0; i < l.n; i++)
		if (strstr(l.v[i].subject, "Test Code Signing CA")) {
			inter_seen = true;
			assert_int_equal(l.v[i].files, 0);
		}
	assert_true(inter_seen);

	char h[65], kv[96];
	snprintf(kv, sizeof(kv), "cert:%s", hexstr(h, leaf->sha1, 20, true));
	assert_pivot(db, kv, "01-valid-ts.exe 02-valid-nots.exe 09-dual-sha1-sha256.exe");
	assert_pivot(db, "signer:TEST SIGNER", "01-valid-ts.exe 02-valid-nots.exe 09-dual-sha1-sha256.exe");
	assert_pivot(db, "signer:carbanak", "r09-carbanak-ts-2014-08-20.exe");
	ps_db_close(db);

	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM signatures"), 6);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM timestamps WHERE kind = 'rfc3161' AND imprint_ok = 1"
	                                " AND signature_ok = 1 AND tsa_sha256 IS NOT NULL"),
	                 5); /* 01, 09 x2, 05, r09 */
	assert_true(raw_int(e->db, "SELECT count(*) FROM signature_certs") >= 10);
	/* the Carbanak case: signed after the revocation date */
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM revocations WHERE state = 'revoked'"
	                                " AND revocation_time = 1407196800 AND signed_after_revocation = 1 AND voids = 1"),
	                 1);
	char *v = raw_text(e->db, "SELECT group_concat(status) FROM (SELECT s.status FROM signature_judgements s"
	                          " JOIN paths p ON p.sha256 = s.file_sha256 WHERE p.path LIKE '%r09-%')");
	assert_string_equal(v, "Revoked");
	free(v);
	assert_int_equal(raw_int(e->db, "SELECT count(*) FROM findings WHERE id = 'CERT-SIGNED-AFTER-REVOCATION'"), 1);
	assert_sound(e->db);
	for (size_t i = 0; i < 5; i++)
		ps_report_free(r[i]);
	ps_trust_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(schema_created, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_newer_foreign_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(put_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(needs_sha256_and_a_path, setup, teardown),
		cmocka_unit_test_setup_teardown(incremental_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(certs_and_pivots, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_and_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(durability_after_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(signed_fixtures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
