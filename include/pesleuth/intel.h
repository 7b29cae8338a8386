/* pesleuth — intelligence a scan is judged against: IOC feeds and YARA rules.
 *
 * Both are loaded once, before any file is analyzed, and are immutable afterwards: one
 * ps_iocs and one ps_rules may be shared by every thread that analyzes files (pass them in
 * ps_options). Loading reports problems in the user's files (a malformed feed line, a rule
 * that does not compile) through a diagnostic callback, never on stdio.
 */
#ifndef PESLEUTH_INTEL_H
#define PESLEUTH_INTEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A problem in a user file: path, 1-based line (0 when not tied to a line), why (ASCII). */
typedef void (*ps_diag_fn)(void *ctx, const char *path, unsigned line, const char *why);

/* ---------------------------------------------------------------- IOC feeds
 * One indicator per line: an MD5, SHA-1 or SHA-256 (hex), an IPv4 or IPv6 address (an IPv4
 * may carry ":port"), a domain (with a known top-level domain) or a URL, optionally followed
 * by ";description" (Loki's format). Blank lines and lines starting with '#' are skipped. A
 * malformed line is reported through diag and skipped. */
typedef struct ps_iocs ps_iocs;

int ps_iocs_new(ps_iocs **out);
/* Adds the indicators of one feed. PS_EIO (errno set) when the file cannot be read;
 * malformed lines are not an error. */
int ps_iocs_load(ps_iocs *iocs, const char *path, ps_diag_fn diag, void *ctx);
/* Number of indicators loaded (all kinds). */
size_t ps_iocs_count(const ps_iocs *iocs);
void ps_iocs_free(ps_iocs *iocs);

/* ---------------------------------------------------------------- YARA rules
 * Rule files are compiled once by libyara with the external variables Loki defines
 * (filename, filepath, extension, filetype) declared, and scanned against every file. A match
 * is a RULE-MATCH finding whose severity comes from the rule's meta: `severity` ("info",
 * "low", "medium", "high", "critical") or Loki's numeric `score`. */
typedef struct ps_rules ps_rules;

int ps_rules_new(ps_rules **out);
/* Like ps_rules_new, but the files added are compiled when the first scan (or
 * ps_rules_count) needs them, once, from whichever thread asks: for a pack the user did not
 * name, whose cost is then paid only when some file passes the prefilter. ps_rules_add_file
 * reads the prefilter declarations at once and keeps the file open (up to 64
 * files; past that the pack is compiled as it is added); compile errors reach each file's
 * diag callback (whose ctx must live as long as the rules) when the compilation happens,
 * possibly on a worker thread, and every scan then fails with PS_ERULES. */
int ps_rules_new_deferred(ps_rules **out);
/* Adds one rule file (its namespace is the file's base name). A compile error or warning is
 * reported through diag with its line; returns PS_EINVAL after an error (the ps_rules can
 * no longer be compiled), PS_EIO when the file cannot be read. */
int ps_rules_add_file(ps_rules *rules, const char *path, ps_diag_fn diag, void *ctx);
/* Compiles what was added (a deferred pack: seals it); afterwards the rules are immutable
 * and may be shared. */
int ps_rules_finish(ps_rules *rules);
/* Number of rules compiled (0 before ps_rules_finish; compiles a deferred pack). */
size_t ps_rules_count(const ps_rules *rules);
void ps_rules_free(ps_rules *rules);

#ifdef __cplusplus
}
#endif
#endif
