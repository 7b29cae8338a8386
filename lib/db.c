/* The corpus database (SQLite): facts keyed by SHA-256, paths, judgements; certs and pivots.
 * Schema and semantics: docs/DATABASE.md (keep the two in step).
 *
 * Every statement is prepared once at open (SQLITE_PREPARE_PERSISTENT) and reused; every value
 * is bound, never formatted into SQL. One put runs inside a savepoint of the batch transaction,
 * so a failed put leaves nothing half-written (a file row without its signatures would
 * otherwise read as complete facts).
 */
#include "pesleuth/db.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "names.h"
#include "pesleuth/analyze.h"
#include "pesleuth/error.h"
#include "pesleuth/output.h"
#include "pesleuth.h"
#include "text.h"

/* PRAGMA application_id: "PSDB". Tells our files from other SQLite files, so that --db
 * pointed at someone else's database refuses instead of adding tables to it. */
#define APP_ID 0x50534442

/* detect.c joins the indicators and the further XOR hits of the STR-* findings into
 * `char list[1024]` buffers; an item cut at that size is dropped rather than stored wrong. */
#define EVIDENCE_LIST_BYTES 1024u

static const char schema_sql[] =
	/* ------------------------------------------------------------ facts */
	"CREATE TABLE files ("
	" sha256 TEXT PRIMARY KEY NOT NULL,"
	" md5 TEXT, sha1 TEXT,"
	" size INTEGER NOT NULL,"
	" type TEXT NOT NULL,"
	" format_detail TEXT,"
	" machine INTEGER, architecture TEXT, is_dll INTEGER, subsystem INTEGER,"
	" timedatestamp INTEGER, reproducible INTEGER, entry_point INTEGER, image_base INTEGER,"
	" imphash TEXT, rich_hash TEXT,"
	" original_file_name TEXT, company TEXT, product TEXT, file_version TEXT, description TEXT,"
	" overlay_offset INTEGER, overlay_size INTEGER,"
	" checksum_stored INTEGER, checksum_computed INTEGER,"
	" authentihash_sha256 TEXT, dotnet INTEGER,"
	" has_certificate_table INTEGER NOT NULL, n_signatures INTEGER NOT NULL,"
	" primary_signature INTEGER,"
	" facts_version TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL);"
	"CREATE INDEX files_imphash ON files(imphash);"
	"CREATE INDEX files_rich_hash ON files(rich_hash);"
	"CREATE TABLE sections ("
	" file_sha256 TEXT NOT NULL REFERENCES files(sha256),"
	" idx INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" virtual_address INTEGER NOT NULL, virtual_size INTEGER NOT NULL,"
	" raw_offset INTEGER NOT NULL, raw_size INTEGER NOT NULL,"
	" characteristics INTEGER NOT NULL, entropy REAL,"
	" PRIMARY KEY (file_sha256, idx)) WITHOUT ROWID;"
	"CREATE TABLE certs ("
	" sha256 TEXT PRIMARY KEY NOT NULL,"
	" sha1 TEXT NOT NULL,"
	" subject TEXT, issuer TEXT, subject_cn TEXT, serial TEXT,"
	" email TEXT COLLATE NOCASE,"
	" not_before INTEGER, not_after INTEGER,"
	" key_type TEXT, key_bits INTEGER, self_issued INTEGER NOT NULL, is_ca INTEGER NOT NULL,"
	" eku TEXT, ku_digital_signature INTEGER,"
	" der BLOB NOT NULL);"
	"CREATE INDEX certs_sha1 ON certs(sha1);"
	"CREATE INDEX certs_email ON certs(email);"
	"CREATE TABLE signatures ("
	" file_sha256 TEXT NOT NULL REFERENCES files(sha256),"
	" idx INTEGER NOT NULL, entry INTEGER NOT NULL, depth INTEGER NOT NULL, parent INTEGER,"
	" offset INTEGER NOT NULL, parsed INTEGER NOT NULL, parse_error TEXT,"
	" digest_algorithm TEXT, signed_digest TEXT, computed_digest TEXT, digest_ok INTEGER NOT NULL,"
	" section_digest TEXT, section_digest_ok INTEGER NOT NULL, entry_valid INTEGER NOT NULL,"
	" page_hash_algorithm TEXT, page_hashes_checked INTEGER, page_hashes_ok INTEGER,"
	" signer_digest_algorithm TEXT, content_type_ok INTEGER NOT NULL,"
	" message_digest_ok INTEGER NOT NULL, signature_ok INTEGER NOT NULL,"
	" program_name TEXT, program_url TEXT, claimed_signing_time INTEGER,"
	" signer_sha256 TEXT REFERENCES certs(sha256),"
	" PRIMARY KEY (file_sha256, idx)) WITHOUT ROWID;"
	"CREATE INDEX signatures_signer ON signatures(signer_sha256);"
	"CREATE TABLE signature_certs ("
	" file_sha256 TEXT NOT NULL, sig_idx INTEGER NOT NULL,"
	" ts_idx INTEGER NOT NULL, pos INTEGER NOT NULL,"
	" cert_sha256 TEXT NOT NULL REFERENCES certs(sha256),"
	" PRIMARY KEY (file_sha256, sig_idx, ts_idx, pos),"
	" FOREIGN KEY (file_sha256, sig_idx) REFERENCES signatures(file_sha256, idx)) WITHOUT ROWID;"
	"CREATE INDEX signature_certs_cert ON signature_certs(cert_sha256);"
	"CREATE TABLE timestamps ("
	" file_sha256 TEXT NOT NULL, sig_idx INTEGER NOT NULL, ts_idx INTEGER NOT NULL,"
	" kind TEXT NOT NULL, time INTEGER, digest_algorithm TEXT,"
	" imprint_ok INTEGER NOT NULL, signature_ok INTEGER NOT NULL,"
	" tsa_sha256 TEXT REFERENCES certs(sha256),"
	" PRIMARY KEY (file_sha256, sig_idx, ts_idx),"
	" FOREIGN KEY (file_sha256, sig_idx) REFERENCES signatures(file_sha256, idx)) WITHOUT ROWID;"
	"CREATE INDEX timestamps_tsa ON timestamps(tsa_sha256);"
	"CREATE TABLE strings ("
	" file_sha256 TEXT NOT NULL REFERENCES files(sha256),"
	" kind TEXT NOT NULL, value TEXT NOT NULL COLLATE NOCASE, offset INTEGER NOT NULL,"
	" method TEXT, key INTEGER, wide INTEGER,"
	" PRIMARY KEY (file_sha256, kind, offset, value)) WITHOUT ROWID;"
	"CREATE INDEX strings_value ON strings(value);"
	/* what a judgement reads, for re-judgement without the file (ps_report_judge_facts) */
	"CREATE TABLE judge_facts ("
	" file_sha256 TEXT PRIMARY KEY NOT NULL REFERENCES files(sha256),"
	" facts TEXT NOT NULL);"
	/* ------------------------------------------------------------ where files were seen */
	"CREATE TABLE paths ("
	" path TEXT PRIMARY KEY NOT NULL,"
	" sha256 TEXT NOT NULL REFERENCES files(sha256),"
	" size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER, dev INTEGER,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
	"CREATE INDEX paths_sha256 ON paths(sha256);"
	/* ------------------------------------------------------------ judgement */
	"CREATE TABLE judgements ("
	" file_sha256 TEXT PRIMARY KEY NOT NULL REFERENCES files(sha256),"
	" path TEXT,"
	" verdict TEXT NOT NULL, worst TEXT NOT NULL, worst_level INTEGER NOT NULL,"
	" signature_status TEXT NOT NULL, signed INTEGER NOT NULL, valid INTEGER NOT NULL,"
	" trusted INTEGER NOT NULL, signing_time INTEGER,"
	" n_findings INTEGER NOT NULL, judged_at INTEGER NOT NULL,"
	" report TEXT NOT NULL);"
	"CREATE INDEX judgements_worst ON judgements(worst_level);"
	"CREATE TABLE findings ("
	" file_sha256 TEXT NOT NULL REFERENCES judgements(file_sha256),"
	" pos INTEGER NOT NULL, id TEXT NOT NULL, severity TEXT NOT NULL, level INTEGER NOT NULL,"
	" title TEXT NOT NULL, evidence TEXT NOT NULL, attack TEXT NOT NULL,"
	" PRIMARY KEY (file_sha256, pos)) WITHOUT ROWID;"
	"CREATE INDEX findings_id ON findings(id);"
	"CREATE TABLE signature_judgements ("
	" file_sha256 TEXT NOT NULL REFERENCES judgements(file_sha256), sig_idx INTEGER NOT NULL,"
	" evaluated_at INTEGER, at_signing_time INTEGER NOT NULL, signing_time INTEGER,"
	" blocklisted INTEGER NOT NULL, valid INTEGER NOT NULL, trusted INTEGER NOT NULL, status TEXT,"
	" chain TEXT NOT NULL,"
	" PRIMARY KEY (file_sha256, sig_idx),"
	" FOREIGN KEY (file_sha256, sig_idx) REFERENCES signatures(file_sha256, idx)) WITHOUT ROWID;"
	"CREATE TABLE timestamp_judgements ("
	" file_sha256 TEXT NOT NULL REFERENCES judgements(file_sha256), sig_idx INTEGER NOT NULL,"
	" ts_idx INTEGER NOT NULL, chain_trusted INTEGER NOT NULL, verified INTEGER NOT NULL,"
	" chain_error TEXT, chain TEXT NOT NULL,"
	" PRIMARY KEY (file_sha256, sig_idx, ts_idx),"
	" FOREIGN KEY (file_sha256, sig_idx, ts_idx) REFERENCES timestamps(file_sha256, sig_idx, ts_idx))"
	" WITHOUT ROWID;"
	"CREATE TABLE revocations ("
	" file_sha256 TEXT NOT NULL REFERENCES judgements(file_sha256), sig_idx INTEGER NOT NULL,"
	" pos INTEGER NOT NULL, cert_sha256 TEXT REFERENCES certs(sha256), tsa INTEGER NOT NULL,"
	" state TEXT NOT NULL, revocation_time INTEGER, reason INTEGER, reason_name TEXT,"
	" invalidity_date INTEGER, crl_issuer TEXT, crl_this_update INTEGER, crl_next_update INTEGER,"
	" judged_at INTEGER, signed_after_revocation INTEGER NOT NULL, voids INTEGER NOT NULL,"
	" PRIMARY KEY (file_sha256, sig_idx, pos),"
	" FOREIGN KEY (file_sha256, sig_idx) REFERENCES signatures(file_sha256, idx)) WITHOUT ROWID;"
	"CREATE INDEX revocations_cert ON revocations(cert_sha256);";

enum {
	S_BEGIN, S_COMMIT, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_FILE_EXISTS, S_INS_FILE, S_FILL_HASHES, S_DEL_SECTIONS, S_DEL_SIGCERTS, S_DEL_TS, S_DEL_STRINGS,
	S_DEL_SIGS, S_DEL_JFACTS, S_INS_JFACTS, S_EACH, S_EACH_STRINGS, S_INS_SECTION, S_INS_CERT, S_INS_SIG, S_INS_SIGCERT, S_INS_TS,
	S_INS_STRING, S_UPSERT_PATH,
	S_UPSERT_JUDGEMENT, S_DEL_FINDINGS, S_DEL_SIGJ, S_DEL_TSJ, S_DEL_REV, S_INS_FINDINGS,
	S_INS_SIGJ, S_INS_TSJ, S_INS_REV,
	S_UNCHANGED, S_CERTS,
	S_PIVOT_CERT, S_PIVOT_SIGNER, S_PIVOT_EMAIL, S_PIVOT_IMPHASH, S_PIVOT_RICH, S_PIVOT_SHA256,
	S_PIVOT_STRING,
	S_COUNT
};

#define PIVOT_PATHS " JOIN paths p ON p.sha256 = s.file_sha256"
#define PIVOT_SIGNERS \
	"SELECT DISTINCT p.path, p.sha256 FROM certs c JOIN signatures s ON s.signer_sha256 = c.sha256" PIVOT_PATHS

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT put",
	[S_RELEASE] = "RELEASE put",
	[S_ROLLBACK_TO] = "ROLLBACK TO put",
	[S_FILE_EXISTS] = "SELECT facts_version FROM files WHERE sha256 = ?",
	/* New facts, or facts extracted again by another pesleuth version (first_seen stays; a
	 * hash the earlier scan did not compute is kept when this one did not either). */
	[S_INS_FILE] = "INSERT INTO files (sha256, md5, sha1, size, type, format_detail, machine,"
	               " architecture, is_dll, subsystem, timedatestamp, reproducible, entry_point, image_base,"
	               " imphash, rich_hash, original_file_name, company, product, file_version, description,"
	               " overlay_offset, overlay_size, checksum_stored, checksum_computed, authentihash_sha256,"
	               " dotnet, has_certificate_table, n_signatures, primary_signature, facts_version, first_seen)"
	               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	               " ON CONFLICT (sha256) DO UPDATE SET md5 = coalesce(excluded.md5, files.md5),"
	               " sha1 = coalesce(excluded.sha1, files.sha1), size = excluded.size, type = excluded.type,"
	               " format_detail = excluded.format_detail, machine = excluded.machine,"
	               " architecture = excluded.architecture, is_dll = excluded.is_dll, subsystem = excluded.subsystem,"
	               " timedatestamp = excluded.timedatestamp, reproducible = excluded.reproducible,"
	               " entry_point = excluded.entry_point, image_base = excluded.image_base,"
	               " imphash = excluded.imphash, rich_hash = excluded.rich_hash,"
	               " original_file_name = excluded.original_file_name, company = excluded.company,"
	               " product = excluded.product, file_version = excluded.file_version,"
	               " description = excluded.description, overlay_offset = excluded.overlay_offset,"
	               " overlay_size = excluded.overlay_size, checksum_stored = excluded.checksum_stored,"
	               " checksum_computed = excluded.checksum_computed,"
	               " authentihash_sha256 = coalesce(excluded.authentihash_sha256, files.authentihash_sha256),"
	               " dotnet = excluded.dotnet, has_certificate_table = excluded.has_certificate_table,"
	               " n_signatures = excluded.n_signatures, primary_signature = excluded.primary_signature,"
	               " facts_version = excluded.facts_version",
	/* Known facts: only hashes an earlier scan did not compute (--hashes) are added. */
	[S_FILL_HASHES] = "UPDATE files SET md5 = coalesce(md5, ?2), sha1 = coalesce(sha1, ?3),"
	                  " authentihash_sha256 = coalesce(authentihash_sha256, ?4)"
	                  " WHERE sha256 = ?1 AND (md5 IS NULL OR sha1 IS NULL OR authentihash_sha256 IS NULL)",
	[S_DEL_SECTIONS] = "DELETE FROM sections WHERE file_sha256 = ?",
	[S_DEL_SIGCERTS] = "DELETE FROM signature_certs WHERE file_sha256 = ?",
	[S_DEL_TS] = "DELETE FROM timestamps WHERE file_sha256 = ?",
	[S_DEL_STRINGS] = "DELETE FROM strings WHERE file_sha256 = ?",
	[S_DEL_SIGS] = "DELETE FROM signatures WHERE file_sha256 = ?",
	[S_DEL_JFACTS] = "DELETE FROM judge_facts WHERE file_sha256 = ?",
	[S_INS_JFACTS] = "INSERT OR REPLACE INTO judge_facts (file_sha256, facts) VALUES (?,?)",
	[S_EACH] = "SELECT j.file_sha256, j.path, j.verdict, j.report, f.facts FROM judgements j"
	           " JOIN judge_facts f ON f.file_sha256 = j.file_sha256 ORDER BY j.path, j.file_sha256",
	[S_EACH_STRINGS] = "SELECT value, offset, kind = 'xor' FROM strings WHERE file_sha256 = ? ORDER BY offset",
	[S_INS_SECTION] = "INSERT OR IGNORE INTO sections (file_sha256, idx, name, virtual_address, virtual_size,"
	                  " raw_offset, raw_size, characteristics, entropy) VALUES (?,?,?,?,?,?,?,?,?)",
	[S_INS_CERT] = "INSERT OR IGNORE INTO certs (sha256, sha1, subject, issuer, subject_cn, serial, email,"
	               " not_before, not_after, key_type, key_bits, self_issued, is_ca, eku, ku_digital_signature,"
	               " der) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_INS_SIG] = "INSERT OR IGNORE INTO signatures (file_sha256, idx, entry, depth, parent, offset, parsed,"
	              " parse_error, digest_algorithm, signed_digest, computed_digest, digest_ok, section_digest,"
	              " section_digest_ok, entry_valid, page_hash_algorithm, page_hashes_checked, page_hashes_ok,"
	              " signer_digest_algorithm, content_type_ok, message_digest_ok, signature_ok, program_name,"
	              " program_url, claimed_signing_time, signer_sha256)"
	              " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_INS_SIGCERT] = "INSERT OR IGNORE INTO signature_certs (file_sha256, sig_idx, ts_idx, pos, cert_sha256)"
	                  " VALUES (?,?,?,?,?)",
	[S_INS_TS] = "INSERT OR IGNORE INTO timestamps (file_sha256, sig_idx, ts_idx, kind, time, digest_algorithm,"
	             " imprint_ok, signature_ok, tsa_sha256) VALUES (?,?,?,?,?,?,?,?,?)",
	[S_INS_STRING] = "INSERT OR IGNORE INTO strings (file_sha256, kind, value, offset, method, key, wide)"
	                 " VALUES (?,?,?,?,?,?,?)",
	[S_UPSERT_PATH] = "INSERT INTO paths (path, sha256, size, mtime_ns, ctime_ns, inode, dev, first_seen, last_seen)"
	                  " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8) ON CONFLICT (path) DO UPDATE SET"
	                  " sha256 = excluded.sha256, size = excluded.size, mtime_ns = excluded.mtime_ns,"
	                  " ctime_ns = excluded.ctime_ns, inode = excluded.inode, dev = excluded.dev,"
	                  " last_seen = excluded.last_seen",
	[S_UPSERT_JUDGEMENT] = "INSERT INTO judgements (file_sha256, path, verdict, worst, worst_level,"
	                       " signature_status, signed, valid, trusted, signing_time, n_findings, judged_at, report)"
	                       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (file_sha256) DO UPDATE SET"
	                       " path = excluded.path, verdict = excluded.verdict, worst = excluded.worst,"
	                       " worst_level = excluded.worst_level, signature_status = excluded.signature_status,"
	                       " signed = excluded.signed, valid = excluded.valid, trusted = excluded.trusted,"
	                       " signing_time = excluded.signing_time, n_findings = excluded.n_findings,"
	                       " judged_at = excluded.judged_at, report = excluded.report",
	[S_DEL_FINDINGS] = "DELETE FROM findings WHERE file_sha256 = ?",
	[S_DEL_SIGJ] = "DELETE FROM signature_judgements WHERE file_sha256 = ?",
	[S_DEL_TSJ] = "DELETE FROM timestamp_judgements WHERE file_sha256 = ?",
	[S_DEL_REV] = "DELETE FROM revocations WHERE file_sha256 = ?",
	/* The findings are taken from the report JSON just stored, so that their evidence is
	 * rendered exactly as in the report (one renderer: out_json.c). */
	[S_INS_FINDINGS] = "INSERT INTO findings (file_sha256, pos, id, severity, level, title, evidence, attack)"
	                   " SELECT j.file_sha256, f.key, json_extract(f.value, '$.id'),"
	                   " json_extract(f.value, '$.severity'),"
	                   " CASE json_extract(f.value, '$.severity') WHEN 'info' THEN 0 WHEN 'low' THEN 1"
	                   " WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE -1 END,"
	                   " json_extract(f.value, '$.title'), json_extract(f.value, '$.evidence'),"
	                   " json_extract(f.value, '$.attack')"
	                   " FROM judgements j, json_each(j.report, '$.findings') f WHERE j.file_sha256 = ?",
	[S_INS_SIGJ] = "INSERT INTO signature_judgements (file_sha256, sig_idx, evaluated_at, at_signing_time,"
	               " signing_time, blocklisted, valid, trusted, status, chain) VALUES (?,?,?,?,?,?,?,?,?,?)",
	[S_INS_TSJ] = "INSERT INTO timestamp_judgements (file_sha256, sig_idx, ts_idx, chain_trusted, verified,"
	              " chain_error, chain) VALUES (?,?,?,?,?,?,?)",
	[S_INS_REV] = "INSERT INTO revocations (file_sha256, sig_idx, pos, cert_sha256, tsa, state, revocation_time,"
	              " reason, reason_name, invalidity_date, crl_issuer, crl_this_update, crl_next_update,"
	              " judged_at, signed_after_revocation, voids) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_UNCHANGED] = "SELECT 1 FROM paths p JOIN files f ON f.sha256 = p.sha256"
	                " JOIN judgements j ON j.file_sha256 = p.sha256"
	                " WHERE p.path = ? AND p.size = ? AND p.mtime_ns = ? AND p.ctime_ns = ? AND p.inode = ?"
	                " AND p.dev = ?",
	[S_CERTS] = "SELECT c.sha1, c.sha256, c.subject, c.issuer, c.serial, c.email, c.not_before, c.not_after,"
	            " coalesce(a.files, 0), a.first, a.last, c.der FROM certs c LEFT JOIN"
	            " (SELECT s.signer_sha256 AS cert, count(DISTINCT s.file_sha256) AS files,"
	            "  min(j.signing_time) AS first, max(j.signing_time) AS last"
	            "  FROM signatures s LEFT JOIN signature_judgements j"
	            "  ON j.file_sha256 = s.file_sha256 AND j.sig_idx = s.idx"
	            "  WHERE s.signer_sha256 IS NOT NULL GROUP BY s.signer_sha256) a ON a.cert = c.sha256"
	            " ORDER BY coalesce(a.files, 0) DESC, c.subject, c.sha256",
	[S_PIVOT_CERT] = PIVOT_SIGNERS " WHERE c.sha256 = ?1 OR c.sha1 = ?1 ORDER BY p.path, p.sha256",
	[S_PIVOT_SIGNER] = PIVOT_SIGNERS " WHERE instr(lower(c.subject), lower(?1)) > 0 ORDER BY p.path, p.sha256",
	[S_PIVOT_EMAIL] = PIVOT_SIGNERS " WHERE c.email = ?1 ORDER BY p.path, p.sha256",
	[S_PIVOT_IMPHASH] = "SELECT p.path, p.sha256 FROM files f JOIN paths p ON p.sha256 = f.sha256 WHERE f.imphash = ?1"
	                    " ORDER BY p.path, p.sha256",
	[S_PIVOT_RICH] = "SELECT p.path, p.sha256 FROM files f JOIN paths p ON p.sha256 = f.sha256 WHERE f.rich_hash = ?1"
	                 " ORDER BY p.path, p.sha256",
	[S_PIVOT_SHA256] = "SELECT p.path, p.sha256 FROM paths p WHERE p.sha256 = ?1 ORDER BY p.path",
	[S_PIVOT_STRING] = "SELECT DISTINCT p.path, p.sha256 FROM strings s" PIVOT_PATHS " WHERE s.value = ?1"
	                   " ORDER BY p.path, p.sha256",
};

struct ps_db {
	sqlite3 *h;
	sqlite3_stmt *st[S_COUNT];
	bool readonly;
	bool in_txn;   /* a batch transaction is open */
	bool busy;     /* inside a callback: the handle must not be re-entered */
	unsigned pending; /* puts in the open transaction */
	char msg[512];
};

/* ------------------------------------------------------------------ errors */

static int seterr(ps_db *db, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int seterr(ps_db *db, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	return code;
}

static int code_of(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_NOMEM: return PS_ENOMEM;
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_PROTOCOL:
	case SQLITE_AUTH: return PS_EIO;
	default: return PS_EINTERNAL;
	}
}

/* The connection's last error, as "what: SQLite's message". */
static int sqlerr(ps_db *db, int rc, const char *what)
{
	const char *m = db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	return seterr(db, code_of(rc), "%s: %s", what, m ? m : sqlite3_errstr(rc));
}

const char *ps_db_errmsg(const ps_db *db)
{
	return db ? db->msg : "out of memory";
}

/* ------------------------------------------------------------------ binding */

/* Binds parameters left to right; the first failure sticks. */
typedef struct bnd {
	sqlite3_stmt *s;
	int i, rc;
} bnd;

static bnd bind_start(ps_db *db, int id)
{
	return (bnd){.s = db->st[id], .i = 0, .rc = SQLITE_OK};
}

static void b_null(bnd *b)
{
	int i = ++b->i;
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_null(b->s, i);
}

/* Text is copied (SQLITE_TRANSIENT): bound values often live in a caller's local buffer. */
static void b_text(bnd *b, const char *s)
{
	int i = ++b->i;
	if (b->rc == SQLITE_OK)
		b->rc = s ? sqlite3_bind_text(b->s, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(b->s, i);
}

/* Large text owned by the caller until the statement is reset (the report JSON). */
static void b_text_static(bnd *b, const char *s, size_t n)
{
	int i = ++b->i;
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_text64(b->s, i, s, n, SQLITE_STATIC, SQLITE_UTF8);
}

static void b_int(bnd *b, int64_t v)
{
	int i = ++b->i;
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->s, i, (sqlite3_int64)v);
}

/* Unsigned values are stored as SQLite's signed 64-bit integer: values above INT64_MAX wrap
 * (only hostile headers or exotic file systems have them) and still compare equal to
 * themselves. */
static void b_u64(bnd *b, uint64_t v) { b_int(b, (int64_t)v); }

static void b_bool(bnd *b, bool v) { b_int(b, v ? 1 : 0); }

static void b_time(bnd *b, int64_t t)
{
	if (t == PS_TIME_NONE)
		b_null(b);
	else
		b_int(b, t);
}

static void b_blob(bnd *b, const void *p, size_t n)
{
	int i = ++b->i;
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_blob64(b->s, i, n ? p : "", n, SQLITE_STATIC);
}

static void b_real(bnd *b, double v)
{
	int i = ++b->i;
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_double(b->s, i, v);
}

static void reset(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Runs a statement bound with b to completion (no rows expected back). */
static int run(ps_db *db, bnd *b, const char *what)
{
	int rc = b->rc;
	if (rc == SQLITE_OK && b->i != sqlite3_bind_parameter_count(b->s))
		rc = SQLITE_RANGE;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(b->s);
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			rc = SQLITE_OK;
	}
	int err = rc == SQLITE_OK ? PS_OK : sqlerr(db, rc, what);
	reset(b->s);
	return err;
}

static int run_plain(ps_db *db, int id, const char *what)
{
	bnd b = bind_start(db, id);
	return run(db, &b, what);
}

/* ------------------------------------------------------------------ open, close */

static int exec(ps_db *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? PS_OK : sqlerr(db, rc, what);
}

/* One integer from a one-row query (a PRAGMA or a count). */
static int query_int(ps_db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		}
	}
	int err = rc == SQLITE_OK ? PS_OK : sqlerr(db, rc, "reading the database header");
	sqlite3_finalize(s);
	return err;
}

typedef struct dbinfo {
	int64_t app_id, version, objects;
} dbinfo;

static int read_info(ps_db *db, dbinfo *in)
{
	int err = query_int(db, "PRAGMA application_id", &in->app_id);
	if (!err)
		err = query_int(db, "PRAGMA user_version", &in->version);
	if (!err)
		err = query_int(db, "SELECT count(*) FROM sqlite_master", &in->objects);
	return err;
}

/* Refuses what this library must not read or write. */
static int check_info(ps_db *db, const dbinfo *in)
{
	if (in->app_id != APP_ID && (in->app_id != 0 || in->objects > 0))
		return seterr(db, PS_EINVAL,
		              "not a pesleuth database (an SQLite file with application_id %lld and %lld schema objects)",
		              (long long)in->app_id, (long long)in->objects);
	if (in->version > PS_DB_SCHEMA_VERSION)
		return seterr(db, PS_EINVAL,
		              "schema version %lld was written by a newer pesleuth; this one knows versions up to %d",
		              (long long)in->version, PS_DB_SCHEMA_VERSION);
	if (in->app_id == APP_ID && in->version < 1)
		return seterr(db, PS_EINVAL, "pesleuth database without a schema version (damaged?)");
	if (in->app_id == APP_ID && in->version < PS_DB_SCHEMA_VERSION)
		return seterr(db, PS_EINVAL,
		              "schema version %lld was written by an older pesleuth (no migration to %d: scan into a new "
		              "database)",
		              (long long)in->version, PS_DB_SCHEMA_VERSION);
	return PS_OK;
}

static int create_schema(ps_db *db)
{
	int err = exec(db, "BEGIN IMMEDIATE", "creating the schema");
	if (err)
		return err;
	/* Another process may have created it between our check and our lock. */
	dbinfo in = {0};
	err = read_info(db, &in);
	if (!err)
		err = check_info(db, &in);
	if (!err && in.version == 0) {
		char pragmas[128];
		snprintf(pragmas, sizeof(pragmas), "PRAGMA application_id = %d; PRAGMA user_version = %d;", APP_ID,
		         PS_DB_SCHEMA_VERSION);
		err = exec(db, schema_sql, "creating the schema");
		if (!err)
			err = exec(db, pragmas, "creating the schema");
	}
	if (!err)
		err = exec(db, "COMMIT", "creating the schema");
	if (err && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static int set_wal(ps_db *db)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	int err = PS_OK;
	if (rc == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(s, 0);
		if (!mode || strcmp((const char *)mode, "wal"))
			err = seterr(db, PS_EIO, "the file system does not support SQLite's WAL mode (journal mode stays %s)",
			             mode ? (const char *)mode : "unknown");
	} else {
		err = sqlerr(db, rc, "setting journal_mode=WAL");
	}
	sqlite3_finalize(s);
	return err;
}

static void release(ps_db *db)
{
	for (int i = 0; i < S_COUNT; i++) {
		sqlite3_finalize(db->st[i]);
		db->st[i] = NULL;
	}
	sqlite3_close(db->h);
	db->h = NULL;
}

static int open_db(ps_db *db, const char *path, unsigned flags)
{
	if (!path || (flags & ~PS_DB_READONLY))
		return seterr(db, PS_EINVAL, "ps_db_open: %s", path ? "unknown flags" : "no path");
	db->readonly = flags & PS_DB_READONLY;
	int of = db->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &db->h, of | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return sqlerr(db, rc, "cannot open");
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, PS_DB_BUSY_TIMEOUT_MS);

	dbinfo in = {0};
	int err = read_info(db, &in);
	if (!err)
		err = check_info(db, &in);
	if (err)
		return err;
	if (db->readonly) {
		if (in.version == 0)
			return seterr(db, PS_EINVAL, "not a pesleuth database (empty: no schema)");
		err = exec(db, "PRAGMA query_only = 1", "opening read-only");
	} else {
		err = set_wal(db);
		if (!err)
			/* temp_store: the savepoint of each put keeps its sub-journal in memory (a
			 * temporary file cost ~10 system calls per page written). */
			err = exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY",
			           "setting pragmas");
		if (!err && in.version == 0)
			err = create_schema(db);
		/* A version below PS_DB_SCHEMA_VERSION would be migrated here; 1 is the first. */
	}
	for (int i = 0; !err && i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL);
		if (rc != SQLITE_OK)
			err = sqlerr(db, rc, "preparing a statement");
	}
	return err;
}

int ps_db_open(ps_db **out, const char *path, unsigned flags)
{
	if (!out)
		return PS_EINVAL;
	ps_db *db = calloc(1, sizeof(*db));
	*out = db;
	if (!db)
		return PS_ENOMEM;
	int err = open_db(db, path, flags);
	if (err)
		release(db); /* the handle keeps only its message; every call but errmsg/close refuses */
	else
		db->msg[0] = '\0';
	return err;
}

static int commit(ps_db *db)
{
	if (!db->in_txn)
		return PS_OK;
	int err = run_plain(db, S_COMMIT, "commit");
	if (!err || sqlite3_get_autocommit(db->h)) {
		/* Committed, or SQLite rolled the whole transaction back (full disk, I/O error). */
		if (err) {
			size_t n = strlen(db->msg);
			snprintf(db->msg + n, sizeof(db->msg) - n, " (the batch of %u files was rolled back)", db->pending);
		}
		db->in_txn = false;
		db->pending = 0;
	}
	return err;
}

void ps_db_close(ps_db *db)
{
	if (!db)
		return;
	if (db->h && db->in_txn && commit(db) != PS_OK && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	release(db);
	free(db);
}

int ps_db_flush(ps_db *db)
{
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_flush called from a callback");
	if (!db->h)
		return seterr(db, PS_EINVAL, "the database is not open");
	int err = commit(db);
	if (!err)
		db->msg[0] = '\0';
	return err;
}

/* ------------------------------------------------------------------ facts */

static char *hex(char *dst, const uint8_t *p, size_t n) { return ps_hex(dst, p, n); }

static const char *type_name(ps_format f)
{
	return f == PS_FORMAT_PE ? "pe" : f == PS_FORMAT_MZ ? "mz" : "unknown";
}

static int put_cert(ps_db *db, const ps_cert *c)
{
	if (!c)
		return PS_OK;
	char h256[65], h1[41], eku[64] = "";
	if (c->has_eku)
		snprintf(eku, sizeof(eku), "%s%s%s%s%s", c->eku_code_signing ? "codeSigning" : "",
		         c->eku_code_signing && (c->eku_time_stamping || c->eku_any) ? "," : "",
		         c->eku_time_stamping ? "timeStamping" : "", c->eku_time_stamping && c->eku_any ? "," : "",
		         c->eku_any ? "anyExtendedKeyUsage" : "");
	bnd b = bind_start(db, S_INS_CERT);
	b_text(&b, hex(h256, c->sha256, 32));
	b_text(&b, hex(h1, c->sha1, 20));
	b_text(&b, c->subject);
	b_text(&b, c->issuer);
	b_text(&b, c->subject_cn);
	b_text(&b, c->serial);
	b_text(&b, c->email);
	b_time(&b, c->not_before);
	b_time(&b, c->not_after);
	b_text(&b, c->key_type);
	b_int(&b, c->key_bits);
	b_bool(&b, c->self_issued);
	b_bool(&b, c->is_ca);
	b_text(&b, c->has_eku ? eku : NULL);
	if (c->has_key_usage)
		b_bool(&b, c->ku_digital_signature);
	else
		b_null(&b);
	b_blob(&b, c->der, c->der ? c->der_len : 0);
	return run(db, &b, "storing a certificate");
}

static int put_sigcert(ps_db *db, const char *fh, unsigned sig, int ts, size_t pos, const ps_cert *c)
{
	char h[65];
	bnd b = bind_start(db, S_INS_SIGCERT);
	b_text(&b, fh);
	b_int(&b, sig);
	b_int(&b, ts);
	b_u64(&b, pos);
	b_text(&b, hex(h, c->sha256, 32));
	return run(db, &b, "storing a certificate bag");
}

static int put_signature(ps_db *db, const char *fh, const ps_signature *s)
{
	int err = put_cert(db, s->signer);
	for (size_t i = 0; !err && i < s->n_certs; i++)
		err = put_cert(db, &s->certs[i]);
	for (size_t t = 0; !err && t < s->n_timestamps; t++) {
		err = put_cert(db, s->timestamps[t].tsa);
		for (size_t i = 0; !err && i < s->timestamps[t].n_certs; i++)
			err = put_cert(db, &s->timestamps[t].certs[i]);
	}
	if (err)
		return err;

	size_t dl = s->digest_len <= 64 ? s->digest_len : 64;
	char sd[129], cd[129], xd[129], signer[65];
	bnd b = bind_start(db, S_INS_SIG);
	b_text(&b, fh);
	b_int(&b, s->index);
	b_int(&b, s->entry);
	b_int(&b, s->depth);
	if (s->parent < 0)
		b_null(&b);
	else
		b_int(&b, s->parent);
	b_u64(&b, s->offset);
	b_bool(&b, s->parsed);
	b_text(&b, s->parse_error);
	b_text(&b, s->digest_algorithm);
	b_text(&b, dl ? hex(sd, s->signed_digest, dl) : NULL);
	b_text(&b, s->computed ? hex(cd, s->computed_digest, dl) : NULL);
	b_bool(&b, s->digest_ok);
	b_text(&b, s->computed ? hex(xd, s->section_digest, dl) : NULL);
	b_bool(&b, s->section_digest_ok);
	b_bool(&b, s->entry_valid);
	if (s->has_page_hashes) {
		b_text(&b, s->page_hash_algorithm);
		b_bool(&b, s->page_hashes_checked);
		b_bool(&b, s->page_hashes_ok);
	} else {
		b_null(&b);
		b_null(&b);
		b_null(&b);
	}
	b_text(&b, s->signer_digest_algorithm);
	b_bool(&b, s->content_type_ok);
	b_bool(&b, s->message_digest_ok);
	b_bool(&b, s->signature_ok);
	b_text(&b, s->program_name);
	b_text(&b, s->program_url);
	b_time(&b, s->claimed_signing_time);
	b_text(&b, s->signer ? hex(signer, s->signer->sha256, 32) : NULL);
	err = run(db, &b, "storing a signature");

	for (size_t i = 0; !err && i < s->n_certs; i++)
		err = put_sigcert(db, fh, s->index, -1, i, &s->certs[i]);
	for (size_t t = 0; !err && t < s->n_timestamps; t++) {
		const ps_timestamp *ts = &s->timestamps[t];
		char tsa[65];
		b = bind_start(db, S_INS_TS);
		b_text(&b, fh);
		b_int(&b, s->index);
		b_u64(&b, t);
		b_text(&b, ts->kind == PS_TS_RFC3161 ? "rfc3161" : ts->kind == PS_TS_PKCS9 ? "pkcs9" : "none");
		b_time(&b, ts->time);
		b_text(&b, ts->digest_algorithm);
		b_bool(&b, ts->imprint_ok);
		b_bool(&b, ts->signature_ok);
		b_text(&b, ts->tsa ? hex(tsa, ts->tsa->sha256, 32) : NULL);
		err = run(db, &b, "storing a timestamp");
		for (size_t i = 0; !err && i < ts->n_certs; i++)
			err = put_sigcert(db, fh, s->index, (int)t, i, &ts->certs[i]);
	}
	return err;
}

static const ps_evidence *evidence(const ps_finding *f, const char *key)
{
	for (unsigned i = 0; i < f->n_evidence && i < PS_FINDING_MAX_EVIDENCE; i++)
		if (f->evidence[i].key && !strcmp(f->evidence[i].key, key))
			return &f->evidence[i];
	return NULL;
}

static int put_string(ps_db *db, const char *fh, const char *kind, const char *value, size_t len, uint64_t offset,
                      const char *method, int64_t key, int wide)
{
	bnd b = bind_start(db, S_INS_STRING);
	b_text(&b, fh);
	b_text(&b, kind);
	int i = ++b.i;
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_text64(b.s, i, value, len, SQLITE_TRANSIENT, SQLITE_UTF8);
	b_u64(&b, offset);
	b_text(&b, method);
	if (key < 0)
		b_null(&b);
	else
		b_int(&b, key);
	if (wide < 0)
		b_null(&b);
	else
		b_bool(&b, wide);
	return run(db, &b, "storing a string");
}

/* Parses "0x<hex>" at s (n bytes); returns the digits' end or NULL. */
static const char *parse_hex(const char *s, const char *end, uint64_t *v)
{
	if (end - s < 3 || s[0] != '0' || s[1] != 'x')
		return NULL;
	const char *p = s + 2;
	uint64_t x = 0;
	int nd = 0;
	for (; p < end; p++, nd++) {
		int d = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;
		if (d < 0)
			break;
		if (nd >= 16)
			return NULL;
		x = x << 4 | (uint64_t)d;
	}
	if (!nd)
		return NULL;
	*v = x;
	return p;
}

/* STR-NETWORK-INDICATORS "indicators": "KIND TEXT@0xOFF, KIND TEXT@0xOFF, ..." (detect.c).
 * An indicator holds no space (URLs end at whitespace), so ", " separates items. */
static int put_net_indicators(ps_db *db, const char *fh, const char *list)
{
	static const char *const kinds[] = {"ipv4", "ipv6", "domain", "url"};
	size_t len = strlen(list);
	bool maybe_cut = len + 1 >= EVIDENCE_LIST_BYTES;
	const char *p = list, *all_end = list + len;
	int err = PS_OK;
	while (!err && p < all_end) {
		const char *sep = strstr(p, ", ");
		const char *end = sep ? sep : all_end;
		if (!sep && maybe_cut)
			break;
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *kind = NULL;
		for (size_t k = 0; sp && k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if ((size_t)(sp - p) == strlen(kinds[k]) && !memcmp(p, kinds[k], (size_t)(sp - p)))
				kind = kinds[k];
		const char *at = NULL;
		for (const char *q = end; sp && q > sp + 1; q--)
			if (q[-1] == '@') {
				at = q - 1;
				break;
			}
		uint64_t off = 0;
		if (kind && at && at > sp + 1 && parse_hex(at + 1, end, &off) == end)
			err = put_string(db, fh, kind, sp + 1, (size_t)(at - sp - 1), off, NULL, -1, -1);
		p = sep ? sep + 2 : all_end;
	}
	return err;
}

/* "METHOD 0xKK@0xOFF " at s: the header of one further XOR hit; returns its length or 0. */
static size_t xor_header(const char *s, const char *end, const char **method, uint64_t *key, uint64_t *off)
{
	static const char *const methods[] = {"xor", "add", "rol"};
	if (end - s < 4 || s[3] != ' ')
		return 0;
	*method = NULL;
	for (size_t m = 0; m < 3; m++)
		if (!memcmp(s, methods[m], 3))
			*method = methods[m];
	if (!*method)
		return 0;
	const char *p = parse_hex(s + 4, end, key);
	if (!p || p >= end || *p != '@')
		return 0;
	p = parse_hex(p + 1, end, off);
	if (!p || p >= end || *p != ' ')
		return 0;
	return (size_t)(p + 1 - s);
}

/* STR-XOR-ENCODED: the first hit in its own evidence (method, key, offset, wide, decoded), the
 * next ones in "more": "METHOD 0xKK@0xOFF TEXT, ..." where TEXT may hold ", ": an item ends
 * where ", " is followed by another well-formed header. */
static int put_xor_strings(ps_db *db, const char *fh, const ps_finding *f)
{
	const ps_evidence *dec = evidence(f, "decoded"), *off = evidence(f, "offset"), *meth = evidence(f, "method"),
	                  *key = evidence(f, "key"), *wide = evidence(f, "wide"), *more = evidence(f, "more");
	int err = PS_OK;
	if (dec && dec->s && dec->s[0] && off)
		err = put_string(db, fh, "xor", dec->s, strlen(dec->s), off->u, meth ? meth->s : NULL,
		                 key ? (int64_t)(key->u & 0xff) : -1, wide ? (wide->u != 0) : -1);
	if (err || !more || !more->s)
		return err;
	const char *p = more->s, *all_end = p + strlen(p);
	bool maybe_cut = (size_t)(all_end - p) + 1 >= EVIDENCE_LIST_BYTES;
	while (!err && p < all_end) {
		const char *method;
		uint64_t k, o;
		size_t hl = xor_header(p, all_end, &method, &k, &o);
		if (!hl)
			break;
		const char *text = p + hl, *end = all_end, *next = all_end;
		for (const char *q = text; q + 2 <= all_end; q++) {
			const char *m2;
			uint64_t k2, o2;
			if (q[0] == ',' && q[1] == ' ' && xor_header(q + 2, all_end, &m2, &k2, &o2)) {
				end = q;
				next = q + 2;
				break;
			}
		}
		if (end == all_end && maybe_cut)
			break;
		if (end > text)
			err = put_string(db, fh, "xor", text, (size_t)(end - text), o, method, (int64_t)(k & 0xff), -1);
		p = next;
	}
	return err;
}

static int put_strings(ps_db *db, const char *fh, const ps_report *r)
{
	int err = PS_OK;
	for (size_t i = 0; !err && i < r->n_findings; i++) {
		const ps_finding *f = &r->findings[i];
		if (!f->id)
			continue;
		if (!strcmp(f->id, "STR-NETWORK-INDICATORS")) {
			const ps_evidence *e = evidence(f, "indicators");
			if (e && e->s)
				err = put_net_indicators(db, fh, e->s);
		} else if (!strcmp(f->id, "STR-XOR-ENCODED")) {
			err = put_xor_strings(db, fh, f);
		}
	}
	return err;
}

static int put_facts(ps_db *db, const char *fh, const ps_report *r, int64_t now)
{
	const ps_pe *pe = r->pe;
	const ps_hashes *h = &r->hashes;
	char md5[33], sha1[41], rich[33], ah[65];
	bnd b = bind_start(db, S_INS_FILE);
	b_text(&b, fh);
	b_text(&b, (h->computed & PS_HASH_MD5) ? hex(md5, h->md5, 16) : NULL);
	b_text(&b, (h->computed & PS_HASH_SHA1) ? hex(sha1, h->sha1, 20) : NULL);
	b_u64(&b, r->size);
	b_text(&b, type_name(r->format));
	b_text(&b, r->format_detail);
	if (pe) {
		b_int(&b, pe->coff.machine);
		b_text(&b, ps_machine_name(pe->coff.machine));
		b_bool(&b, pe->coff.characteristics & 0x2000);
		b_int(&b, pe->opt.subsystem);
		b_int(&b, pe->coff.timedatestamp);
		b_bool(&b, pe->has_repro);
		b_int(&b, pe->opt.address_of_entry_point);
		b_u64(&b, pe->opt.image_base);
		b_text(&b, pe->imphash);
		b_text(&b, pe->rich.present ? hex(rich, pe->rich.hash_md5, 16) : NULL);
		b_text(&b, ps_version_string(pe, "OriginalFilename"));
		b_text(&b, ps_version_string(pe, "CompanyName"));
		b_text(&b, ps_version_string(pe, "ProductName"));
		b_text(&b, ps_version_string(pe, "FileVersion"));
		b_text(&b, ps_version_string(pe, "FileDescription"));
		if (pe->has_overlay) {
			b_u64(&b, pe->overlay_offset);
			b_u64(&b, pe->overlay_size);
		} else {
			b_null(&b);
			b_null(&b);
		}
		b_int(&b, pe->checksum_stored);
		b_int(&b, pe->checksum_computed);
		b_text(&b, (pe->authentihash_computed & PS_HASH_SHA256) ? hex(ah, pe->authentihash_sha256, 32) : NULL);
		b_bool(&b, pe->clr.present);
		b_bool(&b, pe->has_certificate_table);
		b_u64(&b, pe->n_signatures);
		if (pe->primary)
			b_int(&b, pe->primary->index);
		else
			b_null(&b);
	} else {
		for (int i = 0; i < 21; i++) /* machine .. dotnet */
			b_null(&b);
		b_bool(&b, false);
		b_int(&b, 0);
		b_null(&b);
	}
	b_text(&b, PESLEUTH_VERSION);
	b_int(&b, now);
	int err = run(db, &b, "storing a file");

	for (size_t i = 0; !err && pe && i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		char name[PS_UTF8_BOUND(8)];
		ps_utf8_from_latin1(name, s->name, s->name_len <= 8 ? s->name_len : 8);
		b = bind_start(db, S_INS_SECTION);
		b_text(&b, fh);
		b_u64(&b, i);
		b_text(&b, name);
		b_int(&b, s->virtual_address);
		b_int(&b, s->virtual_size);
		b_int(&b, s->raw_offset);
		b_int(&b, s->raw_size);
		b_int(&b, s->characteristics);
		if (s->has_entropy)
			b_real(&b, s->entropy);
		else
			b_null(&b);
		err = run(db, &b, "storing a section");
	}
	for (size_t i = 0; !err && pe && i < pe->n_signatures; i++)
		err = put_signature(db, fh, &pe->signatures[i]);
	if (!err)
		err = put_strings(db, fh, r);
	if (!err) {
		char *jf = NULL;
		err = ps_report_judge_facts(&jf, r);
		if (err) {
			seterr(db, err, "capturing the judgement facts: %s", ps_strerror(err));
		} else {
			b = bind_start(db, S_INS_JFACTS);
			b_text(&b, fh);
			b_text(&b, jf);
			err = run(db, &b, "storing the judgement facts");
			free(jf);
		}
	}
	return err;
}

/* Rows of one file, children before parents (foreign keys). */
static const int judgement_rows[] = {S_DEL_FINDINGS, S_DEL_REV, S_DEL_TSJ, S_DEL_SIGJ};
static const int fact_rows[] = {S_DEL_SECTIONS, S_DEL_SIGCERTS, S_DEL_TS, S_DEL_STRINGS, S_DEL_SIGS, S_DEL_JFACTS};

static int delete_rows(ps_db *db, const char *fh, const int *ids, size_t n)
{
	int err = PS_OK;
	for (size_t i = 0; !err && i < n; i++) {
		bnd b = bind_start(db, ids[i]);
		b_text(&b, fh);
		err = run(db, &b, "replacing rows");
	}
	return err;
}

static int fill_hashes(ps_db *db, const char *fh, const ps_report *r)
{
	const ps_hashes *h = &r->hashes;
	char md5[33], sha1[41], ah[65];
	bnd b = bind_start(db, S_FILL_HASHES);
	b_text(&b, fh);
	b_text(&b, (h->computed & PS_HASH_MD5) ? hex(md5, h->md5, 16) : NULL);
	b_text(&b, (h->computed & PS_HASH_SHA1) ? hex(sha1, h->sha1, 20) : NULL);
	b_text(&b, r->pe && (r->pe->authentihash_computed & PS_HASH_SHA256) ? hex(ah, r->pe->authentihash_sha256, 32)
	                                                                    : NULL);
	return run(db, &b, "storing hashes");
}

/* ------------------------------------------------------------------ judgement */

/* ["sha256", ...] of a chain, leaf first; *out is malloc'd. Hex only: nothing to escape. */
static int chain_json(char **out, const ps_cert *const *chain, size_t n)
{
	*out = NULL;
	if (n > (SIZE_MAX - 3) / 68)
		return PS_ENOMEM;
	char *buf = malloc(n * 68 + 3);
	if (!buf)
		return PS_ENOMEM;
	size_t k = 0;
	buf[k++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf[k++] = ',';
		buf[k++] = '"';
		if (chain[i])
			hex(buf + k, chain[i]->sha256, 32);
		else
			memset(buf + k, '0', 64);
		k += 64;
		buf[k++] = '"';
	}
	buf[k++] = ']';
	buf[k] = '\0';
	*out = buf;
	return PS_OK;
}

static int put_signature_judgement(ps_db *db, const char *fh, const ps_signature *s)
{
	int err = PS_OK;
	/* The chain as built may end in an anchor of the trust context that no file carried. */
	for (size_t i = 0; !err && i < s->n_chain; i++)
		err = put_cert(db, s->chain[i]);
	for (size_t i = 0; !err && i < s->n_revocation; i++)
		err = put_cert(db, s->revocation[i].cert);
	for (size_t t = 0; !err && t < s->n_timestamps; t++)
		for (size_t i = 0; !err && i < s->timestamps[t].n_chain; i++)
			err = put_cert(db, s->timestamps[t].chain[i]);
	if (err)
		return err;

	char *chain = NULL;
	err = chain_json(&chain, s->chain, s->n_chain);
	if (err)
		return seterr(db, err, "out of memory");
	bnd b = bind_start(db, S_INS_SIGJ);
	b_text(&b, fh);
	b_int(&b, s->index);
	b_time(&b, s->evaluated_at);
	b_bool(&b, s->at_signing_time);
	b_time(&b, s->signing_time);
	b_bool(&b, s->blocklisted);
	b_bool(&b, s->valid);
	b_bool(&b, s->trusted);
	b_text(&b, s->status);
	b_text(&b, chain);
	err = run(db, &b, "storing a signature's judgement");
	free(chain);

	for (size_t t = 0; !err && t < s->n_timestamps; t++) {
		const ps_timestamp *ts = &s->timestamps[t];
		err = chain_json(&chain, ts->chain, ts->n_chain);
		if (err)
			return seterr(db, err, "out of memory");
		b = bind_start(db, S_INS_TSJ);
		b_text(&b, fh);
		b_int(&b, s->index);
		b_u64(&b, t);
		b_bool(&b, ts->chain_trusted);
		b_bool(&b, ts->verified);
		b_text(&b, ts->chain_error);
		b_text(&b, chain);
		err = run(db, &b, "storing a timestamp's judgement");
		free(chain);
	}
	for (size_t i = 0; !err && i < s->n_revocation; i++) {
		static const char *const states[] = {"unknown", "good", "revoked"};
		const ps_revocation *rv = &s->revocation[i];
		char ch[65];
		b = bind_start(db, S_INS_REV);
		b_text(&b, fh);
		b_int(&b, s->index);
		b_u64(&b, i);
		b_text(&b, rv->cert ? hex(ch, rv->cert->sha256, 32) : NULL);
		b_bool(&b, rv->tsa);
		b_text(&b, (unsigned)rv->state <= PS_REV_REVOKED ? states[rv->state] : "unknown");
		b_time(&b, rv->state == PS_REV_REVOKED ? rv->revocation_time : PS_TIME_NONE);
		if (rv->state == PS_REV_REVOKED && rv->reason != PS_REASON_NONE)
			b_int(&b, rv->reason);
		else
			b_null(&b);
		b_text(&b, rv->state == PS_REV_REVOKED ? ps_crl_reason_name(rv->reason) : NULL);
		b_time(&b, rv->invalidity_date);
		b_text(&b, rv->crl_issuer);
		b_time(&b, rv->crl_this_update);
		b_time(&b, rv->crl_next_update);
		b_time(&b, rv->judged_at);
		b_bool(&b, rv->signed_after_revocation);
		b_bool(&b, rv->voids);
		err = run(db, &b, "storing a revocation");
	}
	return err;
}

static int put_judgement(ps_db *db, const char *fh, const ps_report *r, const char *path, const char *json,
                         int64_t now)
{
	const ps_pe *pe = r->pe;
	const ps_signature *p = pe ? pe->primary : NULL;
	bnd b = bind_start(db, S_UPSERT_JUDGEMENT);
	b_text(&b, fh);
	b_text(&b, path);
	b_text(&b, ps_report_verdict(r));
	b_text(&b, ps_severity_name(r->worst));
	b_int(&b, r->worst);
	b_text(&b, pe && pe->signature_status ? pe->signature_status : "NotSigned");
	b_bool(&b, pe && pe->has_certificate_table);
	b_bool(&b, p && p->valid);
	b_bool(&b, p && p->trusted);
	b_time(&b, p ? p->signing_time : PS_TIME_NONE);
	b_u64(&b, r->n_findings);
	b_int(&b, now);
	b_text_static(&b, json, strlen(json));
	int err = run(db, &b, "storing the judgement");
	if (!err)
		err = delete_rows(db, fh, judgement_rows, sizeof(judgement_rows) / sizeof(judgement_rows[0]));
	if (!err) {
		b = bind_start(db, S_INS_FINDINGS);
		b_text(&b, fh);
		err = run(db, &b, "storing findings");
	}
	for (size_t i = 0; !err && pe && i < pe->n_signatures; i++)
		err = put_signature_judgement(db, fh, &pe->signatures[i]);
	return err;
}

/* ------------------------------------------------------------------ put */

static void abort_put(ps_db *db)
{
	char saved[sizeof(db->msg)];
	memcpy(saved, db->msg, sizeof(saved));
	if (sqlite3_get_autocommit(db->h)) {
		/* SQLite ended the transaction itself (full disk, I/O error): the batch is gone. */
		size_t n = strlen(saved);
		if (db->pending)
			snprintf(saved + n, sizeof(saved) - n, " (the pending batch of %u files was rolled back)", db->pending);
		db->in_txn = false;
		db->pending = 0;
	} else {
		run_plain(db, S_ROLLBACK_TO, "rollback");
		run_plain(db, S_RELEASE, "rollback");
	}
	memcpy(db->msg, saved, sizeof(saved));
}

int ps_db_put(ps_db *db, const ps_report *r, const char *path, const ps_db_filestat *st)
{
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_put called from a callback");
	if (!db->h)
		return seterr(db, PS_EINVAL, "the database is not open");
	if (db->readonly)
		return seterr(db, PS_EINVAL, "the database was opened read-only");
	if (!r)
		return seterr(db, PS_EINVAL, "ps_db_put: no report");
	if (!path)
		path = r->path;
	if (!path)
		return seterr(db, PS_EINVAL, "ps_db_put: no path");
	if (!(r->hashes.computed & PS_HASH_SHA256))
		return seterr(db, PS_EINVAL, "the report has no SHA-256 (the database is keyed by it)");

	/* Rendered before any lock is taken; "path" in it is the path of this put. */
	ps_report rp = *r;
	rp.path = path;
	char *json = NULL;
	int err = ps_report_json(&json, &rp, PS_JSON_DETAIL);
	if (err)
		return seterr(db, err, "rendering the report JSON: %s", ps_strerror(err));

	char fh[65];
	hex(fh, r->hashes.sha256, 32);
	int64_t now = (int64_t)time(NULL);
	if (!db->in_txn) {
		err = run_plain(db, S_BEGIN, "begin");
		if (err)
			goto out;
		db->in_txn = true;
	}
	err = run_plain(db, S_SAVEPOINT, "savepoint");
	if (err)
		goto out;

	bnd b = bind_start(db, S_FILE_EXISTS);
	b_text(&b, fh);
	int rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	bool known = rc == SQLITE_ROW, stale = false;
	if (known) {
		const char *v = (const char *)sqlite3_column_text(b.s, 0);
		stale = !v || strcmp(v, PESLEUTH_VERSION);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = sqlerr(db, rc, "looking up the file");
	reset(b.s);
	/* Facts are a function of the bytes and of the extractor: another version re-extracts
	 * them (its parser may see more), the same version only adds hashes it now computed. */
	if (!err && stale) {
		err = delete_rows(db, fh, judgement_rows, sizeof(judgement_rows) / sizeof(judgement_rows[0]));
		if (!err)
			err = delete_rows(db, fh, fact_rows, sizeof(fact_rows) / sizeof(fact_rows[0]));
	}
	if (!err && (!known || stale))
		err = put_facts(db, fh, r, now);
	else if (!err)
		err = fill_hashes(db, fh, r);
	if (!err) {
		b = bind_start(db, S_UPSERT_PATH);
		int i = ++b.i;
		if (b.rc == SQLITE_OK) /* the path's bytes as given: a Linux path need not be UTF-8 */
			b.rc = sqlite3_bind_text64(b.s, i, path, strlen(path), SQLITE_TRANSIENT, SQLITE_UTF8);
		b_text(&b, fh);
		if (st) {
			b_u64(&b, st->size);
			b_int(&b, st->mtime_ns);
			b_int(&b, st->ctime_ns);
			b_u64(&b, st->inode);
			b_u64(&b, st->dev);
		} else {
			for (int k = 0; k < 5; k++)
				b_null(&b);
		}
		b_int(&b, now);
		err = run(db, &b, "storing the path");
	}
	if (!err)
		err = put_judgement(db, fh, r, path, json, now);
	if (!err)
		err = run_plain(db, S_RELEASE, "release");
	if (err) {
		abort_put(db);
		goto out;
	}
	db->pending++;
	if (db->pending >= PS_DB_BATCH_FILES)
		err = commit(db);
out:
	free(json);
	if (!err)
		db->msg[0] = '\0';
	return err;
}

/* ------------------------------------------------------------------ queries */

int ps_db_unchanged(ps_db *db, const char *path, const ps_db_filestat *st, int *unchanged)
{
	if (unchanged)
		*unchanged = 0;
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_unchanged called from a callback");
	if (!db->h || !path || !st || !unchanged)
		return seterr(db, PS_EINVAL, "ps_db_unchanged: missing argument");
	bnd b = bind_start(db, S_UNCHANGED);
	int i = ++b.i;
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_text64(b.s, i, path, strlen(path), SQLITE_TRANSIENT, SQLITE_UTF8);
	b_u64(&b, st->size);
	b_int(&b, st->mtime_ns);
	b_int(&b, st->ctime_ns);
	b_u64(&b, st->inode);
	b_u64(&b, st->dev);
	int rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	int err = PS_OK;
	if (rc == SQLITE_ROW)
		*unchanged = 1;
	else if (rc != SQLITE_DONE)
		err = sqlerr(db, rc, "incremental check");
	reset(b.s);
	if (!err)
		db->msg[0] = '\0';
	return err;
}

static int64_t col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? PS_TIME_NONE : sqlite3_column_int64(s, i);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int ps_db_certs(ps_db *db, int (*fn)(void *ctx, const ps_db_cert *c), void *ctx)
{
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_certs called from a callback");
	if (!db->h || !fn)
		return seterr(db, PS_EINVAL, "ps_db_certs: missing argument");
	sqlite3_stmt *s = db->st[S_CERTS];
	int ret = PS_OK, rc;
	db->busy = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ps_db_cert c;
		memset(&c, 0, sizeof(c));
		c.sha1 = col_text(s, 0);
		c.sha256 = col_text(s, 1);
		c.subject = col_text(s, 2);
		c.issuer = col_text(s, 3);
		c.serial = col_text(s, 4);
		c.email = col_text(s, 5);
		c.not_before = col_time(s, 6);
		c.not_after = col_time(s, 7);
		c.files = (uint64_t)sqlite3_column_int64(s, 8);
		c.first_signed = col_time(s, 9);
		c.last_signed = col_time(s, 10);
		c.der = sqlite3_column_blob(s, 11);
		c.der_len = (size_t)sqlite3_column_bytes(s, 11);
		if (!c.sha1 || !c.sha256) {
			rc = SQLITE_NOMEM;
			break;
		}
		ret = fn(ctx, &c);
		if (ret)
			break;
	}
	db->busy = false;
	if (!ret && rc != SQLITE_DONE)
		ret = sqlerr(db, rc, "listing certificates");
	reset(s);
	if (!ret)
		db->msg[0] = '\0';
	return ret;
}

int ps_db_each_judged(ps_db *db, int (*fn)(void *ctx, const ps_db_judged *j), void *ctx)
{
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_each_judged called from a callback");
	if (!db->h || !fn)
		return seterr(db, PS_EINVAL, "ps_db_each_judged: missing argument");
	sqlite3_stmt *s = db->st[S_EACH], *ss = db->st[S_EACH_STRINGS];
	int ret = PS_OK, rc;
	ps_stored_string *v = NULL;
	size_t cap = 0;
	db->busy = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ps_db_judged j;
		memset(&j, 0, sizeof(j));
		j.sha256 = col_text(s, 0);
		j.path = col_text(s, 1);
		j.verdict = col_text(s, 2);
		j.report_json = col_text(s, 3);
		j.facts = col_text(s, 4);
		if (!j.sha256 || !j.report_json || !j.facts) {
			rc = SQLITE_NOMEM;
			break;
		}
		/* the strings that matter: borrowed from the statement until the next row */
		int src = sqlite3_bind_text(ss, 1, j.sha256, -1, SQLITE_TRANSIENT);
		size_t n = 0;
		while (src == SQLITE_OK && (src = sqlite3_step(ss)) == SQLITE_ROW) {
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 16;
				ps_stored_string *nv = realloc(v, nc * sizeof(*nv));
				if (!nv) {
					src = SQLITE_NOMEM;
					break;
				}
				v = nv;
				cap = nc;
			}
			v[n].text = col_text(ss, 0);
			v[n].offset = (uint64_t)sqlite3_column_int64(ss, 1);
			v[n].decoded = sqlite3_column_int(ss, 2);
			if (v[n].text)
				n++;
		}
		if (src != SQLITE_DONE) {
			reset(ss);
			rc = src == SQLITE_OK ? SQLITE_ERROR : src;
			break;
		}
		j.strings = v;
		j.n_strings = n;
		ret = fn(ctx, &j);
		reset(ss);
		if (ret)
			break;
	}
	db->busy = false;
	free(v);
	if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sqlerr(db, rc, "listing stored files");
	reset(s);
	if (!ret)
		db->msg[0] = '\0';
	return ret;
}

int ps_db_put_judgement(ps_db *db, const ps_report *r, const char *path, const char *json)
{
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_put_judgement called from a callback");
	if (!db->h)
		return seterr(db, PS_EINVAL, "the database is not open");
	if (db->readonly)
		return seterr(db, PS_EINVAL, "the database was opened read-only");
	if (!r || !json || !(r->hashes.computed & PS_HASH_SHA256))
		return seterr(db, PS_EINVAL, "ps_db_put_judgement: a report with its SHA-256 and its JSON are needed");
	char fh[65];
	hex(fh, r->hashes.sha256, 32);
	int err = PS_OK;
	if (!db->in_txn) {
		err = run_plain(db, S_BEGIN, "begin");
		if (err)
			return err;
		db->in_txn = true;
	}
	err = run_plain(db, S_SAVEPOINT, "savepoint");
	if (err)
		return err;
	err = put_judgement(db, fh, r, path, json, (int64_t)time(NULL));
	if (!err)
		err = run_plain(db, S_RELEASE, "release");
	if (err) {
		abort_put(db);
		return err;
	}
	db->pending++;
	if (db->pending >= PS_DB_BATCH_FILES)
		err = commit(db);
	if (!err)
		db->msg[0] = '\0';
	return err;
}

/* Lowercase hex of exactly `want` digits (or of either length when want2), ':' and spaces
 * between digits dropped. */
static bool norm_hex(char *dst, size_t cap, const char *v, size_t want, size_t want2)
{
	size_t n = 0;
	for (const char *p = v; *p; p++) {
		char c = *p;
		if (c == ':' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n + 1 >= cap)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return n == want || (want2 && n == want2);
}

int ps_db_pivot(ps_db *db, const char *key_value, int (*fn)(void *ctx, const char *path, const char *sha256),
                void *ctx)
{
	static const struct {
		const char *key;
		int stmt;
		size_t hex, hex2; /* digits wanted; 0: free text */
		bool colons;      /* ':' and spaces allowed between hex digits */
	} keys[] = {
		{"cert", S_PIVOT_CERT, 40, 64, true},     {"signer", S_PIVOT_SIGNER, 0, 0, false},
		{"email", S_PIVOT_EMAIL, 0, 0, false},    {"imphash", S_PIVOT_IMPHASH, 32, 0, false},
		{"rich", S_PIVOT_RICH, 32, 0, false},     {"sha256", S_PIVOT_SHA256, 64, 0, false},
		{"string", S_PIVOT_STRING, 0, 0, false},
	};
	if (!db)
		return PS_EINVAL;
	if (db->busy)
		return seterr(db, PS_EINVAL, "ps_db_pivot called from a callback");
	if (!db->h || !key_value || !fn)
		return seterr(db, PS_EINVAL, "ps_db_pivot: missing argument");
	const char *colon = strchr(key_value, ':');
	size_t kl = colon ? (size_t)(colon - key_value) : strlen(key_value);
	int k = -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == kl && !memcmp(keys[i].key, key_value, kl))
			k = (int)i;
	if (k < 0 || !colon)
		return seterr(db, PS_EINVAL,
		              "pivot wants KEY:VALUE with KEY one of cert, signer, email, imphash, rich, sha256, string");
	const char *value = colon + 1;
	if (!value[0])
		return seterr(db, PS_EINVAL, "pivot %s: empty value", keys[k].key);
	char norm[72];
	if (keys[k].hex) {
		bool ok = keys[k].colons ? norm_hex(norm, sizeof(norm), value, keys[k].hex, keys[k].hex2)
		                         : (!strpbrk(value, ": ") && norm_hex(norm, sizeof(norm), value, keys[k].hex, 0));
		if (!ok) {
			if (keys[k].hex2)
				return seterr(db, PS_EINVAL, "pivot %s: want a SHA-1 (40) or SHA-256 (64) thumbprint in hex",
				              keys[k].key);
			return seterr(db, PS_EINVAL, "pivot %s: want %zu hex digits", keys[k].key, keys[k].hex);
		}
		value = norm;
	}
	bnd b = bind_start(db, keys[k].stmt);
	b_text(&b, value);
	int ret = PS_OK, rc = b.rc;
	db->busy = true;
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(b.s)) == SQLITE_ROW) {
			const char *p = col_text(b.s, 0), *h = col_text(b.s, 1);
			if (!p || !h) {
				rc = SQLITE_NOMEM;
				break;
			}
			ret = fn(ctx, p, h);
			if (ret)
				break;
		}
	}
	db->busy = false;
	if (!ret && rc != SQLITE_DONE)
		ret = sqlerr(db, rc, "pivot");
	reset(b.s);
	if (!ret)
		db->msg[0] = '\0';
	return ret;
}
