#include "findings.h"

#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "text.h"

void ps_findings_init(ps_findings *fs, ps_arena *arena)
{
	memset(fs, 0, sizeof(*fs));
	fs->arena = arena;
}

static ps_finding *slot(ps_findings *fs)
{
	if (fs->overflowed)
		return NULL;
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 16;
		if (ncap > PS_MAX_FINDINGS)
			ncap = PS_MAX_FINDINGS;
		ps_finding *nv = ps_arena_array(fs->arena, ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		if (fs->n)
			memcpy(nv, fs->v, fs->n * sizeof(*nv));
		fs->v = nv;
		fs->cap = ncap;
	}
	ps_finding *f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	if (fs->n == PS_MAX_FINDINGS) {
		/* The last slot says that the list was cut. */
		fs->overflowed = 1;
		f->id = "PE-LIMIT-REACHED";
		f->severity = PS_SEV_MEDIUM;
		f->title = "Too many findings; further findings were dropped";
		ps_ev_str(f, fs, "structure", "findings");
		ps_ev_uint(f, "cap", PS_MAX_FINDINGS);
		return NULL;
	}
	return f;
}

ps_finding *ps_find(ps_findings *fs, const char *id, ps_severity sev, const char *fmt, ...)
{
	ps_finding *f = slot(fs);
	if (!f) {
		memset(&fs->sink, 0, sizeof(fs->sink));
		return &fs->sink;
	}
	f->id = id;
	f->severity = sev;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	/* The format is ours, but keep the invariant "titles are valid UTF-8" unconditional. */
	f->title = ps_arena_utf8_from_bytes(fs->arena, (const uint8_t *)buf, (size_t)n);
	if (!f->title)
		f->title = "";
	return f;
}

static ps_evidence *ev(ps_finding *f, const char *key, ps_ev_type t)
{
	if (f->n_evidence >= PS_FINDING_MAX_EVIDENCE)
		return NULL;
	ps_evidence *e = &f->evidence[f->n_evidence++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->type = t;
	return e;
}

void ps_ev_uint(ps_finding *f, const char *key, uint64_t v)
{
	ps_evidence *e = ev(f, key, PS_EV_UINT);
	if (e)
		e->u = v;
}

void ps_ev_int(ps_finding *f, const char *key, int64_t v)
{
	ps_evidence *e = ev(f, key, PS_EV_INT);
	if (e)
		e->i = v;
}

void ps_ev_off(ps_finding *f, const char *key, uint64_t v)
{
	ps_evidence *e = ev(f, key, PS_EV_OFFSET);
	if (e)
		e->u = v;
}

void ps_ev_bool(ps_finding *f, const char *key, int v)
{
	ps_evidence *e = ev(f, key, PS_EV_BOOL);
	if (e)
		e->u = v != 0;
}

void ps_ev_time(ps_finding *f, const char *key, int64_t t)
{
	ps_evidence *e = ev(f, key, PS_EV_TIME);
	if (e)
		e->i = t;
}

void ps_ev_str(ps_finding *f, ps_findings *fs, const char *key, const char *utf8)
{
	ps_ev_raw(f, fs, key, utf8, utf8 ? strlen(utf8) : 0);
}

void ps_ev_raw(ps_finding *f, ps_findings *fs, const char *key, const void *bytes, size_t n)
{
	if (f == &fs->sink)
		return;
	ps_evidence *e = ev(f, key, PS_EV_STR);
	if (!e)
		return;
	e->s = ps_arena_utf8_from_bytes(fs->arena, bytes, n);
	if (!e->s)
		e->s = "";
}

void ps_attack(ps_finding *f, const char *technique)
{
	if (f->n_attack < PS_FINDING_MAX_ATTACK)
		f->attack[f->n_attack++] = technique;
}

void ps_find_limit(ps_findings *fs, const char *what, uint64_t cap, uint64_t offset)
{
	ps_finding *f = ps_find(fs, "PE-LIMIT-REACHED", PS_SEV_MEDIUM,
	                        "A structure exceeds pesleuth's cap and was cut short");
	ps_ev_str(f, fs, "structure", what);
	ps_ev_uint(f, "cap", cap);
	ps_ev_off(f, "offset", offset);
}
