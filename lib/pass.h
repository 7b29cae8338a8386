/* The one pass over a file's bytes. Everything that must see every byte is fed from the
 * same window while it is hot in cache: MD5/SHA-1/SHA-256, the PE checksum sum, and the
 * byte histograms behind section entropy (issue 3 adds the Authenticode digests here). */
#ifndef PS_PASS_H
#define PS_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "pesleuth/model.h"

typedef struct ps_pass ps_pass;

typedef struct ps_pass_plan {
	unsigned hashes;          /* PS_HASH_* */
	int checksum;             /* accumulate the PE checksum dword sum */
	ps_section *sections;     /* entropy is written back into these (may be NULL) */
	size_t n_sections;
	uint32_t file_alignment;
} ps_pass_plan;

int ps_pass_new(ps_pass **out, const ps_pass_plan *plan, uint64_t file_len, ps_findings *fs);

typedef struct ps_range {
	uint64_t start, end; /* [start, end) */
} ps_range;

/* Adds a digest (algorithm: crypto.h ps_md_alg) over byte ranges of the file, hashed in
 * order, then `pad` zero bytes. The ranges must be sorted, non-overlapping and inside the
 * file. Must be called before the first feed. *handle identifies the result. */
int ps_pass_add_digest(ps_pass *p, int alg, const ps_range *ranges, size_t n, size_t pad, int *handle);
/* The result of a digest added with ps_pass_add_digest (valid after ps_pass_finish). */
const uint8_t *ps_pass_digest(const ps_pass *p, int handle);

/* Page hashes: one digest per page, a page being up to three ranges then `pad` zero bytes.
 * All ranges of all pages must be in file order and inside the file. */
typedef struct ps_page {
	ps_range r[3];
	unsigned nr;
	uint32_t pad;
} ps_page;

int ps_pass_add_pages(ps_pass *p, int alg, const ps_page *pages, size_t n, int *handle);
/* Digest of page i (valid after ps_pass_finish), or NULL. */
const uint8_t *ps_pass_page_digest(const ps_pass *p, int handle, size_t i);
/* Feeds the next bytes of the file, in order. */
int ps_pass_feed(ps_pass *p, const uint8_t *data, size_t n);
/* Writes the hashes and the entropies; *dword_sum is the plain 64-bit sum of all
 * little-endian dwords of the file, the last one zero-padded. */
int ps_pass_finish(ps_pass *p, ps_hashes *h, uint64_t *dword_sum);
void ps_pass_free(ps_pass *p);

/* Windows' PE checksum (CheckSumMappedFile, as pefile computes it) from the pass's dword sum:
 * the dword holding the CheckSum field is excluded, carries are folded to 16 bits, and the
 * file length is added. */
uint32_t ps_pe_checksum_finish(uint64_t dword_sum, const uint8_t *data, uint64_t len, uint64_t checksum_offset);

#endif
