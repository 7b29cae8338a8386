/* DOS/COFF/optional headers, data directories, the section table, RVA mapping, overlay
 * and the certificate table's location.
 *
 * Where the PE/COFF specification and the Windows loader differ, the loader wins (it is what
 * malware targets); where a choice is free we follow pefile, the reference of our corpus
 * (docs/CONFORMANCE.md lists the places we deliberately differ).
 */
#include "pe.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"

#define MZ_SIG 0x5A4Du /* "MZ" */
#define ZM_SIG 0x4D5Au /* "ZM" */
#define PE_SIG 0x00004550u
#define FILE_ALIGNMENT_HARDCODED 0x200u /* the loader rounds raw pointers down to 512 */

static uint64_t adjust_file_alignment(uint64_t ptr, uint32_t fa)
{
	if (fa < FILE_ALIGNMENT_HARDCODED)
		return ptr;
	return ptr & ~(uint64_t)(FILE_ALIGNMENT_HARDCODED - 1);
}

static uint64_t adjust_section_alignment(uint64_t va, uint32_t sa, uint32_t fa)
{
	if (sa < 0x1000) /* below page size the image is mapped with file alignment */
		sa = fa;
	if (sa && va % sa)
		return sa * (va / sa);
	return va;
}

static bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

/* ------------------------------------------------------------ optional header */

/* Decodes the optional header from a zero-filled copy: the loader maps the headers into a
 * zeroed page, so fields past the end of a tiny file read as zero (corkami tiny*.exe). */
static void parse_optional(ps_pectx *c, uint64_t off)
{
	ps_pe *pe = c->pe;
	uint8_t buf[112 + 8 * PS_DIR_COUNT];
	memset(buf, 0, sizeof(buf));
	size_t avail = off < c->len ? c->len - (size_t)off : 0;
	size_t n = avail < sizeof(buf) ? avail : sizeof(buf);
	if (n)
		memcpy(buf, c->data + off, n);

	ps_rd r;
	ps_rd_init(&r, buf, sizeof(buf), off);
	ps_optional_header *o = &pe->opt;
	o->magic = ps_rd_u16(&r);
	pe->pe32plus = o->magic == 0x20b;
	o->major_linker_version = ps_rd_u8(&r);
	o->minor_linker_version = ps_rd_u8(&r);
	o->size_of_code = ps_rd_u32(&r);
	o->size_of_initialized_data = ps_rd_u32(&r);
	o->size_of_uninitialized_data = ps_rd_u32(&r);
	o->address_of_entry_point = ps_rd_u32(&r);
	o->base_of_code = ps_rd_u32(&r);
	if (pe->pe32plus) {
		o->image_base = ps_rd_u64(&r);
	} else {
		o->base_of_data = ps_rd_u32(&r);
		o->image_base = ps_rd_u32(&r);
	}
	o->section_alignment = ps_rd_u32(&r);
	o->file_alignment = ps_rd_u32(&r);
	o->major_os_version = ps_rd_u16(&r);
	o->minor_os_version = ps_rd_u16(&r);
	o->major_image_version = ps_rd_u16(&r);
	o->minor_image_version = ps_rd_u16(&r);
	o->major_subsystem_version = ps_rd_u16(&r);
	o->minor_subsystem_version = ps_rd_u16(&r);
	o->win32_version_value = ps_rd_u32(&r);
	o->size_of_image = ps_rd_u32(&r);
	o->size_of_headers = ps_rd_u32(&r);
	o->checksum = ps_rd_u32(&r);
	o->subsystem = ps_rd_u16(&r);
	o->dll_characteristics = ps_rd_u16(&r);
	if (pe->pe32plus) {
		o->size_of_stack_reserve = ps_rd_u64(&r);
		o->size_of_stack_commit = ps_rd_u64(&r);
		o->size_of_heap_reserve = ps_rd_u64(&r);
		o->size_of_heap_commit = ps_rd_u64(&r);
	} else {
		o->size_of_stack_reserve = ps_rd_u32(&r);
		o->size_of_stack_commit = ps_rd_u32(&r);
		o->size_of_heap_reserve = ps_rd_u32(&r);
		o->size_of_heap_commit = ps_rd_u32(&r);
	}
	o->loader_flags = ps_rd_u32(&r);
	o->number_of_rva_and_sizes = ps_rd_u32(&r);
	size_t fixed = ps_rd_tell(&r); /* 96 or 112 */

	/* Directories follow the fixed part whatever SizeOfOptionalHeader says (the loader and
	 * pefile both read them there). */
	pe->n_directories = o->number_of_rva_and_sizes < PS_DIR_COUNT ? o->number_of_rva_and_sizes : PS_DIR_COUNT;
	for (unsigned i = 0; i < pe->n_directories; i++) {
		pe->dirs[i].rva = ps_rd_u32(&r);
		pe->dirs[i].size = ps_rd_u32(&r);
	}
	size_t needed = fixed + 8u * pe->n_directories;
	if (avail < needed) {
		ps_finding *f = ps_find(c->fs, "PE-HEADER-TRUNCATED", PS_SEV_MEDIUM,
		                        "The optional header ends past the end of the file; the missing bytes read as zero");
		ps_ev_off(f, "offset", off);
		ps_ev_uint(f, "needed", needed);
		ps_ev_uint(f, "available", avail);
	}
	if (o->magic != 0x10b && o->magic != 0x20b) {
		ps_finding *f = ps_find(c->fs, "PE-OPTIONAL-MAGIC-UNKNOWN", PS_SEV_MEDIUM,
		                        "Unknown optional header magic 0x%04x; parsed as PE32", o->magic);
		ps_ev_off(f, "offset", off);
		ps_ev_uint(f, "magic", o->magic);
	}
	if (o->number_of_rva_and_sizes > PS_DIR_COUNT) {
		ps_finding *f = ps_find(c->fs, "PE-HEADER-ANOMALY", PS_SEV_LOW,
		                        "NumberOfRvaAndSizes is %u; the loader uses at most 16", o->number_of_rva_and_sizes);
		ps_ev_off(f, "offset", off + (pe->pe32plus ? 108 : 92));
		ps_ev_str(f, c->fs, "field", "NumberOfRvaAndSizes");
		ps_ev_uint(f, "value", o->number_of_rva_and_sizes);
	}
	if (!is_pow2(o->file_alignment) || !is_pow2(o->section_alignment) ||
	    o->section_alignment < o->file_alignment) {
		ps_finding *f = ps_find(c->fs, "PE-HEADER-ANOMALY", PS_SEV_LOW,
		                        "Section/file alignment 0x%x/0x%x break the PE rules",
		                        o->section_alignment, o->file_alignment);
		ps_ev_off(f, "offset", off + 32);
		ps_ev_str(f, c->fs, "field", "SectionAlignment/FileAlignment");
		ps_ev_uint(f, "section_alignment", o->section_alignment);
		ps_ev_uint(f, "file_alignment", o->file_alignment);
	}
}

/* ------------------------------------------------------------ sections */

static int cmp_secmap(const void *a, const void *b)
{
	const ps_secmap *x = a, *y = b;
	/* VirtualAddress as stored (va_start holds it while sorting), stable on table order:
	 * pefile sorts the same way. */
	if (x->va_start != y->va_start)
		return x->va_start < y->va_start ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void parse_sections(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	uint64_t table = pe->optional_header_offset + pe->coff.size_of_optional_header;
	unsigned declared = pe->coff.number_of_sections;
	unsigned want = declared;
	if (want > PS_MAX_SECTIONS) {
		ps_find_limit(c->fs, "section table", PS_MAX_SECTIONS, table);
		want = PS_MAX_SECTIONS;
	}
	c->sections = want ? ps_arena_array(c->arena, want, sizeof(ps_section)) : NULL;
	if (want && !c->sections)
		return;
	size_t n = 0;
	const char *stop = NULL;
	for (unsigned i = 0; i < want; i++) {
		uint64_t off = table + 40u * (uint64_t)i;
		ps_rd r;
		if (off > c->len || !ps_rd_sub(&c->file, (size_t)off, 40, &r)) {
			stop = "past end of file";
			break;
		}
		const uint8_t *raw = r.base;
		bool all_zero = true;
		for (int k = 0; k < 40; k++)
			if (raw[k]) {
				all_zero = false;
				break;
			}
		if (all_zero) {
			stop = "null section header";
			break;
		}
		ps_section *s = &c->sections[n];
		ps_rd_copy(&r, s->name, 8);
		s->name_len = 8;
		while (s->name_len && s->name[s->name_len - 1] == 0)
			s->name_len--;
		s->virtual_size = ps_rd_u32(&r);
		s->virtual_address = ps_rd_u32(&r);
		s->raw_size = ps_rd_u32(&r);
		s->raw_offset = ps_rd_u32(&r);
		s->pointer_to_relocations = ps_rd_u32(&r);
		s->pointer_to_linenumbers = ps_rd_u32(&r);
		s->number_of_relocations = ps_rd_u16(&r);
		s->number_of_linenumbers = ps_rd_u16(&r);
		s->characteristics = ps_rd_u32(&r);
		s->header_offset = off;
		n++;
	}
	if (stop && n < declared) {
		ps_finding *f = ps_find(c->fs, "PE-SECTION-TABLE-INVALID", PS_SEV_MEDIUM,
		                        "Only %zu of %u section headers could be read", n, declared);
		ps_ev_off(f, "offset", table + 40u * (uint64_t)n);
		ps_ev_uint(f, "declared", declared);
		ps_ev_uint(f, "parsed", n);
		ps_ev_str(f, c->fs, "reason", stop);
	}
	pe->sections = c->sections;
	pe->n_sections = n;

	/* Address map, sorted by VirtualAddress. */
	c->map = n ? ps_arena_array(c->arena, n, sizeof(ps_secmap)) : NULL;
	if (n && !c->map) {
		pe->n_sections = 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		c->map[i].va_start = c->sections[i].virtual_address;
		c->map[i].index = i;
	}
	if (n)
		qsort(c->map, n, sizeof(ps_secmap), cmp_secmap);
	c->n_map = n;
	uint32_t sa = pe->opt.section_alignment, fa = pe->opt.file_alignment;
	size_t out_of_file = 0, first_bad = 0;
	for (size_t k = 0; k < n; k++) {
		ps_secmap *m = &c->map[k];
		const ps_section *s = &c->sections[m->index];
		uint64_t va = s->virtual_address;
		uint64_t va_adj = adjust_section_alignment(va, sa, fa);
		m->raw_start = adjust_file_alignment(s->raw_offset, fa);
		m->raw_limit = (uint64_t)s->raw_offset + s->raw_size;
		/* pefile's contains_rva: a raw size running past the file is not believed. */
		uint64_t size;
		if (m->raw_start > c->len || c->len - m->raw_start < s->raw_size)
			size = s->virtual_size;
		else
			size = s->raw_size > s->virtual_size ? s->raw_size : s->virtual_size;
		if (k + 1 < n) {
			uint64_t next = c->sections[c->map[k + 1].index].virtual_address;
			if (next > va && va_adj + size > next)
				size = next > va_adj ? next - va_adj : 0;
		}
		m->va_start = va_adj;
		m->va_end = va_adj + size;
		if (s->raw_size && m->raw_limit > c->len) {
			if (!out_of_file || m->index < first_bad)
				first_bad = m->index;
			out_of_file++;
		}
	}
	c->map_disjoint = true;
	for (size_t k = 0; k + 1 < n; k++)
		if (c->map[k].va_end > c->map[k + 1].va_start)
			c->map_disjoint = false;
	if (out_of_file) {
		const ps_section *s = &c->sections[first_bad];
		ps_finding *f = ps_find(c->fs, "PE-SECTION-OUT-OF-FILE", PS_SEV_MEDIUM,
		                        "%zu section(s) declare raw data past the end of the file", out_of_file);
		ps_ev_uint(f, "sections", out_of_file);
		ps_ev_uint(f, "index", first_bad);
		ps_ev_raw(f, c->fs, "name", s->name, s->name_len);
		ps_ev_off(f, "raw_offset", s->raw_offset);
		ps_ev_uint(f, "raw_size", s->raw_size);
		ps_ev_uint(f, "file_size", c->len);
	}
}

/* ------------------------------------------------------------ headers */

ps_format ps_pe_parse_headers(ps_pectx *c, const char **detail)
{
	ps_pe *pe = c->pe;
	*detail = "unknown";
	if (c->len == 0) {
		*detail = "empty";
		return PS_FORMAT_UNKNOWN;
	}
	uint16_t magic;
	if (!ps_rd_peek_u16(&c->file, 0, &magic) || (magic != MZ_SIG && magic != ZM_SIG))
		return PS_FORMAT_UNKNOWN;
	if (magic == ZM_SIG) {
		*detail = "ZM"; /* the DOS loader accepts "ZM"; Windows does not load it as PE */
		return PS_FORMAT_MZ;
	}
	*detail = "DOS";
	uint32_t lfanew;
	if (c->len < 64 || !ps_rd_peek_u32(&c->file, 0x3C, &lfanew))
		return PS_FORMAT_MZ;
	uint32_t sig;
	if (!ps_rd_peek_u32(&c->file, lfanew, &sig))
		return PS_FORMAT_MZ;
	switch (sig & 0xFFFF) {
	case 0x454E: *detail = "NE"; return PS_FORMAT_MZ;
	case 0x454C: *detail = "LE"; return PS_FORMAT_MZ;
	case 0x584C: *detail = "LX"; return PS_FORMAT_MZ;
	default: break;
	}
	if (sig != PE_SIG)
		return PS_FORMAT_MZ;
	ps_rd r;
	if (!ps_rd_sub(&c->file, (size_t)lfanew + 4, 20, &r)) {
		*detail = "PE (truncated COFF header)";
		ps_finding *f = ps_find(c->fs, "PE-HEADER-TRUNCATED", PS_SEV_MEDIUM,
		                        "The COFF file header is cut off by the end of the file");
		ps_ev_off(f, "offset", (uint64_t)lfanew + 4);
		return PS_FORMAT_MZ;
	}
	pe->e_lfanew = lfanew;
	ps_coff_header *h = &pe->coff;
	h->machine = ps_rd_u16(&r);
	h->number_of_sections = ps_rd_u16(&r);
	h->timedatestamp = ps_rd_u32(&r);
	h->pointer_to_symbol_table = ps_rd_u32(&r);
	h->number_of_symbols = ps_rd_u32(&r);
	h->size_of_optional_header = ps_rd_u16(&r);
	h->characteristics = ps_rd_u16(&r);
	pe->optional_header_offset = (uint64_t)lfanew + 24;
	parse_optional(c, pe->optional_header_offset);
	*detail = pe->pe32plus ? "PE32+" : "PE32";
	parse_sections(c);
	return PS_FORMAT_PE;
}

/* ------------------------------------------------------------ address mapping */

long ps_pe_section_of_rva(const ps_pectx *c, uint64_t rva)
{
	if (c->map_disjoint) { /* the last extent starting at or below rva is the only candidate */
		size_t lo = 0, hi = c->n_map;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->map[mid].va_start <= rva)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && rva < c->map[lo - 1].va_end)
			return (long)(lo - 1);
		return -1;
	}
	/* overlapping extents (hostile tables): the first in VA order wins, as in pefile */
	for (size_t k = 0; k < c->n_map; k++)
		if (c->map[k].va_start <= rva && rva < c->map[k].va_end)
			return (long)k;
	return -1;
}

bool ps_pe_rva(const ps_pectx *c, uint64_t rva, ps_rd *out)
{
	long k = ps_pe_section_of_rva(c, rva);
	if (k >= 0) {
		const ps_secmap *m = &c->map[k];
		uint64_t off = rva - m->va_start + m->raw_start;
		uint64_t end = m->raw_limit < c->len ? m->raw_limit : c->len;
		if (off >= end)
			goto none;
		return ps_rd_sub(&c->file, (size_t)off, (size_t)(end - off), out);
	}
	if (rva < c->len)
		return ps_rd_tail(&c->file, (size_t)rva, out);
none:
	ps_rd_init(out, NULL, 0, 0);
	out->err = true;
	return false;
}

bool ps_pe_rva_to_offset(const ps_pectx *c, uint64_t rva, uint64_t *off)
{
	ps_rd r;
	if (!ps_pe_rva(c, rva, &r)) {
		*off = UINT64_MAX;
		return false;
	}
	*off = r.origin;
	return true;
}

bool ps_pe_string_at(const ps_pectx *c, uint64_t rva, size_t max, const uint8_t **s, size_t *n)
{
	ps_rd r;
	*s = NULL;
	*n = 0;
	if (!ps_pe_rva(c, rva, &r))
		return false;
	bool term;
	ps_rd_cstr(&r, max, s, n, &term);
	return *s != NULL;
}

ps_finding *ps_pe_malformed(ps_pectx *c, const char *id, ps_severity sev, const char *title, const char *why,
                            uint64_t rva)
{
	ps_finding *f = ps_find(c->fs, id, sev, "%s", title);
	ps_ev_str(f, c->fs, "reason", why);
	ps_ev_off(f, "rva", rva);
	uint64_t off;
	if (ps_pe_rva_to_offset(c, rva, &off))
		ps_ev_off(f, "offset", off);
	return f;
}

bool ps_pe_va_to_rva(const ps_pectx *c, uint64_t va, uint64_t *rva)
{
	uint64_t base = c->pe->opt.image_base;
	if (va < base) {
		*rva = 0;
		return false;
	}
	*rva = va - base;
	return true;
}

/* ------------------------------------------------------------ directories */

void ps_pe_overlay(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	/* Overlay: what follows the furthest section's raw data (as stored; the loader maps
	 * nothing past it). Without sections the image is the headers. */
	uint64_t end = 0;
	bool any = false;
	for (size_t i = 0; i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		if (!s->raw_size)
			continue;
		uint64_t e = (uint64_t)s->raw_offset + s->raw_size;
		if (e > end)
			end = e;
		any = true;
	}
	if (!any)
		end = pe->opt.size_of_headers;
	if (end < c->len) {
		pe->has_overlay = true;
		pe->overlay_offset = end;
		pe->overlay_size = c->len - end;
	}
}

bool ps_pe_dir_invalid(const ps_pectx *c, const ps_data_directory *d)
{
	uint64_t soi = c->pe->opt.size_of_image;
	return soi && (uint64_t)d->rva + d->size > soi && d->rva >= c->len;
}

static void directory_bounds(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	for (unsigned i = 0; i < pe->n_directories; i++) {
		const ps_data_directory *d = &pe->dirs[i];
		if (i == PS_DIR_SECURITY || !d->rva)
			continue;
		if (ps_pe_dir_invalid(c, d)) {
			ps_finding *f = ps_find(c->fs, "PE-DIRECTORY-INVALID", PS_SEV_LOW,
			                        "Data directory %u points outside the image and the file", i);
			ps_ev_uint(f, "directory", i);
			ps_ev_off(f, "rva", d->rva);
			ps_ev_uint(f, "size", d->size);
			ps_ev_uint(f, "size_of_image", pe->opt.size_of_image);
		}
	}
}

void ps_pe_parse_directories(ps_pectx *c)
{
	directory_bounds(c);
	ps_pe_rich(c);
	ps_pe_imports(c);
	ps_pe_exports(c);
	ps_pe_resources(c);
	ps_pe_debug(c);
	ps_pe_tls(c);
	ps_pe_clr(c);
}
