/* The Rich header: MSVC's linker writes, between the DOS stub and the PE header, a list of
 * (tool id, build, use count) XOR-masked with a checksum over the DOS header and the list.
 * It is found the way the linker's layout dictates: the "Rich" marker, then backwards
 * dword by dword until the masked "DanS" start marker. A checksum that does not match means
 * the header was edited or transplanted (Olympic Destroyer copied another group's Rich
 * header as a false flag), which is worth a finding.
 */
#include <string.h>

#include "crypto.h"
#include "limits.h"
#include "pe.h"

#define RICH_SIG 0x68636952u /* "Rich" */
#define DANS_SIG 0x536E6144u /* "DanS" */

static uint32_t rol32(uint32_t v, unsigned n)
{
	n &= 31;
	return n ? (v << n) | (v >> (32 - n)) : v;
}

void ps_pe_rich(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	ps_rich *rh = &pe->rich;
	/* Between the end of the DOS header and the PE signature, dword aligned. */
	uint64_t limit = pe->e_lfanew < c->len ? pe->e_lfanew : c->len;
	uint64_t rich_at = 0;
	bool found = false;
	for (uint64_t off = 0x40; off + 8 <= limit; off += 4) {
		uint32_t v;
		ps_rd_peek_u32(&c->file, (size_t)off, &v);
		if (v == RICH_SIG) {
			rich_at = off;
			found = true;
			break;
		}
	}
	if (!found)
		return;
	uint32_t key;
	ps_rd_peek_u32(&c->file, (size_t)rich_at + 4, &key);
	uint64_t dans_at = 0;
	found = false;
	for (uint64_t off = rich_at; off >= 0x40 + 4;) {
		off -= 4;
		uint32_t v;
		ps_rd_peek_u32(&c->file, (size_t)off, &v);
		if ((v ^ key) == DANS_SIG) {
			dans_at = off;
			found = true;
			break;
		}
	}
	if (!found || rich_at - dans_at < 16)
		return;
	/* DanS is followed by three zero dwords (masked: three copies of the key). */
	for (int i = 1; i <= 3; i++) {
		uint32_t v;
		ps_rd_peek_u32(&c->file, (size_t)(dans_at + 4u * i), &v);
		if (v != key)
			return;
	}
	uint64_t body = dans_at + 16, n_pairs = (rich_at - body) / 8;
	if ((rich_at - body) % 8)
		return;
	size_t n = n_pairs < PS_MAX_RICH_ENTRIES ? (size_t)n_pairs : PS_MAX_RICH_ENTRIES;
	if (n_pairs > PS_MAX_RICH_ENTRIES)
		ps_find_limit(c->fs, "Rich header entries", PS_MAX_RICH_ENTRIES, body);
	ps_rich_entry *e = n ? ps_arena_array(c->arena, n, sizeof(*e)) : NULL;
	if (n && !e)
		return;

	/* The linker's checksum: the DOS header and stub bytes before DanS (minus e_lfanew, which
	 * is patched later) rotated by their offset, plus every comp.id rotated by its count. */
	uint32_t csum = (uint32_t)dans_at;
	for (uint64_t i = 0; i < dans_at; i++) {
		if (i >= 0x3C && i < 0x40)
			continue;
		csum += rol32(c->data[i], (unsigned)i);
	}
	for (uint64_t k = 0; k < n_pairs; k++) {
		uint32_t id, cnt;
		ps_rd_peek_u32(&c->file, (size_t)(body + 8 * k), &id);
		ps_rd_peek_u32(&c->file, (size_t)(body + 8 * k + 4), &cnt);
		id ^= key;
		cnt ^= key;
		csum += rol32(id, cnt & 31);
		if (k < n) {
			e[k].product_id = (uint16_t)(id >> 16);
			e[k].build = (uint16_t)(id & 0xFFFF);
			e[k].count = cnt;
		}
	}

	/* Rich hash (pefile get_rich_header_hash): MD5 of the unmasked bytes from DanS up to
	 * the "Rich" marker. */
	size_t span = (size_t)(rich_at - dans_at);
	uint8_t buf[16 + 8 * 64];
	uint8_t *clear = span <= sizeof(buf) ? buf : ps_arena_alloc(c->arena, span);
	if (!clear)
		return;
	uint8_t kb[4] = {(uint8_t)key, (uint8_t)(key >> 8), (uint8_t)(key >> 16), (uint8_t)(key >> 24)};
	for (size_t i = 0; i < span; i++)
		clear[i] = c->data[dans_at + i] ^ kb[i & 3];
	if (ps_md5(rh->hash_md5, clear, span) != 0)
		return;

	rh->present = true;
	rh->offset = (uint32_t)dans_at;
	rh->end_offset = (uint32_t)(rich_at + 8);
	rh->key = key;
	rh->computed_checksum = csum;
	rh->checksum_valid = csum == key;
	rh->n_entries = n;
	rh->entries = e;
	if (!rh->checksum_valid) {
		ps_finding *f = ps_find(c->fs, "PE-RICH-CHECKSUM-INVALID", PS_SEV_MEDIUM,
		                        "The Rich header's checksum does not match: it was edited or transplanted");
		ps_ev_off(f, "offset", dans_at);
		ps_ev_uint(f, "stored", key);
		ps_ev_uint(f, "computed", csum);
	}
}
