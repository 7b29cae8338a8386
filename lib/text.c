#include "text.h"

#include <string.h>

size_t ps_utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	uint8_t c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

size_t ps_utf8_put(char *dst, uint32_t cp)
{
	unsigned char *d = (unsigned char *)dst;
	if (cp < 0x80) {
		d[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (unsigned char)(0xC0 | (cp >> 6));
		d[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (unsigned char)(0xE0 | (cp >> 12));
		d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		d[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | (cp >> 18));
	d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	d[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t ps_utf8_from_bytes(char *dst, const uint8_t *src, size_t n)
{
	size_t o = 0, i = 0;
	while (i < n) {
		uint32_t cp;
		size_t l = ps_utf8_next(src + i, n - i, &cp);
		if (l == 0) {
			o += ps_utf8_put(dst + o, 0xFFFD);
			i++;
		} else {
			memcpy(dst + o, src + i, l);
			o += l;
			i += l;
		}
	}
	dst[o] = 0;
	return o;
}

size_t ps_utf8_from_latin1(char *dst, const uint8_t *src, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		o += ps_utf8_put(dst + o, src[i]);
	dst[o] = 0;
	return o;
}

size_t ps_utf8_from_utf16le(char *dst, const uint8_t *src, size_t n_units)
{
	size_t o = 0;
	for (size_t i = 0; i < n_units; i++) {
		uint32_t u = (uint32_t)src[2 * i] | ((uint32_t)src[2 * i + 1] << 8);
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n_units) {
			uint32_t u2 = (uint32_t)src[2 * i + 2] | ((uint32_t)src[2 * i + 3] << 8);
			if (u2 >= 0xDC00 && u2 <= 0xDFFF) {
				o += ps_utf8_put(dst + o, 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00));
				i++;
				continue;
			}
		}
		if (u >= 0xD800 && u <= 0xDFFF)
			u = 0xFFFD;
		o += ps_utf8_put(dst + o, u);
	}
	dst[o] = 0;
	return o;
}

char *ps_arena_utf8_from_bytes(ps_arena *a, const uint8_t *src, size_t n)
{
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *d = ps_arena_alloc(a, PS_UTF8_BOUND(n));
	if (d)
		ps_utf8_from_bytes(d, src, n);
	return d;
}

char *ps_arena_utf8_from_utf16le(ps_arena *a, const uint8_t *src, size_t n_units)
{
	if (n_units > (SIZE_MAX - 1) / 3)
		return NULL;
	char *d = ps_arena_alloc(a, PS_UTF8_BOUND(n_units));
	if (d)
		ps_utf8_from_utf16le(d, src, n_units);
	return d;
}

int ps_cp_is_unsafe(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
		return 1;
	if (cp == 0x00AD || cp == 0x061C || cp == 0x180E) /* soft hyphen, ALM, MVS */
		return 1;
	if (cp >= 0x200B && cp <= 0x200F) /* zero-width, LRM, RLM */
		return 1;
	if (cp >= 0x2028 && cp <= 0x202E) /* separators, LRE RLE PDF LRO RLO */
		return 1;
	if (cp >= 0x2060 && cp <= 0x206F) /* word joiner, isolates LRI RLI FSI PDI, ... */
		return 1;
	if (cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB))
		return 1;
	return 0;
}

char *ps_hex(char *dst, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hx[p[i] >> 4];
		dst[2 * i + 1] = hx[p[i] & 15];
	}
	dst[2 * n] = 0;
	return dst;
}

int ps_hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

long ps_unhex(uint8_t *dst, size_t cap, const char *s)
{
	size_t l = s ? strlen(s) : 0;
	if (l % 2 || l / 2 > cap)
		return -1;
	for (size_t i = 0; i < l / 2; i++) {
		int hi = ps_hex_digit((unsigned char)s[2 * i]), lo = ps_hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(l / 2);
}
