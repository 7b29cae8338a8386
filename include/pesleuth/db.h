/* pesleuth — the corpus database (SQLite): every file a scan analyzed, durably, for later
 * questions across the corpus (which certificates, which files share a signer, an imphash, a
 * Rich hash) and, later, re-judgement without reading the files again.
 *
 * What is stored keeps DESIGN.md's split (the schema and its semantics: docs/DATABASE.md):
 *  - FACTS, a pure function of a file's bytes, keyed by its SHA-256, written once (per pesleuth
 *    version): hashes, PE header summary, sections, certificates (deduplicated by SHA-256
 *    thumbprint, DER kept), signatures as parsed and cryptographically checked, their
 *    certificate bags and timestamps, and the strings that matter (network indicators and
 *    XOR-decoded strings).
 *  - JUDGEMENT, a function of facts + trust context + time, replaced on every put: verdict,
 *    findings, per-signature trusted signing time, chain, status and revocation, and the full
 *    JSON report (ps_report_json(..., PS_JSON_DETAIL)).
 *  - PATHS: where a file was seen (path -> SHA-256, size, times, inode, device).
 *
 * One handle is used by one thread at a time (the scan's single writer; a reader may open its
 * own handle, read-only, in another thread or process: WAL lets readers run beside the
 * writer). Errors follow error.h; ps_db_errmsg() says what went wrong in words. A callback
 * must not call back into the same handle (PS_EINVAL).
 *
 * Durability: journal_mode=WAL, synchronous=NORMAL. Puts are batched into transactions of
 * PS_DB_BATCH_FILES files (256); a process killed at any point (SIGKILL included) loses at
 * most the batch not yet committed, never corrupts the file, and a re-run of the same scan
 * completes it without duplicate rows (facts: INSERT OR IGNORE on their keys; paths and
 * judgements: upserts). A power loss may also lose the last committed batches (NORMAL), never
 * consistency.
 */
#ifndef PESLEUTH_DB_H
#define PESLEUTH_DB_H

#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ps_db ps_db;

/* The schema version this library writes (PRAGMA user_version); see docs/DATABASE.md. */
#define PS_DB_SCHEMA_VERSION 2 /* 2: judge_facts (re-judgement) */

/* ps_db_open flags */
#define PS_DB_READONLY 1u /* open an existing database for queries only; every write is PS_EINVAL */

/* Opens (read-write: creates when absent) the database at path. A new or empty file gets the
 * schema (PRAGMA user_version = PS_DB_SCHEMA_VERSION, application_id 'PSDB'); journal_mode=WAL,
 * synchronous=NORMAL, foreign_keys=ON and a busy timeout are set on every read-write open.
 * Refused with PS_EINVAL: a schema newer than this library's ("written by a newer pesleuth"),
 * an SQLite file that is not a pesleuth database, a read-only open of a file that has no
 * schema. PS_EIO when the file cannot be opened or read as SQLite, PS_ENOMEM.
 * *out is set even on failure (NULL only when the handle itself could not be allocated), so
 * that ps_db_errmsg() can say why; close it with ps_db_close() in either case (a handle that
 * failed to open answers every other call with PS_EINVAL). */
int ps_db_open(ps_db **out, const char *path, unsigned flags);

/* Commits what is pending and closes; NULL is accepted. A failure to commit here cannot be
 * reported: call ps_db_flush() first when that matters. */
void ps_db_close(ps_db *db);

/* The last error in words (static or owned by the handle, valid until its next call);
 * "out of memory" for a NULL handle; "" after success. */
const char *ps_db_errmsg(const ps_db *db);

/* What stat(2) says of a file, for incremental scans. Integers are stored as SQLite's signed
 * 64-bit (unsigned values above INT64_MAX wrap, and compare equal to themselves). ctime is
 * compared as well as mtime: a timestomped file (mtime set back with touch -d, T1070.006)
 * still gets a new ctime, which no user can set. Fill every field (zero what is unknown, the
 * same way on every scan). */
typedef struct ps_db_filestat {
	uint64_t size, inode, dev;
	int64_t mtime_ns, ctime_ns; /* st_mtim / st_ctim as nanoseconds since 1970 */
} ps_db_filestat;

/* Incremental scans: *unchanged = 1 when path is recorded with the same size, mtime, ctime,
 * inode and device AND its file's facts and judgement are stored (they are written in one
 * transaction, so they are complete when present); 0 otherwise (unknown path, a path put
 * without a filestat, anything different). Sees what this handle has put, committed or not;
 * another handle sees committed batches only. */
int ps_db_unchanged(ps_db *db, const char *path, const ps_db_filestat *st, int *unchanged);

/* Records one analyzed file, seen at path (NULL: r->path; one of them is needed), with st (may
 * be NULL: then ps_db_unchanged never reports that path unchanged).
 *  - facts, keyed by the file's SHA-256, are written only when that SHA-256 is not stored yet
 *    (they are a pure function of the bytes), or was stored by another pesleuth version
 *    (PESLEUTH_VERSION: its parser may see more; they are then extracted again); otherwise
 *    only hashes an earlier scan did not compute (--hashes) are added;
 *  - the path row is inserted or updated (path -> sha256, size, times, inode, device, last
 *    seen);
 *  - the judgement replaces the previous one of that SHA-256 (the latest put wins; it records
 *    the path it was judged with, since YARA rules may use the file name).
 * One put is atomic (a savepoint): on failure nothing of it is kept and the batch before it
 * stays pending — unless ps_db_errmsg() says the batch was rolled back (SQLite does that on a
 * full disk or an I/O error). The first put of a batch opens a transaction; it is committed
 * after PS_DB_BATCH_FILES puts, by ps_db_flush() and by ps_db_close().
 * PS_EINVAL: read-only handle, no path, or a report without SHA-256 (r->hashes.computed lacks
 * PS_HASH_SHA256: the database is keyed by it, so --db must force SHA-256 on). */
int ps_db_put(ps_db *db, const ps_report *r, const char *path, const ps_db_filestat *st);

/* Commits the pending batch, if any. */
int ps_db_flush(ps_db *db);

/* One certificate seen (in a signature's certificate bag, as a signer, a TSA, or in a chain as
 * built). Strings are borrowed for the duration of the callback only; any may be NULL except
 * sha1 and sha256 (lowercase hex). */
typedef struct ps_db_cert {
	const char *sha1, *sha256;
	const char *subject, *issuer, *serial, *email;
	int64_t not_before, not_after; /* PS_TIME_NONE when absent */
	uint64_t files;                /* distinct files (SHA-256) with a signature whose signer this is */
	int64_t first_signed, last_signed; /* min/max trusted signing time over those signatures;
	                                      PS_TIME_NONE when none has one */
	const uint8_t *der;
	size_t der_len;
} ps_db_cert;

/* Calls fn for every stored certificate, most files signed first (then by subject, then by
 * SHA-256). fn returns 0 to go on; any other value stops the walk and is returned. */
int ps_db_certs(ps_db *db, int (*fn)(void *ctx, const ps_db_cert *c), void *ctx);

/* Files that share something, as "KEY:VALUE":
 *   cert:THUMBPRINT  a signature's signer is that certificate (SHA-1 or SHA-256, hex, any case;
 *                    ':' and spaces between bytes allowed, as openssl -fingerprint prints it)
 *   signer:TEXT      a signature's signer subject contains TEXT (ASCII case-insensitive)
 *   email:ADDRESS    a signature's signer e-mail is ADDRESS (ASCII case-insensitive, exact)
 *   imphash:MD5      the import hash (any case)
 *   rich:MD5         the Rich header hash (any case)
 *   sha256:HEX       the file itself (any case)
 *   string:TEXT      a stored string (network indicator or XOR-decoded), exact, ASCII
 *                    case-insensitive
 * fn is called once per (path, sha256) of every matching file, ordered by path (bytes); the
 * strings are borrowed for the call. fn returns 0 to go on, anything else stops and is
 * returned. PS_EINVAL (with the reason in ps_db_errmsg) for an unknown key, an empty value or
 * a malformed hex value. No match is not an error. */
int ps_db_pivot(ps_db *db, const char *key_value, int (*fn)(void *ctx, const char *path, const char *sha256),
                void *ctx);

/* Re-judgement (`pesleuth rejudge`): every stored file with a judgement and its judgement
 * facts (ps_report_judge_facts), in path order: its SHA-256, the path it was last judged
 * with, its verdict, the stored report JSON, the facts, and its stored strings (network
 * indicators and decoded strings, for IOC feeds). Borrowed for the call. Use another handle to
 * write while iterating (WAL lets a reader and the writer run side by side). */
typedef struct ps_db_judged {
	const char *sha256, *path, *verdict, *report_json, *facts;
	const ps_stored_string *strings;
	size_t n_strings;
} ps_db_judged;
int ps_db_each_judged(ps_db *db, int (*fn)(void *ctx, const ps_db_judged *j), void *ctx);

/* Replaces the judgement of r's file (keyed by its SHA-256) with r and its report JSON;
 * batched and atomic like ps_db_put. Facts and paths are not touched. */
int ps_db_put_judgement(ps_db *db, const ps_report *r, const char *path, const char *json);

#ifdef __cplusplus
}
#endif
#endif
