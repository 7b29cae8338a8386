/* Recording findings. A parser that notices something calls ps_find() and attaches
 * evidence; when PS_MAX_FINDINGS is reached further findings go to a sink that is never
 * reported (and one PE-LIMIT-REACHED finding says so), so callers never test for NULL. */
#ifndef PS_FINDINGS_H
#define PS_FINDINGS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "pesleuth/model.h"

typedef struct ps_findings {
	ps_finding *v;
	size_t n, cap;
	ps_arena *arena;
	ps_finding sink;
	int overflowed;
} ps_findings;

void ps_findings_init(ps_findings *fs, ps_arena *arena);

/* title is a printf format; arguments must be numbers or our own ASCII text, never file
 * strings (those go into evidence, converted). */
ps_finding *ps_find(ps_findings *fs, const char *id, ps_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void ps_ev_uint(ps_finding *f, const char *key, uint64_t v);
void ps_ev_int(ps_finding *f, const char *key, int64_t v);
void ps_ev_off(ps_finding *f, const char *key, uint64_t v);
void ps_ev_bool(ps_finding *f, const char *key, int v);
void ps_ev_time(ps_finding *f, const char *key, int64_t unix_seconds);
/* A UTF-8 string we produced (copied). */
void ps_ev_str(ps_finding *f, ps_findings *fs, const char *key, const char *utf8);
/* Bytes from the file, converted to valid UTF-8 (copied). */
void ps_ev_raw(ps_finding *f, ps_findings *fs, const char *key, const void *bytes, size_t n);
void ps_attack(ps_finding *f, const char *technique);

/* The PE-LIMIT-REACHED finding for a cap: what was being walked, the cap, where. */
void ps_find_limit(ps_findings *fs, const char *what, uint64_t cap, uint64_t offset);

#endif
