/* pesleuth — analyzing one file.
 *
 * ps_analyze_path() opens, reads (each byte once: hashes, checksum and entropy in one pass)
 * and models a file; ps_analyze_buffer() does the same for bytes already in memory. Neither
 * executes, writes or keeps the file. A report is independent of every other report, so
 * several threads may analyze different files at once.
 */
#ifndef PESLEUTH_ANALYZE_H
#define PESLEUTH_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ps_trust ps_trust;
typedef struct ps_iocs ps_iocs;
typedef struct ps_rules ps_rules;

typedef struct ps_options {
	unsigned hashes;        /* PS_HASH_* bits; 0 means PS_HASH_ALL */
	const ps_trust *trust;  /* borrowed; NULL: no anchors, nothing is trusted */
	int authentihash;       /* compute the MD5, SHA-1 and SHA-256 Authenticode hashes of every PE
	                           (otherwise only those its signatures need) */
	const ps_iocs *iocs;    /* borrowed; NULL: no IOC feeds (intel.h) */
	const ps_rules *rules;  /* borrowed; NULL: no YARA rules (intel.h) */
	unsigned rules_timeout; /* seconds of YARA scanning per file; 0: PS_RULES_TIMEOUT_DEFAULT */
	unsigned time_budget_ms; /* per file, for what goes beyond hashing and the model (string,
	                            XOR and YARA scanning): past it they stop, and the report says
	                            so (PE-LIMIT-REACHED); 0: PS_TIME_BUDGET_DEFAULT_MS */
} ps_options;

/* Sets the defaults (all hashes). */
void ps_options_init(ps_options *opt);

/* Analyzes the regular file at path (symbolic links are followed: callers that must not
 * follow them check first). On success *out owns a report, even for a file that is not a
 * PE or is malformed. Returns PS_EIO (with errno set) when the file cannot be read,
 * PS_ENOTFILE when it is not a regular file, PS_ENOMEM on allocation failure. */
int ps_analyze_path(ps_report **out, const char *path, const ps_options *opt);

/* Same, for a file the caller opened (and still owns: it is not closed); it is read from
 * offset 0 whatever the descriptor's position. name (may be NULL) is recorded as the
 * report's path. For callers that open race-free (openat with O_NOFOLLOW from a walk). */
int ps_analyze_fd(ps_report **out, int fd, const char *name, const ps_options *opt);

/* Same, for a buffer the caller owns; name (may be NULL) is recorded as the report's path.
 * The buffer must stay valid during the call only. */
int ps_analyze_buffer(ps_report **out, const uint8_t *data, size_t len, const char *name,
                      const ps_options *opt);

void ps_report_free(ps_report *r);

/* Lower-case names: "info", "low", "medium", "high", "critical". */
const char *ps_severity_name(ps_severity s);

/* The file's verdict, which follows its most severe finding: "clean" when nothing is above
 * info, otherwise the severity name of the worst finding. */
const char *ps_report_verdict(const ps_report *r);

/* Names for COFF machine and subsystem values ("x86", "x64", "arm64", ... / "windows_gui",
 * ...); "unknown" for values Windows does not define. */
const char *ps_machine_name(uint16_t machine);
const char *ps_subsystem_name(uint16_t subsystem);

/* Looks up a version-info string (e.g. "OriginalFilename"): the first one in file order,
 * or NULL. */
const char *ps_version_string(const ps_pe *pe, const char *key);

/* Re-judgement without the file (DESIGN.md "Data flow"). ps_report_judge_facts() captures, as
 * one JSON text (malloc'd), the facts a judgement reads: the certificate table's bytes, the
 * digests the pass computed for each signature, the header times, version strings and file
 * hashes. ps_rejudge() judges them again under opt (trust context with its CRLs, blocklists
 * and time; IOC feeds) and returns a new report — the findings that are facts of the bytes
 * are taken from stored_json (the report JSON stored with the facts), the judged ones are new
 * — and, in *json_out (may be NULL), stored_json with its judgement replaced (signatures,
 * findings, verdict, timeline, file.code_signature). strings are the file's stored network
 * indicators and decoded strings, for IOC-NETWORK. PS_EINVAL when the facts are not usable
 * (another version, a table that parses into other signatures). YARA rules are not run
 * again: RULE-MATCH findings are kept as stored. */
int ps_report_judge_facts(char **out, const ps_report *r);
typedef struct ps_stored_string {
	const char *text;
	uint64_t offset;
	int decoded; /* recovered by the XOR/ADD/ROL search */
} ps_stored_string;
int ps_rejudge(ps_report **out, char **json_out, const char *facts, const char *stored_json,
               const ps_stored_string *strings, size_t n_strings, const char *path, const ps_options *opt);
#ifdef __cplusplus
}
#endif
#endif
