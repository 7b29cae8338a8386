/* A per-thread pointer whose destructor runs when the thread exits (a pthread key, created on
 * first use). For caches that outlive one file but must not outlive the worker thread: the
 * source's read buffer, the JSON renderer's arena. */
#ifndef PS_THREAD_SLOT_H
#define PS_THREAD_SLOT_H

#include <pthread.h>

typedef struct ps_thread_slot {
	pthread_key_t key;
	int state; /* 0: key not created yet, 1: ready, -1: pthread_key_create failed */
	void (*dtor)(void *);
} ps_thread_slot;

/* 1 in an AddressSanitizer build: caches that would hide an overflow or a use after free
 * from it (a buffer larger than asked for, a bump arena) are turned off. */
#if defined(__SANITIZE_ADDRESS__)
#define PS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PS_UNDER_ASAN 1
#endif
#endif
#ifndef PS_UNDER_ASAN
#define PS_UNDER_ASAN 0
#endif

#define PS_THREAD_SLOT(destructor) {.state = 0, .dtor = (destructor)}

/* This thread's value; NULL when none was set or no key could be created. */
void *ps_thread_slot_get(ps_thread_slot *s);
/* 0, or -1 when no key could be created (the caller keeps ownership of v then). */
int ps_thread_slot_set(ps_thread_slot *s, void *v);

#endif
