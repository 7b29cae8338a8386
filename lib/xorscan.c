/* Single-byte XOR / ADD / ROL encoded anchors, in one linear pass (see xorscan.h).
 *
 * Search. Every 4th file offset q (q % 4 == 0) is looked at through the three byte
 * differences of e[q..q+3]: dx = (e0^e1, e1^e2, e2^e3), the same whatever the XOR key, and
 * dy = (e1-e0, e2-e1, e3-e2) mod 256, the same whatever the ADD key. dx also serves ROL, as
 * rol(a)^rol(b) = rol(a^b): a ROL-encoded anchor has the XOR differences of the anchor, each
 * rotated. Each anchor's differences are entered at the four phases o = 0..3 (bytes o..o+3
 * of the encoded anchor; anchors are at least 7 bytes), so an encoded anchor starting at p is
 * seen exactly once, at the multiple of 4 in [p, p+3], whatever the window boundaries.
 *
 * Three differences, not two: text and structured data are full of small differences
 * (little-endian integers, "02 00 00 00", give 2, 0, 0), and two of them matched a signature
 * at 6% of the positions of real DLLs. The 24-bit differences are hashed to a 16-bit key
 * that indexes one 64 KiB byte table (bit 0: some XOR or ROL signature has this key, bit 1:
 * some ADD signature), which passes about 2% of the positions of code or random data, all
 * but a few of them hash collisions that the exact 24-bit compare against the signatures
 * rejects. In a UTF-16LE anchor every other byte encodes 0, and the search lands on either
 * parity; both give differences made of two characters (c, c', c' or c, c, c'), never an
 * encoded zero alone. Zero, 0xff or 0xcc padding has differences 0, which no anchor has.
 *
 * Speed: on x86-64 the differences of four positions come from two unaligned 16-byte loads,
 * the hashes from _mm_mul_epu32, the table bits are gathered with scalar loads, and the
 * search loop only notes candidate positions (branch-free); a second loop checks them.
 */
#include "xorscan.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define PS_XOR_STRIDE 4u
#define PS_XOR_MIN_DECODED 8u
#define PS_XOR_HASH 2654435761u
/* Positions searched between two rounds of candidate checks. */
#define PS_XOR_CHUNK 1024u

/* What the seed campaigns leave in their binaries (DESIGN.md): URLs, Run-key paths, the APIs
 * of dynamic resolution and injection, svchost hosting, interpreters, MOTW, SeDebugPrivilege,
 * mimikatz. At least 7 characters each (shorter ones would chance-match): 6 differences
 * checked exactly leave one false match in 2^48 positions per signature. */
#define A(s) {s, sizeof(s) - 1}
static const struct {
	const char *s;
	size_t n;
} anchors[] = {
	A("http://"),       A("https://"),           A("SOFTWARE\\"),         A("CurrentVersion"),
	A("kernel32"),      A("ntdll.dll"),          A("LoadLibrary"),        A("GetProcAddress"),
	A("VirtualAlloc"),  A("CreateProcess"),      A("WriteProcessMemory"), A("CreateRemoteThread"),
	A("SetThreadContext"), A("svchost"),         A("cmd.exe"),            A("powershell"),
	A("Zone.Identifier"),  A("Privilege"),       A("mimikatz"),
};
#undef A
_Static_assert(sizeof(anchors) / sizeof(anchors[0]) == PS_XOR_N_ANCHORS, "PS_XOR_N_ANCHORS");
_Static_assert(PS_XOR_N_ANCHORS <= 32, "anchor index is 5 bits in a signature");

/* Signature: differences << 32 | anchor << 8 | wide << 7 | rot << 4 | filter << 2 | phase.
 * rot is 0 for XOR and ADD; filter 0 holds XOR and ROL, 1 holds ADD. */
#define SIG_DIFF(s) ((uint32_t)((s) >> 32))
#define SIG_ANCHOR(s) ((unsigned)((s) >> 8) & 0x1fu)
#define SIG_WIDE(s) ((unsigned)((s) >> 7) & 1u)
#define SIG_ROT(s) ((unsigned)((s) >> 4) & 7u)
#define SIG_FILTER(s) ((unsigned)((s) >> 2) & 1u)
#define SIG_PHASE(s) ((unsigned)(s) & 3u)

static inline bool is_print(uint8_t b)
{
	return (uint8_t)(b - 0x20u) < 0x5fu || b == 0x09u;
}

static inline uint8_t rol8(uint8_t b, unsigned r)
{
	return (uint8_t)((b << r) | (b >> ((8u - r) & 7u)));
}

static inline uint8_t dec(ps_xor_method m, uint8_t k, uint8_t b)
{
	switch (m) {
	case PS_ENC_XOR:
		return b ^ k;
	case PS_ENC_ADD:
		return (uint8_t)(b - k);
	default:
		return rol8(b, (8u - k) & 7u);
	}
}

/* Byte j of an anchor's plaintext: ASCII, or UTF-16LE (character, 0). */
static inline uint8_t plain(unsigned ai, bool wide, size_t j)
{
	if (!wide)
		return (uint8_t)anchors[ai].s[j];
	return (j & 1) ? 0 : (uint8_t)anchors[ai].s[j / 2];
}

/* The XOR (d[0]) and ADD (d[1]) differences of e[0..3], 24 bits each. The one definition
 * used for both the anchors and the file; the SSE2 loop computes the same bytes. */
static inline void diffs(uint32_t e0, uint32_t e1, uint32_t e2, uint32_t e3, uint32_t d[2])
{
	d[0] = (e0 ^ e1) | (e1 ^ e2) << 8 | (e2 ^ e3) << 16;
	d[1] = ((e1 - e0) & 0xffu) | ((e2 - e1) & 0xffu) << 8 | ((e3 - e2) & 0xffu) << 16;
}

static inline uint32_t key_of(uint32_t diff)
{
	return (diff * PS_XOR_HASH) >> 16;
}

static inline uint32_t bucket_of(uint32_t key)
{
	return (key * PS_XOR_HASH) >> (32 - PS_XOR_BUCKET_BITS);
}

/* The signature tables, the same for every scanner: built once per process, then only read
 * (they used to be rebuilt in every file's scanner, 80 KiB cleared and 1368 signatures
 * sorted per file). filter[k] bit 0: k is the 16-bit key of a XOR or ROL signature; bit 1:
 * of an ADD one. The signatures themselves are in sig, grouped by a hash of their key
 * (bucket). */
enum { NB = 1u << PS_XOR_BUCKET_BITS };
static struct {
	uint8_t filter[1u << 16];
	uint16_t bucket[2][NB + 1];
	uint64_t sig[PS_XOR_N_SIGS];
} T;
static pthread_once_t T_once = PTHREAD_ONCE_INIT;


static void tables_build(void)
{
	/* Every signature: filter 0 (XOR, then ROL 1..7) and 1 (ADD), each anchor in ASCII and
	 * UTF-16LE, at the 4 phases; then a counting sort by (filter, bucket of key). */
	uint64_t all[PS_XOR_N_SIGS];
	uint16_t slot[PS_XOR_N_SIGS];
	uint16_t count[2][NB + 1];
	memset(count, 0, sizeof(count));
	size_t n = 0;
	for (unsigned f = 0; f < 2; f++) {
		for (unsigned ai = 0; ai < PS_XOR_N_ANCHORS; ai++) {
			const uint8_t *a = (const uint8_t *)anchors[ai].s;
			for (unsigned w = 0; w < 2; w++) {
				/* The first 7 plaintext bytes (every anchor has at least 7 characters). */
				uint8_t pt[PS_XOR_STRIDE + 3];
				for (unsigned j = 0; j < sizeof(pt); j++)
					pt[j] = w ? ((j & 1) ? 0 : a[j / 2]) : a[j];
				for (unsigned r = 0; r <= (f ? 0u : 7u); r++) {
					for (unsigned o = 0; o < PS_XOR_STRIDE; o++) {
						uint32_t d[2];
						diffs(rol8(pt[o], r), rol8(pt[o + 1], r), rol8(pt[o + 2], r), rol8(pt[o + 3], r), d);
						uint32_t b = bucket_of(key_of(d[f]));
						slot[n] = (uint16_t)(f << PS_XOR_BUCKET_BITS | b);
						count[f][b + 1]++;
						all[n++] = (uint64_t)d[f] << 32 | ai << 8 | w << 7 | r << 4 | f << 2 | o;
					}
				}
			}
		}
	}
	uint16_t at = 0;
	for (unsigned f = 0; f < 2; f++) {
		for (unsigned b = 0; b < NB; b++) {
			uint16_t c = count[f][b + 1];
			count[f][b] = at;
			at = (uint16_t)(at + c);
		}
		count[f][NB] = at;
	}
	memcpy(T.bucket, count, sizeof(T.bucket));
	for (size_t i = 0; i < n; i++) {
		unsigned f = slot[i] >> PS_XOR_BUCKET_BITS, b = slot[i] & (NB - 1u);
		T.sig[count[f][b]++] = all[i];
	}
	for (size_t i = 0; i < n; i++) {
		T.filter[key_of(SIG_DIFF(all[i]))] |= (uint8_t)(1u << SIG_FILTER(all[i]));
	}
}

unsigned ps_xorscan_filter_bits(uint32_t d)
{
	(void)pthread_once(&T_once, tables_build);
	return T.filter[key_of(d & 0xffffffu)];
}

void ps_xorscan_init(ps_xorscan *x, uint64_t budget, ps_xor_fn fn, void *ctx)
{
	(void)pthread_once(&T_once, tables_build);
	memset(x, 0, sizeof(*x));
	x->fn = fn;
	x->ctx = ctx;
	x->budget = budget;
}

const char *ps_xor_method_name(ps_xor_method m)
{
	switch (m) {
	case PS_ENC_XOR:
		return "xor";
	case PS_ENC_ADD:
		return "add";
	case PS_ENC_ROL:
		return "rol";
	}
	return "?";
}

/* Whether a decoded character is at i: the bytes are in the file, the encoded byte is not 0
 * (zero padding around an encoded string decodes to the key, a printable run of nothing),
 * the character is printable and, for UTF-16LE, followed by an encoded 0. */
static inline bool char_at(const uint8_t *d, size_t len, size_t i, size_t step, ps_xor_method m,
                           uint8_t k)
{
	if (i >= len || len - i < step || d[i] == 0 || !is_print(dec(m, k, d[i])))
		return false;
	return step == 1 || dec(m, k, d[i + 1]) == 0;
}

/* Checks the signature at anchor start p; reports the decoded string. */
static void try_sig(ps_xorscan *x, const uint8_t *d, size_t len, size_t p, uint64_t sig)
{
	const unsigned ai = SIG_ANCHOR(sig);
	const bool wide = SIG_WIDE(sig);
	const size_t n = anchors[ai].n, step = wide ? 2 : 1, elen = n * step;
	if (p < x->done || len - p < elen) /* p <= q < len */
		return;
	ps_xor_method m;
	uint8_t k;
	if (SIG_FILTER(sig)) {
		m = PS_ENC_ADD;
		k = (uint8_t)(d[p] - plain(ai, wide, 0));
	} else if (SIG_ROT(sig)) {
		m = PS_ENC_ROL;
		k = (uint8_t)SIG_ROT(sig);
	} else {
		m = PS_ENC_XOR;
		k = d[p] ^ plain(ai, wide, 0);
	}
	if (k == 0)
		return; /* plain text */
	bool variant = true;
	for (size_t j = 0; j < elen; j++) {
		uint8_t pj = plain(ai, wide, j), ej = d[p + j];
		if (dec(m, k, ej) != pj)
			return;
		variant = variant && (ej == pj || (ej == (pj ^ 0x20u) && (uint8_t)((pj | 0x20u) - 'a') < 26));
	}
	/* A case variant of the anchor is plain text: "SVCHOST" is "svchost" ^ 0x20 and
	 * "svchost" + 0xe0. Only letters can differ from the anchor, and only in case (key 0 is
	 * gone already). Not "the encoded bytes are printable": XOR 0x5a keeps lower-case
	 * letters, digits and URL punctuation printable ("http://" is "2..*`uu"), and such keys
	 * are what encoders use to stay clear of NULs. */
	if (variant)
		return;

	/* Forward first (a URL's path, a registry path's tail), then backward, at most
	 * PS_XOR_MAX_DECODED characters, never back into a reported string. */
	size_t s = p, t = p + elen, chars = n;
	while (chars < PS_XOR_MAX_DECODED && char_at(d, len, t, step, m, k)) {
		t += step;
		chars++;
	}
	while (chars < PS_XOR_MAX_DECODED && s - x->done >= step && char_at(d, len, s - step, step, m, k)) {
		s -= step;
		chars++;
	}
	if (chars < PS_XOR_MIN_DECODED)
		return;
	for (size_t j = 0; j < chars; j++)
		x->buf[j] = (char)dec(m, k, d[s + j * step]);
	x->buf[chars] = '\0';
	ps_xorhit h = {.offset = s, .method = m, .key = k, .wide = wide, .anchor = anchors[ai].s,
	               .len = chars, .text = x->buf};
	x->done = t;
	x->n_hits++;
	if (x->fn)
		x->fn(x->ctx, &h);
}

/* Every signature with the differences found at q. */
static void candidates(ps_xorscan *x, const uint8_t *d, size_t len, size_t q)
{
	uint32_t df[2];
	diffs(d[q], d[q + 1], d[q + 2], d[q + 3], df);
	for (unsigned f = 0; f < 2; f++) {
		uint32_t k = key_of(df[f]);
		if (!(T.filter[k] & (1u << f)))
			continue;
		uint32_t b = bucket_of(k);
		for (unsigned i = T.bucket[f][b]; i < T.bucket[f][b + 1]; i++) {
			uint64_t sig = T.sig[i];
			if (SIG_DIFF(sig) != df[f] || SIG_PHASE(sig) > q)
				continue;
			try_sig(x, d, len, q - SIG_PHASE(sig), sig);
			if (x->n_hits >= PS_MAX_XOR_HITS)
				return;
		}
	}
}

void ps_xorscan_window(ps_xorscan *x, const uint8_t *data, size_t len, size_t start, size_t end)
{
	if (!x || !data)
		return;
	if (end > len)
		end = len;
	if (start >= end || x->n_hits >= PS_MAX_XOR_HITS)
		return;
	if (end - start > x->budget) {
		x->exhausted = true;
		end = start + (size_t)x->budget;
	}
	x->budget -= end - start;
	x->scanned += end - start;
	if (len < 4)
		return;
	/* Differences need e[q + 3]; an anchor seen at q lies in [q - 3, q + 4) at least. */
	const size_t qe = end < len - 3 ? end : len - 3;
	size_t q = start + (PS_XOR_STRIDE - start % PS_XOR_STRIDE) % PS_XOR_STRIDE;
	const uint8_t *t = T.filter;
	/* Candidate slots: written for every position, kept when a bit is set. */
	uint16_t cand[PS_XOR_CHUNK / PS_XOR_STRIDE];
	while (q < qe) {
		const size_t base = q, stop = qe - q > PS_XOR_CHUNK ? q + PS_XOR_CHUNK : qe;
		unsigned nc = 0;
#if defined(__SSE2__)
		/* Four positions per 16 bytes: the differences of each position in one 32-bit lane
		 * (bytes 0..2; byte 3 reaches into the next position and is masked off), hashed by
		 * _mm_mul_epu32 (lanes 0 and 2, then 1 and 3), each key read out as the 16-bit half
		 * it is in (bits 16..31 of the product). */
		const __m128i m24 = _mm_set1_epi32(0xffffff), mul = _mm_set1_epi32((int)PS_XOR_HASH);
		for (; stop - q >= 16 && len - q >= 17; q += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(data + q));
			__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(data + q + 1));
			__m128i dx = _mm_and_si128(_mm_xor_si128(v, v1), m24);
			__m128i dy = _mm_and_si128(_mm_sub_epi8(v1, v), m24);
			__m128i x02 = _mm_mul_epu32(dx, mul), x13 = _mm_mul_epu32(_mm_srli_epi64(dx, 32), mul);
			__m128i y02 = _mm_mul_epu32(dy, mul), y13 = _mm_mul_epu32(_mm_srli_epi64(dy, 32), mul);
			unsigned h0 = (t[_mm_extract_epi16(x02, 1)] & 1u) | (t[_mm_extract_epi16(y02, 1)] & 2u);
			unsigned h1 = (t[_mm_extract_epi16(x13, 1)] & 1u) | (t[_mm_extract_epi16(y13, 1)] & 2u);
			unsigned h2 = (t[_mm_extract_epi16(x02, 5)] & 1u) | (t[_mm_extract_epi16(y02, 5)] & 2u);
			unsigned h3 = (t[_mm_extract_epi16(x13, 5)] & 1u) | (t[_mm_extract_epi16(y13, 5)] & 2u);
			uint16_t o = (uint16_t)(q - base);
			cand[nc] = o;
			nc += h0 != 0;
			cand[nc] = (uint16_t)(o + 4);
			nc += h1 != 0;
			cand[nc] = (uint16_t)(o + 8);
			nc += h2 != 0;
			cand[nc] = (uint16_t)(o + 12);
			nc += h3 != 0;
		}
#endif
		for (; q < stop; q += PS_XOR_STRIDE) {
			uint32_t df[2];
			diffs(data[q], data[q + 1], data[q + 2], data[q + 3], df);
			cand[nc] = (uint16_t)(q - base);
			nc += ((t[key_of(df[0])] & 1u) | (t[key_of(df[1])] & 2u)) != 0;
		}
		for (unsigned i = 0; i < nc; i++) {
			candidates(x, data, len, base + cand[i]);
			if (x->n_hits >= PS_MAX_XOR_HITS)
				return;
		}
	}
}
