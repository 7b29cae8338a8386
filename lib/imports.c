/* Import and delay-load import directories, and the imphash.
 *
 * imphash is defined by pefile's implementation (Mandiant's original), so the walk follows
 * pefile 2023.2.7's rules wherever they decide which symbols exist: a descriptor list ends
 * at an all-zero or unreadable descriptor; a thunk table ends at a zero thunk, at its
 * length bound, or at a thunk pointing back into the table; a table with more than 15
 * repeated name addresses, a name-address spread over 128 MiB or an ordinal above 0xFFFF is
 * treated as bogus (empty); names outside the linker's character set are "*invalid*" and
 * skipped; a DLL whose symbols all fail is dropped; one counter of thunks read caps the
 * whole file at PS_MAX_IMPORT_SYMBOLS. Each rule is a defence pefile's authors added after
 * a hostile sample; following them keeps our imphash equal to everyone else's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "limits.h"
#include "ordinals.h"
#include "pe.h"
#include "text.h"

#define MAX_ADDRESS_SPREAD (128ull << 20)
#define MAX_REPEATED_ADDRESSES 15
#define MAX_DESCRIPTOR_ERRORS 5

typedef struct thunk {
	uint64_t aod; /* AddressOfData (or ordinal) */
	uint64_t rva; /* where the thunk itself is */
} thunk;

typedef struct thunks {
	thunk *v;
	size_t n, cap;
} thunks;

/* A set of addresses with min/max (pefile AddressSet). Open addressing, grown by doubling;
 * bounded because the symbol counter bounds the number of insertions. */
typedef struct addrset {
	uint64_t *slot;
	size_t cap, n;
	uint64_t min, max;
} addrset;

typedef struct walk {
	ps_pectx *c;
	unsigned total_symbols; /* pefile __total_import_symbols */
	bool limit_reported;
	bool malformed_reported;
} walk;

static void addrset_free(addrset *s) { free(s->slot); }

/* Returns 1 when v was already present, 0 when added, -1 on allocation failure. */
static int addrset_add(addrset *s, uint64_t v)
{
	if (s->n == 0 || v < s->min)
		s->min = v;
	if (s->n == 0 || v > s->max)
		s->max = v;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *ns = calloc(ncap, sizeof(uint64_t));
		if (!ns)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			uint64_t x = s->slot[i];
			if (!x)
				continue;
			size_t h = (size_t)(x * 0x9E3779B97F4A7C15ull) & (ncap - 1);
			while (ns[h])
				h = (h + 1) & (ncap - 1);
			ns[h] = x;
		}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	/* 0 never reaches here (a zero thunk ends the table), so it can mark empty slots. */
	size_t h = (size_t)(v * 0x9E3779B97F4A7C15ull) & (s->cap - 1);
	while (s->slot[h]) {
		if (s->slot[h] == v)
			return 1;
		h = (h + 1) & (s->cap - 1);
	}
	s->slot[h] = v;
	s->n++;
	return 0;
}

static uint64_t spread(const addrset *s) { return s->n ? s->max - s->min : 0; }

static bool thunks_push(thunks *t, uint64_t aod, uint64_t rva)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		thunk *nv = realloc(t->v, ncap * sizeof(thunk));
		if (!nv)
			return false;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n].aod = aod;
	t->v[t->n].rva = rva;
	t->n++;
	return true;
}

static void malformed(walk *w, const char *what, uint64_t rva)
{
	if (w->malformed_reported)
		return;
	w->malformed_reported = true;
	ps_finding *f = ps_find(w->c->fs, "PE-IMPORTS-MALFORMED", PS_SEV_MEDIUM,
	                        "The import tables are damaged; only the readable part is reported");
	ps_ev_str(f, w->c->fs, "reason", what);
	ps_ev_off(f, "rva", rva);
	uint64_t off;
	if (ps_pe_rva_to_offset(w->c, rva, &off))
		ps_ev_off(f, "offset", off);
}

static uint64_t normalize_va(const ps_pectx *c, uint64_t va)
{
	uint64_t base = c->pe->opt.image_base, end = base + c->pe->opt.size_of_image;
	if (base <= va && va < end)
		va -= base;
	return va;
}

enum { TABLE_NONE = -1, TABLE_OK = 0 };

/* pefile get_import_table: fills t and returns TABLE_OK, or TABLE_NONE when a thunk could
 * not be read (pefile returns None). A bogus table comes back empty. */
static int read_table(walk *w, uint64_t rva, bool has_max, uint64_t max_len, bool va_form, thunks *t)
{
	ps_pectx *c = w->c;
	bool wide = c->pe->pe32plus;
	uint64_t ord_flag = wide ? 1ull << 63 : 1ull << 31;
	size_t tsize = wide ? 8 : 4;
	addrset s32 = {0}, s64 = {0};
	int repeated = 0, rc = TABLE_OK;
	uint64_t start = rva;
	t->n = 0;
	while (rva) {
		if (has_max && rva >= start + max_len) {
			malformed(w, "thunk table runs past its bound", rva);
			break;
		}
		if (w->total_symbols > PS_MAX_IMPORT_SYMBOLS) {
			if (!w->limit_reported) {
				w->limit_reported = true;
				ps_find_limit(c->fs, "imported symbols", PS_MAX_IMPORT_SYMBOLS, rva);
			}
			break;
		}
		w->total_symbols++;
		if (repeated >= MAX_REPEATED_ADDRESSES || spread(&s32) > MAX_ADDRESS_SPREAD ||
		    spread(&s64) > MAX_ADDRESS_SPREAD) {
			malformed(w, "thunk table holds bogus name addresses", start);
			t->n = 0;
			goto out;
		}
		ps_rd r;
		if (!ps_pe_rva(c, rva, &r) || !ps_rd_has(&r, tsize)) {
			malformed(w, "thunk not readable", rva);
			rc = TABLE_NONE;
			goto out;
		}
		uint64_t aod = wide ? ps_rd_u64(&r) : ps_rd_u32(&r);
		if (va_form)
			aod = normalize_va(c, aod);
		if (aod >= start && aod <= rva) {
			malformed(w, "thunk points back into its own table", rva);
			break;
		}
		if (aod) {
			if (aod & ord_flag) {
				if ((aod & 0x7FFFFFFF) > 0xFFFF) {
					malformed(w, "ordinal above 0xFFFF", rva);
					t->n = 0;
					goto out;
				}
			} else {
				int dup = addrset_add(aod >= (1ull << 32) ? &s64 : &s32, aod);
				if (dup < 0) {
					rc = TABLE_NONE;
					goto out;
				}
				repeated += dup;
			}
		}
		if (!aod)
			break;
		if (!thunks_push(t, aod, rva)) {
			rc = TABLE_NONE;
			goto out;
		}
		rva += tsize;
	}
out:
	addrset_free(&s32);
	addrset_free(&s64);
	return rc;
}

static bool valid_function_name(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
			continue;
		if (!memchr("._?@$()<>", ch, 9))
			return false;
	}
	return true;
}

static bool valid_dos_filename(const uint8_t *s, size_t n)
{
	static const char extra[] = "!#$%&'()-@^_`{}~+,.;=[]\\/";
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
			continue;
		if (!memchr(extra, ch, sizeof(extra) - 1))
			return false;
	}
	return true;
}

static ps_ordinal_table ordinal_table_for(const char *dll)
{
	char low[16];
	size_t n = strlen(dll);
	if (n >= sizeof(low))
		return PS_ORD_NONE;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)((dll[i] >= 'A' && dll[i] <= 'Z') ? dll[i] + 32 : dll[i]);
	if (!strcmp(low, "ws2_32.dll") || !strcmp(low, "wsock32.dll"))
		return PS_ORD_WS2_32;
	if (!strcmp(low, "oleaut32.dll"))
		return PS_ORD_OLEAUT32;
	return PS_ORD_NONE;
}

/* pefile parse_imports: the symbols of one descriptor. Returns false when pefile would
 * raise (the descriptor then counts as failed). */
static bool parse_symbols(walk *w, uint64_t oft, uint64_t ft, bool has_max, uint64_t max_len, bool va_form,
                          ps_vec *out)
{
	ps_pectx *c = w->c;
	thunks ilt = {0}, iat = {0};
	bool ok = true;
	int ri = read_table(w, oft, has_max, max_len, va_form, &ilt);
	int ra = read_table(w, ft, has_max, max_len, va_form, &iat);
	const thunks *table = NULL;
	if (ri == TABLE_OK && ilt.n)
		table = &ilt;
	else if (ra == TABLE_OK && iat.n)
		table = &iat;
	if (!table)
		goto done; /* damaged or empty: no symbols */
	bool wide = c->pe->pe32plus;
	uint64_t ord_flag = wide ? 1ull << 63 : 1ull << 31;
	uint64_t mask = wide ? 0x7FFFFFFFFFFFFFFFull : 0x7FFFFFFFull;
	size_t num_invalid = 0;
	for (size_t idx = 0; idx < table->n; idx++) {
		uint64_t aod = table->v[idx].aod;
		ps_import imp;
		memset(&imp, 0, sizeof(imp));
		imp.thunk_rva = (uint32_t)table->v[idx].rva;
		bool have_ord = false, have_name = false, invalid = false;
		const uint8_t *name = NULL;
		size_t name_len = 0;
		if (aod & ord_flag) {
			imp.by_ordinal = true;
			imp.ordinal = (uint16_t)(aod & 0xFFFF);
			have_ord = true;
		} else {
			ps_rd r;
			if (ps_pe_rva(c, aod & mask, &r)) {
				uint16_t hint;
				if (ps_rd_peek_u16(&r, 0, &hint))
					imp.hint = hint;
				ps_pe_string_at(c, aod + 2, PS_MAX_IMPORT_NAME, &name, &name_len);
				have_name = true;
				if (!valid_function_name(name, name_len))
					invalid = true;
			}
		}
		if (!have_ord && !have_name) {
			malformed(w, "import name not readable", table->v[idx].rva);
			ok = false;
			goto done;
		}
		if (invalid) {
			if (num_invalid > 1000 && num_invalid == idx) {
				ok = false;
				goto done;
			}
			num_invalid++;
			continue;
		}
		if ((have_ord && imp.ordinal == 0) || (have_name && name_len == 0))
			continue; /* pefile keeps a symbol only if its ordinal or name is truthy */
		if (have_name) {
			imp.name = ps_arena_strndup(c->arena, name, name_len);
			if (!imp.name)
				goto done;
		}
		ps_import *slot = ps_vec_push(out, c->arena);
		if (!slot)
			goto done;
		*slot = imp;
	}
done:
	free(ilt.v);
	free(iat.v);
	return ok;
}

/* Walks a descriptor list (normal or delay). */
static void walk_descriptors(walk *w, bool delay, ps_vec *dlls)
{
	ps_pectx *c = w->c;
	const ps_pe *pe = c->pe;
	unsigned dir = delay ? PS_DIR_DELAY_IMPORT : PS_DIR_IMPORT;
	if (pe->n_directories <= dir || !pe->dirs[dir].rva)
		return;
	uint64_t rva = pe->dirs[dir].rva;
	size_t dsize = delay ? 32 : 20;
	int errors = 0;
	for (unsigned count = 0;; count++) {
		if (count >= PS_MAX_IMPORT_DLLS) {
			ps_find_limit(c->fs, delay ? "delay-load import descriptors" : "import descriptors",
			              PS_MAX_IMPORT_DLLS, rva);
			break;
		}
		ps_rd r;
		if (!ps_pe_rva(c, rva, &r)) {
			malformed(w, "import descriptor not readable", rva);
			break;
		}
		if (!ps_rd_has(&r, dsize))
			break; /* a short descriptor ends the list (the loader sees zero-fill) */
		uint64_t file_offset = r.origin;
		uint32_t f[8] = {0};
		bool zero = true;
		for (size_t i = 0; i < dsize / 4; i++) {
			f[i] = ps_rd_u32(&r);
			zero = zero && !f[i];
		}
		if (zero)
			break;
		uint64_t oft, ft, name_rva;
		uint32_t stamp;
		bool va_form = false;
		if (delay) {
			/* grAttrs, szName, phmod, pIAT, pINT, pBoundIAT, pUnloadIAT, dwTimeStamp.
			 * grAttrs 0 on i386 is the pre-VC6 form holding VAs, not RVAs. */
			if (f[0] == 0 && pe->coff.machine == 0x014c) {
				va_form = true;
				name_rva = normalize_va(c, f[1]);
				ft = normalize_va(c, f[3]);
				oft = normalize_va(c, f[4]);
			} else {
				name_rva = f[1];
				ft = f[3];
				oft = f[4];
			}
			stamp = f[7];
		} else {
			/* OriginalFirstThunk, TimeDateStamp, ForwarderChain, Name, FirstThunk */
			oft = f[0];
			stamp = f[1];
			name_rva = f[3];
			ft = f[4];
		}
		uint64_t desc_rva = rva;
		rva += dsize;
		/* Thunks placed before the descriptor cannot run past it (pefile's bound). */
		bool has_max = true;
		uint64_t max_len = c->len - file_offset;
		if (rva > oft || rva > ft) {
			int64_t a = (int64_t)(rva - oft), b = (int64_t)(rva - ft);
			int64_t m = a > b ? a : b;
			if (m <= 0)
				m = 0;
			max_len = (uint64_t)m;
		}
		ps_vec syms;
		ps_vec_init(&syms, sizeof(ps_import));
		bool ok = parse_symbols(w, oft, ft, has_max, max_len, va_form, &syms);
		if (!ok)
			syms.n = 0;
		if (errors > MAX_DESCRIPTOR_ERRORS)
			break;
		if (!syms.n) {
			errors++;
			continue;
		}
		if (delay && w->total_symbols > PS_MAX_IMPORT_SYMBOLS)
			break;
		const uint8_t *name;
		size_t name_len;
		ps_pe_string_at(c, name_rva, PS_MAX_IMPORT_NAME, &name, &name_len);
		const char *dll;
		if (!valid_dos_filename(name, name_len))
			dll = "*invalid*";
		else if (name_len == 0)
			continue; /* pefile drops a DLL with an empty name */
		else
			dll = ps_arena_strndup(c->arena, name, name_len);
		if (!dll)
			return;
		ps_ordinal_table ot = ordinal_table_for(dll);
		ps_import *v = syms.v;
		for (size_t i = 0; i < syms.n; i++)
			if (v[i].by_ordinal && ot != PS_ORD_NONE)
				v[i].ordinal_name = ps_ordinal_lookup(ot, v[i].ordinal);
		ps_import_dll *d = ps_vec_push(dlls, c->arena);
		if (!d)
			return;
		d->name = dll;
		d->delay = delay;
		d->descriptor_rva = (uint32_t)desc_rva;
		d->timedatestamp = stamp;
		d->n_imports = syms.n;
		d->imports = syms.v;
	}
}

static void imphash(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	pe->imphash[0] = 0;
	size_t cap = 0;
	for (size_t i = 0; i < pe->n_import_dlls; i++) {
		const ps_import_dll *d = &pe->import_dlls[i];
		if (d->delay)
			continue;
		cap += d->n_imports * (strlen(d->name) + 2 + PS_MAX_IMPORT_NAME + 8);
	}
	if (!cap)
		return;
	char *buf = malloc(cap + 1);
	if (!buf)
		return;
	size_t o = 0;
	for (size_t i = 0; i < pe->n_import_dlls; i++) {
		const ps_import_dll *d = &pe->import_dlls[i];
		if (d->delay)
			continue;
		size_t ln = strlen(d->name);
		/* the extension is dropped only for dll, sys and ocx */
		const char *dot = strrchr(d->name, '.');
		if (dot && (!strcasecmp(dot + 1, "dll") || !strcasecmp(dot + 1, "sys") || !strcasecmp(dot + 1, "ocx")))
			ln = (size_t)(dot - d->name);
		for (size_t k = 0; k < d->n_imports; k++) {
			const ps_import *im = &d->imports[k];
			if (o)
				buf[o++] = ',';
			for (size_t j = 0; j < ln; j++) {
				char ch = d->name[j];
				buf[o++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
			}
			buf[o++] = '.';
			char ordbuf[16];
			/* pefile names ordinal imports through its tables, else "ordN" */
			const char *fn = im->name ? im->name : im->ordinal_name;
			if (!fn) {
				snprintf(ordbuf, sizeof(ordbuf), "ord%u", im->ordinal);
				fn = ordbuf;
			}
			for (const char *p = fn; *p; p++)
				buf[o++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
		}
	}
	uint8_t md[16];
	if (ps_md5(md, buf, o) == 0)
		ps_hex(pe->imphash, md, 16);
	free(buf);
}

void ps_pe_imports(ps_pectx *c)
{
	walk w = {.c = c};
	ps_vec dlls;
	ps_vec_init(&dlls, sizeof(ps_import_dll));
	walk_descriptors(&w, false, &dlls);
	walk_descriptors(&w, true, &dlls);
	ps_pe *pe = c->pe;
	pe->import_dlls = dlls.v;
	pe->n_import_dlls = dlls.n;
	pe->n_imports_total = 0;
	for (size_t i = 0; i < dlls.n; i++)
		pe->n_imports_total += pe->import_dlls[i].n_imports;
	imphash(c);
}
