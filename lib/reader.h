/* The one bounds-checked reader every parser goes through.
 *
 * A ps_rd is a view [base, base+len) with a cursor. Every check is a subtraction against
 * what remains (n > len - pos), so no sum can overflow, and a pointer into the buffer is
 * formed only after the check passed. Errors are sticky (BearSSL style): after the first
 * failed read every further read fails and yields zeros, so a decoder can read a whole
 * structure and test ps_rd_ok() once. Integers are assembled from bytes, never cast.
 * Sub-readers confine a nested structure: a child can never read past its parent.
 */
#ifndef PS_READER_H
#define PS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ps_rd {
	const uint8_t *base;
	size_t len;
	size_t pos;
	uint64_t origin; /* absolute file offset of base[0], for evidence */
	bool err;
} ps_rd;

static inline void ps_rd_init(ps_rd *r, const uint8_t *base, size_t len, uint64_t origin)
{
	r->base = base;
	r->len = base ? len : 0;
	r->pos = 0;
	r->origin = origin;
	r->err = false;
}

static inline bool ps_rd_ok(const ps_rd *r) { return !r->err; }
static inline size_t ps_rd_remaining(const ps_rd *r) { return r->err ? 0 : r->len - r->pos; }
static inline size_t ps_rd_tell(const ps_rd *r) { return r->pos; }
/* Absolute file offset of the cursor. */
static inline uint64_t ps_rd_offset(const ps_rd *r) { return r->origin + r->pos; }

static inline bool ps_rd_fail(ps_rd *r)
{
	r->err = true;
	return false;
}

/* True when n more bytes can be read from the cursor. */
static inline bool ps_rd_has(const ps_rd *r, size_t n) { return !r->err && n <= r->len - r->pos; }

static inline bool ps_rd_seek(ps_rd *r, size_t pos)
{
	if (r->err || pos > r->len)
		return ps_rd_fail(r);
	r->pos = pos;
	return true;
}

static inline bool ps_rd_skip(ps_rd *r, size_t n)
{
	if (!ps_rd_has(r, n))
		return ps_rd_fail(r);
	r->pos += n;
	return true;
}

/* Borrows n bytes at the cursor and advances. *out is NULL on failure. */
static inline bool ps_rd_bytes(ps_rd *r, size_t n, const uint8_t **out)
{
	*out = NULL;
	if (!ps_rd_has(r, n))
		return ps_rd_fail(r);
	*out = r->base + r->pos;
	r->pos += n;
	return true;
}

static inline bool ps_rd_copy(ps_rd *r, void *dst, size_t n)
{
	const uint8_t *p;
	if (!ps_rd_bytes(r, n, &p)) {
		memset(dst, 0, n);
		return false;
	}
	memcpy(dst, p, n);
	return true;
}

static inline uint8_t ps_rd_u8(ps_rd *r)
{
	const uint8_t *p;
	return ps_rd_bytes(r, 1, &p) ? p[0] : 0;
}

static inline uint16_t ps_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ps_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ps_le64(const uint8_t *p)
{
	return (uint64_t)ps_le32(p) | ((uint64_t)ps_le32(p + 4) << 32);
}

static inline uint16_t ps_rd_u16(ps_rd *r)
{
	const uint8_t *p;
	return ps_rd_bytes(r, 2, &p) ? ps_le16(p) : 0;
}
static inline uint32_t ps_rd_u32(ps_rd *r)
{
	const uint8_t *p;
	return ps_rd_bytes(r, 4, &p) ? ps_le32(p) : 0;
}
static inline uint64_t ps_rd_u64(ps_rd *r)
{
	const uint8_t *p;
	return ps_rd_bytes(r, 8, &p) ? ps_le64(p) : 0;
}

/* Random access without moving the cursor; false (and *out = 0) when out of bounds.
 * Does not touch the sticky error: used for probing. */
static inline bool ps_rd_peek_u16(const ps_rd *r, size_t off, uint16_t *out)
{
	*out = 0;
	if (r->err || off > r->len || 2 > r->len - off)
		return false;
	*out = ps_le16(r->base + off);
	return true;
}
static inline bool ps_rd_peek_u32(const ps_rd *r, size_t off, uint32_t *out)
{
	*out = 0;
	if (r->err || off > r->len || 4 > r->len - off)
		return false;
	*out = ps_le32(r->base + off);
	return true;
}

/* child = [off, off+n) of parent (positions relative to parent's base). Parent unchanged. */
static inline bool ps_rd_sub(const ps_rd *parent, size_t off, size_t n, ps_rd *child)
{
	if (parent->err || off > parent->len || n > parent->len - off) {
		ps_rd_init(child, NULL, 0, 0);
		child->err = true;
		return false;
	}
	ps_rd_init(child, parent->base + off, n, parent->origin + off);
	return true;
}

/* child = [off, end) of parent: everything from off (clipped, never failing for off <= len). */
static inline bool ps_rd_tail(const ps_rd *parent, size_t off, ps_rd *child)
{
	size_t n = (parent->err || off > parent->len) ? 0 : parent->len - off;
	return ps_rd_sub(parent, off, n, child); /* fails for off > len */
}

/* Takes n bytes at the cursor as a child reader and advances the parent. */
static inline bool ps_rd_take(ps_rd *r, size_t n, ps_rd *child)
{
	if (!ps_rd_sub(r, r->pos, n, child))
		return ps_rd_fail(r);
	r->pos += n;
	return true;
}

/* A NUL-terminated byte string at the cursor, at most max bytes before the terminator.
 * *s points into the buffer, *n is its length. Returns false when neither a NUL nor the
 * max is reached before the end of the view (the string is then what remains).
 * *terminated tells whether a NUL was found. The cursor moves past the NUL. */
static inline bool ps_rd_cstr(ps_rd *r, size_t max, const uint8_t **s, size_t *n, bool *terminated)
{
	size_t avail = ps_rd_remaining(r);
	size_t lim = avail < max ? avail : max;
	const uint8_t *p = r->err ? NULL : r->base + r->pos;
	const uint8_t *z = p ? memchr(p, 0, lim) : NULL;
	*s = p;
	*terminated = z != NULL;
	*n = z ? (size_t)(z - p) : lim;
	if (!p)
		return false;
	r->pos += *n + (z ? 1 : 0);
	return z != NULL || lim == max;
}

/* Checked size arithmetic for values that came from the input. */
static inline bool ps_add_ok(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_add_overflow(a, b, out); }
static inline bool ps_mul_ok(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_mul_overflow(a, b, out); }

#endif
