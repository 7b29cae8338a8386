/* Scanning one file with compiled YARA rules (include/pesleuth/intel.h compiles them). */
#ifndef PS_RULES_H
#define PS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "pesleuth/intel.h"

/* Scans data[0, len) (the whole file) with the rules, external variables set from path
 * (Loki's: filename = base name, filepath = directory, extension = ".ext" lowercase or "",
 * filetype = "EXE" for MZ, "JPG", "ZIP", "PDF", ..., else "UNKNOWN"). Each matching rule
 * becomes a RULE-MATCH finding (severity from meta `severity` or `score`, high without
 * either) with evidence rule, namespace, tags, description and the first matched strings;
 * a scan stopped by the timeout (seconds) becomes PE-LIMIT-REACHED. Returns PS_ENOMEM or
 * PS_EINTERNAL only for operational failures, PS_ERULES when a deferred pack does not
 * compile (the first call compiles it). */
int ps_rules_scan(const ps_rules *rules, const uint8_t *data, size_t len, const char *path,
                  unsigned timeout, ps_findings *fs);

/* The prefilter: when every rule file declared "// pesleuth-prefilter: "lit" ..." lines, the
 * union of their literals (lower case, printable ASCII), and no rule can match a file in
 * which none of them occurs, case-insensitively, ASCII or UTF-16LE, inside a printable run
 * of at least PS_STR_MIN_LEN characters. Returns how many (0: no prefilter, scan every file). */
size_t ps_rules_prefilter(const ps_rules *rules, const char *const **lits);
#endif
