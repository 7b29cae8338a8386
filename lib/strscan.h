/* Printable strings of a file, ASCII and UTF-16LE, in linear time. The scanner is fed the
 * file window by window, from the same loop as the hashing pass (the window is hot in
 * cache); a string may start in one window and end in a later one: the scanner reads ahead
 * in the caller's buffer (which holds the whole file) and never reports a string twice. */
#ifndef PS_STRSCAN_H
#define PS_STRSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

typedef struct ps_str {
	uint64_t offset;  /* file offset of the string's first byte */
	bool wide;        /* UTF-16LE in the file (each character: a printable byte, then 0) */
	bool truncated;   /* the run was longer than PS_STR_MAX_LEN characters */
	size_t len;       /* characters, <= PS_STR_MAX_LEN */
	const char *text; /* the characters as ASCII, NUL-terminated; valid during the callback */
	const uint8_t *raw; /* the whole run in the file's bytes (also when truncated): raw_len
	                     * characters, 2 bytes each when wide; valid during the callback */
	size_t raw_len;
} ps_str;

typedef void (*ps_str_fn)(void *ctx, const ps_str *s);

typedef struct ps_strscan {
	ps_str_fn fn;
	void *ctx;
	size_t min_len;
	uint64_t ascii_done; /* ASCII strings that start before this offset were handled */
	uint64_t wide_done;  /* same, UTF-16LE */
	uint64_t n_strings;  /* reported so far */
	char buf[PS_STR_MAX_LEN + 1];
} ps_strscan;

/* min_len: shortest run reported (characters), at least 1. */
void ps_strscan_init(ps_strscan *s, size_t min_len, ps_str_fn fn, void *ctx);
/* Reports the strings that start in [start, end) of data[0, len), in increasing offset
 * order per encoding. Windows must be passed in order and cover the file without gaps. A
 * printable byte is 0x20..0x7e or TAB. */
void ps_strscan_window(ps_strscan *s, const uint8_t *data, size_t len, size_t start, size_t end);

#endif
