/* libFuzzer harness: the string scanners (lib/strscan.c, lib/xorscan.c) over the input as a
 * whole file, fed in windows of several sizes chosen by the first input byte, as the hashing
 * pass feeds them.
 *
 * strscan: every string lies in the file, is printable, NUL-terminated, within the caps, in
 * offset order per encoding without overlap, and the list equals a naive reference (maximal
 * runs, one byte at a time) and is the same for every window size. xorscan: every hit
 * re-encodes (method, key) to the file bytes at its offset, holds its anchor, is printable,
 * within the caps, in offset order without overlap; the list is the same for every window
 * size; the budget is accounted; and on inputs up to 16 KiB a brute force over every
 * position, anchor and key agrees on whether there is anything to find, and where the first
 * hit is.
 *
 * Build: scripts/fuzz.sh build; replayed without libFuzzer by make check (fuzz/replay_main.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "limits.h"
#include "strscan.h"
#include "xorscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- strscan ---- */

typedef struct fz_str {
	uint64_t offset;
	size_t len;
	uint64_t hash; /* of the text */
	bool wide, truncated;
} fz_str;

typedef struct fz_strs {
	const uint8_t *data;
	size_t size, min_len;
	fz_str *v;
	size_t n, cap;
	uint64_t next[2]; /* per encoding: no string may start before this */
} fz_strs;

static uint64_t fz_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static bool fz_print(uint8_t b)
{
	return (b >= 0x20 && b <= 0x7e) || b == 0x09;
}

static void fz_push(fz_strs *l, uint64_t offset, size_t len, uint64_t hash, bool wide, bool truncated)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = (fz_str){offset, len, hash, wide, truncated};
}

static void on_str(void *ctx, const ps_str *s)
{
	fz_strs *l = ctx;
	const size_t step = s->wide ? 2 : 1;
	FUZZ_CHECK(s->text != NULL, "string text present");
	FUZZ_CHECK(s->len >= 1 && s->len <= PS_STR_MAX_LEN, "string length within caps");
	FUZZ_CHECK(s->len >= l->min_len, "string at least min_len");
	FUZZ_CHECK(s->text[s->len] == '\0' && strlen(s->text) == s->len, "string NUL-terminated at len");
	FUZZ_CHECK(s->offset < l->size && s->len <= (l->size - s->offset) / step, "string inside the file");
	FUZZ_CHECK(s->offset >= l->next[s->wide], "strings in offset order without overlap");
	for (size_t i = 0; i < s->len; i++) {
		FUZZ_CHECK(fz_print((uint8_t)s->text[i]), "string text printable");
		FUZZ_CHECK(l->data[s->offset + i * step] == (uint8_t)s->text[i], "string text is the file's");
		if (s->wide)
			FUZZ_CHECK(l->data[s->offset + i * step + 1] == 0, "wide character followed by 0");
	}
	l->next[s->wide] = s->offset + s->len * step;
	fz_push(l, s->offset, s->len, fz_hash(s->text, s->len), s->wide, s->truncated);
}

/* The list in a canonical order: ASCII strings, then wide ones, each by offset (the scanner
 * promises order per encoding, not between them). */
static void fz_sort_split(fz_strs *l)
{
	if (!l->n)
		return; /* l->v may be NULL */
	size_t na = 0;
	for (size_t i = 0; i < l->n; i++)
		na += !l->v[i].wide;
	fz_str *t = malloc((l->n ? l->n : 1) * sizeof(*t));
	if (!t)
		abort();
	size_t ia = 0, iw = na;
	for (size_t i = 0; i < l->n; i++)
		t[l->v[i].wide ? iw++ : ia++] = l->v[i];
	memcpy(l->v, t, l->n * sizeof(*t));
	free(t);
}

static void fz_same_strs(const fz_strs *a, const fz_strs *b, const char *what)
{
	FUZZ_CHECK(a->n == b->n, what);
	for (size_t i = 0; i < a->n; i++)
		FUZZ_CHECK(a->v[i].offset == b->v[i].offset && a->v[i].len == b->v[i].len &&
		               a->v[i].hash == b->v[i].hash && a->v[i].wide == b->v[i].wide &&
		               a->v[i].truncated == b->v[i].truncated,
		           what);
}

/* Naive reference: maximal runs, ASCII then UTF-16LE (disjoint, so one left-to-right walk). */
static void fz_reference(const uint8_t *d, size_t n, size_t min_len, fz_strs *out)
{
	char *buf = malloc(PS_STR_MAX_LEN + 1);
	if (!buf)
		abort();
	for (size_t i = 0; i < n;) {
		if (!fz_print(d[i])) {
			i++;
			continue;
		}
		size_t s = i;
		while (i < n && fz_print(d[i]))
			i++;
		size_t len = i - s, m = len > PS_STR_MAX_LEN ? PS_STR_MAX_LEN : len;
		bool wide_char = len == 1 && i < n && d[i] == 0; /* min_len 1: "a\0" is wide only */
		if (len >= min_len && !wide_char)
			fz_push(out, s, m, fz_hash((const char *)d + s, m), false, len > m);
	}
	for (size_t i = 0; i + 1 < n;) {
		if (!(fz_print(d[i]) && d[i + 1] == 0)) {
			i++;
			continue;
		}
		size_t s = i;
		while (i + 1 < n && fz_print(d[i]) && d[i + 1] == 0)
			i += 2;
		size_t len = (i - s) / 2, m = len > PS_STR_MAX_LEN ? PS_STR_MAX_LEN : len;
		for (size_t k = 0; k < m; k++)
			buf[k] = (char)d[s + 2 * k];
		if (len >= min_len)
			fz_push(out, s, m, fz_hash(buf, m), true, len > m);
	}
	free(buf);
}

static void fz_run_strscan(const uint8_t *d, size_t n, size_t min_len, size_t win, fz_strs *l)
{
	memset(l, 0, sizeof(*l));
	l->data = d;
	l->size = n;
	l->min_len = min_len;
	ps_strscan *s = malloc(sizeof(*s));
	if (!s)
		abort();
	ps_strscan_init(s, min_len, on_str, l);
	for (size_t at = 0; at < n; at += win)
		ps_strscan_window(s, d, n, at, n - at < win ? n : at + win);
	FUZZ_CHECK(s->n_strings == l->n, "n_strings counts the callbacks");
	free(s);
	fz_sort_split(l);
}

/* ---- xorscan ---- */

typedef struct fz_hit {
	uint64_t offset;
	size_t len;
	uint64_t hash;
	const char *anchor;
	ps_xor_method method;
	uint8_t key;
	bool wide;
} fz_hit;

typedef struct fz_hits {
	const uint8_t *data;
	size_t size;
	fz_hit v[PS_MAX_XOR_HITS];
	size_t n;
	uint64_t next;
} fz_hits;

static uint8_t fz_rol(uint8_t b, unsigned r)
{
	return (uint8_t)((b << r) | (b >> ((8 - r) & 7)));
}

static uint8_t fz_enc(ps_xor_method m, uint8_t k, uint8_t p)
{
	return m == PS_ENC_XOR ? p ^ k : m == PS_ENC_ADD ? (uint8_t)(p + k) : fz_rol(p, k);
}

static void on_hit(void *ctx, const ps_xorhit *h)
{
	fz_hits *l = ctx;
	const size_t step = h->wide ? 2 : 1;
	FUZZ_CHECK(l->n < PS_MAX_XOR_HITS, "hits within PS_MAX_XOR_HITS");
	FUZZ_CHECK(h->method == PS_ENC_XOR || h->method == PS_ENC_ADD || h->method == PS_ENC_ROL,
	           "hit method valid");
	FUZZ_CHECK(h->key != 0 && (h->method != PS_ENC_ROL || h->key <= 7), "hit key valid");
	FUZZ_CHECK(h->text && h->anchor, "hit text and anchor present");
	FUZZ_CHECK(h->len >= 8 && h->len <= PS_XOR_MAX_DECODED, "hit length within caps");
	FUZZ_CHECK(h->text[h->len] == '\0' && strlen(h->text) == h->len, "hit text NUL-terminated at len");
	FUZZ_CHECK(strstr(h->text, h->anchor) != NULL, "hit text holds its anchor");
	FUZZ_CHECK(h->offset < l->size && h->len <= (l->size - h->offset) / step, "hit inside the file");
	FUZZ_CHECK(h->offset >= l->next, "hits in offset order without overlap");
	const uint8_t *e = l->data + h->offset;
	for (size_t i = 0; i < h->len; i++) {
		uint8_t c = (uint8_t)h->text[i];
		FUZZ_CHECK(fz_print(c), "hit text printable");
		FUZZ_CHECK(e[i * step] == fz_enc(h->method, h->key, c), "hit re-encodes to the file");
		if (h->wide)
			FUZZ_CHECK(e[i * step + 1] == fz_enc(h->method, h->key, 0), "wide hit: encoded 0 after each character");
	}
	l->next = h->offset + h->len * step;
	fuzz_touch_str(h->anchor);
	l->v[l->n++] = (fz_hit){h->offset, h->len, fz_hash(h->text, h->len), h->anchor, h->method, h->key, h->wide};
}

static ps_xorscan *fz_run_xorscan(const uint8_t *d, size_t n, uint64_t budget, size_t win, fz_hits *l)
{
	memset(l, 0, sizeof(*l));
	l->data = d;
	l->size = n;
	ps_xorscan *x = malloc(sizeof(*x));
	if (!x)
		abort();
	ps_xorscan_init(x, budget, on_hit, l);
	for (size_t at = 0; at < n; at += win)
		ps_xorscan_window(x, d, n, at, n - at < win ? n : at + win);
	FUZZ_CHECK(x->n_hits == l->n, "n_hits counts the callbacks");
	if (x->n_hits < PS_MAX_XOR_HITS) {
		uint64_t want = budget < n ? budget : n;
		FUZZ_CHECK(x->scanned == want, "scanned is the file within the budget");
		FUZZ_CHECK(x->exhausted == (budget < n), "exhausted exactly when the budget is short");
	}
	return x;
}

static void fz_same_hits(const fz_hits *a, const fz_hits *b)
{
	FUZZ_CHECK(a->n == b->n, "same hits whatever the windows");
	for (size_t i = 0; i < a->n; i++)
		FUZZ_CHECK(a->v[i].offset == b->v[i].offset && a->v[i].len == b->v[i].len &&
		               a->v[i].hash == b->v[i].hash && a->v[i].anchor == b->v[i].anchor &&
		               a->v[i].method == b->v[i].method && a->v[i].key == b->v[i].key &&
		               a->v[i].wide == b->v[i].wide,
		           "same hits whatever the windows");
}

/* The anchors of lib/xorscan.c, for the brute force. */
static const char *const fz_anchors[] = {
	"http://",         "https://",      "SOFTWARE\\",         "CurrentVersion",     "kernel32",
	"ntdll.dll",       "LoadLibrary",   "GetProcAddress",     "VirtualAlloc",       "CreateProcess",
	"WriteProcessMemory", "CreateRemoteThread", "SetThreadContext", "svchost",        "cmd.exe",
	"powershell",      "Zone.Identifier", "Privilege",        "mimikatz",
};

static uint8_t fz_dec(ps_xor_method m, uint8_t k, uint8_t b)
{
	return m == PS_ENC_XOR ? b ^ k : m == PS_ENC_ADD ? (uint8_t)(b - k) : fz_rol(b, (8 - k) & 7);
}

static bool fz_char(const uint8_t *d, size_t n, size_t i, size_t step, ps_xor_method m, uint8_t k)
{
	if (i >= n || n - i < step || d[i] == 0 || !fz_print(fz_dec(m, k, d[i])))
		return false;
	return step == 1 || fz_dec(m, k, d[i + 1]) == 0;
}

/* First position (in search order: by the multiple of 4 that sees it) of an encoded anchor
 * that xorscan must report when nothing was reported before it; SIZE_MAX if none. */
static size_t fz_brute_first(const uint8_t *d, size_t n, uint64_t budget)
{
	size_t limit = budget < n ? (size_t)budget : n; /* positions q < limit are searched */
	if (n >= 3 && n - 3 < limit)
		limit = n - 3;
	for (size_t p = 0; p < n; p++) {
		size_t q = (p + 3) & ~(size_t)3;
		if (q >= limit)
			break;
		for (size_t ai = 0; ai < sizeof(fz_anchors) / sizeof(fz_anchors[0]); ai++) {
			const char *a = fz_anchors[ai];
			const size_t an = strlen(a);
			for (size_t step = 1; step <= 2; step++) {
				if (n - p < an * step)
					continue;
				for (unsigned mi = 0; mi < 9; mi++) {
					ps_xor_method m = mi == 0 ? PS_ENC_XOR : mi == 1 ? PS_ENC_ADD : PS_ENC_ROL;
					uint8_t k = mi == 0 ? d[p] ^ (uint8_t)a[0]
					            : mi == 1 ? (uint8_t)(d[p] - (uint8_t)a[0])
					                      : (uint8_t)(mi - 1);
					if (k == 0)
						continue;
					bool ok = true, variant = true;
					for (size_t j = 0; j < an * step && ok; j++) {
						uint8_t pj = (step == 2 && (j & 1)) ? 0 : (uint8_t)a[j / step];
						ok = fz_dec(m, k, d[p + j]) == pj;
						variant = variant && (d[p + j] == pj ||
						                      (d[p + j] == (pj ^ 0x20) && (pj | 0x20) >= 'a' && (pj | 0x20) <= 'z'));
					}
					if (!ok || variant)
						continue;
					size_t chars = an, s = p, t = p + an * step;
					while (chars < PS_XOR_MAX_DECODED && fz_char(d, n, t, step, m, k)) {
						t += step;
						chars++;
					}
					while (chars < PS_XOR_MAX_DECODED && s >= step && fz_char(d, n, s - step, step, m, k)) {
						s -= step;
						chars++;
					}
					if (chars >= 8)
						return p;
				}
			}
		}
	}
	return SIZE_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t b = size ? data[0] : 0;
	const bool big = size > (1u << 20);
	size_t min_len = PS_STR_MIN_LEN;
	if ((b & 0x0f) >= 4)
		min_len = (b & 0x0f) == 15 ? 40 : (size_t)(b & 0x0f) - 3; /* 1..11, and one past the filter */
	/* Window sizes: the whole file, tiny ones (every boundary case, small inputs only), odd
	 * ones, and the hashing pass's own. */
	const size_t wins[] = {size ? size : 1, big ? 4096u + b : 1u + b % 97u, 64u + b, PS_PASS_WINDOW};

	fz_strs ref = {0}, got;
	fz_reference(data, size, min_len, &ref);
	fz_sort_split(&ref);
	for (size_t i = 0; i < sizeof(wins) / sizeof(wins[0]); i++) {
		fz_run_strscan(data, size, min_len, wins[i], &got);
		fz_same_strs(&ref, &got, "strings equal the reference, whatever the windows");
		free(got.v);
	}
	free(ref.v);

	/* The budget: the default, or a cut inside the input chosen by the last byte. */
	uint64_t budget = PS_XOR_SCAN_BUDGET;
	if (size && (data[size - 1] & 1))
		budget = (uint64_t)size * data[size - 1] / 256;
	fz_hits *h0 = malloc(sizeof(*h0)), *h1 = malloc(sizeof(*h1));
	if (!h0 || !h1)
		abort();
	free(fz_run_xorscan(data, size, budget, wins[0], h0));
	for (size_t i = 1; i < sizeof(wins) / sizeof(wins[0]); i++) {
		free(fz_run_xorscan(data, size, budget, wins[i], h1));
		fz_same_hits(h0, h1);
	}
	if (size <= 16384) {
		size_t first = fz_brute_first(data, size, budget);
		if (first == SIZE_MAX) {
			FUZZ_CHECK(h0->n == 0, "no hit where the brute force finds nothing");
		} else {
			FUZZ_CHECK(h0->n > 0, "a hit where the brute force finds one");
			const size_t step = h0->v[0].wide ? 2 : 1;
			FUZZ_CHECK(h0->v[0].offset <= first + 3 && first < h0->v[0].offset + h0->v[0].len * step,
			           "the first hit covers the brute force's first");
		}
	}
	free(h0);
	free(h1);
	return 0;
}
