/* Export directory: named exports (in name-table order), then the exports reachable only by
 * ordinal; forwarders are exports whose RVA points inside the export directory itself, the
 * way the loader decides it. */
#include <string.h>

#include "limits.h"
#include "pe.h"

static void malformed(ps_pectx *c, const char *why, uint64_t rva)
{
	ps_pe_malformed(c, "PE-EXPORTS-MALFORMED", PS_SEV_LOW,
	                "The export directory is damaged; only the readable part is reported", why, rva);
}

/* Number of whole u32/u16 entries readable at rva, at most want. */
static uint64_t table_entries(ps_pectx *c, uint64_t rva, uint64_t want, size_t esize, ps_rd *r)
{
	if (!ps_pe_rva(c, rva, r))
		return 0;
	uint64_t have = ps_rd_remaining(r) / esize;
	return have < want ? have : want;
}

static const char *string_at(ps_pectx *c, uint64_t rva)
{
	const uint8_t *s;
	size_t n;
	if (!ps_pe_string_at(c, rva, PS_MAX_EXPORT_NAME, &s, &n))
		return NULL;
	return ps_arena_strndup(c->arena, s, n);
}

void ps_pe_exports(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	if (pe->n_directories <= PS_DIR_EXPORT || !pe->dirs[PS_DIR_EXPORT].rva)
		return;
	uint64_t dir_rva = pe->dirs[PS_DIR_EXPORT].rva, dir_size = pe->dirs[PS_DIR_EXPORT].size;
	ps_rd r;
	if (!ps_pe_rva(c, dir_rva, &r) || !ps_rd_has(&r, 40)) {
		malformed(c, "export directory not readable", dir_rva);
		return;
	}
	ps_exports *ex = &pe->exports;
	ps_rd_skip(&r, 4); /* Characteristics */
	ex->timedatestamp = ps_rd_u32(&r);
	ps_rd_skip(&r, 4); /* versions */
	uint32_t name_rva = ps_rd_u32(&r);
	ex->ordinal_base = ps_rd_u32(&r);
	ex->number_of_functions = ps_rd_u32(&r);
	ex->number_of_names = ps_rd_u32(&r);
	uint32_t funcs_rva = ps_rd_u32(&r), names_rva = ps_rd_u32(&r), ords_rva = ps_rd_u32(&r);
	ex->present = true;
	if (name_rva)
		ex->dll_name = string_at(c, name_rva);

	ps_rd funcs, names, ords;
	uint64_t n_funcs = table_entries(c, funcs_rva, ex->number_of_functions, 4, &funcs);
	uint64_t n_names = table_entries(c, names_rva, ex->number_of_names, 4, &names);
	uint64_t n_ords = table_entries(c, ords_rva, ex->number_of_names, 2, &ords);
	if (n_funcs < ex->number_of_functions)
		malformed(c, "AddressOfFunctions runs past the file", funcs_rva);
	else if (n_names < ex->number_of_names || n_ords < ex->number_of_names)
		malformed(c, "AddressOfNames/AddressOfNameOrdinals run past the file", names_rva);
	if (n_ords < n_names)
		n_names = n_ords;

	ps_vec out;
	ps_vec_init(&out, sizeof(ps_export));
	uint8_t named[65536 / 8];
	memset(named, 0, sizeof(named));
	bool capped = false;
	for (uint64_t i = 0; i < n_names; i++) {
		if (out.n >= PS_MAX_EXPORTS) {
			capped = true;
			break;
		}
		uint16_t idx;
		uint32_t nrva, frva;
		ps_rd_peek_u16(&ords, 2 * i, &idx);
		ps_rd_peek_u32(&names, 4 * i, &nrva);
		if (idx >= n_funcs)
			continue; /* the loader would fail this name lookup */
		ps_rd_peek_u32(&funcs, 4u * idx, &frva);
		named[idx >> 3] |= (uint8_t)(1u << (idx & 7));
		ps_export *e = ps_vec_push(&out, c->arena);
		if (!e)
			break;
		e->ordinal = ex->ordinal_base + idx;
		e->rva = frva;
		e->name = string_at(c, nrva);
		if (frva >= dir_rva && frva < dir_rva + dir_size)
			e->forwarder = string_at(c, frva);
	}
	for (uint64_t idx = 0; idx < n_funcs && !capped; idx++) {
		if (idx < 65536 && (named[idx >> 3] & (1u << (idx & 7))))
			continue;
		uint32_t frva;
		ps_rd_peek_u32(&funcs, 4 * idx, &frva);
		if (!frva)
			continue;
		if (out.n >= PS_MAX_EXPORTS) {
			capped = true;
			break;
		}
		ps_export *e = ps_vec_push(&out, c->arena);
		if (!e)
			break;
		e->ordinal = ex->ordinal_base + (uint32_t)idx;
		e->rva = frva;
		if (frva >= dir_rva && frva < dir_rva + dir_size)
			e->forwarder = string_at(c, frva);
	}
	if (capped)
		ps_find_limit(c->fs, "exports", PS_MAX_EXPORTS, dir_rva);
	ex->v = out.v;
	ex->n = out.n;
}
