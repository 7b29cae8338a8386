/* TLS directory and its callback array.
 *
 * The loader calls every TLS callback before the entry point, so anti-debugging code and
 * unpackers like to live there; but mingw's CRT and Delphi/FPC emit legitimate callbacks, so
 * having callbacks is not a finding. A callback that is not code of this image is: one that
 * lies outside [ImageBase, ImageBase + SizeOfImage) (corkami tls_import points the array at
 * the IAT, so the loader "calls" an imported function; on disk those slots hold hint/name
 * RVAs, far below ImageBase), or that lands in no executable section (the loader would fault
 * under DEP unless the code changes protections first).
 *
 * All addresses here are VAs relative to the preferred ImageBase, as stored; base
 * relocations would rebase them at load time, which does not change where they point inside
 * the image.
 */
#include "limits.h"
#include "pe.h"

#define SCN_CNT_CODE 0x00000020u
#define SCN_MEM_EXECUTE 0x20000000u
#define PAGE_SIZE_MIN 0x1000u

static ps_finding *malformed(ps_pectx *c, const char *why, uint64_t rva)
{
	return ps_pe_malformed(c, "PE-TLS-MALFORMED", PS_SEV_LOW, "The TLS directory is damaged; only the readable part is reported", why, rva);
}

/* Why a callback VA is not code of this image, or NULL when it is. *sec is the section
 * table index it falls in (or -1). */
static const char *callback_anomaly(const ps_pectx *c, uint64_t va, long *sec)
{
	const ps_pe *pe = c->pe;
	*sec = -1;
	uint64_t rva;
	if (!ps_pe_va_to_rva(c, va, &rva) || rva >= pe->opt.size_of_image)
		return "outside the image";
	long k = ps_pe_section_of_rva(c, rva);
	if (k >= 0)
		*sec = (long)c->map[k].index;
	/* Below page-size SectionAlignment the loader maps the whole image, headers included,
	 * as one executable view: any address inside the image runs (corkami tiny PEs). */
	if (pe->opt.section_alignment < PAGE_SIZE_MIN)
		return NULL;
	if (k < 0)
		return "in no section";
	if (!(c->sections[*sec].characteristics & (SCN_MEM_EXECUTE | SCN_CNT_CODE)))
		return "in a section that is not executable";
	return NULL;
}

/* One finding per file, for the first callback that is not code of this image: an array
 * that the on-disk bytes do not terminate (corkami tls_obfuscation: the first callbacks
 * rewrite it at run time) would otherwise flood the report with one finding per word. */
static void check_callbacks(ps_pectx *c, const uint64_t *v, size_t n)
{
	size_t first = 0, bad = 0;
	const char *first_why = NULL;
	long first_sec = -1;
	for (size_t i = 0; i < n; i++) {
		long sec;
		const char *why = callback_anomaly(c, v[i], &sec);
		if (!why)
			continue;
		if (!bad++) {
			first = i;
			first_why = why;
			first_sec = sec;
		}
	}
	if (!bad)
		return;
	ps_finding *f = ps_find(c->fs, "PE-TLS-CALLBACK-ANOMALY", PS_SEV_MEDIUM,
	                        "TLS callback %zu, run before the entry point, is not code of this image", first);
	ps_ev_off(f, "callback", v[first]);
	ps_ev_uint(f, "index", first);
	ps_ev_str(f, c->fs, "reason", first_why);
	if (first_sec >= 0)
		ps_ev_raw(f, c->fs, "section", c->sections[first_sec].name, c->sections[first_sec].name_len);
	ps_ev_uint(f, "anomalous_callbacks", bad);
	ps_ev_uint(f, "callbacks", n);
}

static void callbacks(ps_pectx *c, ps_tls *t, uint64_t dir_rva)
{
	const ps_pe *pe = c->pe;
	if (!t->callbacks_va)
		return;
	uint64_t rva;
	if (!ps_pe_va_to_rva(c, t->callbacks_va, &rva) || rva >= pe->opt.size_of_image) {
		ps_finding *f = malformed(c, "AddressOfCallBacks is outside the image", dir_rva);
		ps_ev_off(f, "callbacks_va", t->callbacks_va);
		return;
	}
	ps_rd r;
	if (!ps_pe_rva(c, rva, &r)) {
		/* In a section's uninitialised tail the loader reads zeros: no callbacks, unless
		 * code writes them at run time (corkami tls_virtual), which static analysis cannot
		 * see. Outside every section nothing is mapped. */
		if (ps_pe_section_of_rva(c, rva) < 0) {
			ps_finding *f = malformed(c, "AddressOfCallBacks is not in the file", dir_rva);
			ps_ev_off(f, "callbacks_va", t->callbacks_va);
		}
		return;
	}
	size_t esize = pe->pe32plus ? 8 : 4;
	uint64_t *v = ps_arena_array(c->arena, PS_MAX_TLS_CALLBACKS, sizeof(*v));
	if (!v)
		return;
	size_t n = 0;
	/* The array ends at a NULL pointer; where the raw data ends first, the loader goes on
	 * into zero fill, which ends it too. */
	while (ps_rd_has(&r, esize)) {
		uint64_t va = pe->pe32plus ? ps_rd_u64(&r) : ps_rd_u32(&r);
		if (!va)
			break;
		if (n == PS_MAX_TLS_CALLBACKS) {
			ps_find_limit(c->fs, "TLS callbacks", PS_MAX_TLS_CALLBACKS, ps_rd_offset(&r) - esize);
			break;
		}
		v[n++] = va;
	}
	t->callbacks = v;
	t->n_callbacks = n;
	check_callbacks(c, v, n);
}

void ps_pe_tls(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	if (pe->n_directories <= PS_DIR_TLS || !pe->dirs[PS_DIR_TLS].rva)
		return;
	uint64_t dir_rva = pe->dirs[PS_DIR_TLS].rva;
	size_t need = pe->pe32plus ? 40 : 24;
	ps_rd r;
	if (!ps_pe_rva(c, dir_rva, &r) || !ps_rd_has(&r, need)) {
		if (!ps_pe_dir_invalid(c, &pe->dirs[PS_DIR_TLS]))
			malformed(c, "TLS directory is not in the file", dir_rva);
		return;
	}
	ps_tls *t = &pe->tls;
	if (pe->pe32plus) {
		t->start_va = ps_rd_u64(&r);
		t->end_va = ps_rd_u64(&r);
		t->index_va = ps_rd_u64(&r);
		t->callbacks_va = ps_rd_u64(&r);
	} else {
		t->start_va = ps_rd_u32(&r);
		t->end_va = ps_rd_u32(&r);
		t->index_va = ps_rd_u32(&r);
		t->callbacks_va = ps_rd_u32(&r);
	}
	t->size_of_zero_fill = ps_rd_u32(&r);
	t->characteristics = ps_rd_u32(&r);
	t->present = true;
	callbacks(c, t, dir_rva);
}
