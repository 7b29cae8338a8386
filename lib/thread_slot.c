#include "thread_slot.h"

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static int ready(ps_thread_slot *s)
{
	int st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if (st)
		return st > 0;
	pthread_mutex_lock(&create_lock);
	if (!s->state)
		__atomic_store_n(&s->state, pthread_key_create(&s->key, s->dtor) == 0 ? 1 : -1, __ATOMIC_RELEASE);
	st = s->state;
	pthread_mutex_unlock(&create_lock);
	return st > 0;
}

void *ps_thread_slot_get(ps_thread_slot *s) { return ready(s) ? pthread_getspecific(s->key) : NULL; }

int ps_thread_slot_set(ps_thread_slot *s, void *v)
{
	return ready(s) && pthread_setspecific(s->key, v) == 0 ? 0 : -1;
}
