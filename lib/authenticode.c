/* The certificate table and the Authenticode file digests.
 *
 * WIN_CERTIFICATE entries (dwLength, wRevision, wCertificateType, bCertificate) follow each
 * other at 8-byte aligned offsets inside the table the security directory points at (a file
 * offset). Windows reads the first entry's PKCS#7; bytes after the DER inside an entry, or
 * past the last entry inside the table, are not covered by any digest — the hiding place of
 * CVE-2013-3900 (and of installers that smuggle configuration into "signed" files).
 *
 * Digests: the linear method hashes the whole file except the CheckSum field, the security
 * directory entry and the table (an unsigned file is zero-padded to a multiple of 8); the
 * section method (the Authenticode specification's) hashes the headers, the sections in
 * PointerToRawData order and the data after them. They cover the same bytes for every
 * ordinary file, and then only one is computed; when they do not, both are, and a
 * disagreement is a finding: someone built the file so that tools would disagree.
 */
#include "authenticode.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pesleuth/error.h"
#include "text.h"

#define CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define MAX_CERT_ENTRIES 16u

void ps_sigplan_init(ps_sigplan *sp)
{
	memset(sp, 0, sizeof(*sp));
	ps_vec_init(&sp->sigs, sizeof(ps_signature));
	for (int i = 0; i < PS_MD_COUNT; i++)
		sp->linear[i] = sp->section[i] = sp->pages[i] = -1;
}

void ps_sigplan_free(ps_sigplan *sp)
{
	free(sp->lin);
	free(sp->sec);
	free(sp->pagev);
	free(sp->page_off);
	sp->lin = sp->sec = NULL;
	sp->pagev = NULL;
	sp->page_off = NULL;
}

static ps_finding *malformed(ps_pectx *c, const char *why, uint64_t offset)
{
	ps_finding *f = ps_find(c->fs, "SIG-MALFORMED", PS_SEV_MEDIUM,
	                        "The certificate table is malformed: %s", why);
	ps_ev_str(f, c->fs, "reason", why);
	ps_ev_off(f, "offset", offset);
	return f;
}

static void padding_finding(ps_pectx *c, const char *why, unsigned entry, uint64_t offset, uint64_t size,
                            uint64_t nonzero)
{
	ps_finding *f = ps_find(c->fs, "SIG-CERT-PADDING", PS_SEV_HIGH,
	                        "%" PRIu64 " bytes hidden in the certificate table, outside every signature (%s)",
	                        size, why);
	ps_ev_str(f, c->fs, "reason", why);
	ps_ev_uint(f, "entry", entry);
	ps_ev_off(f, "offset", offset);
	ps_ev_uint(f, "size", size);
	ps_ev_uint(f, "nonzero_bytes", nonzero);
	ps_attack(f, "T1553.002");
	ps_attack(f, "T1027");
}

static uint64_t count_nonzero(const uint8_t *p, uint64_t n)
{
	uint64_t k = 0;
	for (uint64_t i = 0; i < n; i++)
		k += p[i] != 0;
	return k;
}

void ps_authenticode_parse(ps_pectx *c, ps_sigplan *sp)
{
	ps_pe *pe = c->pe;
	if (!pe->has_certificate_table)
		return;
	uint64_t off = pe->certificate_table_offset, size = pe->certificate_table_size;
	if (off >= c->len) {
		ps_finding *f = malformed(c, "the table starts past the end of the file", off);
		ps_ev_uint(f, "size", size);
		ps_ev_uint(f, "file_size", c->len);
		return;
	}
	uint64_t end = off + size, end_in = end <= c->len ? end : c->len;
	sp->table_valid = true;
	sp->table_start = off;
	sp->table_end = end_in;
	if (end > c->len) {
		ps_finding *f = malformed(c, "the table runs past the end of the file", off);
		ps_ev_uint(f, "size", size);
		ps_ev_uint(f, "file_size", c->len);
	}
	if (off % 8)
		malformed(c, "the table is not 8-byte aligned", off);

	unsigned budget = PS_MAX_SIGNATURES, entry = 0;
	uint64_t pos = off;
	bool broken = false;
	while (pos < end_in && end_in - pos >= 8) {
		if (entry >= MAX_CERT_ENTRIES) {
			ps_find_limit(c->fs, "certificate table entries", MAX_CERT_ENTRIES, pos);
			broken = true;
			break;
		}
		uint32_t len = ps_le32(c->data + pos);
		uint16_t rev = ps_le16(c->data + pos + 4);
		uint16_t type = ps_le16(c->data + pos + 6);
		/* WIN_CERT_REVISION_2_0, or the legacy 1_0 Windows still reads */
		bool rev_ok = rev == 0x0200 || rev == 0x0100;
		if (len < 8) {
			malformed(c, "an entry is shorter than its 8-byte header", pos);
			broken = true;
			break;
		}
		uint64_t eend = pos + len;
		if (eend > end) {
			malformed(c, "an entry runs past the end of the table", pos);
			broken = true;
		}
		if (eend > end_in)
			eend = end_in;
		if (type == CERT_TYPE_PKCS_SIGNED_DATA && eend > pos + 8) {
			const uint8_t *der = c->data + pos + 8;
			uint64_t room = eend - pos - 8;
			size_t dlen = ps_crypto_der_length(der, (size_t)room);
			if (!dlen) {
				ps_finding *f = malformed(c, "an entry holds no DER PKCS#7", pos + 8);
				ps_ev_uint(f, "entry", entry);
			} else {
				size_t before = sp->sigs.n;
				ps_crypto_parse_signature(c->arena, &sp->sigs, der, dlen, pos + 8, entry, 0, -1, &budget);
				for (size_t k = before; k < sp->sigs.n; k++)
					((ps_signature *)sp->sigs.v)[k].entry_valid = rev_ok;
				if (!rev_ok) {
					ps_finding *f = malformed(c, "an entry has a revision Windows does not accept", pos + 4);
					ps_ev_uint(f, "entry", entry);
					ps_ev_uint(f, "revision", rev);
				}
				if (sp->sigs.n > before) {
					const ps_signature *s = &((const ps_signature *)sp->sigs.v)[before];
					if (!s->parsed) {
						ps_finding *f = malformed(c, "an entry holds no parseable Authenticode signature", pos + 8);
						ps_ev_uint(f, "entry", entry);
						ps_ev_str(f, c->fs, "error", s->parse_error ? s->parse_error : "unknown");
					}
				}
				/* up to 7 zero bytes align the next entry; anything else is hidden data — once
				 * we know where the signature ends, i.e. the DER decoded as one (random bytes
				 * can look like a short TLV, SIG-MALFORMED says what they are) */
				bool decoded = sp->sigs.n > before && ((const ps_signature *)sp->sigs.v)[before].parsed;
				uint64_t trailing = room - dlen;
				uint64_t nz = decoded ? count_nonzero(der + dlen, trailing) : 0;
				if (decoded && (trailing > 7 || nz))
					padding_finding(c, "bytes after the PKCS#7 inside its entry", entry, pos + 8 + dlen, trailing, nz);
			}
		}
		entry++;
		if (broken)
			break;
		pos += ((uint64_t)len + 7) & ~(uint64_t)7;
	}
	pe->n_certificate_entries = entry;
	if (!broken && pos < end_in) {
		uint64_t left = end_in - pos, nz = count_nonzero(c->data + pos, left);
		if (left >= 8 || nz)
			padding_finding(c, "the table is larger than its entries", entry, pos, left, nz);
	}
	if (end < c->len) {
		ps_finding *f = ps_find(c->fs, "SIG-DATA-AFTER-TABLE", PS_SEV_MEDIUM,
		                        "%" PRIu64 " bytes follow the certificate table, which should end the file",
		                        (uint64_t)(c->len - end));
		ps_ev_off(f, "offset", end);
		ps_ev_uint(f, "size", c->len - end);
		ps_attack(f, "T1553.002");
	}
}

/* ------------------------------------------------------------ digest ranges */

static void exclude(ps_range *r, size_t *n, uint64_t a, uint64_t z)
{
	/* r holds sorted disjoint ranges; removes [a, z) (r has room for one more range) */
	size_t m = *n;
	for (size_t i = 0; i < m; i++) {
		if (z <= r[i].start || a >= r[i].end)
			continue;
		if (a > r[i].start && z < r[i].end) { /* split */
			memmove(&r[i + 2], &r[i + 1], (m - i - 1) * sizeof(*r));
			r[i + 1].start = z;
			r[i + 1].end = r[i].end;
			r[i].end = a;
			m++;
			i++;
			continue;
		}
		if (a <= r[i].start)
			r[i].start = z < r[i].end ? z : r[i].end;
		else
			r[i].end = a;
	}
	/* drop empty ranges */
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		if (r[i].end > r[i].start)
			r[k++] = r[i];
	*n = k;
}

static size_t normalize(ps_range *r, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].end <= r[i].start)
			continue;
		if (k && r[k - 1].end == r[i].start)
			r[k - 1].end = r[i].end;
		else
			r[k++] = r[i];
	}
	return k;
}

typedef struct sec_order {
	uint64_t ptr, size;
	size_t idx;
} sec_order;

static int cmp_sec(const void *a, const void *b)
{
	const sec_order *x = a, *y = b;
	if (x->ptr != y->ptr)
		return x->ptr < y->ptr ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

#define PAGE_SIZE_HASHED 4096u
#define MAX_HASHED_PAGES 65536u

static void page_range(ps_page *pg, uint64_t a, uint64_t z, uint64_t len)
{
	if (a > len)
		a = len;
	if (z > len)
		z = len;
	if (z > a && pg->nr < 3) {
		pg->r[pg->nr].start = a;
		pg->r[pg->nr].end = z;
		pg->nr++;
	}
}

/* The pages a page-hash table lists, as Windows' signing tools lay them out: the headers (minus
 * CheckSum and the security directory entry) zero-padded to a page, then each section with raw
 * data, by PointerToRawData, cut in pages of its raw bytes (the last zero-padded). */
static bool plan_pages(ps_pectx *c, ps_sigplan *sp, uint64_t ck, uint64_t sd, bool has_sd)
{
	const ps_pe *pe = c->pe;
	uint64_t len = c->len, hdr = pe->opt.size_of_headers;
	size_t ns = pe->n_sections, k = 0;
	sec_order *ord = ns ? calloc(ns, sizeof(*ord)) : NULL;
	if (ns && !ord)
		return false;
	uint64_t total = 1;
	for (size_t i = 0; i < ns; i++)
		if (pe->sections[i].raw_size) {
			ord[k].ptr = pe->sections[i].raw_offset;
			ord[k].size = pe->sections[i].raw_size;
			ord[k].idx = i;
			total += (ord[k].size + PAGE_SIZE_HASHED - 1) / PAGE_SIZE_HASHED;
			k++;
		}
	if (total > MAX_HASHED_PAGES) {
		free(ord);
		ps_find_limit(c->fs, "page hashes", MAX_HASHED_PAGES, 0);
		return false;
	}
	if (k)
		qsort(ord, k, sizeof(*ord), cmp_sec);
	sp->pagev = calloc((size_t)total, sizeof(ps_page));
	sp->page_off = calloc((size_t)total, sizeof(uint64_t));
	if (!sp->pagev || !sp->page_off) {
		free(ord);
		return false;
	}
	size_t n = 0;
	ps_page *pg = &sp->pagev[n];
	page_range(pg, 0, ck, len);
	if (has_sd) {
		page_range(pg, ck + 4, sd, len);
		page_range(pg, sd + 8, hdr, len);
	} else {
		page_range(pg, ck + 4, hdr, len);
	}
	pg->pad = hdr < PAGE_SIZE_HASHED ? (uint32_t)(PAGE_SIZE_HASHED - hdr) : 0;
	sp->page_off[n++] = 0;
	sp->page_end = 0;
	for (size_t i = 0; i < k; i++) {
		for (uint64_t l = 0; l < ord[i].size; l += PAGE_SIZE_HASHED) {
			uint64_t take = ord[i].size - l < PAGE_SIZE_HASHED ? ord[i].size - l : PAGE_SIZE_HASHED;
			pg = &sp->pagev[n];
			uint64_t a = ord[i].ptr + l;
			page_range(pg, a, a + take, len);
			uint64_t got = pg->nr ? pg->r[0].end - pg->r[0].start : 0;
			pg->pad = (uint32_t)(PAGE_SIZE_HASHED - got);
			sp->page_off[n++] = a;
		}
		sp->page_end = ord[i].ptr + ord[i].size;
	}
	free(ord);
	sp->n_pages = n;
	uint64_t last = 0;
	sp->pages_streamable = true;
	for (size_t i = 0; i < n; i++)
		for (unsigned r = 0; r < sp->pagev[i].nr; r++) {
			if (sp->pagev[i].r[r].start < last)
				sp->pages_streamable = false;
			last = sp->pagev[i].r[r].end;
		}
	return true;
}

int ps_authenticode_plan(ps_pectx *c, ps_sigplan *sp, ps_pass *pass, bool authentihash)
{
	const ps_pe *pe = c->pe;
	bool need[PS_MD_COUNT] = {false};
	bool any = false;
	const ps_signature *sigs = sp->sigs.v;
	for (size_t i = 0; i < sp->sigs.n; i++) {
		if (!sigs[i].parsed)
			continue;
		ps_md_alg a = ps_md_from_name(sigs[i].digest_algorithm);
		if (a < PS_MD_COUNT)
			need[a] = any = true;
	}
	if (authentihash)
		need[PS_MD_MD5] = need[PS_MD_SHA1] = need[PS_MD_SHA256] = any = true;
	if (!any)
		return PS_OK;

	uint64_t len = c->len;
	uint64_t ck = pe->optional_header_offset + 64;
	bool has_sd = pe->n_directories > PS_DIR_SECURITY;
	uint64_t sd = pe->optional_header_offset + (pe->pe32plus ? 112 : 96) + 8u * PS_DIR_SECURITY;

	/* linear: everything minus the three holes */
	sp->lin = calloc(8, sizeof(ps_range));
	if (!sp->lin)
		return PS_ENOMEM;
	sp->lin[0].start = 0;
	sp->lin[0].end = len;
	sp->n_lin = len ? 1 : 0;
	exclude(sp->lin, &sp->n_lin, ck, ck + 4);
	if (has_sd)
		exclude(sp->lin, &sp->n_lin, sd, sd + 8);
	if (sp->table_valid)
		exclude(sp->lin, &sp->n_lin, sp->table_start, sp->table_end);
	sp->n_lin = normalize(sp->lin, sp->n_lin);
	sp->pad = pe->has_certificate_table ? 0 : (8 - len % 8) % 8;

	/* section method: headers, sections by PointerToRawData, then what follows them */
	size_t ns = pe->n_sections;
	sp->sec = calloc(ns + 8, sizeof(ps_range));
	sec_order *ord = ns ? calloc(ns, sizeof(*ord)) : NULL;
	if (!sp->sec || (ns && !ord)) {
		free(ord);
		return PS_ENOMEM;
	}
	uint64_t hdr = pe->opt.size_of_headers < len ? pe->opt.size_of_headers : len;
	size_t n = 0;
	sp->sec[n].start = 0;
	sp->sec[n].end = hdr;
	n = hdr ? 1 : 0;
	exclude(sp->sec, &n, ck, ck + 4);
	if (has_sd)
		exclude(sp->sec, &n, sd, sd + 8);
	uint64_t sum = pe->opt.size_of_headers;
	size_t k = 0;
	for (size_t i = 0; i < ns; i++)
		if (pe->sections[i].raw_size) {
			ord[k].ptr = pe->sections[i].raw_offset;
			ord[k].size = pe->sections[i].raw_size;
			ord[k].idx = i;
			k++;
		}
	if (k)
		qsort(ord, k, sizeof(*ord), cmp_sec);
	for (size_t i = 0; i < k; i++) {
		uint64_t a = ord[i].ptr, z = ord[i].ptr + ord[i].size;
		if (a >= len)
			continue;
		sp->sec[n].start = a;
		sp->sec[n].end = z < len ? z : len;
		n++;
		sum += ord[i].size;
	}
	free(ord);
	uint64_t tsize = sp->table_valid ? sp->table_end - sp->table_start : 0;
	if (len > sum && len - sum > tsize) {
		sp->sec[n].start = sum;
		sp->sec[n].end = len - tsize;
		n++;
	}
	sp->sec_streamable = true;
	for (size_t i = 1; i < n; i++)
		if (sp->sec[i].start < sp->sec[i - 1].end)
			sp->sec_streamable = false;
	if (sp->sec_streamable)
		n = normalize(sp->sec, n);
	sp->n_sec = n;
	sp->sec_same = sp->sec_streamable && !sp->pad && n == sp->n_lin && !memcmp(sp->sec, sp->lin, n * sizeof(ps_range));

	/* page hashes, per algorithm the tables use */
	bool need_pages[PS_MD_COUNT] = {false}, any_pages = false;
	for (size_t i = 0; i < sp->sigs.n; i++)
		if (sigs[i].parsed && sigs[i].page_hash_table) {
			ps_md_alg a = ps_md_from_name(sigs[i].page_hash_algorithm);
			if (a < PS_MD_COUNT)
				need_pages[a] = any_pages = true;
		}
	if (any_pages && plan_pages(c, sp, ck, sd, has_sd) && sp->pages_streamable)
		for (int a = 0; a < PS_MD_COUNT; a++)
			if (need_pages[a]) {
				int rc = ps_pass_add_pages(pass, a, sp->pagev, sp->n_pages, &sp->pages[a]);
				if (rc)
					return rc;
			}

	for (int a = 0; a < PS_MD_COUNT; a++) {
		if (!need[a])
			continue;
		int rc = ps_pass_add_digest(pass, a, sp->lin, sp->n_lin, sp->pad, &sp->linear[a]);
		if (rc)
			return rc;
		if (!sp->sec_same && sp->sec_streamable) {
			/* the specification's method pads nothing: a signed file has no padding to add,
			 * and for an unsigned one pesign (its reference) hashes the file as it is */
			rc = ps_pass_add_digest(pass, a, sp->sec, sp->n_sec, 0, &sp->section[a]);
			if (rc)
				return rc;
		}
	}
	return PS_OK;
}

/* Section-method digest for ranges that are not in file order (a hostile layout): hashed
 * from the bytes directly, after the pass. */
static bool section_digest_direct(const ps_pectx *c, const ps_sigplan *sp, ps_md_alg a, uint8_t *out)
{
	ps_md *m = NULL;
	if (ps_md_new(&m, a) != PS_OK)
		return false;
	bool ok = true;
	for (size_t i = 0; i < sp->n_sec && ok; i++)
		ok = ps_md_update(m, c->data + sp->sec[i].start, (size_t)(sp->sec[i].end - sp->sec[i].start)) == PS_OK;
	ok = ok && ps_md_final(m, out) == PS_OK;
	ps_md_free(m);
	return ok;
}

/* Page digest i for a layout the pass could not stream (hostile overlapping sections). */
static bool page_digest_direct(const ps_pectx *c, const ps_sigplan *sp, ps_md_alg a, size_t i, uint8_t *out)
{
	static const uint8_t zeros[PAGE_SIZE_HASHED];
	ps_md *m = NULL;
	if (ps_md_new(&m, a) != PS_OK)
		return false;
	const ps_page *pg = &sp->pagev[i];
	bool ok = true;
	for (unsigned r = 0; r < pg->nr && ok; r++)
		ok = ps_md_update(m, c->data + pg->r[r].start, (size_t)(pg->r[r].end - pg->r[r].start)) == PS_OK;
	ok = ok && ps_md_update(m, zeros, pg->pad <= sizeof(zeros) ? pg->pad : sizeof(zeros)) == PS_OK;
	ok = ok && ps_md_final(m, out) == PS_OK;
	ps_md_free(m);
	return ok;
}

/* Compares a signature's page-hash table with the file, entry by entry. */
static void check_pages(ps_pectx *c, const ps_sigplan *sp, const ps_pass *pass, ps_signature *s)
{
	ps_md_alg a = ps_md_from_name(s->page_hash_algorithm);
	if (a >= PS_MD_COUNT || !sp->n_pages)
		return;
	size_t hl = ps_md_size(a), esz = 4 + hl;
	const uint8_t *t = s->page_hash_table;
	size_t n = s->page_hash_table_len / esz;
	s->page_hashes_checked = true;
	s->page_hashes_ok = s->page_hash_table_len % esz == 0 && n == sp->n_pages + 1;
	s->page_hash_mismatch = UINT64_MAX;
	for (size_t i = 0; i < n && i <= sp->n_pages; i++) {
		uint32_t off = ps_le32(t + i * esz);
		const uint8_t *h = t + i * esz + 4;
		uint8_t mine[PS_MD_MAX_SIZE];
		bool ok;
		if (i == sp->n_pages) { /* the final entry: end offset, zero digest */
			memset(mine, 0, hl);
			ok = off == sp->page_end && !memcmp(h, mine, hl);
		} else {
			const uint8_t *d = sp->pages[a] >= 0 ? ps_pass_page_digest(pass, sp->pages[a], i) : NULL;
			if (!d && page_digest_direct(c, sp, a, i, mine))
				d = mine;
			ok = d && off == sp->page_off[i] && !memcmp(h, d, hl);
		}
		if (!ok) {
			s->page_hashes_ok = false;
			s->page_hash_mismatch = off;
			break;
		}
	}
	if (!s->page_hashes_ok) {
		ps_finding *f = ps_find(c->fs, "SIG-PAGE-HASH-MISMATCH", PS_SEV_HIGH,
		                        "Signature %u: the signed page hashes do not match the file", s->index);
		ps_ev_uint(f, "signature", s->index);
		ps_ev_str(f, c->fs, "algorithm", s->page_hash_algorithm);
		if (s->page_hash_mismatch != UINT64_MAX)
			ps_ev_off(f, "page_offset", s->page_hash_mismatch);
		ps_ev_uint(f, "signed_entries", n);
		ps_ev_uint(f, "computed_entries", sp->n_pages + 1);
		ps_attack(f, "T1553.002");
	}
}

void ps_authenticode_finish(ps_pectx *c, ps_sigplan *sp, const ps_pass *pass)
{
	ps_pe *pe = c->pe;
	ps_signature *sigs = sp->sigs.v;
	for (size_t i = 0; i < sp->sigs.n; i++) {
		ps_signature *s = &sigs[i];
		if (!s->parsed)
			continue;
		ps_md_alg a = ps_md_from_name(s->digest_algorithm);
		const uint8_t *lin = a < PS_MD_COUNT ? ps_pass_digest(pass, sp->linear[a]) : NULL;
		if (!lin)
			continue;
		memcpy(s->computed_digest, lin, s->digest_len);
		s->computed = true;
		s->digest_ok = !memcmp(s->computed_digest, s->signed_digest, s->digest_len);
		uint8_t sec[PS_MD_MAX_SIZE];
		const uint8_t *secp = NULL;
		if (sp->sec_same)
			secp = lin;
		else if (sp->section[a] >= 0)
			secp = ps_pass_digest(pass, sp->section[a]);
		else if (section_digest_direct(c, sp, a, sec))
			secp = sec;
		if (secp)
			memcpy(s->section_digest, secp, s->digest_len);
		s->section_digest_ok = secp && !memcmp(secp, s->signed_digest, s->digest_len);
		if (!s->digest_ok) {
			char hs[2 * PS_MD_MAX_SIZE + 1], hc[2 * PS_MD_MAX_SIZE + 1];
			ps_hex(hs, s->signed_digest, s->digest_len);
			ps_hex(hc, s->computed_digest, s->digest_len);
			ps_finding *f = ps_find(c->fs, "SIG-DIGEST-MISMATCH", PS_SEV_HIGH,
			                        "Signature %u: the file changed after it was signed (%s digest differs)",
			                        s->index, s->digest_algorithm);
			ps_ev_uint(f, "signature", s->index);
			ps_ev_str(f, c->fs, "algorithm", s->digest_algorithm);
			ps_ev_str(f, c->fs, "signed_digest", hs);
			ps_ev_str(f, c->fs, "computed_digest", hc);
			ps_ev_bool(f, "section_method_matches", s->section_digest_ok);
			ps_attack(f, "T1553.002");
		}
		if (s->page_hash_table)
			check_pages(c, sp, pass, s);
		if (s->digest_ok != s->section_digest_ok) {
			ps_finding *f = ps_find(c->fs, "SIG-HASH-METHODS-DISAGREE", PS_SEV_MEDIUM,
			                        "Signature %u: the linear and the section-table digests disagree", s->index);
			ps_ev_uint(f, "signature", s->index);
			ps_ev_bool(f, "linear_matches", s->digest_ok);
			ps_ev_bool(f, "section_matches", s->section_digest_ok);
			ps_attack(f, "T1553.002");
		}
	}
	static const struct {
		ps_md_alg alg;
		unsigned bit;
		size_t off;
	} ah[] = {{PS_MD_MD5, PS_HASH_MD5, offsetof(ps_pe, authentihash_md5)},
	          {PS_MD_SHA1, PS_HASH_SHA1, offsetof(ps_pe, authentihash_sha1)},
	          {PS_MD_SHA256, PS_HASH_SHA256, offsetof(ps_pe, authentihash_sha256)}};
	for (size_t i = 0; i < sizeof(ah) / sizeof(ah[0]); i++) {
		const uint8_t *h = sp->linear[ah[i].alg] >= 0 ? ps_pass_digest(pass, sp->linear[ah[i].alg]) : NULL;
		if (!h)
			continue;
		memcpy((uint8_t *)pe + ah[i].off, h, ps_md_size(ah[i].alg));
		pe->authentihash_computed |= ah[i].bit;
	}
	if (pe->authentihash_computed & PS_HASH_SHA256) {
		const uint8_t *h = pe->authentihash_sha256;
		const uint8_t *hs = sp->sec_same ? h
		                    : sp->section[PS_MD_SHA256] >= 0 ? ps_pass_digest(pass, sp->section[PS_MD_SHA256])
		                                                     : NULL;
		uint8_t direct[32];
		if (!hs && section_digest_direct(c, sp, PS_MD_SHA256, direct))
			hs = direct;
		if (hs) {
			memcpy(pe->authentihash_sections_sha256, hs, 32);
			pe->has_authentihash_sections = true;
		}
	}
	pe->signatures = sigs;
	pe->n_signatures = sp->sigs.n;
}
