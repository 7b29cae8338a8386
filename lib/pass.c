#include "pass.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "limits.h"
#include "pesleuth/error.h"
#include "reader.h"

typedef struct seg {
	uint64_t start, end;
	uint64_t *hist; /* 256 counts, NULL when no admitted section covers the segment */
} seg;

#define PS_PASS_MAX_DIGESTS 12

typedef struct range_digest {
	ps_md *md;
	ps_range *r;
	size_t n, cursor, pad;
	uint8_t out[PS_MD_MAX_SIZE];
} range_digest;

#define PS_PASS_MAX_PAGED 4

typedef struct paged_digest {
	ps_md *md;
	ps_page *pg;
	size_t n, cur, mdsize;
	unsigned ri;
	uint64_t pos;
	uint8_t *out;
	bool failed;
} paged_digest;

struct ps_pass {
	ps_md *md[3];
	range_digest rd[PS_PASS_MAX_DIGESTS];
	size_t n_rd;
	paged_digest pd[PS_PASS_MAX_PAGED];
	size_t n_pd;
	int checksum;
	uint64_t sum;
	uint8_t carry[4];
	unsigned n_carry;
	uint64_t pos;
	/* entropy */
	ps_section *sections;
	size_t n_sections;
	uint64_t *rstart, *rend; /* per section: byte range, rend <= rstart when none */
	unsigned char *admitted;
	seg *segs;
	size_t n_segs, cursor;
	uint64_t *hist_store;
};

static uint64_t adjust_fa(uint64_t ptr, uint32_t fa) { return fa < 0x200 ? ptr : ptr & ~(uint64_t)0x1FF; }

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t seg_index(const seg *s, size_t n, uint64_t at)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].start < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Splits the sections' raw ranges (which may overlap) at every boundary, so each byte is
 * counted once into its segment's histogram, and a section's histogram is the sum of the
 * segments it spans. */
static int plan_entropy(ps_pass *p, const ps_pass_plan *plan, uint64_t len, ps_findings *fs)
{
	size_t n = plan->n_sections;
	p->sections = plan->sections;
	p->n_sections = n;
	if (!n || !plan->sections)
		return PS_OK;
	p->rstart = calloc(n, sizeof(uint64_t));
	p->rend = calloc(n, sizeof(uint64_t));
	p->admitted = calloc(n, 1);
	uint64_t *b = calloc(2 * n, sizeof(uint64_t));
	if (!p->rstart || !p->rend || !p->admitted || !b) {
		free(b);
		return PS_ENOMEM;
	}
	size_t nb = 0;
	for (size_t i = 0; i < n; i++) {
		const ps_section *s = &plan->sections[i];
		uint64_t st = adjust_fa(s->raw_offset, plan->file_alignment);
		uint64_t en = st + s->raw_size;
		if (en > len)
			en = len;
		p->rstart[i] = st;
		p->rend[i] = en;
		if (en > st) {
			b[nb++] = st;
			b[nb++] = en;
		}
	}
	qsort(b, nb, sizeof(uint64_t), cmp_u64);
	size_t nu = 0;
	for (size_t i = 0; i < nb; i++)
		if (!nu || b[nu - 1] != b[i])
			b[nu++] = b[i];
	size_t ns = nu ? nu - 1 : 0;
	p->segs = ns ? calloc(ns, sizeof(seg)) : NULL;
	if (ns && !p->segs) {
		free(b);
		return PS_ENOMEM;
	}
	for (size_t k = 0; k < ns; k++) {
		p->segs[k].start = b[k];
		p->segs[k].end = b[k + 1];
	}
	p->n_segs = ns;
	free(b);

	/* Admit sections in table order while the merge budget lasts. */
	uint64_t budget = PS_MAX_ENTROPY_MERGES;
	size_t refused = 0;
	unsigned char *need = ns ? calloc(ns, 1) : NULL;
	if (ns && !need)
		return PS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (p->rend[i] <= p->rstart[i]) {
			p->admitted[i] = 1; /* empty: entropy 0, no work */
			continue;
		}
		size_t a = seg_index(p->segs, ns, p->rstart[i]);
		size_t z = seg_index(p->segs, ns, p->rend[i]);
		uint64_t span = z - a;
		if (span > budget) {
			refused++;
			continue;
		}
		budget -= span;
		p->admitted[i] = 1;
		for (size_t k = a; k < z; k++)
			need[k] = 1;
	}
	size_t nh = 0;
	for (size_t k = 0; k < ns; k++)
		nh += need[k];
	p->hist_store = nh ? calloc(nh, 256 * sizeof(uint64_t)) : NULL;
	if (nh && !p->hist_store) {
		free(need);
		return PS_ENOMEM;
	}
	for (size_t k = 0, h = 0; k < ns; k++)
		if (need[k])
			p->segs[k].hist = p->hist_store + 256 * h++;
	free(need);
	if (refused)
		ps_find_limit(fs, "section entropy (overlapping raw ranges)", PS_MAX_ENTROPY_MERGES, 0);
	return PS_OK;
}

int ps_pass_new(ps_pass **out, const ps_pass_plan *plan, uint64_t file_len, ps_findings *fs)
{
	*out = NULL;
	ps_pass *p = calloc(1, sizeof(*p));
	if (!p)
		return PS_ENOMEM;
	int rc = PS_OK;
	static const ps_md_alg algs[3] = {PS_MD_MD5, PS_MD_SHA1, PS_MD_SHA256};
	unsigned hashes = plan->hashes ? plan->hashes : PS_HASH_ALL;
	for (int i = 0; i < 3; i++)
		if (hashes & (1u << i)) {
			rc = ps_md_new(&p->md[i], algs[i]);
			if (rc)
				goto fail;
		}
	p->checksum = plan->checksum;
	rc = plan_entropy(p, plan, file_len, fs);
	if (rc)
		goto fail;
	*out = p;
	return PS_OK;
fail:
	ps_pass_free(p);
	return rc;
}

int ps_pass_add_digest(ps_pass *p, int alg, const ps_range *ranges, size_t n, size_t pad, int *handle)
{
	if (p->n_rd >= PS_PASS_MAX_DIGESTS || p->pos)
		return PS_EINVAL;
	range_digest *d = &p->rd[p->n_rd];
	memset(d, 0, sizeof(*d));
	int rc = ps_md_new(&d->md, (ps_md_alg)alg);
	if (rc)
		return rc;
	d->r = n ? calloc(n, sizeof(*d->r)) : NULL;
	if (n && !d->r) {
		ps_md_free(d->md);
		return PS_ENOMEM;
	}
	if (n)
		memcpy(d->r, ranges, n * sizeof(*d->r));
	d->n = n;
	d->pad = pad;
	*handle = (int)p->n_rd++;
	return PS_OK;
}

const uint8_t *ps_pass_digest(const ps_pass *p, int handle)
{
	return handle >= 0 && (size_t)handle < p->n_rd ? p->rd[handle].out : NULL;
}

int ps_pass_add_pages(ps_pass *p, int alg, const ps_page *pages, size_t n, int *handle)
{
	if (p->n_pd >= PS_PASS_MAX_PAGED || p->pos || !n)
		return PS_EINVAL;
	paged_digest *d = &p->pd[p->n_pd];
	memset(d, 0, sizeof(*d));
	d->mdsize = ps_md_size((ps_md_alg)alg);
	int rc = ps_md_new(&d->md, (ps_md_alg)alg);
	if (rc)
		return rc;
	d->pg = calloc(n, sizeof(*d->pg));
	d->out = calloc(n, d->mdsize);
	if (!d->pg || !d->out) {
		ps_md_free(d->md);
		free(d->pg);
		free(d->out);
		return PS_ENOMEM;
	}
	memcpy(d->pg, pages, n * sizeof(*pages));
	d->n = n;
	d->pos = pages[0].nr ? pages[0].r[0].start : 0;
	*handle = (int)p->n_pd++;
	return PS_OK;
}

const uint8_t *ps_pass_page_digest(const ps_pass *p, int handle, size_t i)
{
	if (handle < 0 || (size_t)handle >= p->n_pd)
		return NULL;
	const paged_digest *d = &p->pd[handle];
	return !d->failed && i < d->cur && i < d->n ? d->out + i * d->mdsize : NULL;
}

/* Hashes what [lo, hi) holds of the current pages, finishing each page whose ranges are all
 * done (a final call with lo == hi == file length finishes the rest). */
static void feed_pages(paged_digest *d, const uint8_t *data, uint64_t lo, uint64_t hi)
{
	static const uint8_t zeros[256];
	while (!d->failed && d->cur < d->n) {
		const ps_page *pg = &d->pg[d->cur];
		if (d->ri == pg->nr) {
			for (uint32_t left = pg->pad; left && !d->failed;) {
				uint32_t k = left < sizeof(zeros) ? left : (uint32_t)sizeof(zeros);
				d->failed = ps_md_update(d->md, zeros, k) != PS_OK;
				left -= k;
			}
			d->failed = d->failed || ps_md_final(d->md, d->out + d->cur * d->mdsize) != PS_OK ||
			            ps_md_reset(d->md) != PS_OK;
			d->cur++;
			d->ri = 0;
			if (d->cur < d->n && d->pg[d->cur].nr)
				d->pos = d->pg[d->cur].r[0].start;
			continue;
		}
		const ps_range *r = &pg->r[d->ri];
		if (d->pos < r->start)
			d->pos = r->start;
		if (d->pos >= r->end) {
			d->ri++;
			if (d->ri < pg->nr)
				d->pos = pg->r[d->ri].start;
			continue;
		}
		if (d->pos >= hi)
			break; /* needs the next window */
		if (d->pos < lo) {
			d->failed = true; /* ranges out of order: the caller promised they were not */
			break;
		}
		uint64_t z = r->end < hi ? r->end : hi;
		d->failed = ps_md_update(d->md, data + (d->pos - lo), (size_t)(z - d->pos)) != PS_OK;
		d->pos = z;
	}
}

/* A digest's bytes in the current window, fed by stitch(). */
typedef struct stitch_job {
	ps_md *md;
	const uint8_t *p;
	size_t n;
} stitch_job;

/* Feeds what [lo, hi) holds of the digest's ranges: every piece but the last directly (the
 * short ones between the holes of the headers), the last into *last for stitch(). */
static int feed_ranges(range_digest *d, const uint8_t *data, uint64_t lo, uint64_t hi, stitch_job *last)
{
	*last = (stitch_job){d->md, NULL, 0};
	while (d->cursor < d->n && d->r[d->cursor].end <= lo)
		d->cursor++;
	for (size_t k = d->cursor; k < d->n && d->r[k].start < hi; k++) {
		uint64_t a = d->r[k].start > lo ? d->r[k].start : lo;
		uint64_t z = d->r[k].end < hi ? d->r[k].end : hi;
		if (z <= a)
			continue;
		if (last->n && ps_md_update(d->md, last->p, last->n) != PS_OK)
			return PS_ECRYPTO;
		last->p = data + (a - lo);
		last->n = (size_t)(z - a);
	}
	return PS_OK;
}

/* MD5 is one long dependency chain per 64-byte block that leaves most of a core's execution
 * units idle, and SHA-1 and SHA-256 (SHA-NI) are chains of their own. Fed one block of each
 * digest in turn, the out-of-order core runs them side by side: MD5, SHA-1 and SHA-256 of the
 * same bytes take ~1.3 x less time than one digest after the other over the whole window
 * (bench/floor.c -s measures both). Order within each digest is kept. */
#define PS_PASS_STITCH 64

static int stitch(stitch_job *j, size_t nj)
{
	if (nj == 1)
		return ps_md_update(j[0].md, j[0].p, j[0].n);
	for (bool more = true; more;) {
		more = false;
		for (size_t k = 0; k < nj; k++) {
			if (!j[k].n)
				continue;
			size_t c = j[k].n < PS_PASS_STITCH ? j[k].n : PS_PASS_STITCH;
			if (ps_md_update(j[k].md, j[k].p, c) != PS_OK)
				return PS_ECRYPTO;
			j[k].p += c;
			j[k].n -= c;
			more = true;
		}
	}
	return PS_OK;
}

static void hist_add(uint64_t *h, const uint8_t *d, size_t n)
{
	if (n < 2048) {
		for (size_t i = 0; i < n; i++)
			h[d[i]]++;
		return;
	}
	/* Four tables break the store-to-load dependency on runs of equal bytes. */
	uint32_t t[4][256];
	memset(t, 0, sizeof(t));
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		t[0][d[i]]++;
		t[1][d[i + 1]]++;
		t[2][d[i + 2]]++;
		t[3][d[i + 3]]++;
	}
	for (; i < n; i++)
		t[0][d[i]]++;
	for (int k = 0; k < 256; k++)
		h[k] += (uint64_t)t[0][k] + t[1][k] + t[2][k] + t[3][k];
}

static uint64_t dword_sum(const uint8_t *d, size_t n)
{
	uint64_t s0 = 0, s1 = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		s0 += ps_le32(d + i);
		s1 += ps_le32(d + i + 4);
	}
	for (; i + 4 <= n; i += 4)
		s0 += ps_le32(d + i);
	return s0 + s1;
}

int ps_pass_feed(ps_pass *p, const uint8_t *d, size_t n)
{
	uint64_t lo = p->pos, hi = p->pos + n;
	stitch_job jobs[3 + PS_PASS_MAX_DIGESTS];
	size_t nj = 0;
	for (int i = 0; i < 3; i++)
		if (p->md[i] && n)
			jobs[nj++] = (stitch_job){p->md[i], d, n};
	for (size_t i = 0; i < p->n_rd; i++) {
		if (feed_ranges(&p->rd[i], d, lo, hi, &jobs[nj]) != PS_OK)
			return PS_ECRYPTO;
		nj += jobs[nj].n != 0;
	}
	if (nj && stitch(jobs, nj) != PS_OK)
		return PS_ECRYPTO;
	if (p->checksum && n) {
		size_t i = 0;
		while (p->n_carry && p->n_carry < 4 && i < n)
			p->carry[p->n_carry++] = d[i++];
		if (p->n_carry == 4) {
			p->sum += ps_le32(p->carry);
			p->n_carry = 0;
		}
		size_t body = (n - i) & ~(size_t)3;
		p->sum += dword_sum(d + i, body);
		i += body;
		while (i < n)
			p->carry[p->n_carry++] = d[i++];
	}
	for (size_t i = 0; i < p->n_pd; i++)
		feed_pages(&p->pd[i], d, lo, hi);
	/* Histograms of the segments this window overlaps. */
	while (p->cursor < p->n_segs && p->segs[p->cursor].end <= lo)
		p->cursor++;
	for (size_t k = p->cursor; k < p->n_segs && p->segs[k].start < hi; k++) {
		seg *s = &p->segs[k];
		if (!s->hist)
			continue;
		uint64_t a = s->start > lo ? s->start : lo;
		uint64_t z = s->end < hi ? s->end : hi;
		if (z > a)
			hist_add(s->hist, d + (a - lo), (size_t)(z - a));
	}
	p->pos = hi;
	return PS_OK;
}

static double entropy_of(const uint64_t *h, uint64_t total)
{
	if (!total)
		return 0.0;
	double e = 0.0, t = (double)total;
	for (int k = 0; k < 256; k++)
		if (h[k]) {
			double px = (double)h[k] / t;
			e -= px * log2(px);
		}
	return e;
}

int ps_pass_finish(ps_pass *p, ps_hashes *h, uint64_t *sum)
{
	uint8_t *dst[3] = {h->md5, h->sha1, h->sha256};
	for (int i = 0; i < 3; i++)
		if (p->md[i]) {
			if (ps_md_final(p->md[i], dst[i]) != PS_OK)
				return PS_ECRYPTO;
			h->computed |= 1u << i;
		}
	for (size_t i = 0; i < p->n_pd; i++)
		feed_pages(&p->pd[i], NULL, p->pos, p->pos);
	static const uint8_t zeros[8];
	for (size_t i = 0; i < p->n_rd; i++) {
		range_digest *d = &p->rd[i];
		for (size_t left = d->pad; left;) {
			size_t k = left < sizeof(zeros) ? left : sizeof(zeros);
			if (ps_md_update(d->md, zeros, k) != PS_OK)
				return PS_ECRYPTO;
			left -= k;
		}
		if (ps_md_final(d->md, d->out) != PS_OK)
			return PS_ECRYPTO;
	}
	if (p->checksum && p->n_carry) {
		while (p->n_carry < 4)
			p->carry[p->n_carry++] = 0;
		p->sum += ps_le32(p->carry);
		p->n_carry = 0;
	}
	*sum = p->sum;
	for (size_t i = 0; i < p->n_sections; i++) {
		ps_section *s = &p->sections[i];
		if (!p->admitted[i]) {
			s->has_entropy = false;
			continue;
		}
		s->has_entropy = true;
		if (p->rend[i] <= p->rstart[i]) {
			s->entropy = 0.0;
			continue;
		}
		uint64_t acc[256];
		memset(acc, 0, sizeof(acc));
		size_t a = seg_index(p->segs, p->n_segs, p->rstart[i]);
		size_t z = seg_index(p->segs, p->n_segs, p->rend[i]);
		for (size_t k = a; k < z; k++)
			for (int b = 0; b < 256; b++)
				acc[b] += p->segs[k].hist[b];
		s->entropy = entropy_of(acc, p->rend[i] - p->rstart[i]);
	}
	return PS_OK;
}

void ps_pass_free(ps_pass *p)
{
	if (!p)
		return;
	for (int i = 0; i < 3; i++)
		ps_md_free(p->md[i]);
	for (size_t i = 0; i < p->n_rd; i++) {
		ps_md_free(p->rd[i].md);
		free(p->rd[i].r);
	}
	for (size_t i = 0; i < p->n_pd; i++) {
		ps_md_free(p->pd[i].md);
		free(p->pd[i].pg);
		free(p->pd[i].out);
	}
	free(p->rstart);
	free(p->rend);
	free(p->admitted);
	free(p->segs);
	free(p->hist_store);
	free(p);
}

uint32_t ps_pe_checksum_finish(uint64_t sum, const uint8_t *data, uint64_t len, uint64_t checksum_offset)
{
	/* pefile skips the dword whose index is checksum_offset / 4 (the same dword as Windows'
	 * word-wise sum when the PE header is 4-aligned, as real images are). */
	uint64_t idx = checksum_offset / 4, at = idx * 4;
	if (at < len) {
		uint8_t w[4] = {0, 0, 0, 0};
		for (unsigned k = 0; k < 4 && at + k < len; k++)
			w[k] = data[at + k];
		sum -= ps_le32(w);
	}
	while (sum >> 32)
		sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = sum + (sum >> 16);
	sum &= 0xFFFF;
	return (uint32_t)(sum + len);
}
