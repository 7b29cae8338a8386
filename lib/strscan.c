/* Printable ASCII and UTF-16LE strings in one linear pass over 64-byte blocks.
 *
 * Per block, two 64-bit masks: P (printable bytes) and Z (zero bytes), from SSE2 compares on
 * x86-64 or a scalar loop elsewhere (same bits). A run of at least L printable bytes that ends
 * at bit i sets bit i of P & P<<1 & ... & P<<(L-1), the shifts carrying bits in from the
 * previous block; a UTF-16LE character is a printable byte followed by a zero, marked on its
 * zero byte (P<<1 & Z), and L characters in a row are the same AND over shifts by 2. Blocks
 * where neither AND is set (nearly all blocks of code, padding and compressed data) cost a
 * few dozen instructions; only a set bit leads to the scalar code that finds the run's start
 * (backward, never before the floor), its end (forward, reading past the window if need be)
 * and reports it.
 *
 * Floors. Maximal ASCII runs are disjoint, and so are maximal wide runs (a byte cannot be
 * both the printable and the zero of a character), so each encoding keeps one floor: no run
 * of that encoding contains the floor and starts before it. A window starts with the floor at
 * max(start, done), pushed past a run that began in an earlier window, if any; after a run is
 * handled the floor is its end. Bits below the floor are masked off, and a set bit at or
 * above it belongs to a run that starts at or above it (else that run would straddle the
 * floor), which makes the block carry at the window start irrelevant (it is taken as zero).
 *
 * The filter checks at most PS_STRSCAN_FILTER characters; longer min_len values are checked
 * exactly in the scalar code (the filter is then only a necessary condition).
 */
#include "strscan.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define PS_STRSCAN_FILTER 16u
#define PS_BLOCK 64u

static inline bool is_print(uint8_t b)
{
	return (uint8_t)(b - 0x20u) < 0x5fu || b == 0x09u;
}

#ifdef __SSE2__
/* 0xff in each lane holding a printable byte. x + 0x60 maps 0x20..0x7e to 0x80..0xde, the
 * only inputs that land below -33 as signed bytes. */
static inline __m128i print16(__m128i x)
{
	__m128i r = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(0x60)), _mm_set1_epi8(-33));
	return _mm_or_si128(r, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x09)));
}
#endif

/* Masks of a whole 64-byte block at p. */
static inline void block_masks(const uint8_t *p, uint64_t *pm, uint64_t *zm)
{
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128();
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
	__m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
	*pm = (uint64_t)(uint16_t)_mm_movemask_epi8(print16(a)) |
	      (uint64_t)(uint16_t)_mm_movemask_epi8(print16(b)) << 16 |
	      (uint64_t)(uint16_t)_mm_movemask_epi8(print16(c)) << 32 |
	      (uint64_t)(uint16_t)_mm_movemask_epi8(print16(d)) << 48;
	*zm = (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, zero)) |
	      (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, zero)) << 16 |
	      (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, zero)) << 32 |
	      (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(d, zero)) << 48;
#else
	uint64_t p_ = 0, z_ = 0;
	for (unsigned i = 0; i < PS_BLOCK; i++) {
		p_ |= (uint64_t)is_print(p[i]) << i;
		z_ |= (uint64_t)(p[i] == 0) << i;
	}
	*pm = p_;
	*zm = z_;
#endif
}

/* First index >= i of data[0, len) that is not printable (len if none). */
static size_t ascii_run_end(const uint8_t *data, size_t len, size_t i)
{
#ifdef __SSE2__
	while (len - i >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(print16(_mm_loadu_si128((const __m128i *)(const void *)(data + i))));
		if (m != 0xffffu)
			return i + (size_t)__builtin_ctz(~m);
		i += 16;
	}
#endif
	while (i < len && is_print(data[i]))
		i++;
	return i;
}

static inline bool wide_at(const uint8_t *data, size_t len, size_t i)
{
	return i < len && len - i >= 2 && is_print(data[i]) && data[i + 1] == 0;
}

/* End of the wide run whose character i is (i must be one): just past the last zero. */
static size_t wide_run_end(const uint8_t *data, size_t len, size_t i)
{
	while (wide_at(data, len, i))
		i += 2;
	return i;
}

static void emit(ps_strscan *s, const uint8_t *p, size_t n, size_t off, bool wide)
{
	size_t m = n > PS_STR_MAX_LEN ? PS_STR_MAX_LEN : n;
	if (wide) {
		for (size_t j = 0; j < m; j++)
			s->buf[j] = (char)p[2 * j];
	} else {
		memcpy(s->buf, p, m);
	}
	s->buf[m] = '\0';
	ps_str st = {.offset = off, .wide = wide, .truncated = n > m, .len = m, .text = s->buf, .raw = p, .raw_len = n};
	s->n_strings++;
	if (s->fn)
		s->fn(s->ctx, &st);
}

void ps_strscan_init(ps_strscan *s, size_t min_len, ps_str_fn fn, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->fn = fn;
	s->ctx = ctx;
	s->min_len = min_len ? min_len : 1;
}

/* Bits of a block at b that lie at or above floor f. */
static inline uint64_t above(size_t f, size_t b)
{
	if (f <= b)
		return ~0ull;
	if (f - b >= PS_BLOCK)
		return 0;
	return ~0ull << (f - b);
}

void ps_strscan_window(ps_strscan *s, const uint8_t *data, size_t len, size_t start, size_t end)
{
	if (!s || !data)
		return;
	if (end > len)
		end = len;
	if (start >= end)
		return;
	const size_t L = s->min_len ? s->min_len : 1;
	const unsigned lf = L < PS_STRSCAN_FILTER ? (unsigned)L : PS_STRSCAN_FILTER;

	/* ASCII floor: past a run that began before it. */
	size_t fa = start;
	if (s->ascii_done > fa)
		fa = s->ascii_done > len ? len : (size_t)s->ascii_done;
	if (fa > 0 && fa < len && is_print(data[fa - 1]))
		fa = ascii_run_end(data, len, fa);

	/* Wide floor: a run contains fw and began before it when fw-1 is a character, or fw
	 * and fw-2 both are. */
	size_t fw = start;
	if (s->wide_done > fw)
		fw = s->wide_done > len ? len : (size_t)s->wide_done;
	if (fw > 0 && fw < len) {
		if (wide_at(data, len, fw - 1))
			fw = wide_run_end(data, len, fw - 1);
		else if (fw >= 2 && wide_at(data, len, fw) && wide_at(data, len, fw - 2))
			fw = wide_run_end(data, len, fw);
	}

	bool act_a = fa < end, act_w = fw < end;
	/* A run that starts before end shows in the filter by end + lf - 1 (ASCII) or
	 * end + 2 lf - 1 (wide, marked on the zero of its lf-th character). */
	const size_t lim_a = len - end < lf - 1 ? len : end + lf - 1;
	const size_t lim_w = len - end < 2 * lf - 1 ? len : end + 2 * lf - 1;

	uint64_t pprev = 0, wprev = 0;
	for (size_t b = start;; b += PS_BLOCK) {
		size_t lim = 0;
		if (act_a)
			lim = lim_a;
		if (act_w && lim_w > lim)
			lim = lim_w;
		if (b >= lim)
			break;
		uint64_t pm, zm;
		if (len - b >= PS_BLOCK) {
			block_masks(data + b, &pm, &zm);
		} else {
			uint8_t tail[PS_BLOCK];
			size_t n = len - b;
			memset(tail, 0xff, sizeof(tail));
			memcpy(tail, data + b, n);
			block_masks(tail, &pm, &zm);
			uint64_t valid = (1ull << n) - 1; /* n < 64 */
			pm &= valid;
			zm &= valid;
		}
		/* Wide characters, marked on their zero byte. */
		uint64_t wm = ((pm << 1) | (pprev >> 63)) & zm;

		if (act_a) {
			uint64_t e = pm;
			for (unsigned k = 1; k < lf; k++)
				e &= (pm << k) | (pprev >> (64 - k));
			if (e)
				e &= above(fa, b);
			while (e) {
				size_t q = b + (size_t)__builtin_ctzll(e);
				size_t s0 = q + 1 - lf;
				while (s0 > fa && is_print(data[s0 - 1]))
					s0--;
				if (s0 >= end) {
					act_a = false;
					break;
				}
				size_t r = ascii_run_end(data, len, q + 1);
				size_t n = r - s0;
				/* With min_len 1, "a\0" is the wide string "a", not also an ASCII one. */
				bool wide_char = n == 1 && r < len && data[r] == 0;
				if (n >= L && !wide_char)
					emit(s, data + s0, n, s0, false);
				s->ascii_done = r;
				fa = r;
				e &= above(r, b);
			}
		}

		if (act_w) {
			uint64_t e = wm;
			for (unsigned k = 1; k < lf; k++)
				e &= (wm << (2 * k)) | (wprev >> (64 - 2 * k));
			if (e)
				e &= above(fw, b);
			while (e) {
				size_t q = b + (size_t)__builtin_ctzll(e);
				size_t s0 = q + 1 - 2 * (size_t)lf;
				while (s0 >= fw + 2 && wide_at(data, len, s0 - 2))
					s0 -= 2;
				if (s0 >= end) {
					act_w = false;
					break;
				}
				size_t r = wide_run_end(data, len, q + 1);
				size_t n = (r - s0) / 2;
				if (n >= L)
					emit(s, data + s0, n, s0, true);
				s->wide_done = r;
				fw = r;
				e &= above(r, b);
			}
		}
		pprev = pm;
		wprev = wm;
	}
}
