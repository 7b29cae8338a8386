#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PS_CHUNK_SIZE ((size_t)64 << 10)

struct ps_chunk {
	ps_chunk *next;
	size_t size, used;
	max_align_t data[];
};

void ps_arena_init(ps_arena *a, size_t cap)
{
	a->head = NULL;
	a->total = 0;
	a->cap = cap;
	a->exhausted = false;
}

void ps_arena_release(ps_arena *a)
{
	ps_chunk *c = a->head;
	while (c) {
		ps_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

static ps_chunk *new_chunk(ps_arena *a, size_t need)
{
	size_t size = need > PS_CHUNK_SIZE ? need : PS_CHUNK_SIZE;
	if (size > a->cap || a->total > a->cap - size) {
		a->exhausted = true;
		return NULL;
	}
	ps_chunk *c = malloc(sizeof(*c) + size);
	if (!c) {
		a->exhausted = true;
		return NULL;
	}
	c->size = size;
	c->used = 0;
	a->total += size;
	/* A big block goes behind the head so the head keeps serving small requests. */
	if (need > PS_CHUNK_SIZE / 2 && a->head) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c;
}

void *ps_arena_alloc(ps_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - 15) {
		a->exhausted = true;
		return NULL;
	}
	n = (n + 15) & ~(size_t)15;
	ps_chunk *c = a->head;
	if (!c || n > c->size - c->used) {
		c = new_chunk(a, n);
		if (!c)
			return NULL;
		if (c != a->head) { /* dedicated big block */
			c->used = n;
			memset(c->data, 0, n);
			return c->data;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

void *ps_arena_array(ps_arena *a, size_t n, size_t sz)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, sz, &bytes)) {
		a->exhausted = true;
		return NULL;
	}
	return ps_arena_alloc(a, bytes);
}

char *ps_arena_strndup(ps_arena *a, const void *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = ps_arena_alloc(a, n + 1);
	if (p && n)
		memcpy(p, s, n);
	return p;
}

void ps_vec_init(ps_vec *vec, size_t elem)
{
	vec->v = NULL;
	vec->n = vec->cap = 0;
	vec->elem = elem;
}

void *ps_vec_push(ps_vec *vec, ps_arena *a)
{
	if (vec->n == vec->cap) {
		size_t ncap = vec->cap ? vec->cap * 2 : 8;
		void *nv = ps_arena_array(a, ncap, vec->elem);
		if (!nv)
			return NULL;
		if (vec->n)
			memcpy(nv, vec->v, vec->n * vec->elem);
		vec->v = nv;
		vec->cap = ncap;
	}
	return (char *)vec->v + vec->elem * vec->n++;
}
