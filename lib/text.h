/* Turning untrusted bytes into valid UTF-8 (for JSON and the model) and escaping text for
 * a terminal. All conversions are linear and write into a caller buffer of at least
 * PS_UTF8_BOUND(n) bytes. */
#ifndef PS_TEXT_H
#define PS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* Worst case growth: an invalid byte becomes U+FFFD (3 bytes); a UTF-16 unit at most 3. */
#define PS_UTF8_BOUND(n) (3 * (size_t)(n) + 1)

/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length and the code
 * point, or 0 for an invalid, overlong, surrogate or truncated sequence. */
size_t ps_utf8_next(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes cp (must be <= 0x10FFFF, not a surrogate) at dst; returns bytes written (1-4). */
size_t ps_utf8_put(char *dst, uint32_t cp);

/* Each converter NUL-terminates dst and returns the byte length written (without NUL). */
/* Valid UTF-8 is kept; every byte that is not part of a valid sequence becomes U+FFFD. */
size_t ps_utf8_from_bytes(char *dst, const uint8_t *src, size_t n);
/* Each byte is the code point of the same value (ISO 8859-1), as pefile decodes names. */
size_t ps_utf8_from_latin1(char *dst, const uint8_t *src, size_t n);
/* n_units UTF-16LE code units; unpaired surrogates become U+FFFD. */
size_t ps_utf8_from_utf16le(char *dst, const uint8_t *src, size_t n_units);

/* Lowercase hex of n bytes into dst (2n + 1 bytes, NUL-terminated); returns dst. */
char *ps_hex(char *dst, const uint8_t *p, size_t n);
/* Value of one hex digit (either case), or -1. */
int ps_hex_digit(int ch);
/* Exactly the hex digits of s (NULL: none), decoded into dst; the byte count, or -1 for an odd
 * length, a non-hex character or more than cap bytes. */
long ps_unhex(uint8_t *dst, size_t cap, const char *s);

/* Arena versions; NULL when the arena is exhausted. */
char *ps_arena_utf8_from_bytes(ps_arena *a, const uint8_t *src, size_t n);
char *ps_arena_utf8_from_utf16le(ps_arena *a, const uint8_t *src, size_t n_units);

/* True for code points that must not reach a terminal unescaped: C0, DEL, C1, and the
 * invisible format characters that reorder or hide text (bidi embeddings, overrides and
 * isolates, zero-width characters, BOM, line/paragraph separators). */
int ps_cp_is_unsafe(uint32_t cp);

#endif
