/* Per-report memory: a bump allocator with a hard cap (PS_MAX_REPORT_BYTES). Everything a
 * report points to lives here and is released at once with the report. */
#ifndef PS_ARENA_H
#define PS_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ps_chunk ps_chunk;

typedef struct ps_arena {
	ps_chunk *head;
	size_t total; /* bytes obtained from malloc so far */
	size_t cap;
	bool exhausted; /* an allocation was refused: the report is incomplete */
} ps_arena;

void ps_arena_init(ps_arena *a, size_t cap);
void ps_arena_release(ps_arena *a);
/* Zeroed, 16-byte aligned; NULL when malloc fails or the cap would be passed. */
void *ps_arena_alloc(ps_arena *a, size_t n);
/* n elements of size sz, overflow-checked. */
void *ps_arena_array(ps_arena *a, size_t n, size_t sz);
/* Copies n bytes and appends a NUL. */
char *ps_arena_strndup(ps_arena *a, const void *s, size_t n);

/* A growable array of fixed-size elements inside an arena. Growth doubles, so the bytes
 * abandoned in the arena are at most those kept. */
typedef struct ps_vec {
	void *v;
	size_t n, cap, elem;
} ps_vec;

void ps_vec_init(ps_vec *vec, size_t elem);
/* Pointer to a new zeroed element, or NULL (arena exhausted). */
void *ps_vec_push(ps_vec *vec, ps_arena *a);

#endif
