/* Resource directory (.rsrc) and the VS_VERSIONINFO blocks of its RT_VERSION leaves.
 *
 * The tree. Offsets in directory entries (names, subdirectories, data entries) are relative
 * to the resource root and are mapped like pefile does: root RVA + offset through the
 * section table. Every structure is read through the bounds-checked reader; a structure
 * that cannot be read is skipped (one PE-RESOURCES-MALFORMED finding per file, for the first
 * problem) and its siblings are still walked, so everything readable is reported.
 *  - Loops: a subdirectory offset equal to the offset of the directory itself or of one of
 *    its ancestors is a loop and is not followed (pefile's "dirs" path check). A directory
 *    shared by two parents (a DAG, not a loop) is walked under each, as Windows' lookup
 *    would see it; the entries cap bounds the work such sharing can multiply.
 *  - Caps: directories deeper than PS_MAX_RESOURCE_DEPTH (pefile: 32) are not entered;
 *    at most PS_MAX_RESOURCE_ENTRIES directory entries are visited per file (counted as
 *    read, not as declared, so a directory declaring 0xFFFF entries costs only what it
 *    holds); at most PS_MAX_RESOURCE_LEAVES leaves are kept in the model, but the walk
 *    goes on so a late RT_VERSION still yields its version information.
 *  - Flattening: a leaf's type is the first level's entry, its name the second level's, its
 *    language the ID of the entry that points at the data entry, when that is at the third
 *    level or deeper (levels between the second and the last are ignored). A leaf directly
 *    under the root has name 0 and language 0; a leaf at the second level has language 0.
 *    A named (string) entry at the language level gives language 0.
 *  - Names are counted UTF-16 strings (a u16 length then the units), kept whole (pefile
 *    stops at an embedded NUL; we keep what the loader compares), converted to UTF-8 and cut
 *    at PS_MAX_RESOURCE_NAME units. A name that cannot be read at all becomes "".
 *
 * VS_VERSIONINFO. Each block is wLength, wValueLength, wType, a NUL-terminated UTF-16 key,
 * padding to 32 bits, the value, padding, then child blocks up to wLength. A child is
 * confined to its parent (sub-readers): a child whose wLength runs past its parent is cut at
 * the parent's end and flagged. Alignment is relative to the start of the resource data
 * (what Windows sees after GetFileVersionInfo copies it; the same as pefile's for the
 * DWORD-aligned data every linker emits). Where pefile decides what a user sees, we follow
 * it: the root key must be "VS_VERSION_INFO"; a StringFileInfo is walked only when its
 * wType is 0 or 1 and its wValueLength is 0; a child list ends at a block with wLength 0;
 * a String value is read from the aligned position after its key, at most wValueLength
 * units and up to the first NUL, and a wValueLength of 0 gives "". Deliberate differences:
 * the children of VS_VERSIONINFO start after wValueLength bytes of value (pefile assumes a
 * 52-byte VS_FIXEDFILEINFO is always there), StringTables are confined to their
 * StringFileInfo (pefile compares an absolute offset with the parent's length), keys and
 * values never read past their block, a non-ASCII key does not shift its value (pefile
 * measures the key in UTF-8 bytes), a key repeated in one table is kept each time
 * (ps_version_string() returns the first; pefile's dict keeps the last value at the first
 * position), every RT_VERSION leaf is parsed in tree order (pefile: only the languages of the
 * first name, and also a named type whose offset's low 16 bits are 16), and the data is what
 * the section holds in the file (pefile reads block headers from the file past the
 * section's raw end but strings from the mapped view; corkami version_std.exe).
 * Caps: keys longer than PS_MAX_VERSION_STRING units count as unterminated (malformed);
 * values are cut at PS_MAX_VERSION_STRING units; PS_MAX_VERSION_STRINGS strings are kept;
 * PS_MAX_VERSION_NODES blocks are opened per file, each RT_VERSION resource counting as one
 * more, which bounds the work of many leaves sharing one large blob. The fixed shape
 * (root, StringFileInfo, StringTable, String) bounds the depth at 4 < PS_MAX_VERSION_DEPTH.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "limits.h"
#include "pe.h"
#include "text.h"

#define RT_VERSION 16u
#define DIR_HEADER_SIZE 16u
#define DIR_ENTRY_SIZE 8u
#define DATA_ENTRY_SIZE 16u
#define HIGH_BIT 0x80000000u
#define VS_FIXED_SIGNATURE 0xFEEF04BDu
#define VS_FIXED_SIZE 52u
#define VS_HEADER_SIZE 6u

/* One entry on the path from the root to the current node. A name is validated when the
 * entry is read but converted only when a kept leaf needs it (once per entry). */
typedef struct label {
	bool named;
	uint32_t id;
	ps_rd units;      /* the name's code units (named entries), already cut to the cap */
	size_t n_units;
	const char *utf8; /* conversion cache */
} label;

typedef struct rwalk {
	ps_pectx *c;
	uint64_t root_rva;
	ps_rd root;          /* bytes from the root on, while the mapping stays in one piece */
	uint64_t root_limit; /* first RVA past the root where ps_pe_rva() would map elsewhere */
	size_t entries;      /* directory entries visited */
	bool stop;           /* the entries cap ended the walk */
	bool malformed_reported, depth_reported, leaves_reported, name_cap_reported;
	uint32_t dirs[PS_MAX_RESOURCE_DEPTH + 1]; /* offsets of the directories on the path */
	label path[PS_MAX_RESOURCE_DEPTH + 1];
	ps_vec leaves;

	/* version information */
	ps_vec strings;
	size_t version_nodes;
	bool version_stop; /* node or string cap reached */
	bool vmalformed_reported, vstring_cap_reported;
} rwalk;

/* ------------------------------------------------------------ findings */

static void malformed(rwalk *w, const char *why, uint64_t off)
{
	if (w->malformed_reported)
		return;
	w->malformed_reported = true;
	ps_pectx *c = w->c;
	ps_finding *f = ps_find(c->fs, "PE-RESOURCES-MALFORMED", PS_SEV_LOW,
	                        "The resource directory is damaged; only the readable part is reported");
	uint64_t rva = w->root_rva + off, foff;
	ps_ev_str(f, c->fs, "reason", why);
	ps_ev_off(f, "rva", rva);
	if (ps_pe_rva_to_offset(c, rva, &foff))
		ps_ev_off(f, "offset", foff);
}

/* r is the version resource's reader, pos a position in it; rva the resource's RVA. */
static void vmalformed(rwalk *w, const char *why, const ps_rd *r, uint64_t rva, size_t pos)
{
	if (w->vmalformed_reported)
		return;
	w->vmalformed_reported = true;
	ps_pectx *c = w->c;
	ps_finding *f = ps_find(c->fs, "PE-VERSIONINFO-MALFORMED", PS_SEV_LOW,
	                        "A VS_VERSIONINFO resource is damaged; only the readable part is reported");
	ps_ev_str(f, c->fs, "reason", why);
	ps_ev_off(f, "rva", rva + pos);
	if (r && r->base)
		ps_ev_off(f, "offset", r->origin + pos);
}

/* ------------------------------------------------------------ reading the tree */

/* A reader from root + off to the end of the bytes that back it: exactly what
 * ps_pe_rva(root_rva + off) gives, without a section lookup while the offset stays in the
 * root's piece of the mapping. */
static bool at_tail(const rwalk *w, uint64_t off, ps_rd *out)
{
	uint64_t rva = w->root_rva + off; /* root < 2^32, off < 2^32 + 2^20: no overflow */
	if (rva < w->root_limit) {
		if (off >= w->root.len) {
			ps_rd_init(out, NULL, 0, 0);
			out->err = true;
			return false;
		}
		return ps_rd_tail(&w->root, (size_t)off, out);
	}
	return ps_pe_rva(w->c, rva, out);
}

/* n bytes at root + off. */
static bool at(const rwalk *w, uint64_t off, size_t n, ps_rd *out)
{
	ps_rd t;
	if (!at_tail(w, off, &t) || !ps_rd_sub(&t, 0, n, out)) {
		ps_rd_init(out, NULL, 0, 0);
		out->err = true;
		return false;
	}
	return true;
}

/* Where, going up from the root RVA, ps_pe_rva() stops reading the same contiguous bytes.
 * In section k that is its virtual end: the map is sorted by VirtualAddress, so no earlier
 * section can start to claim an RVA between the root and that end without holding the root
 * too. Outside every section the file is read at offset == RVA up to the next section. */
static uint64_t root_limit(const ps_pectx *c, uint64_t rva)
{
	long k = ps_pe_section_of_rva(c, rva);
	if (k >= 0)
		return c->map[k].va_end;
	uint64_t lim = UINT64_MAX;
	for (size_t i = 0; i < c->n_map; i++)
		if (c->map[i].va_start > rva && c->map[i].va_start < lim)
			lim = c->map[i].va_start;
	return lim;
}

/* Fills a label from an entry's Name dword. */
static void read_label(rwalk *w, uint32_t name, label *lb)
{
	memset(lb, 0, sizeof(*lb));
	if (!(name & HIGH_BIT)) {
		lb->id = name;
		return;
	}
	lb->named = true;
	uint64_t off = name & ~HIGH_BIT;
	ps_rd r;
	if (!at_tail(w, off, &r) || !ps_rd_has(&r, 2)) {
		malformed(w, "resource name not readable", off);
		return;
	}
	uint16_t len = ps_rd_u16(&r);
	size_t avail = ps_rd_remaining(&r) / 2, n = len;
	if (n > avail) {
		malformed(w, "resource name runs past the data", off);
		n = avail;
	}
	if (n > PS_MAX_RESOURCE_NAME) {
		if (!w->name_cap_reported) {
			w->name_cap_reported = true;
			uint64_t foff;
			ps_pe_rva_to_offset(w->c, w->root_rva + off, &foff);
			ps_find_limit(w->c->fs, "resource name", PS_MAX_RESOURCE_NAME, foff);
		}
		n = PS_MAX_RESOURCE_NAME;
	}
	ps_rd_sub(&r, ps_rd_tell(&r), 2 * n, &lb->units);
	lb->n_units = n;
}

static const char *label_name(rwalk *w, label *lb)
{
	if (!lb->named)
		return NULL;
	if (!lb->utf8) {
		const uint8_t *p = NULL;
		ps_rd u = lb->units;
		if (lb->n_units)
			ps_rd_bytes(&u, 2 * lb->n_units, &p);
		lb->utf8 = p ? ps_arena_utf8_from_utf16le(w->c->arena, p, lb->n_units) : NULL;
		if (!lb->utf8)
			lb->utf8 = "";
	}
	return lb->utf8;
}

/* ------------------------------------------------------------ VS_VERSIONINFO */

static size_t align4(size_t v) { return (v + 3) & ~(size_t)3; }

/* UTF-16 units before a NUL unit at the cursor (at most max); cursor unchanged. */
static size_t u16_len(const ps_rd *r, size_t max, bool *terminated)
{
	ps_rd s = *r;
	size_t n = 0;
	*terminated = false;
	while (n < max && ps_rd_has(&s, 2)) {
		if (ps_rd_u16(&s) == 0) {
			*terminated = true;
			break;
		}
		n++;
	}
	return n;
}

/* Units of r at the cursor as UTF-8, at most PS_MAX_VERSION_STRING of them. */
static const char *u16_dup(rwalk *w, const ps_rd *r, size_t n, uint64_t off)
{
	if (n > PS_MAX_VERSION_STRING) {
		if (!w->vstring_cap_reported) {
			w->vstring_cap_reported = true;
			ps_find_limit(w->c->fs, "version string length", PS_MAX_VERSION_STRING, off);
		}
		n = PS_MAX_VERSION_STRING;
	}
	ps_rd s = *r;
	const uint8_t *p = NULL;
	if (n)
		ps_rd_bytes(&s, 2 * n, &p);
	const char *out = p ? ps_arena_utf8_from_utf16le(w->c->arena, p, n) : NULL;
	return out ? out : "";
}

/* One block, confined. Positions are relative to the version resource (res). */
typedef struct vblock {
	ps_rd b;          /* the block: [start, start + wLength) cut to the parent */
	size_t start;     /* position in res */
	uint16_t length, value_length, type;
	ps_rd key;        /* the key's units */
	size_t key_units;
	size_t value_pos; /* in b: aligned position after the key's NUL; may be > b.len */
} vblock;

typedef struct vres {
	ps_rd res; /* the whole resource data (Size bytes, cut to what the file holds) */
	uint64_t rva;
} vres;

/* Opens the block at pos of parent (a block reader whose base is at res position pstart).
 * Returns 1 for a block, 0 for the end of the list (no room for a header, wLength 0), -1
 * when the list cannot go on (damage, caps). */
static int vblock_open(rwalk *w, const vres *v, const ps_rd *parent, size_t pstart, size_t pos, vblock *out)
{
	memset(out, 0, sizeof(*out));
	if (pos >= parent->len || parent->len - pos < VS_HEADER_SIZE)
		return 0; /* trailing padding */
	if (w->version_nodes >= PS_MAX_VERSION_NODES) {
		if (!w->version_stop)
			ps_find_limit(w->c->fs, "version info blocks", PS_MAX_VERSION_NODES, parent->origin + pos);
		w->version_stop = true;
		return -1;
	}
	w->version_nodes++;
	uint16_t len;
	ps_rd_peek_u16(parent, pos, &len);
	if (len == 0)
		return 0;
	if (len < VS_HEADER_SIZE) {
		vmalformed(w, "block shorter than its header", &v->res, v->rva, pstart + pos);
		return -1;
	}
	size_t n = len;
	if (n > parent->len - pos) {
		vmalformed(w, "block runs past its parent", &v->res, v->rva, pstart + pos);
		n = parent->len - pos;
	}
	ps_rd_sub(parent, pos, n, &out->b);
	out->start = pstart + pos;
	out->length = ps_rd_u16(&out->b);
	out->value_length = ps_rd_u16(&out->b);
	out->type = ps_rd_u16(&out->b);
	bool term;
	/* Real keys are short ("OriginalFilename", "040904b0"); the cap keeps the scan of a
	 * hostile key from costing up to 64 KiB per block. */
	out->key_units = u16_len(&out->b, PS_MAX_VERSION_STRING, &term);
	ps_rd_sub(&out->b, VS_HEADER_SIZE, 2 * out->key_units, &out->key);
	if (!term) {
		vmalformed(w, "block key not terminated inside the block (or longer than the cap)", &v->res, v->rva,
		           out->start);
		out->value_pos = SIZE_MAX;
		return 1;
	}
	out->value_pos = align4(VS_HEADER_SIZE + 2 * (out->key_units + 1));
	return 1;
}

/* True when the key is exactly (or, with prefix, starts with) the ASCII string s. */
static bool key_is(const vblock *b, const char *s, bool prefix)
{
	size_t n = strlen(s);
	if (b->key_units < n || (!prefix && b->key_units != n))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint16_t u;
		ps_rd_peek_u16(&b->key, 2 * i, &u);
		if (u != (uint8_t)s[i])
			return false;
	}
	return true;
}

static void version_string(rwalk *w, const vblock *s)
{
	if (w->strings.n >= PS_MAX_VERSION_STRINGS) {
		if (!w->version_stop)
			ps_find_limit(w->c->fs, "version strings", PS_MAX_VERSION_STRINGS, s->b.origin);
		w->version_stop = true;
		return;
	}
	ps_kv *kv = ps_vec_push(&w->strings, w->c->arena);
	if (!kv) {
		w->version_stop = true;
		return;
	}
	kv->key = u16_dup(w, &s->key, s->key_units, s->b.origin + VS_HEADER_SIZE);
	kv->value = "";
	if (s->value_pos == SIZE_MAX || s->value_length == 0)
		return; /* pefile: a value length of 0 reads as "" */
	ps_rd val;
	if (!ps_rd_tail(&s->b, s->value_pos, &val))
		return; /* the value would start in the key's padding: rc writes empty values so */
	bool term;
	size_t max = s->value_length < PS_MAX_VERSION_STRING + 1 ? s->value_length : PS_MAX_VERSION_STRING + 1;
	size_t n = u16_len(&val, max, &term);
	kv->value = u16_dup(w, &val, n, val.origin); /* cuts at the cap, with a finding */
}

static void string_table(rwalk *w, const vres *v, const vblock *t)
{
	if (t->value_pos == SIZE_MAX)
		return;
	/* The table's wValueLength is 0 by definition; pefile ignores it too. */
	size_t pos = t->value_pos;
	while (!w->version_stop) {
		vblock s;
		int k = vblock_open(w, v, &t->b, t->start, pos, &s);
		if (k <= 0)
			break;
		version_string(w, &s);
		if (s.b.len != s.length)
			break; /* cut at the table's end: nothing follows */
		pos = align4(pos + s.length);
	}
}

static void string_file_info(rwalk *w, const vres *v, const vblock *sfi)
{
	if (sfi->value_pos == SIZE_MAX)
		return;
	if (sfi->value_length != 0 || sfi->type > 1) {
		vmalformed(w, "StringFileInfo with a value or an unknown type", &v->res, v->rva, sfi->start);
		return; /* pefile does not walk it either */
	}
	size_t pos = sfi->value_pos;
	while (!w->version_stop) {
		vblock t;
		int k = vblock_open(w, v, &sfi->b, sfi->start, pos, &t);
		if (k <= 0)
			break;
		string_table(w, v, &t);
		if (t.b.len != t.length)
			break;
		pos = align4(pos + t.length);
	}
}

static void version_resource(rwalk *w, uint32_t rva, uint32_t size)
{
	ps_pectx *c = w->c;
	ps_pe *pe = c->pe;
	vres v;
	v.rva = rva;
	/* Each resource counts as a node too, so that many tiny or unmapped RT_VERSION leaves
	 * cannot make the walk do a section lookup each without bound. */
	if (w->version_nodes >= PS_MAX_VERSION_NODES) {
		uint64_t foff;
		ps_pe_rva_to_offset(c, rva, &foff);
		ps_find_limit(c->fs, "version info blocks", PS_MAX_VERSION_NODES, foff);
		w->version_stop = true;
		return;
	}
	w->version_nodes++;
	ps_rd r;
	if (!ps_pe_rva(c, rva, &r)) {
		vmalformed(w, "version resource data maps nowhere", NULL, rva, 0);
		return;
	}
	size_t n = size;
	if (n > ps_rd_remaining(&r)) {
		vmalformed(w, "version resource data runs past the section data in the file", &r, rva, ps_rd_remaining(&r));
		n = ps_rd_remaining(&r);
	}
	ps_rd_sub(&r, 0, n, &v.res);

	vblock root;
	int k = vblock_open(w, &v, &v.res, 0, 0, &root);
	if (k == 0 && !w->version_stop)
		vmalformed(w, "VS_VERSIONINFO header missing or empty", &v.res, rva, 0);
	if (k <= 0 || root.value_pos == SIZE_MAX)
		return;
	if (!key_is(&root, "VS_VERSION_INFO", false)) {
		vmalformed(w, "root key is not VS_VERSION_INFO", &v.res, rva, 0);
		return; /* pefile ignores such a block */
	}
	pe->version.present = true;

	size_t vpos = root.value_pos, vlen = root.value_length;
	ps_rd fixed;
	if (vlen && !ps_rd_sub(&root.b, vpos, vlen, &fixed)) {
		vmalformed(w, "VS_FIXEDFILEINFO runs past its block", &v.res, rva, vpos);
		return;
	}
	if (vlen >= VS_FIXED_SIZE && !pe->version.has_fixed) {
		uint32_t sig = ps_rd_u32(&fixed);
		ps_rd_skip(&fixed, 4); /* StrucVersion */
		if (sig == VS_FIXED_SIGNATURE) {
			ps_version_info *vi = &pe->version;
			vi->has_fixed = true;
			vi->file_version_ms = ps_rd_u32(&fixed);
			vi->file_version_ls = ps_rd_u32(&fixed);
			vi->product_version_ms = ps_rd_u32(&fixed);
			vi->product_version_ls = ps_rd_u32(&fixed);
			ps_rd_skip(&fixed, 4); /* FileFlagsMask */
			vi->file_flags = ps_rd_u32(&fixed);
			vi->file_os = ps_rd_u32(&fixed);
			vi->file_type = ps_rd_u32(&fixed);
		}
	}
	size_t pos = align4(vpos + vlen);
	while (!w->version_stop) {
		vblock child;
		k = vblock_open(w, &v, &root.b, 0, pos, &child);
		if (k <= 0)
			break;
		if (key_is(&child, "StringFileInfo", true))
			string_file_info(w, &v, &child);
		/* VarFileInfo (translations) and unknown children are skipped. */
		if (child.b.len != child.length)
			break;
		pos = align4(pos + child.length);
	}
}

/* ------------------------------------------------------------ the walk */

static void leaf(rwalk *w, uint32_t off, unsigned level)
{
	ps_rd d;
	if (!at(w, off, DATA_ENTRY_SIZE, &d)) {
		malformed(w, "resource data entry not readable", off);
		return;
	}
	uint32_t data_rva = ps_rd_u32(&d), size = ps_rd_u32(&d), codepage = ps_rd_u32(&d);
	label *type = &w->path[0];
	if (w->leaves.n < PS_MAX_RESOURCE_LEAVES) {
		ps_resource *res = ps_vec_push(&w->leaves, w->c->arena);
		if (res) {
			res->type_id = type->named ? 0 : type->id;
			res->type_name = label_name(w, type);
			if (level >= 1) {
				label *nm = &w->path[1];
				res->name_id = nm->named ? 0 : nm->id;
				res->name = label_name(w, nm);
			}
			if (level >= 2 && !w->path[level].named)
				res->lang = w->path[level].id;
			res->data_rva = data_rva;
			res->size = size;
			res->codepage = codepage;
			ps_pe_rva_to_offset(w->c, data_rva, &res->offset);
		}
	} else if (!w->leaves_reported) {
		w->leaves_reported = true;
		uint64_t foff;
		ps_pe_rva_to_offset(w->c, w->root_rva + off, &foff);
		ps_find_limit(w->c->fs, "resource leaves", PS_MAX_RESOURCE_LEAVES, foff);
	}
	if (!type->named && type->id == RT_VERSION && !w->version_stop)
		version_resource(w, data_rva, size);
}

static void walk_dir(rwalk *w, uint32_t off, unsigned level)
{
	ps_rd d;
	if (!at(w, off, DIR_HEADER_SIZE, &d)) {
		malformed(w, "resource directory not readable", off);
		return;
	}
	ps_rd_skip(&d, 4); /* Characteristics */
	uint32_t stamp = ps_rd_u32(&d);
	ps_rd_skip(&d, 4); /* MajorVersion, MinorVersion */
	uint32_t n_named = ps_rd_u16(&d);
	uint32_t n = n_named + ps_rd_u16(&d); /* NumberOfNamedEntries + NumberOfIdEntries */
	if (level == 0)
		w->c->pe->resource_timedatestamp = stamp;
	w->dirs[level] = off;
	for (uint32_t i = 0; i < n && !w->stop; i++) {
		uint64_t eoff = (uint64_t)off + DIR_HEADER_SIZE + (uint64_t)DIR_ENTRY_SIZE * i;
		if (w->entries >= PS_MAX_RESOURCE_ENTRIES) {
			uint64_t foff;
			ps_pe_rva_to_offset(w->c, w->root_rva + eoff, &foff);
			ps_find_limit(w->c->fs, "resource entries", PS_MAX_RESOURCE_ENTRIES, foff);
			w->stop = true;
			break;
		}
		w->entries++;
		ps_rd e;
		if (!at(w, eoff, DIR_ENTRY_SIZE, &e)) {
			/* The rest of the array is past the data too. */
			malformed(w, "resource directory entry not readable", eoff);
			break;
		}
		uint32_t name = ps_rd_u32(&e), data = ps_rd_u32(&e);
		read_label(w, name, &w->path[level]);
		if (!(data & HIGH_BIT)) {
			leaf(w, data, level);
			continue;
		}
		uint32_t sub = data & ~HIGH_BIT;
		bool loop = false;
		for (unsigned k = 0; k <= level && !loop; k++)
			loop = w->dirs[k] == sub;
		if (loop) {
			malformed(w, "resource directory loop", eoff);
			continue;
		}
		if (level + 1 > PS_MAX_RESOURCE_DEPTH) {
			if (!w->depth_reported) {
				w->depth_reported = true;
				uint64_t foff;
				ps_pe_rva_to_offset(w->c, w->root_rva + sub, &foff);
				ps_find_limit(w->c->fs, "resource depth", PS_MAX_RESOURCE_DEPTH, foff);
			}
			continue;
		}
		walk_dir(w, sub, level + 1);
	}
}

void ps_pe_resources(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	if (pe->n_directories <= PS_DIR_RESOURCE || !pe->dirs[PS_DIR_RESOURCE].rva)
		return;
	rwalk w;
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.root_rva = pe->dirs[PS_DIR_RESOURCE].rva;
	ps_vec_init(&w.leaves, sizeof(ps_resource));
	ps_vec_init(&w.strings, sizeof(ps_kv));
	if (!ps_pe_rva(c, w.root_rva, &w.root)) {
		malformed(&w, "resource directory not readable", 0);
		return;
	}
	w.root_limit = root_limit(c, w.root_rva);
	walk_dir(&w, 0, 0);
	pe->resources = w.leaves.v;
	pe->n_resources = w.leaves.n;
	pe->version.strings = w.strings.v;
	pe->version.n_strings = w.strings.n;
}
