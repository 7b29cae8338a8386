/* Strings (lib/strscan.c) and encoded strings (lib/xorscan.c): exact strings and offsets,
 * the min_len boundary, window boundaries (any window size gives the same list), truncation,
 * UTF-16LE at odd offsets; XOR/ADD/ROL recovery of an indicator in ASCII and UTF-16LE, plain
 * text and case variants left alone, nothing in random bytes, the budget and the hit cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strscan.h"
#include "xorscan.h"

/* ---- strscan ---- */

typedef struct got_str {
	uint64_t offset;
	bool wide, truncated;
	size_t len;
	char text[PS_STR_MAX_LEN + 1];
} got_str;

typedef struct str_list {
	got_str *v;
	size_t n, cap;
} str_list;

static void on_str(void *ctx, const ps_str *s)
{
	str_list *l = ctx;
	assert_true(s->len <= PS_STR_MAX_LEN);
	assert_int_equal(strlen(s->text), s->len);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	got_str *g = &l->v[l->n++];
	g->offset = s->offset;
	g->wide = s->wide;
	g->truncated = s->truncated;
	g->len = s->len;
	memcpy(g->text, s->text, s->len + 1);
}

/* All strings of buf, the file fed in windows of `win` bytes. */
static str_list scan(const uint8_t *buf, size_t len, size_t min_len, size_t win)
{
	str_list l = {0};
	ps_strscan *s = malloc(sizeof(*s));
	assert_non_null(s);
	ps_strscan_init(s, min_len, on_str, &l);
	for (size_t at = 0; at < len; at += win)
		ps_strscan_window(s, buf, len, at, len - at < win ? len : at + win);
	assert_int_equal(s->n_strings, l.n);
	free(s);
	return l;
}

static void expect(const str_list *l, size_t i, uint64_t offset, bool wide, const char *text)
{
	assert_true(i < l->n);
	assert_int_equal(l->v[i].offset, offset);
	assert_int_equal(l->v[i].wide, wide);
	assert_false(l->v[i].truncated);
	assert_string_equal(l->v[i].text, text);
}

/* Appends s as UTF-16LE. */
static size_t put_wide(uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		p[2 * i] = (uint8_t)s[i];
		p[2 * i + 1] = 0;
	}
	return 2 * n;
}

/* The ASCII strings, then the wide ones, each in offset order. */
static void split(const str_list *l, str_list *a, str_list *w)
{
	memset(a, 0, sizeof(*a));
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < l->n; i++) {
		str_list *d = l->v[i].wide ? w : a;
		if (d->n == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 16;
			d->v = realloc(d->v, d->cap * sizeof(*d->v));
			assert_non_null(d->v);
		}
		d->v[d->n++] = l->v[i];
	}
}

static void same_lists(const str_list *x, const str_list *y)
{
	str_list xa, xw, ya, yw;
	split(x, &xa, &xw);
	split(y, &ya, &yw);
	assert_int_equal(xa.n, ya.n);
	assert_int_equal(xw.n, yw.n);
	for (size_t i = 0; i < xa.n; i++) {
		assert_int_equal(xa.v[i].offset, ya.v[i].offset);
		assert_int_equal(xa.v[i].truncated, ya.v[i].truncated);
		assert_string_equal(xa.v[i].text, ya.v[i].text);
	}
	for (size_t i = 0; i < xw.n; i++) {
		assert_int_equal(xw.v[i].offset, yw.v[i].offset);
		assert_int_equal(xw.v[i].truncated, yw.v[i].truncated);
		assert_string_equal(xw.v[i].text, yw.v[i].text);
	}
	free(xa.v);
	free(xw.v);
	free(ya.v);
	free(yw.v);
}

static void ascii_and_wide_with_offsets(void **state)
{
	(void)state;
	uint8_t buf[256];
	memset(buf, 0x90, sizeof(buf));
	size_t at = 3;
	memcpy(buf + at, "kernel32.dll", 12); /* 3 */
	at += 12;
	buf[at++] = 0;
	at += 5;                                      /* 0x90 */
	at += put_wide(buf + at, "Software\\Run");   /* 21 */
	buf[at++] = 0;
	buf[at++] = 0;
	memcpy(buf + at, "tab\there", 8); /* 47: TAB is printable */
	at += 8;
	buf[at++] = 0x7f;                 /* DEL is not */
	memcpy(buf + at, "after-del", 9); /* 56 */
	at += 9;
	str_list l = scan(buf, at, 6, 1 << 20);
	assert_int_equal(l.n, 4);
	/* strscan reports per encoding in offset order; the order between encodings is not
	 * promised, so look them up by position in each list. */
	str_list a, w;
	split(&l, &a, &w);
	assert_int_equal(a.n, 3);
	assert_int_equal(w.n, 1);
	expect(&a, 0, 3, false, "kernel32.dll");
	expect(&a, 1, 47, false, "tab\there");
	expect(&a, 2, 56, false, "after-del");
	expect(&w, 0, 21, true, "Software\\Run");
	free(a.v);
	free(w.v);
	free(l.v);
}

static void min_len_boundary(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0xff, sizeof(buf));
	memcpy(buf + 1, "abcde", 5);   /* 5: too short for 6 */
	memcpy(buf + 10, "abcdef", 6); /* 6: reported */
	put_wide(buf + 20, "vwxyz");   /* 5 wide characters */
	put_wide(buf + 33, "uvwxyz");  /* 6, odd offset */
	str_list l = scan(buf, sizeof(buf), 6, 1 << 20);
	str_list a, w;
	split(&l, &a, &w);
	assert_int_equal(a.n, 1);
	expect(&a, 0, 10, false, "abcdef");
	assert_int_equal(w.n, 1);
	expect(&w, 0, 33, true, "uvwxyz");
	free(a.v);
	free(w.v);
	free(l.v);
	/* min_len 5 takes the shorter ones too */
	l = scan(buf, sizeof(buf), 5, 1 << 20);
	split(&l, &a, &w);
	assert_int_equal(a.n, 2);
	expect(&a, 0, 1, false, "abcde");
	assert_int_equal(w.n, 2);
	expect(&w, 0, 20, true, "vwxyz");
	free(a.v);
	free(w.v);
	free(l.v);
}

/* A string at the very end of the file, and one that is the whole file. */
static void file_edges(void **state)
{
	(void)state;
	const uint8_t whole[] = "printable";
	str_list l = scan(whole, 9, 6, 1 << 20);
	assert_int_equal(l.n, 1);
	expect(&l, 0, 0, false, "printable");
	free(l.v);
	uint8_t tail[40] = {0};
	memcpy(tail + 40 - 7, "tail-of", 7);
	l = scan(tail, sizeof(tail), 6, 1 << 20);
	assert_int_equal(l.n, 1);
	expect(&l, 0, 33, false, "tail-of");
	free(l.v);
	/* a wide character needs its zero: "w\0i\0d\0e\0s\0t" has 5 characters, not 6 */
	uint8_t w[16];
	size_t n = put_wide(w, "widest");
	l = scan(w, n - 1, 6, 1 << 20);
	assert_int_equal(l.n, 0);
	free(l.v);
	l = scan(w, n, 6, 1 << 20);
	assert_int_equal(l.n, 1);
	expect(&l, 0, 0, true, "widest");
	free(l.v);
	l = scan(w, 0, 6, 1 << 20);
	assert_int_equal(l.n, 0);
	free(l.v);
}

static void wide_at_odd_offsets_and_next_to_ascii(void **state)
{
	(void)state;
	uint8_t buf[128];
	memset(buf, 0x01, sizeof(buf));
	size_t at = 7;
	at += put_wide(buf + at, "odd-offset"); /* 7 */
	buf[at++] = 0x02;
	at += put_wide(buf + at, "even-offset"); /* 28 */
	/* ASCII run straight into a wide run: "plainASCIIw" is one ASCII run (the w is
	 * printable), and the wide run starts at that w. */
	memcpy(buf + at, "plainASCII", 10); /* 50 */
	at += 10;
	at += put_wide(buf + at, "wide-after"); /* 60 */
	str_list l = scan(buf, at, 6, 1 << 20);
	str_list a, w;
	split(&l, &a, &w);
	assert_int_equal(w.n, 3);
	expect(&w, 0, 7, true, "odd-offset");
	expect(&w, 1, 28, true, "even-offset");
	expect(&w, 2, 60, true, "wide-after");
	/* No 1-character ASCII strings inside the wide ones, and none shorter than 6. */
	assert_int_equal(a.n, 1);
	expect(&a, 0, 50, false, "plainASCIIw");
	free(a.v);
	free(w.v);
	free(l.v);
}

static void min_len_one_does_not_split_wide(void **state)
{
	(void)state;
	uint8_t buf[32];
	memset(buf, 0x80, sizeof(buf));
	put_wide(buf + 2, "ab");
	memcpy(buf + 10, "c", 1);
	str_list l = scan(buf, sizeof(buf), 1, 1 << 20);
	str_list a, w;
	split(&l, &a, &w);
	assert_int_equal(w.n, 1);
	expect(&w, 0, 2, true, "ab");
	assert_int_equal(a.n, 1); /* "c" (not followed by 0), not "a" and "b" */
	expect(&a, 0, 10, false, "c");
	free(a.v);
	free(w.v);
	free(l.v);
}

static void truncation(void **state)
{
	(void)state;
	const size_t n = 3000;
	uint8_t *buf = malloc(3 * n + 64);
	assert_non_null(buf);
	size_t at = 0;
	buf[at++] = 0;
	memset(buf + at, 'A', n); /* 1 */
	at += n;
	buf[at++] = '\n';
	memcpy(buf + at, "next-one", 8); /* n + 2 */
	at += 8;
	buf[at++] = 0x03; /* not 0: "e\0" would be a wide character, starting the run early */
	for (size_t i = 0; i < n; i++)
		at += put_wide(buf + at, i % 2 ? "y" : "x"); /* n + 11 */
	buf[at++] = 0x03;
	buf[at++] = 0x03;
	memcpy(buf + at, "last-one", 8);
	at += 8;
	const size_t wins[] = {1 << 20, 7, 1000, 1024, 4096};
	for (size_t k = 0; k < sizeof(wins) / sizeof(wins[0]); k++) {
		str_list l = scan(buf, at, 6, wins[k]);
		str_list a, w;
		split(&l, &a, &w);
		assert_int_equal(a.n, 3);
		assert_int_equal(a.v[0].offset, 1);
		assert_true(a.v[0].truncated);
		assert_int_equal(a.v[0].len, PS_STR_MAX_LEN);
		for (size_t i = 0; i < PS_STR_MAX_LEN; i++)
			assert_int_equal(a.v[0].text[i], 'A');
		expect(&a, 1, n + 2, false, "next-one");
		expect(&a, 2, at - 8, false, "last-one");
		assert_int_equal(w.n, 1);
		assert_int_equal(w.v[0].offset, n + 11);
		assert_true(w.v[0].truncated);
		assert_int_equal(w.v[0].len, PS_STR_MAX_LEN);
		assert_int_equal(w.v[0].text[0], 'x');
		assert_int_equal(w.v[0].text[PS_STR_MAX_LEN - 1], 'y');
		free(a.v);
		free(w.v);
		free(l.v);
	}
	free(buf);
}

/* Deterministic xorshift; mixes runs of text, UTF-16LE, zeros and noise. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void windows_do_not_change_the_strings(void **state)
{
	(void)state;
	const size_t len = 20000;
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	uint64_t r = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < len;) {
		uint64_t v = rng_next(&r);
		size_t run = 1 + (v >> 8) % 40;
		if (run > len - i)
			run = len - i;
		for (size_t j = 0; j < run; j++, i++) {
			uint64_t b = rng_next(&r);
			switch (v % 4) {
			case 0: /* text */
				buf[i] = (uint8_t)(0x20 + b % 95);
				break;
			case 1: /* UTF-16LE at the parity we are at */
				buf[i] = j % 2 ? 0 : (uint8_t)('a' + b % 26);
				break;
			case 2:
				buf[i] = 0;
				break;
			default:
				buf[i] = (uint8_t)b;
			}
		}
	}
	for (size_t min_len = 1; min_len <= 20; min_len += (min_len < 8 ? 1 : 6)) {
		str_list ref = scan(buf, len, min_len, len);
		assert_true(ref.n > 0);
		for (size_t win = 1; win <= 70; win += (win < 10 ? 1 : 13)) {
			str_list l = scan(buf, len, min_len, win);
			same_lists(&ref, &l);
			free(l.v);
		}
		str_list l = scan(buf, len, min_len, 4096);
		same_lists(&ref, &l);
		free(l.v);
		free(ref.v);
	}
	free(buf);
}

/* ---- xorscan ---- */

typedef struct got_hit {
	uint64_t offset;
	ps_xor_method method;
	uint8_t key;
	bool wide;
	char anchor[32];
	char text[PS_XOR_MAX_DECODED + 1];
} got_hit;

typedef struct hit_list {
	got_hit v[PS_MAX_XOR_HITS + 1];
	size_t n;
} hit_list;

static void on_hit(void *ctx, const ps_xorhit *h)
{
	hit_list *l = ctx;
	assert_true(l->n < PS_MAX_XOR_HITS);
	assert_int_equal(strlen(h->text), h->len);
	got_hit *g = &l->v[l->n++];
	g->offset = h->offset;
	g->method = h->method;
	g->key = h->key;
	g->wide = h->wide;
	snprintf(g->anchor, sizeof(g->anchor), "%s", h->anchor);
	memcpy(g->text, h->text, h->len + 1);
}

static ps_xorscan *xs_new(uint64_t budget, hit_list *l)
{
	ps_xorscan *x = malloc(sizeof(*x));
	assert_non_null(x);
	memset(l, 0, sizeof(*l));
	ps_xorscan_init(x, budget, on_hit, l);
	return x;
}

static void xscan(ps_xorscan *x, const uint8_t *buf, size_t len, size_t win)
{
	for (size_t at = 0; at < len; at += win)
		ps_xorscan_window(x, buf, len, at, len - at < win ? len : at + win);
}

static uint8_t rol(uint8_t b, unsigned r)
{
	return (uint8_t)((b << r) | (b >> ((8 - r) & 7)));
}

static uint8_t enc(ps_xor_method m, uint8_t k, uint8_t p)
{
	return m == PS_ENC_XOR ? p ^ k : m == PS_ENC_ADD ? (uint8_t)(p + k) : rol(p, k);
}

/* Writes s (ASCII or UTF-16LE) encoded, followed by an encoded NUL; returns the length. */
static size_t put_enc(uint8_t *p, const char *s, bool wide, ps_xor_method m, uint8_t k)
{
	size_t n = 0;
	for (size_t i = 0; i <= strlen(s); i++) {
		p[n++] = enc(m, k, (uint8_t)s[i]);
		if (wide)
			p[n++] = enc(m, k, 0);
	}
	return n;
}

static const char url[] = "http://83.166.234.250/gate.php";

static void recovers_xor_add_rol(void **state)
{
	(void)state;
	const struct {
		ps_xor_method m;
		uint8_t k;
	} enc_cases[] = {{PS_ENC_XOR, 0x5a}, {PS_ENC_ADD, 0x33}, {PS_ENC_ROL, 3}};
	uint64_t r = 42;
	for (size_t c = 0; c < 3; c++) {
		for (int wide = 0; wide <= 1; wide++) {
			/* At every phase of the stride, in noise. */
			for (size_t at = 1000; at < 1004; at++) {
				uint8_t buf[4096];
				for (size_t i = 0; i < sizeof(buf); i++)
					buf[i] = (uint8_t)rng_next(&r);
				/* an encoded NUL before it too, so that the noise cannot extend it */
				buf[at - 1 - wide] = enc(enc_cases[c].m, enc_cases[c].k, 0);
				if (wide)
					buf[at - 1] = enc(enc_cases[c].m, enc_cases[c].k, 0);
				put_enc(buf + at, url, wide, enc_cases[c].m, enc_cases[c].k);
				const size_t wins[] = {sizeof(buf), 7, 1001, 1024};
				for (size_t wi = 0; wi < 4; wi++) {
					hit_list l;
					ps_xorscan *x = xs_new(PS_XOR_SCAN_BUDGET, &l);
					xscan(x, buf, sizeof(buf), wins[wi]);
					assert_int_equal(l.n, 1);
					assert_int_equal(l.v[0].offset, at);
					assert_int_equal(l.v[0].method, enc_cases[c].m);
					assert_int_equal(l.v[0].key, enc_cases[c].k);
					assert_int_equal(l.v[0].wide, wide);
					assert_string_equal(l.v[0].anchor, "http://");
					assert_string_equal(l.v[0].text, url);
					assert_false(x->exhausted);
					assert_int_equal(x->scanned, sizeof(buf));
					free(x);
				}
			}
		}
	}
	assert_string_equal(ps_xor_method_name(PS_ENC_XOR), "xor");
	assert_string_equal(ps_xor_method_name(PS_ENC_ADD), "add");
	assert_string_equal(ps_xor_method_name(PS_ENC_ROL), "rol");
}

static void leaves_plain_text_and_case_variants(void **state)
{
	(void)state;
	uint8_t buf[1024];
	memset(buf, 0, sizeof(buf));
	size_t at = 5;
	memcpy(buf + at, url, sizeof(url) - 1);
	at += sizeof(url) + 3;
	memcpy(buf + at, "HTTP://EXAMPLE.COM/X", 20);
	at += 24;
	/* "SVCHOST" is "svchost" ^ 0x20 and "svchost" + 0xe0; "POWERSHELL" likewise: readable
	 * as it stands, so plain text, also where a control byte next to it decodes to a
	 * printable one. */
	memcpy(buf + at, "\r\nSVCHOST.EXE -K NETSVC\r\n", 25);
	at += 29;
	memcpy(buf + at, "\nPOWERSHELL -NOP -W HIDDEN\n", 27);
	at += 30;
	at += put_wide(buf + at, "http://plain.example/wide");
	at += 3;
	at += put_wide(buf + at, "KERNEL32.DLL");
	at += 3;
	memcpy(buf + at, "CreateRemoteThread WriteProcessMemory mimikatz", 46);
	const size_t wins[] = {sizeof(buf), 5, 64};
	for (size_t wi = 0; wi < 3; wi++) {
		hit_list l;
		ps_xorscan *x = xs_new(PS_XOR_SCAN_BUDGET, &l);
		xscan(x, buf, sizeof(buf), wins[wi]);
		assert_int_equal(l.n, 0);
		free(x);
	}
}

static void nothing_in_random_bytes(void **state)
{
	(void)state;
	const size_t len = 1u << 20;
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	uint64_t r = 0x2545f4914f6cdd1dull;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(rng_next(&r) >> 24);
	hit_list l;
	ps_xorscan *x = xs_new(PS_XOR_SCAN_BUDGET, &l);
	xscan(x, buf, len, PS_PASS_WINDOW / 4);
	assert_int_equal(l.n, 0);
	assert_int_equal(x->scanned, len);
	assert_false(x->exhausted);
	/* Padding (0, 0xff, 0xcc: differences 0) must never reach the signature check. */
	assert_int_equal(ps_xorscan_filter_bits(0), 0);
	free(x);
	free(buf);
}

static void one_hit_per_string_and_key_edges(void **state)
{
	(void)state;
	uint8_t buf[512];
	memset(buf, 0, sizeof(buf));
	/* Two anchors in one encoded string: one hit, with the first anchor found. */
	size_t n = put_enc(buf + 16, "http://x.example/kernel32.dll?cmd.exe", false, PS_ENC_XOR, 0x9c);
	/* Zero padding around it (raw 0, not an encoded 0) ends the string too. */
	size_t at = 16 + n - 1; /* drop the encoded NUL */
	buf[at] = 0;
	/* ROL 7 and ADD 0x80 (= XOR 0x80: reported once, as XOR, the first tried) */
	size_t b = 200;
	b += put_enc(buf + b, "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", false, PS_ENC_ROL, 7);
	b += 4;
	put_enc(buf + b, "svchost.exe -k netsvc", true, PS_ENC_ADD, 0x80);
	hit_list l;
	ps_xorscan *x = xs_new(PS_XOR_SCAN_BUDGET, &l);
	xscan(x, buf, sizeof(buf), 13);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].offset, 16);
	assert_string_equal(l.v[0].text, "http://x.example/kernel32.dll?cmd.exe");
	assert_int_equal(l.v[0].key, 0x9c);
	assert_int_equal(l.v[1].offset, 200);
	assert_int_equal(l.v[1].method, PS_ENC_ROL);
	assert_int_equal(l.v[1].key, 7);
	assert_string_equal(l.v[1].anchor, "SOFTWARE\\");
	assert_string_equal(l.v[1].text, "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
	assert_int_equal(l.v[2].method, PS_ENC_XOR);
	assert_int_equal(l.v[2].key, 0x80);
	assert_true(l.v[2].wide);
	assert_string_equal(l.v[2].text, "svchost.exe -k netsvc");
	free(x);

	/* Too short once decoded (7 < 8 characters): no hit. */
	memset(buf, 0, sizeof(buf));
	put_enc(buf + 40, "cmd.exe", false, PS_ENC_XOR, 0xa5);
	x = xs_new(PS_XOR_SCAN_BUDGET, &l);
	xscan(x, buf, sizeof(buf), sizeof(buf));
	assert_int_equal(l.n, 0);
	free(x);
}

static void budget_and_hit_cap(void **state)
{
	(void)state;
	const size_t len = 64 * 1024;
	uint8_t *buf = calloc(1, len);
	assert_non_null(buf);
	/* 40 encoded strings, one per KiB, keys 1..40. */
	for (size_t i = 0; i < 40; i++)
		put_enc(buf + i * 1024 + 100, "https://c2.example/beacon", false, PS_ENC_XOR, (uint8_t)(0x81 + i));
	hit_list l;
	ps_xorscan *x = xs_new(PS_XOR_SCAN_BUDGET, &l);
	xscan(x, buf, len, 4096);
	assert_int_equal(l.n, PS_MAX_XOR_HITS);
	assert_int_equal(x->n_hits, PS_MAX_XOR_HITS);
	assert_int_equal(l.v[PS_MAX_XOR_HITS - 1].offset, (PS_MAX_XOR_HITS - 1) * 1024 + 100);
	free(x);
	/* A budget of 10 KiB + 100 bytes: the strings at 100 .. 9316 are found; the one at
	 * 10340 starts where the budget ends. */
	x = xs_new(10 * 1024 + 100, &l);
	xscan(x, buf, len, 4096);
	assert_int_equal(l.n, 10);
	assert_true(x->exhausted);
	assert_int_equal(x->scanned, 10 * 1024 + 100);
	free(x);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascii_and_wide_with_offsets),
		cmocka_unit_test(min_len_boundary),
		cmocka_unit_test(file_edges),
		cmocka_unit_test(wide_at_odd_offsets_and_next_to_ascii),
		cmocka_unit_test(min_len_one_does_not_split_wide),
		cmocka_unit_test(truncation),
		cmocka_unit_test(windows_do_not_change_the_strings),
		cmocka_unit_test(recovers_xor_add_rol),
		cmocka_unit_test(leaves_plain_text_and_case_variants),
		cmocka_unit_test(nothing_in_random_bytes),
		cmocka_unit_test(one_hit_per_string_and_key_edges),
		cmocka_unit_test(budget_and_hit_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
