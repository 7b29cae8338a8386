/* Debug directory: the IMAGE_DEBUG_DIRECTORY array, CodeView (PDB) records and the REPRO
 * marker.
 *
 * The entries' TimeDateStamps are one of the clocks TIME-STAMPS-INCONSISTENT compares, and a
 * REPRO entry (link /Brepro) says that every "timestamp" in the image is a hash of the build,
 * so both must come out of hostile files as soundly as possible: we keep every entry that is
 * readable and stop at the first one that is not (pefile drops the whole directory there).
 *
 * CodeView data is located the way pefile does it, by PointerToRawData (a file offset: the
 * debugger reads the file, not the image), and only when that offset is 0 or beyond the end
 * of the file by AddressOfRawData through the section map (YARA tries the RVA first; the two
 * agree in every file a linker wrote). The record is confined to SizeOfData: a CodeView
 * header that does not fit in it is malformed (pefile yields no record either).
 */
#include <string.h>

#include "limits.h"
#include "pe.h"

#define DEBUG_ENTRY_SIZE 28u
#define DEBUG_TYPE_CODEVIEW 2u
#define DEBUG_TYPE_REPRO 16u
#define CV_RSDS 0x53445352u /* "RSDS": PDB 7.0, GUID + age */
#define CV_NB10 0x3031424Eu /* "NB10": PDB 2.0, offset + signature + age */
#define CV_RSDS_HEADER 24u  /* signature, GUID, age */
#define CV_NB10_HEADER 16u  /* signature, offset, signature, age */
#define CV_MTOC 0x434F544Du /* "MTOC": EFI images converted from Mach-O (Xcode), UUID */
#define CV_MTOC_HEADER 20u  /* signature, UUID */

typedef struct dbgwalk {
	ps_pectx *c;
	bool reported; /* one PE-DEBUG-MALFORMED per file: the first damage found */
} dbgwalk;

static void malformed(dbgwalk *w, const char *why, size_t index, uint64_t rva, bool has_off, uint64_t off)
{
	if (w->reported)
		return;
	w->reported = true;
	ps_finding *f = ps_find(w->c->fs, "PE-DEBUG-MALFORMED", PS_SEV_LOW,
	                        "The debug directory is damaged; only the readable part is reported");
	ps_ev_str(f, w->c->fs, "reason", why);
	ps_ev_uint(f, "index", index);
	ps_ev_off(f, "rva", rva);
	if (has_off)
		ps_ev_off(f, "offset", off);
}

/* The bytes of a CodeView record: [offset, offset + SizeOfData) clipped to the file. false
 * when neither PointerToRawData nor AddressOfRawData leads into the file. *clipped tells
 * that SizeOfData runs past the end of what backs it. */
static bool cv_view(const ps_pectx *c, const ps_debug_entry *d, ps_rd *out, bool *clipped)
{
	ps_rd whole;
	*clipped = false;
	if (d->pointer_to_raw_data && d->pointer_to_raw_data < c->len)
		ps_rd_tail(&c->file, d->pointer_to_raw_data, &whole);
	else if (!d->address_of_raw_data || !ps_pe_rva(c, d->address_of_raw_data, &whole))
		return false;
	size_t avail = ps_rd_remaining(&whole);
	size_t n = d->size_of_data;
	if (n > avail) {
		n = avail;
		*clipped = true;
	}
	return ps_rd_sub(&whole, 0, n, out);
}

static void codeview(dbgwalk *w, ps_debug_entry *d, size_t index)
{
	ps_pectx *c = w->c;
	ps_rd r;
	bool clipped;
	if (!cv_view(c, d, &r, &clipped)) {
		malformed(w, "CodeView data is outside the file", index, d->address_of_raw_data,
		          d->pointer_to_raw_data != 0, d->pointer_to_raw_data);
		return;
	}
	uint64_t where = ps_rd_offset(&r);
	uint32_t sig;
	if (!ps_rd_peek_u32(&r, 0, &sig)) {
		malformed(w, clipped ? "CodeView data runs past the end of the file" : "SizeOfData is too small for a CodeView record",
		          index, d->address_of_raw_data, true, where);
		return;
	}
	size_t header;
	if (sig == CV_RSDS)
		header = CV_RSDS_HEADER;
	else if (sig == CV_NB10)
		header = CV_NB10_HEADER;
	else if (sig == CV_MTOC)
		header = CV_MTOC_HEADER;
	else
		return; /* NB09/NB11 (symbols in the image), vendor formats: not a PDB reference */
	if (!ps_rd_has(&r, header)) {
		malformed(w, clipped ? "CodeView data runs past the end of the file" : "SizeOfData is too small for the CodeView header",
		          index, d->address_of_raw_data, true, where);
		return;
	}
	ps_rd_skip(&r, 4);
	if (sig == CV_RSDS) {
		memcpy(d->cv_format, "RSDS", 5);
		ps_rd_copy(&r, d->guid, sizeof(d->guid));
		d->age = ps_rd_u32(&r);
	} else if (sig == CV_NB10) {
		memcpy(d->cv_format, "NB10", 5);
		ps_rd_skip(&r, 4); /* offset: 0 for a separate PDB file */
		d->nb10_signature = ps_rd_u32(&r);
		d->age = ps_rd_u32(&r);
	} else {
		/* mtoc (EDK2 builds with Xcode) writes the Mach-O LC_UUID and then a path, usually
		 * the .dll it converted (YARA's ChipTune.efi); YARA reports it as pdb_path, so do we. */
		memcpy(d->cv_format, "MTOC", 5);
		ps_rd_copy(&r, d->guid, sizeof(d->guid));
	}
	d->has_codeview = true;

	/* The path ends at its NUL, at SizeOfData, or at our cap (MAX_PATH is 260; paths in the
	 * wild reach a few hundred bytes). */
	const uint8_t *s;
	size_t n;
	bool term;
	uint64_t path_off = ps_rd_offset(&r);
	ps_rd_cstr(&r, PS_MAX_PDB_PATH, &s, &n, &term);
	if (!term && n == PS_MAX_PDB_PATH && ps_rd_remaining(&r) > 0 && ps_rd_u8(&r) != 0)
		ps_find_limit(c->fs, "CodeView PDB path", PS_MAX_PDB_PATH, path_off);
	else if (!term && clipped)
		malformed(w, "CodeView PDB path runs past the end of the file", index, d->address_of_raw_data, true,
		          path_off);
	d->pdb_path = ps_arena_strndup(c->arena, s ? s : (const uint8_t *)"", s ? n : 0);
}

/* A reader over entry i, or false when it is not (entirely) in the file. Each entry is
 * mapped on its own, as pefile does: a table may straddle the end of a section's raw data. */
static bool entry_at(const ps_pectx *c, uint64_t dir_rva, uint64_t i, ps_rd *r)
{
	return ps_pe_rva(c, dir_rva + DEBUG_ENTRY_SIZE * i, r) && ps_rd_has(r, DEBUG_ENTRY_SIZE);
}

static bool in_range(uint64_t x, uint64_t start, uint32_t size)
{
	return start && x >= start && x - start < size;
}

/* mtoc (EFI images built with Xcode) declares a directory Size that covers the entry and its
 * CodeView record (YARA's 6c2abf4b…: Size 85 = 28 + 57): the "entries" after the first are
 * the record's bytes, with garbage TimeDateStamps that would feed TIME-STAMPS-INCONSISTENT.
 * A table never overlaps the data of its own entries, so the walk ends there. At most
 * PS_MAX_DEBUG_ENTRIES earlier entries are compared. */
static bool inside_earlier_data(const ps_debug_entry *v, size_t n, uint64_t rva, uint64_t off)
{
	for (size_t j = 0; j < n; j++)
		if (in_range(off, v[j].pointer_to_raw_data, v[j].size_of_data) ||
		    in_range(rva, v[j].address_of_raw_data, v[j].size_of_data))
			return true;
	return false;
}

void ps_pe_debug(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	if (pe->n_directories <= PS_DIR_DEBUG || !pe->dirs[PS_DIR_DEBUG].rva)
		return;
	const ps_data_directory *dir = &pe->dirs[PS_DIR_DEBUG];
	uint64_t dir_rva = dir->rva;
	/* A size that is not a multiple of 28 is not reported: the linker always writes whole
	 * entries, and the trailing bytes are simply not an entry (pefile ignores them too;
	 * YARA ignores the whole directory). */
	uint64_t declared = dir->size / DEBUG_ENTRY_SIZE;
	uint64_t count = declared < PS_MAX_DEBUG_ENTRIES ? declared : PS_MAX_DEBUG_ENTRIES;
	if (!count)
		return;
	ps_rd r;
	if (!entry_at(c, dir_rva, 0, &r) && ps_pe_dir_invalid(c, dir))
		return;
	dbgwalk w = {c, false};
	ps_debug_entry *v = ps_arena_array(c->arena, (size_t)count, sizeof(*v));
	if (!v)
		return;
	size_t n = 0;
	for (; n < count; n++) {
		uint64_t rva = dir_rva + DEBUG_ENTRY_SIZE * n;
		if (!entry_at(c, dir_rva, n, &r)) {
			uint64_t off;
			bool has_off = ps_pe_rva_to_offset(c, rva, &off);
			malformed(&w, "debug directory entry is not in the file", n, rva, has_off, off);
			break;
		}
		if (inside_earlier_data(v, n, rva, ps_rd_offset(&r)))
			break;
		ps_debug_entry *d = &v[n];
		d->characteristics = ps_rd_u32(&r);
		d->timedatestamp = ps_rd_u32(&r);
		d->major_version = ps_rd_u16(&r);
		d->minor_version = ps_rd_u16(&r);
		d->type = ps_rd_u32(&r);
		d->size_of_data = ps_rd_u32(&r);
		d->address_of_raw_data = ps_rd_u32(&r);
		d->pointer_to_raw_data = ps_rd_u32(&r);
		if (d->type == DEBUG_TYPE_REPRO)
			pe->has_repro = true;
		else if (d->type == DEBUG_TYPE_CODEVIEW)
			codeview(&w, d, n);
	}
	/* The cap is reported only when there really is an entry past it: a huge Size over a
	 * short table is the damage reported above, not a long table. */
	if (n == PS_MAX_DEBUG_ENTRIES && declared > PS_MAX_DEBUG_ENTRIES && entry_at(c, dir_rva, n, &r))
		ps_find_limit(c->fs, "debug directory entries", PS_MAX_DEBUG_ENTRIES, ps_rd_offset(&r));
	pe->debug = v;
	pe->n_debug = n;
}
