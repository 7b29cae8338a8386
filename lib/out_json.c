/* JSON rendering of a report (DESIGN.md "Output contract"), through jansson.
 *
 * Every string from the file is converted to valid UTF-8 before it reaches jansson (which
 * refuses anything else); jansson does the escaping. Hex is lowercase, times are ISO 8601
 * UTC with Z, absent values are null and keys are never omitted. Unsigned 64-bit values
 * above 2^63-1 (only hostile headers have them) are written as decimal strings, since a
 * JSON consumer's integer is signed 64-bit (Elasticsearch "long"); docs/ECS.md maps the
 * fields that can hold them (image base, TLS addresses) as "unsigned_long", which takes both.
 *
 * Every document also carries the ECS fields a SIEM needs to file it (@timestamp: when it
 * was rendered, ecs.version, event.*; file.path and file.name in reports), and a field path
 * never changes its JSON type from one document to another (null aside), so that
 * Elasticsearch/OpenSearch dynamic mapping cannot reject a document; findings[].evidence is
 * free-form per finding ID and is mapped "flattened" (docs/ECS.md, tests/ecs.sh).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pesleuth/analyze.h"
#include "pesleuth/error.h"
#include "pesleuth/output.h"
#include "names.h"
#include "text.h"
#include "thread_slot.h"

/* ---------------------------------------------------------------- jansson's memory
 * A report's tree is built, dumped and dropped as a whole, and jansson makes about ten
 * allocations per export or import entry (object, buckets, pairs, integers, strings): a third
 * of the rendering time went to malloc and free. While a document is rendered, jansson's
 * allocations on this thread come from a bump arena instead; its frees are no-ops, the tree
 * is not walked to be freed, and the arena is rewound after the dump, its chunks kept for the
 * thread's next document up to PS_JSON_ARENA_KEEP bytes (freed when the thread exits).
 * Outside a rendering (the database commands parse JSON too), jansson gets malloc and free;
 * a pointer is the arena's when it lies in one of this thread's chunks. In an ASan build
 * there is no arena, so that jansson's memory stays checked. */
#define PS_JSON_CHUNK (256u << 10)
#define PS_JSON_ARENA_KEEP (8u << 20)

typedef struct jchunk {
	struct jchunk *next;
	size_t size, used;
	max_align_t data[];
} jchunk;

typedef struct jarena {
	jchunk *head, *cur;
	int active;
} jarena;

static __thread jarena *tl_arena;

static int in_arena(const jarena *a, const void *p)
{
	for (const jchunk *c = a ? a->head : NULL; c; c = c->next)
		if ((const char *)p >= (const char *)c->data && (const char *)p < (const char *)c->data + c->size)
			return 1;
	return 0;
}

static void *j_malloc(size_t n)
{
	jarena *a = tl_arena;
	if (!a || !a->active)
		return malloc(n);
	if (n > SIZE_MAX - PS_JSON_CHUNK)
		return NULL;
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	jchunk *c = a->cur;
	/* the next kept chunk that fits, else a new one after the current */
	while (c && c->size - c->used < n) {
		c = c->next;
		if (c)
			c->used = 0;
	}
	if (!c) {
		size_t size = n > PS_JSON_CHUNK ? n : PS_JSON_CHUNK;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		if (a->cur) {
			c->next = a->cur->next;
			a->cur->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	a->cur = c;
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static void j_free(void *p)
{
	if (p && !in_arena(tl_arena, p))
		free(p);
}

static void arena_destroy(void *v)
{
	jarena *a = v;
	for (jchunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
	tl_arena = NULL;
}

static ps_thread_slot arena_slot = PS_THREAD_SLOT(arena_destroy);
static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;

static void set_alloc_funcs(void) { json_set_alloc_funcs(j_malloc, j_free); }

/* This thread's arena, active; NULL (jansson on malloc) in ASan builds or when it cannot be
 * set up. */
static jarena *arena_begin(void)
{
	if (PS_UNDER_ASAN)
		return NULL;
	(void)pthread_once(&alloc_once, set_alloc_funcs);
	if (!tl_arena) {
		jarena *a = calloc(1, sizeof(*a));
		if (!a || ps_thread_slot_set(&arena_slot, a) != 0) {
			free(a);
			return NULL;
		}
		tl_arena = a;
	}
	tl_arena->active = 1;
	tl_arena->cur = tl_arena->head;
	if (tl_arena->cur)
		tl_arena->cur->used = 0;
	return tl_arena;
}

/* Every arena allocation is dead from here on; chunks beyond PS_JSON_ARENA_KEEP are freed. */
static void arena_end(jarena *a)
{
	if (!a)
		return;
	a->active = 0;
	size_t kept = 0;
	jchunk **pp = &a->head;
	while (*pp) {
		jchunk *c = *pp;
		if (kept + c->size > PS_JSON_ARENA_KEEP) {
			*pp = c->next;
			free(c);
			continue;
		}
		kept += c->size;
		c->used = 0;
		pp = &c->next;
	}
	a->cur = a->head;
}

typedef struct jb {
	int err; /* sticky: an allocation failed */
} jb;

static json_t *chk(jb *b, json_t *v)
{
	if (!v)
		b->err = 1;
	return v;
}

static void set(jb *b, json_t *obj, const char *key, json_t *v)
{
	if (!v) {
		b->err = 1;
		return;
	}
	/* keys are this file's literals (and evidence keys from the code): no UTF-8 check */
	if (json_object_set_new_nocheck(obj, key, v) != 0)
		b->err = 1;
}

static void push(jb *b, json_t *arr, json_t *v)
{
	if (!v) {
		b->err = 1;
		return;
	}
	if (json_array_append_new(arr, v) != 0)
		b->err = 1;
}

static json_t *j_u64(uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *j_bool(bool v) { return json_boolean(v); }

/* Bytes from the file: valid UTF-8 kept, anything else U+FFFD. */
static json_t *j_raw(const char *s)
{
	if (!s)
		return json_null();
	size_t n = strlen(s);
	char small[PS_UTF8_BOUND(256)];
	char *buf = n <= 256 ? small : malloc(PS_UTF8_BOUND(n));
	if (!buf)
		return NULL;
	size_t m = ps_utf8_from_bytes(buf, (const uint8_t *)s, n);
	json_t *v = json_stringn_nocheck(buf, m); /* valid UTF-8 by construction */
	if (buf != small)
		free(buf);
	return v;
}

/* Already valid UTF-8 (ours, or converted at parse time). */
static json_t *j_utf8(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *j_latin1(const uint8_t *s, size_t n)
{
	char buf[PS_UTF8_BOUND(8) + 8];
	if (n > 8)
		n = 8;
	size_t m = ps_utf8_from_latin1(buf, s, n);
	return json_stringn(buf, m);
}

static json_t *j_hex(const uint8_t *p, size_t n)
{
	char buf[129];
	if (n > 64)
		n = 64;
	return json_string_nocheck(ps_hex(buf, p, n));
}

/* ps_time_iso: four-digit years always; null outside 0000-9999 or when absent. */
static json_t *j_time(int64_t t)
{
	char buf[PS_TIME_ISO_SIZE];
	return ps_time_iso(buf, t)[0] ? json_string_nocheck(buf) : json_null();
}

static json_t *j_entropy(double e)
{
	return json_real(round(e * 1e6) / 1e6);
}

static json_t *j_guid(const uint8_t g[16])
{
	/* Data1..3 are little-endian in the file; printed the way Windows shows GUIDs. */
	char buf[40];
	snprintf(buf, sizeof(buf), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
	         g[14], g[15]);
	return json_string(buf);
}

/* ---------------------------------------------------------------- findings */

static json_t *finding_json(jb *b, const ps_finding *f)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "id", json_string(f->id));
	set(b, o, "severity", json_string(ps_severity_name(f->severity)));
	set(b, o, "title", j_utf8(f->title));
	json_t *ev = chk(b, json_object());
	for (unsigned i = 0; ev && i < f->n_evidence; i++) {
		const ps_evidence *e = &f->evidence[i];
		json_t *v = NULL;
		switch (e->type) {
		case PS_EV_UINT:
		case PS_EV_OFFSET: v = j_u64(e->u); break;
		case PS_EV_INT: v = json_integer(e->i); break;
		case PS_EV_BOOL: v = json_boolean(e->u != 0); break;
		case PS_EV_TIME: v = j_time(e->i); break;
		case PS_EV_STR: v = j_utf8(e->s); break;
		}
		set(b, ev, e->key, v);
	}
	set(b, o, "evidence", ev);
	json_t *att = chk(b, json_array());
	for (unsigned i = 0; att && i < f->n_attack; i++)
		push(b, att, json_string(f->attack[i]));
	set(b, o, "attack", att);
	return o;
}

/* ---------------------------------------------------------------- PE parts */

static json_t *sections_json(jb *b, const ps_pe *pe)
{
	json_t *a = chk(b, json_array());
	for (size_t i = 0; a && i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		json_t *o = chk(b, json_object());
		if (!o)
			break;
		set(b, o, "name", j_latin1(s->name, s->name_len));
		set(b, o, "virtual_address", j_u64(s->virtual_address));
		set(b, o, "virtual_size", j_u64(s->virtual_size));
		set(b, o, "raw_offset", j_u64(s->raw_offset));
		set(b, o, "raw_size", j_u64(s->raw_size));
		set(b, o, "characteristics", j_u64(s->characteristics));
		set(b, o, "entropy", s->has_entropy ? j_entropy(s->entropy) : json_null());
		push(b, a, o);
	}
	return a;
}

static json_t *imports_json(jb *b, const ps_pe *pe, unsigned flags)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	size_t nd = 0, nn = 0;
	for (size_t i = 0; i < pe->n_import_dlls; i++) {
		if (pe->import_dlls[i].delay)
			nd++;
		else
			nn++;
	}
	set(b, o, "dll_count", j_u64(nn));
	set(b, o, "delay_dll_count", j_u64(nd));
	set(b, o, "function_count", j_u64(pe->n_imports_total));
	if (!(flags & PS_JSON_DETAIL))
		return o;
	json_t *dlls = chk(b, json_array());
	for (size_t i = 0; dlls && i < pe->n_import_dlls; i++) {
		const ps_import_dll *d = &pe->import_dlls[i];
		json_t *jd = chk(b, json_object());
		if (!jd)
			break;
		set(b, jd, "name", j_raw(d->name));
		set(b, jd, "delay", j_bool(d->delay));
		json_t *fns = chk(b, json_array());
		for (size_t k = 0; fns && k < d->n_imports; k++) {
			const ps_import *im = &d->imports[k];
			json_t *jf = chk(b, json_object());
			if (!jf)
				break;
			set(b, jf, "name", j_raw(im->name));
			set(b, jf, "ordinal", im->by_ordinal ? j_u64(im->ordinal) : json_null());
			set(b, jf, "ordinal_name", j_utf8(im->ordinal_name));
			set(b, jf, "hint", im->by_ordinal ? json_null() : j_u64(im->hint));
			push(b, fns, jf);
		}
		set(b, jd, "functions", fns);
		push(b, dlls, jd);
	}
	set(b, o, "dlls", dlls);
	return o;
}

static json_t *exports_json(jb *b, const ps_pe *pe, unsigned flags)
{
	const ps_exports *ex = &pe->exports;
	if (!ex->present)
		return json_null();
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "dll_name", j_raw(ex->dll_name));
	set(b, o, "timedatestamp", j_u64(ex->timedatestamp));
	set(b, o, "ordinal_base", j_u64(ex->ordinal_base));
	set(b, o, "count", j_u64(ex->n));
	size_t fwd = 0;
	for (size_t i = 0; i < ex->n; i++)
		fwd += ex->v[i].forwarder != NULL;
	set(b, o, "forwarder_count", j_u64(fwd));
	if (!(flags & PS_JSON_DETAIL))
		return o;
	json_t *a = chk(b, json_array());
	for (size_t i = 0; a && i < ex->n; i++) {
		const ps_export *e = &ex->v[i];
		json_t *je = chk(b, json_object());
		if (!je)
			break;
		set(b, je, "ordinal", j_u64(e->ordinal));
		set(b, je, "name", j_raw(e->name));
		set(b, je, "rva", j_u64(e->rva));
		set(b, je, "forwarder", j_raw(e->forwarder));
		push(b, a, je);
	}
	set(b, o, "entries", a);
	return o;
}

static json_t *resources_json(jb *b, const ps_pe *pe, unsigned flags)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "count", j_u64(pe->n_resources));
	set(b, o, "timedatestamp", j_u64(pe->resource_timedatestamp));
	if (!(flags & PS_JSON_DETAIL))
		return o;
	json_t *a = chk(b, json_array());
	for (size_t i = 0; a && i < pe->n_resources; i++) {
		const ps_resource *r = &pe->resources[i];
		json_t *jr = chk(b, json_object());
		if (!jr)
			break;
		/* type and name are always strings (an ID in decimal, a known type by its RT_ name),
		 * type_id and name_id the IDs (null for a named entry): a key that is a string in
		 * one document and an integer in another cannot be indexed. */
		const char *tn = ps_resource_type_name(r->type_id);
		char idbuf[16];
		snprintf(idbuf, sizeof(idbuf), "%" PRIu32, r->type_id);
		set(b, jr, "type", r->type_name ? j_utf8(r->type_name) : json_string(tn ? tn : idbuf));
		set(b, jr, "type_id", r->type_name ? json_null() : j_u64(r->type_id));
		snprintf(idbuf, sizeof(idbuf), "%" PRIu32, r->name_id);
		set(b, jr, "name", r->name ? j_utf8(r->name) : json_string(idbuf));
		set(b, jr, "name_id", r->name ? json_null() : j_u64(r->name_id));
		set(b, jr, "language", j_u64(r->lang));
		set(b, jr, "rva", j_u64(r->data_rva));
		set(b, jr, "size", j_u64(r->size));
		set(b, jr, "offset", r->offset == UINT64_MAX ? json_null() : j_u64(r->offset));
		push(b, a, jr);
	}
	set(b, o, "entries", a);
	return o;
}

static json_t *version_json(jb *b, const ps_pe *pe)
{
	const ps_version_info *v = &pe->version;
	if (!v->present)
		return json_null();
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	if (v->has_fixed) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v->file_version_ms >> 16, v->file_version_ms & 0xFFFF,
		         v->file_version_ls >> 16, v->file_version_ls & 0xFFFF);
		set(b, o, "fixed_file_version", json_string(buf));
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v->product_version_ms >> 16, v->product_version_ms & 0xFFFF,
		         v->product_version_ls >> 16, v->product_version_ls & 0xFFFF);
		set(b, o, "fixed_product_version", json_string(buf));
		set(b, o, "file_flags", j_u64(v->file_flags));
		set(b, o, "file_os", j_u64(v->file_os));
		set(b, o, "file_type", j_u64(v->file_type));
	} else {
		set(b, o, "fixed_file_version", json_null());
		set(b, o, "fixed_product_version", json_null());
		set(b, o, "file_flags", json_null());
		set(b, o, "file_os", json_null());
		set(b, o, "file_type", json_null());
	}
	json_t *s = chk(b, json_array());
	for (size_t i = 0; s && i < v->n_strings; i++) {
		json_t *kv = chk(b, json_object());
		if (!kv)
			break;
		set(b, kv, "key", j_utf8(v->strings[i].key));
		set(b, kv, "value", j_utf8(v->strings[i].value));
		push(b, s, kv);
	}
	set(b, o, "strings", s);
	return o;
}

static json_t *debug_json(jb *b, const ps_pe *pe)
{
	json_t *a = chk(b, json_array());
	for (size_t i = 0; a && i < pe->n_debug; i++) {
		const ps_debug_entry *d = &pe->debug[i];
		json_t *o = chk(b, json_object());
		if (!o)
			break;
		const char *tn = ps_debug_type_name(d->type);
		set(b, o, "type", j_u64(d->type));
		set(b, o, "type_name", tn ? json_string(tn) : json_null());
		set(b, o, "timedatestamp", j_u64(d->timedatestamp));
		set(b, o, "size", j_u64(d->size_of_data));
		set(b, o, "rva", j_u64(d->address_of_raw_data));
		set(b, o, "offset", j_u64(d->pointer_to_raw_data));
		if (d->has_codeview) {
			json_t *cv = chk(b, json_object());
			if (cv) {
				set(b, cv, "format", json_string(d->cv_format));
				if (strcmp(d->cv_format, "NB10") != 0) { /* RSDS, MTOC: a GUID/UUID */
					set(b, cv, "guid", j_guid(d->guid));
					set(b, cv, "signature", json_null());
				} else {
					set(b, cv, "guid", json_null());
					set(b, cv, "signature", j_u64(d->nb10_signature));
				}
				set(b, cv, "age", j_u64(d->age));
				set(b, cv, "pdb_path", j_raw(d->pdb_path));
			}
			set(b, o, "codeview", cv);
		} else {
			set(b, o, "codeview", json_null());
		}
		push(b, a, o);
	}
	return a;
}

static json_t *tls_json(jb *b, const ps_pe *pe)
{
	const ps_tls *t = &pe->tls;
	if (!t->present)
		return json_null();
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "callbacks_va", j_u64(t->callbacks_va));
	json_t *a = chk(b, json_array());
	for (size_t i = 0; a && i < t->n_callbacks; i++)
		push(b, a, j_u64(t->callbacks[i]));
	set(b, o, "callbacks", a);
	return o;
}

static json_t *rich_json(jb *b, const ps_pe *pe, unsigned flags)
{
	const ps_rich *r = &pe->rich;
	if (!r->present)
		return json_null();
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "offset", j_u64(r->offset));
	set(b, o, "key", j_u64(r->key));
	set(b, o, "checksum_valid", j_bool(r->checksum_valid));
	set(b, o, "computed_checksum", j_u64(r->computed_checksum));
	set(b, o, "entry_count", j_u64(r->n_entries));
	if (flags & PS_JSON_DETAIL) {
		json_t *a = chk(b, json_array());
		for (size_t i = 0; a && i < r->n_entries; i++) {
			json_t *e = chk(b, json_object());
			if (!e)
				break;
			set(b, e, "product_id", j_u64(r->entries[i].product_id));
			set(b, e, "build", j_u64(r->entries[i].build));
			set(b, e, "count", j_u64(r->entries[i].count));
			push(b, a, e);
		}
		set(b, o, "entries", a);
	}
	return o;
}

static json_t *clr_json(jb *b, const ps_pe *pe)
{
	const ps_clr *c = &pe->clr;
	if (!c->present)
		return json_null();
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	char buf[32];
	snprintf(buf, sizeof(buf), "%u.%u", c->major_runtime_version, c->minor_runtime_version);
	set(b, o, "runtime_version", json_string(buf));
	set(b, o, "flags", j_u64(c->flags));
	set(b, o, "entry_point_token", j_u64(c->entry_point_token));
	set(b, o, "metadata_version", j_raw(c->metadata_version));
	return o;
}

static json_t *pe_json(jb *b, const ps_report *r, unsigned flags)
{
	const ps_pe *pe = r->pe;
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	const ps_optional_header *oh = &pe->opt;
	set(b, o, "format", json_string(r->format_detail));
	set(b, o, "machine", j_u64(pe->coff.machine));
	set(b, o, "architecture", json_string(ps_machine_name(pe->coff.machine)));
	set(b, o, "is_dll", j_bool(pe->coff.characteristics & 0x2000));
	set(b, o, "subsystem", j_u64(oh->subsystem));
	set(b, o, "subsystem_name", json_string(ps_subsystem_name(oh->subsystem)));
	set(b, o, "timedatestamp", j_u64(pe->coff.timedatestamp));
	/* A REPRO debug entry means the field holds a hash of the build, not a time; zero is
	 * no time at all. Neither is rendered as a date. */
	bool real_time = pe->coff.timedatestamp && !pe->has_repro;
	set(b, o, "compile_time", real_time ? j_time(pe->coff.timedatestamp) : json_null());
	set(b, o, "entry_point", j_u64(oh->address_of_entry_point));
	set(b, o, "image_base", j_u64(oh->image_base));
	set(b, o, "imphash", json_string(pe->imphash));
	json_t *ah = chk(b, json_object());
	if (ah) {
		unsigned m = pe->authentihash_computed;
		set(b, ah, "md5", (m & PS_HASH_MD5) ? j_hex(pe->authentihash_md5, 16) : json_null());
		set(b, ah, "sha1", (m & PS_HASH_SHA1) ? j_hex(pe->authentihash_sha1, 20) : json_null());
		set(b, ah, "sha256", (m & PS_HASH_SHA256) ? j_hex(pe->authentihash_sha256, 32) : json_null());
		set(b, ah, "sha256_sections",
		    pe->has_authentihash_sections ? j_hex(pe->authentihash_sections_sha256, 32) : json_null());
	}
	set(b, o, "authentihash", ah);
	set(b, o, "rich_hash", pe->rich.present ? j_hex(pe->rich.hash_md5, 16) : json_null());
	set(b, o, "original_file_name", j_utf8(ps_version_string(pe, "OriginalFilename")));
	set(b, o, "company", j_utf8(ps_version_string(pe, "CompanyName")));
	set(b, o, "product", j_utf8(ps_version_string(pe, "ProductName")));
	set(b, o, "file_version", j_utf8(ps_version_string(pe, "FileVersion")));
	set(b, o, "description", j_utf8(ps_version_string(pe, "FileDescription")));
	if (pe->has_overlay) {
		json_t *ov = chk(b, json_object());
		if (ov) {
			set(b, ov, "offset", j_u64(pe->overlay_offset));
			set(b, ov, "size", j_u64(pe->overlay_size));
		}
		set(b, o, "overlay", ov);
	} else {
		set(b, o, "overlay", json_null());
	}
	set(b, o, "sections", sections_json(b, pe));

	set(b, o, "characteristics", j_u64(pe->coff.characteristics));
	set(b, o, "dll_characteristics", j_u64(oh->dll_characteristics));
	set(b, o, "number_of_sections", j_u64(pe->coff.number_of_sections));
	set(b, o, "size_of_image", j_u64(oh->size_of_image));
	set(b, o, "size_of_headers", j_u64(oh->size_of_headers));
	set(b, o, "section_alignment", j_u64(oh->section_alignment));
	set(b, o, "file_alignment", j_u64(oh->file_alignment));
	char buf[32];
	snprintf(buf, sizeof(buf), "%u.%u", oh->major_linker_version, oh->minor_linker_version);
	set(b, o, "linker_version", json_string(buf));
	snprintf(buf, sizeof(buf), "%u.%u", oh->major_os_version, oh->minor_os_version);
	set(b, o, "os_version", json_string(buf));
	json_t *ck = chk(b, json_object());
	if (ck) {
		set(b, ck, "stored", j_u64(pe->checksum_stored));
		set(b, ck, "computed", j_u64(pe->checksum_computed));
		set(b, ck, "valid", j_bool(pe->checksum_stored == pe->checksum_computed));
	}
	set(b, o, "checksum", ck);
	json_t *dd = chk(b, json_array());
	for (unsigned i = 0; dd && i < pe->n_directories; i++) {
		json_t *d = chk(b, json_object());
		if (!d)
			break;
		set(b, d, "name", json_string(ps_directory_name(i)));
		set(b, d, "rva", j_u64(pe->dirs[i].rva));
		set(b, d, "size", j_u64(pe->dirs[i].size));
		push(b, dd, d);
	}
	set(b, o, "data_directories", dd);
	if (pe->has_certificate_table) {
		json_t *ct = chk(b, json_object());
		if (ct) {
			set(b, ct, "offset", j_u64(pe->certificate_table_offset));
			set(b, ct, "size", j_u64(pe->certificate_table_size));
			set(b, ct, "in_file", j_bool(pe->certificate_table_in_file));
		}
		set(b, o, "certificate_table", ct);
	} else {
		set(b, o, "certificate_table", json_null());
	}
	set(b, o, "imports", imports_json(b, pe, flags));
	set(b, o, "exports", exports_json(b, pe, flags));
	set(b, o, "resources", resources_json(b, pe, flags));
	set(b, o, "version_info", version_json(b, pe));
	set(b, o, "debug", debug_json(b, pe));
	set(b, o, "reproducible", j_bool(pe->has_repro));
	set(b, o, "tls", tls_json(b, pe));
	set(b, o, "rich", rich_json(b, pe, flags));
	set(b, o, "dotnet", j_bool(pe->clr.present));
	set(b, o, "clr", clr_json(b, pe));
	return o;
}

static json_t *hashes_json(jb *b, const ps_hashes *h)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "md5", (h->computed & PS_HASH_MD5) ? j_hex(h->md5, 16) : json_null());
	set(b, o, "sha1", (h->computed & PS_HASH_SHA1) ? j_hex(h->sha1, 20) : json_null());
	set(b, o, "sha256", (h->computed & PS_HASH_SHA256) ? j_hex(h->sha256, 32) : json_null());
	return o;
}

static json_t *j_opt_time(int64_t t) { return t == PS_TIME_NONE ? json_null() : j_time(t); }

static json_t *cert_json(jb *b, const ps_cert *c)
{
	if (!c)
		return json_null();
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "subject", j_utf8(c->subject));
	set(b, o, "issuer", j_utf8(c->issuer));
	set(b, o, "serial", j_utf8(c->serial));
	set(b, o, "sha1", j_hex(c->sha1, 20));
	set(b, o, "sha256", j_hex(c->sha256, 32));
	set(b, o, "not_before", j_opt_time(c->not_before));
	set(b, o, "not_after", j_opt_time(c->not_after));
	set(b, o, "email", j_utf8(c->email));
	set(b, o, "key_type", j_utf8(c->key_type));
	set(b, o, "key_bits", j_u64(c->key_bits));
	set(b, o, "self_issued", j_bool(c->self_issued));
	set(b, o, "is_ca", j_bool(c->is_ca));
	json_t *eku = chk(b, json_array());
	if (eku && c->has_eku) {
		if (c->eku_code_signing)
			push(b, eku, json_string("codeSigning"));
		if (c->eku_time_stamping)
			push(b, eku, json_string("timeStamping"));
		if (c->eku_any)
			push(b, eku, json_string("anyExtendedKeyUsage"));
	}
	set(b, o, "eku", c->has_eku ? eku : (json_decref(eku), json_null()));
	return o;
}

static const char *ts_kind_name(ps_ts_kind k)
{
	return k == PS_TS_RFC3161 ? "rfc3161" : k == PS_TS_PKCS9 ? "pkcs9" : "none";
}

static json_t *timestamp_json(jb *b, const ps_timestamp *t)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "kind", json_string(ts_kind_name(t->kind)));
	set(b, o, "time", j_opt_time(t->time));
	set(b, o, "verified", j_bool(t->verified));
	set(b, o, "tsa_subject", t->tsa ? j_utf8(t->tsa->subject) : json_null());
	set(b, o, "digest_algorithm", j_utf8(t->digest_algorithm));
	set(b, o, "imprint_ok", j_bool(t->imprint_ok));
	set(b, o, "signature_ok", j_bool(t->signature_ok));
	set(b, o, "chain_trusted", j_bool(t->chain_trusted));
	set(b, o, "error", j_utf8(t->verified ? NULL : t->chain_error));
	return o;
}

static json_t *revocation_json(jb *b, const ps_revocation *r)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	static const char *states[] = {"unknown", "good", "revoked"};
	set(b, o, "cert_sha256", r->cert ? j_hex(r->cert->sha256, 32) : json_null());
	set(b, o, "subject", r->cert ? j_utf8(r->cert->subject) : json_null());
	set(b, o, "tsa", j_bool(r->tsa));
	set(b, o, "state", json_string(states[r->state]));
	set(b, o, "revoked", j_bool(r->state == PS_REV_REVOKED));
	set(b, o, "revocation_time", j_opt_time(r->revocation_time));
	set(b, o, "reason", r->state == PS_REV_REVOKED ? json_string(ps_crl_reason_name(r->reason)) : json_null());
	set(b, o, "reason_code_present", j_bool(r->state == PS_REV_REVOKED && r->reason != PS_REASON_NONE));
	set(b, o, "invalidity_date", j_opt_time(r->invalidity_date));
	set(b, o, "judged_at", j_opt_time(r->judged_at));
	set(b, o, "signed_after_revocation", j_bool(r->signed_after_revocation));
	set(b, o, "voids_signature", j_bool(r->voids));
	set(b, o, "crl_issuer", j_utf8(r->crl_issuer));
	set(b, o, "crl_this_update", j_opt_time(r->crl_this_update));
	set(b, o, "crl_next_update", j_opt_time(r->crl_next_update));
	return o;
}

static json_t *signature_json(jb *b, const ps_signature *s, unsigned flags)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	set(b, o, "index", j_u64(s->index));
	set(b, o, "entry", j_u64(s->entry));
	set(b, o, "depth", j_u64(s->depth));
	set(b, o, "parent", s->parent < 0 ? json_null() : json_integer(s->parent));
	set(b, o, "offset", j_u64(s->offset));
	set(b, o, "parsed", j_bool(s->parsed));
	set(b, o, "parse_error", j_utf8(s->parse_error));
	set(b, o, "digest_algorithm", j_utf8(s->digest_algorithm));
	set(b, o, "signed_digest", s->digest_len ? j_hex(s->signed_digest, s->digest_len) : json_null());
	set(b, o, "computed_digest", s->computed ? j_hex(s->computed_digest, s->digest_len) : json_null());
	set(b, o, "digest_ok", j_bool(s->digest_ok));
	set(b, o, "section_digest", s->computed ? j_hex(s->section_digest, s->digest_len) : json_null());
	set(b, o, "section_digest_ok", j_bool(s->section_digest_ok));
	if (s->has_page_hashes) {
		json_t *ph = chk(b, json_object());
		if (ph) {
			set(b, ph, "algorithm", j_utf8(s->page_hash_algorithm));
			set(b, ph, "checked", j_bool(s->page_hashes_checked));
			set(b, ph, "ok", j_bool(s->page_hashes_ok));
			set(b, ph, "first_mismatch", s->page_hashes_checked && !s->page_hashes_ok && s->page_hash_mismatch != UINT64_MAX
			                                 ? j_u64(s->page_hash_mismatch) : json_null());
		}
		set(b, o, "page_hashes", ph);
	} else {
		set(b, o, "page_hashes", json_null());
	}
	set(b, o, "signer_digest_algorithm", j_utf8(s->signer_digest_algorithm));
	set(b, o, "message_digest_ok", j_bool(s->message_digest_ok));
	set(b, o, "signature_ok", j_bool(s->signature_ok));
	set(b, o, "program_name", j_utf8(s->program_name));
	set(b, o, "program_url", j_utf8(s->program_url));
	set(b, o, "signer", cert_json(b, s->signer));
	json_t *chain = chk(b, json_array());
	for (size_t i = 0; chain && i < s->n_chain; i++)
		push(b, chain, cert_json(b, s->chain[i]));
	set(b, o, "chain", chain);
	const ps_timestamp *best = NULL;
	for (size_t i = 0; i < s->n_timestamps && !best; i++)
		if (s->timestamps[i].verified)
			best = &s->timestamps[i];
	if (!best && s->n_timestamps)
		best = &s->timestamps[0];
	set(b, o, "timestamp", best ? timestamp_json(b, best) : json_null());
	set(b, o, "claimed_signing_time", j_opt_time(s->claimed_signing_time));
	set(b, o, "signing_time", j_opt_time(s->signing_time));
	set(b, o, "evaluated_at", j_opt_time(s->evaluated_at));
	json_t *rv = chk(b, json_array());
	for (size_t i = 0; rv && i < s->n_revocation; i++)
		push(b, rv, revocation_json(b, &s->revocation[i]));
	set(b, o, "revocation", rv);
	set(b, o, "blocklisted", j_bool(s->blocklisted));
	set(b, o, "valid", j_bool(s->valid));
	set(b, o, "trusted", j_bool(s->trusted));
	set(b, o, "status", j_utf8(s->status));
	if (flags & PS_JSON_DETAIL) {
		json_t *certs = chk(b, json_array());
		for (size_t i = 0; certs && i < s->n_certs; i++)
			push(b, certs, cert_json(b, &s->certs[i]));
		set(b, o, "certificates", certs);
		json_t *tss = chk(b, json_array());
		for (size_t i = 0; tss && i < s->n_timestamps; i++)
			push(b, tss, timestamp_json(b, &s->timestamps[i]));
		set(b, o, "timestamps", tss);
	}
	return o;
}

static json_t *signatures_json(jb *b, const ps_report *r, unsigned flags)
{
	json_t *a = chk(b, json_array());
	for (size_t i = 0; a && r->pe && i < r->pe->n_signatures; i++)
		push(b, a, signature_json(b, &r->pe->signatures[i], flags));
	return a;
}

static json_t *code_signature_json(jb *b, const ps_report *r)
{
	json_t *o = chk(b, json_object());
	if (!o)
		return NULL;
	const ps_pe *pe = r->pe;
	const ps_signature *p = pe ? pe->primary : NULL;
	set(b, o, "exists", j_bool(pe && pe->has_certificate_table));
	set(b, o, "status", json_string(pe && pe->signature_status ? pe->signature_status : "NotSigned"));
	set(b, o, "trusted", j_bool(p && p->trusted));
	set(b, o, "valid", j_bool(p && p->valid));
	set(b, o, "subject_name", p && p->signer ? j_utf8(p->signer->subject_cn) : json_null());
	set(b, o, "timestamp", p ? j_opt_time(p->signing_time) : json_null());
	return o;
}

static const char *format_name(ps_format f)
{
	switch (f) {
	case PS_FORMAT_PE: return "pe";
	case PS_FORMAT_MZ: return "mz";
	default: return "unknown";
	}
}

/* ECS: the version of the schema the field names follow. */
#define PS_ECS_VERSION "8.11.0"

/* The last component of a path (ECS file.name). */
static json_t *j_basename(const char *path)
{
	if (!path)
		return json_null();
	const char *slash = strrchr(path, '/');
	return j_raw(slash ? slash + 1 : path);
}

static json_t *j_strings1(const char *s)
{
	json_t *a = json_array();
	if (a && json_array_append_new(a, json_string(s)) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* @timestamp, ecs.version and event.*: what makes each line an ECS event that
 * Elasticsearch, OpenSearch and Kibana file by time. A report is event.kind "alert" when
 * its verdict is high or critical (a detection, as an EDR or IDS would report it), otherwise
 * "event"; event.outcome says whether the file could be analyzed. */
static void ecs_event(jb *b, json_t *root, const char *kind, const char *outcome)
{
	set(b, root, "@timestamp", j_time((int64_t)time(NULL)));
	json_t *ecs = chk(b, json_object());
	if (ecs)
		set(b, ecs, "version", json_string(PS_ECS_VERSION));
	set(b, root, "ecs", ecs);
	json_t *ev = chk(b, json_object());
	if (ev) {
		set(b, ev, "kind", json_string(kind));
		set(b, ev, "category", j_strings1("file"));
		set(b, ev, "type", j_strings1("info"));
		set(b, ev, "module", json_string("pesleuth"));
		set(b, ev, "dataset", json_string("pesleuth.file"));
		set(b, ev, "outcome", json_string(outcome));
	}
	set(b, root, "event", ev);
}

/* The dumped text, in a buffer of ours (malloc), not jansson's. */
typedef struct obuf {
	char *p;
	size_t n, cap;
} obuf;

static int obuf_put(const char *buffer, size_t size, void *data)
{
	obuf *o = data;
	if (size < o->cap - o->n) { /* nearly every token */
		memcpy(o->p + o->n, buffer, size);
		o->n += size;
		return 0;
	}
	{
		size_t cap = o->cap ? o->cap : 4096;
		while (cap - o->n <= size) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		char *p = realloc(o->p, cap);
		if (!p)
			return -1;
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->n, buffer, size);
	o->n += size;
	return 0;
}

static int dump(char **out, json_t *root, unsigned flags, jb *b, jarena *a)
{
	*out = NULL;
	int rc = PS_ENOMEM;
	obuf o = {0};
	size_t jf = JSON_REAL_PRECISION(12) | ((flags & PS_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT);
	if (!b->err && root && json_dump_callback(root, obuf_put, &o, jf) == 0 && obuf_put("", 1, &o) == 0) {
		*out = o.p;
		rc = PS_OK;
	} else {
		free(o.p);
	}
	if (!a)
		json_decref(root); /* an arena's tree is dropped with the arena */
	arena_end(a);
	return rc;
}

int ps_report_json(char **out, const ps_report *r, unsigned flags)
{
	jb b = {0};
	jarena *a = arena_begin();
	json_t *root = chk(&b, json_object());
	if (root) {
		set(&b, root, "path", r->path ? j_raw(r->path) : json_null());
		json_t *file = chk(&b, json_object());
		if (file) {
			set(&b, file, "path", j_raw(r->path));
			set(&b, file, "name", j_basename(r->path));
			set(&b, file, "size", j_u64(r->size));
			set(&b, file, "hash", hashes_json(&b, &r->hashes));
			set(&b, file, "type", json_string(format_name(r->format)));
			set(&b, file, "format_detail", json_string(r->format_detail ? r->format_detail : "unknown"));
			set(&b, file, "pe", r->pe ? pe_json(&b, r, flags) : json_null());
			set(&b, file, "code_signature", code_signature_json(&b, r));
		}
		set(&b, root, "file", file);
		set(&b, root, "signatures", signatures_json(&b, r, flags));
		json_t *tl = chk(&b, json_array());
		for (size_t i = 0; tl && r->pe && i < r->pe->n_timeline; i++) {
			const ps_time_point *p = &r->pe->timeline[i];
			json_t *pt = chk(&b, json_object());
			if (!pt)
				break;
			set(&b, pt, "time", j_time(p->time));
			set(&b, pt, "event", json_string(p->event));
			set(&b, pt, "detail", j_utf8(p->detail));
			push(&b, tl, pt);
		}
		set(&b, root, "timeline", tl);
		json_t *fa = chk(&b, json_array());
		for (size_t i = 0; fa && i < r->n_findings; i++)
			push(&b, fa, finding_json(&b, &r->findings[i]));
		set(&b, root, "findings", fa);
		set(&b, root, "verdict", json_string(ps_report_verdict(r)));
		ecs_event(&b, root, r->worst >= PS_SEV_HIGH ? "alert" : "event", "success");
	}
	return dump(out, root, flags, &b, a);
}

int ps_error_json(char **out, const char *path, int err, int errno_value)
{
	jb b = {0};
	jarena *a = arena_begin();
	json_t *root = chk(&b, json_object());
	if (root) {
		set(&b, root, "path", path ? j_raw(path) : json_null());
		json_t *e = chk(&b, json_object());
		if (e) {
			set(&b, e, "code", json_string(ps_strerror(err)));
			set(&b, e, "message", json_string(errno_value ? strerror(errno_value) : ps_strerror(err)));
		}
		set(&b, root, "error", e);
		/* no "file" object: consumers tell a report from an error record by it */
		ecs_event(&b, root, "event", "failure");
	}
	return dump(out, root, 0, &b, a);
}
