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

/* The human-readable report (show). */
int ps_report_text(FILE *f, const ps_report *r);

/* Writes s to f with every byte that could act on a terminal escaped: C0/C1 controls and
 * DEL as \xNN, bidi and other invisible format characters as \u{XXXX}, invalid UTF-8 as
 * \xNN, backslash as \\. len is the byte length of s. */
void ps_fputs_escaped(FILE *f, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
