#include "pebuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(pb_buf *b, size_t need)
{
	if (b->n + need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + need)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		abort();
	b->p = p;
	b->cap = cap;
}

void pb_put(pb_buf *b, const void *p, size_t n)
{
	grow(b, n);
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}
void pb_put8(pb_buf *b, uint8_t v) { pb_put(b, &v, 1); }
void pb_put16(pb_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	pb_put(b, x, 2);
}
void pb_put32(pb_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	pb_put(b, x, 4);
}
void pb_put64(pb_buf *b, uint64_t v)
{
	pb_put32(b, (uint32_t)v);
	pb_put32(b, (uint32_t)(v >> 32));
}
void pb_zero(pb_buf *b, size_t n)
{
	grow(b, n);
	memset(b->p + b->n, 0, n);
	b->n += n;
}
void pb_align(pb_buf *b, size_t a)
{
	if (a && b->n % a)
		pb_zero(b, a - b->n % a);
}
void pb_str(pb_buf *b, const char *s) { pb_put(b, s, strlen(s) + 1); }
void pb_wstr(pb_buf *b, const char *s)
{
	for (; *s; s++)
		pb_put16(b, (uint8_t)*s);
	pb_put16(b, 0);
}
void pb_set16(pb_buf *b, size_t off, uint16_t v)
{
	b->p[off] = (uint8_t)v;
	b->p[off + 1] = (uint8_t)(v >> 8);
}
void pb_set32(pb_buf *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[off + i] = (uint8_t)(v >> (8 * i));
}
void pb_buf_free(pb_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void pb_init(pb_image *im, bool pe32plus)
{
	memset(im, 0, sizeof(*im));
	im->pe32plus = pe32plus;
	im->machine = pe32plus ? 0x8664 : 0x014c;
	im->characteristics = 0x0102 | (pe32plus ? 0x0020 : 0);
	im->subsystem = 3;
	im->dll_characteristics = 0x8140;
	im->timedatestamp = 0x5F5E1000; /* 2020-09-13 */
	im->file_alignment = 0x200;
	im->section_alignment = 0x1000;
	im->image_base = pe32plus ? 0x140000000ull : 0x400000;
	im->number_of_rva_and_sizes = 16;
}

unsigned pb_add_section(pb_image *im, const char *name, uint32_t characteristics)
{
	if (im->n_sections >= PB_MAX_SECTIONS)
		abort();
	pb_section *s = &im->sections[im->n_sections];
	memset(s, 0, sizeof(*s));
	strncpy(s->name, name, sizeof(s->name));
	s->characteristics = characteristics;
	return im->n_sections++;
}

uint32_t pb_section_rva(unsigned index) { return (index + 1) * PB_SECTION_STRIDE; }

static size_t align_up(size_t v, size_t a) { return a ? (v + a - 1) / a * a : v; }

uint8_t *pb_build(const pb_image *im, size_t *len)
{
	pb_buf b = {0};
	/* DOS header */
	size_t lfanew = align_up(64 + im->stub.n, 8);
	pb_put16(&b, 0x5A4D);
	pb_zero(&b, 0x3C - 2);
	pb_put32(&b, (uint32_t)lfanew);
	pb_put(&b, im->stub.p, im->stub.n);
	pb_zero(&b, lfanew - b.n);
	/* PE signature + COFF header */
	size_t opt_size = (im->pe32plus ? 112 : 96) + 8u * im->number_of_rva_and_sizes;
	pb_put32(&b, 0x00004550);
	pb_put16(&b, im->machine);
	pb_put16(&b, (uint16_t)im->n_sections);
	pb_put32(&b, im->timedatestamp);
	pb_put32(&b, 0);
	pb_put32(&b, 0);
	pb_put16(&b, (uint16_t)opt_size);
	pb_put16(&b, im->characteristics);
	size_t opt = b.n;
	size_t headers = align_up(opt + opt_size + 40u * im->n_sections, im->file_alignment);
	uint32_t image_size = (uint32_t)align_up(pb_section_rva(im->n_sections), im->section_alignment);
	uint32_t code_size = 0;
	/* optional header */
	pb_put16(&b, im->pe32plus ? 0x20b : 0x10b);
	pb_put8(&b, 14);
	pb_put8(&b, 0);
	pb_put32(&b, code_size);
	pb_put32(&b, 0);
	pb_put32(&b, 0);
	pb_put32(&b, im->entry_point);
	pb_put32(&b, im->n_sections ? pb_section_rva(0) : 0);
	if (im->pe32plus) {
		pb_put64(&b, im->image_base);
	} else {
		pb_put32(&b, 0);
		pb_put32(&b, (uint32_t)im->image_base);
	}
	pb_put32(&b, im->section_alignment);
	pb_put32(&b, im->file_alignment);
	pb_put16(&b, 6);
	pb_put16(&b, 0);
	pb_put16(&b, 0);
	pb_put16(&b, 0);
	pb_put16(&b, 6);
	pb_put16(&b, 0);
	pb_put32(&b, 0);
	pb_put32(&b, image_size);
	pb_put32(&b, (uint32_t)headers);
	size_t checksum_off = b.n;
	pb_put32(&b, im->checksum);
	pb_put16(&b, im->subsystem);
	pb_put16(&b, im->dll_characteristics);
	for (int i = 0; i < 4; i++) {
		if (im->pe32plus)
			pb_put64(&b, 0x100000);
		else
			pb_put32(&b, 0x100000);
	}
	pb_put32(&b, 0);
	pb_put32(&b, im->number_of_rva_and_sizes);
	for (uint32_t i = 0; i < im->number_of_rva_and_sizes; i++) {
		pb_put32(&b, i < 16 ? im->dir_rva[i] : 0);
		pb_put32(&b, i < 16 ? im->dir_size[i] : 0);
	}
	/* section table */
	size_t raw = headers;
	for (unsigned i = 0; i < im->n_sections; i++) {
		const pb_section *s = &im->sections[i];
		size_t rsize = align_up(s->data.n, im->file_alignment);
		pb_put(&b, s->name, 8);
		pb_put32(&b, s->virtual_size ? s->virtual_size : (uint32_t)(s->data.n ? s->data.n : 1));
		pb_put32(&b, pb_section_rva(i));
		pb_put32(&b, (uint32_t)rsize);
		pb_put32(&b, rsize ? (uint32_t)raw : 0);
		pb_zero(&b, 12);
		pb_put32(&b, s->characteristics);
		raw += rsize;
	}
	pb_zero(&b, headers - b.n);
	for (unsigned i = 0; i < im->n_sections; i++) {
		pb_put(&b, im->sections[i].data.p, im->sections[i].data.n);
		pb_align(&b, im->file_alignment);
	}
	pb_put(&b, im->overlay.p, im->overlay.n);
	if (im->fix_checksum) {
		uint64_t sum = 0;
		for (size_t i = 0; i < b.n; i += 4) {
			uint32_t d = 0;
			for (size_t k = 0; k < 4 && i + k < b.n; k++)
				d |= (uint32_t)b.p[i + k] << (8 * k);
			if (i != checksum_off)
				sum += d;
		}
		while (sum >> 32)
			sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
		sum = (sum & 0xFFFF) + (sum >> 16);
		sum += sum >> 16;
		pb_set32(&b, checksum_off, (uint32_t)((sum & 0xFFFF) + b.n));
	}
	*len = b.n;
	return b.p;
}

void pb_image_free(pb_image *im)
{
	for (unsigned i = 0; i < im->n_sections; i++)
		pb_buf_free(&im->sections[i].data);
	pb_buf_free(&im->stub);
	pb_buf_free(&im->overlay);
}

uint32_t pb_imports(pb_image *im, unsigned section, const char *const *dlls, size_t n)
{
	pb_buf *d = &im->sections[section].data;
	uint32_t base = pb_section_rva(section);
	size_t tsize = im->pe32plus ? 8 : 4;
	pb_align(d, 4);
	size_t desc = d->n;
	pb_zero(d, 20 * (n + 1));
	for (size_t i = 0; i < n; i++) {
		char spec[1024];
		snprintf(spec, sizeof(spec), "%s", dlls[i]);
		char *colon = strchr(spec, ':');
		char *funcs = colon ? colon + 1 : NULL;
		if (colon)
			*colon = 0;
		/* names and hint/name entries first, then the two thunk tables */
		size_t dll_name = d->n;
		pb_str(d, spec);
		uint64_t thunk[256];
		size_t nt = 0;
		for (char *save = NULL, *f = funcs ? strtok_r(funcs, ",", &save) : NULL; f && nt < 256;
		     f = strtok_r(NULL, ",", &save)) {
			if (f[0] == '#') {
				uint64_t flag = im->pe32plus ? 1ull << 63 : 1ull << 31;
				thunk[nt++] = flag | (uint64_t)strtoul(f + 1, NULL, 10);
			} else {
				pb_align(d, 2);
				thunk[nt++] = base + d->n;
				pb_put16(d, 0);
				pb_str(d, f);
			}
		}
		pb_align(d, tsize);
		size_t ilt = d->n;
		for (size_t k = 0; k <= nt; k++)
			im->pe32plus ? pb_put64(d, k < nt ? thunk[k] : 0) : pb_put32(d, k < nt ? (uint32_t)thunk[k] : 0);
		size_t iat = d->n;
		for (size_t k = 0; k <= nt; k++)
			im->pe32plus ? pb_put64(d, k < nt ? thunk[k] : 0) : pb_put32(d, k < nt ? (uint32_t)thunk[k] : 0);
		pb_set32(d, desc + 20 * i + 0, base + (uint32_t)ilt);
		pb_set32(d, desc + 20 * i + 12, base + (uint32_t)dll_name);
		pb_set32(d, desc + 20 * i + 16, base + (uint32_t)iat);
	}
	im->dir_rva[1] = base + (uint32_t)desc;
	im->dir_size[1] = (uint32_t)(20 * (n + 1));
	return im->dir_rva[1];
}

void pb_rich(pb_image *im, bool break_checksum)
{
	/* The checksum covers the 64-byte DOS header (minus e_lfanew) as pb_build writes it:
	 * "MZ" then zeros; and the stub bytes before DanS (none here). */
	uint32_t ids[3] = {(259u << 16) | 29395, (261u << 16) | 29395, (1u << 16) | 0};
	uint32_t counts[3] = {4, 22, 270};
	uint32_t dans = 0x40, csum = dans;
	uint8_t hdr[64] = {'M', 'Z'};
	for (uint32_t i = 0; i < dans; i++) {
		if (i >= 0x3C)
			continue;
		uint32_t v = hdr[i], n = i & 31;
		csum += n ? (v << n) | (v >> (32 - n)) : v;
	}
	for (int k = 0; k < 3; k++) {
		uint32_t n = counts[k] & 31;
		csum += n ? (ids[k] << n) | (ids[k] >> (32 - n)) : ids[k];
	}
	uint32_t key = break_checksum ? csum ^ 1 : csum;
	pb_put32(&im->stub, 0x536E6144 ^ key);
	pb_put32(&im->stub, key);
	pb_put32(&im->stub, key);
	pb_put32(&im->stub, key);
	for (int k = 0; k < 3; k++) {
		pb_put32(&im->stub, ids[k] ^ key);
		pb_put32(&im->stub, counts[k] ^ key);
	}
	pb_put32(&im->stub, 0x68636952);
	pb_put32(&im->stub, key);
}
