/* Indicator-shaped strings hidden by single-byte XOR, ADD or ROL, found in one linear pass.
 *
 * Brute force without the 255x cost: a plaintext p encoded as e[i] = p[i] ^ k keeps the
 * differences e[i] ^ e[i+1] = p[i] ^ p[i+1] whatever k; ADD keeps e[i+1] - e[i]; and ROL by r
 * maps a plaintext to one fixed byte string per r. So the scanner looks for the key-free
 * signatures of a fixed list of anchors (URL schemes, registry paths, API and DLL names,
 * command interpreters, the seeds' artefacts), then recovers the key from one byte, decodes
 * around the hit while the result is printable, and keeps decoded strings that are long
 * enough (8 characters). Key 0 (plain text) and case variants (the file holds the anchor
 * with the case of its letters changed: "SVCHOST" = "svchost" ^ 0x20 = "svchost" + 0xe0)
 * are not encodings and are dropped. A decoded string ends at a character that does not
 * decode to printable ASCII, and at a raw 0 byte (zero padding around an encoded string
 * would decode to the key repeated); it holds at most PS_XOR_MAX_DECODED characters, found
 * forward of the anchor first, then backward.
 *
 * Fed window by window like strscan: the positions searched are the multiples of 4 in
 * [start, end), and an encoded anchor is found at the one multiple of 4 among its first 4
 * bytes, so it is reported once whatever the windows (its decoded string may begin before
 * the window and end after it: the scanner reads back and ahead in the caller's buffer,
 * which holds the whole file). Hits are reported in increasing offset order and never
 * overlap. Searches at most `budget` bytes of a file (the first ones). */
#ifndef PS_XORSCAN_H
#define PS_XORSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

/* Anchors (lib/xorscan.c) and their signatures: each anchor in ASCII and UTF-16LE, at the 4
 * phases of the stride-4 search, once for XOR, once for ADD, and once per rotation for ROL. */
#define PS_XOR_N_ANCHORS 19u
#define PS_XOR_N_SIGS (PS_XOR_N_ANCHORS * 2u * 4u * 9u)
#define PS_XOR_BUCKET_BITS 10u

typedef enum ps_xor_method { PS_ENC_XOR = 1, PS_ENC_ADD, PS_ENC_ROL } ps_xor_method;

typedef struct ps_xorhit {
	uint64_t offset;      /* file offset of the decoded string's first encoded byte */
	ps_xor_method method;
	uint8_t key;          /* XOR key, ADD addend (e = p + key), or ROL count (1..7) */
	bool wide;            /* the plaintext was UTF-16LE */
	const char *anchor;   /* static: the anchor that matched, e.g. "http://" */
	size_t len;
	const char *text;     /* decoded ASCII, NUL-terminated; valid during the callback */
} ps_xorhit;

typedef void (*ps_xor_fn)(void *ctx, const ps_xorhit *h);

typedef struct ps_xorscan {
	ps_xor_fn fn;
	void *ctx;
	uint64_t budget;     /* bytes still to search */
	uint64_t scanned;    /* bytes searched */
	bool exhausted;      /* the budget ran out before the end of the file */
	uint64_t done;       /* hits that start before this offset were handled */
	unsigned n_hits;     /* reported; stops at PS_MAX_XOR_HITS */
	char buf[PS_XOR_MAX_DECODED + 1];
	/* The signature tables are built once per process and shared read-only (xorscan.c). */
} ps_xorscan;

/* Tests: the filter bits of a 24-bit difference triple (bit 0: a XOR or ROL signature's
 * hash, bit 1: an ADD one's). */
unsigned ps_xorscan_filter_bits(uint32_t diffs);

void ps_xorscan_init(ps_xorscan *x, uint64_t budget, ps_xor_fn fn, void *ctx);
/* Searches the encoded anchors that start in [start, end) of data[0, len). */
void ps_xorscan_window(ps_xorscan *x, const uint8_t *data, size_t len, size_t start, size_t end);
/* Static name: "xor", "add", "rol". */
const char *ps_xor_method_name(ps_xor_method m);

#endif
