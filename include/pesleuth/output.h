/* pesleuth — rendering reports.
 *
 * JSON follows the output contract of DESIGN.md: ECS names where ECS has them (file.*),
 * lowercase hex, ISO 8601 UTC times with Z, null for absent values (keys never omitted),
 * always valid UTF-8 whatever bytes the file held.
 * Text is for a terminal: every string that came from the file is escaped so that it can
 * neither inject control sequences nor reorder the line (bidi controls).
 */
#ifndef PESLEUTH_OUTPUT_H
#define PESLEUTH_OUTPUT_H

#include <stdio.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	PS_JSON_PRETTY = 1u << 0, /* indented, for show --json; default is one line (JSONL) */
	PS_JSON_DETAIL = 1u << 1  /* include the long lists: imports, exports, resources, rich entries */
};

/* Renders the report as one JSON object. *out is a NUL-terminated string the caller frees
 * with free(). */
int ps_report_json(char **out, const ps_report *r, unsigned flags);

/* One JSON object for a path that could not be analyzed: {"path":..., "error": {...}}. */
int ps_error_json(char **out, const char *path, int err, int errno_value);

/* t (seconds since the epoch) as ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ", always with four year
 * digits (strftime's %Y does not pad the years before 1000 that an X.509 GeneralizedTime can
 * hold, and Elasticsearch rejects "1-01-01T00:00:00Z"). Returns buf; buf is "" (and the
 * result false-y via buf[0] == 0) for PS_TIME_NONE and times outside the years 0000-9999. */
#define PS_TIME_ISO_SIZE 21
char *ps_time_iso(char buf[PS_TIME_ISO_SIZE], int64_t t);

/* The human-readable report (show). */
int ps_report_text(FILE *f, const ps_report *r);

/* Writes s to f with every byte that could act on a terminal escaped: C0/C1 controls and
 * DEL as \xNN, bidi and other invisible format characters as \u{XXXX}, invalid UTF-8 as
 * \xNN, backslash as \\. len is the byte length of s. */
void ps_fputs_escaped(FILE *f, const char *s, size_t len);

/* CSV for spreadsheets (like `sigcheck -c`), one row per file. RFC 4180: comma-separated,
 * every line (header included) ends with CRLF, a cell is quoted when it holds a comma, a
 * double quote, CR or LF, and quotes inside are doubled. Always valid UTF-8 without NUL:
 * invalid bytes, and the control and invisible characters the text output escapes (except
 * TAB, CR, LF), become U+FFFD. A cell starting with = + - @ TAB or CR (a spreadsheet would
 * run it as a formula: OWASP "CSV Injection") or with an apostrophe gets a leading
 * apostrophe; removing one leading apostrophe restores the value. Absent values are empty.
 *
 * Columns: path, verdict, findings (count), finding_ids (unique, report order,
 * space-separated), verified ("Signed" when the primary signature is trusted, else
 * file.code_signature.status: "NotSigned", "Malformed", "HashMismatch", ...), signing_date
 * (trusted signing time), publisher (signer subject CN), issuer (signer issuer DN, RFC 2253),
 * cert_sha1 (signer thumbprint), company, description, product, product_version,
 * file_version, original_file_name (version strings), machine ("x64", ...), subsystem
 * ("windows_gui", ...), compile_time, imphash, rich_hash, md5, sha1, sha256, size.
 * Times are ISO 8601 UTC with Z, hex is lowercase.
 *
 * Both return a NUL-terminated line (with its CRLF) in *out, which the caller frees with
 * free(); PS_ENOMEM (and *out NULL) when memory runs out. */
int ps_report_csv_header(char **out);
int ps_report_csv(char **out, const ps_report *r);

#ifdef __cplusplus
}
#endif
#endif
