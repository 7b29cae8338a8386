#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "thread_slot.h"
#include "pesleuth/error.h"

/* The per-thread read buffer: taken by ps_source_open, given back by ps_source_close, freed
 * when the thread exits. */
typedef struct cached_buf {
	void *p;
	size_t cap;
} cached_buf;

static void cached_free(void *v)
{
	cached_buf *c = v;
	free(c->p);
	free(c);
}

static ps_thread_slot buf_slot = PS_THREAD_SLOT(cached_free);

static cached_buf *cached(void)
{
	cached_buf *c = ps_thread_slot_get(&buf_slot);
	if (!c && (c = calloc(1, sizeof(*c))) != NULL && ps_thread_slot_set(&buf_slot, c) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

/* Under AddressSanitizer every file gets a buffer of its exact size, so that a read past
 * the end is still caught. */
#define PS_CACHE_READ_BUF (!PS_UNDER_ASAN)

/* A buffer of at least len bytes (len <= PS_READ_WHOLE_MAX), its size in *cap. */
static void *take_buf(size_t len, size_t *cap)
{
	cached_buf *c = PS_CACHE_READ_BUF ? cached() : NULL;
	if (c && c->p && c->cap >= len) {
		void *p = c->p;
		*cap = c->cap;
		c->p = NULL;
		c->cap = 0;
		return p;
	}
	/* Sized for the largest file read whole, so that one buffer serves every later file. */
	size_t want = c ? PS_READ_WHOLE_MAX : len;
	void *p = malloc(want);
	if (!p && want > len)
		p = malloc(want = len);
	*cap = p ? want : 0;
	return p;
}

static void give_buf(void *p, size_t cap)
{
	cached_buf *c = p && PS_CACHE_READ_BUF ? cached() : NULL;
	if (c && !c->p && cap <= PS_READ_WHOLE_MAX) {
		c->p = p;
		c->cap = cap;
		return;
	}
	free(p);
}

int ps_source_open(ps_source *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return PS_EIO;
	int rc = ps_source_open_fd(s, fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int ps_source_open_fd(ps_source *s, int fd)
{
	memset(s, 0, sizeof(*s));
	int rc = PS_OK, saved = 0;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = PS_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = PS_ENOTFILE;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX / 2) {
		errno = EFBIG;
		rc = PS_EIO;
		goto out;
	}
	size_t len = (size_t)st.st_size;
	if (len == 0)
		goto out;
	if (len > PS_READ_WHOLE_MAX) {
		void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			rc = PS_EIO;
			goto out;
		}
		(void)madvise(p, len, MADV_SEQUENTIAL);
		s->data = p;
		s->len = len;
		s->mapped = 1;
		s->owned = p;
		goto out;
	}
	size_t cap = 0;
	uint8_t *buf = take_buf(len, &cap);
	if (!buf) {
		rc = PS_ENOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			give_buf(buf, cap);
			errno = saved;
			rc = PS_EIO;
			goto out;
		}
		if (r == 0)
			break; /* truncated since fstat: analyze what is there */
		got += (size_t)r;
	}
	s->data = buf;
	s->len = got;
	s->owned = buf;
	s->cap = cap;
out:
	return rc;
}

void ps_source_done_with(ps_source *s, size_t off, size_t n)
{
	if (!s->mapped || n == 0)
		return;
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t start = (off + page - 1) / page * page; /* only whole pages inside the range */
	size_t end = (off + n) / page * page;
	if (end > start)
		(void)madvise((uint8_t *)s->owned + start, end - start, MADV_DONTNEED);
}

void ps_source_will_need(ps_source *s, size_t off, size_t n)
{
#ifdef MADV_POPULATE_READ
	if (!s->mapped || n == 0 || off >= s->len)
		return;
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t start = off / page * page;
	if (n > s->len - off)
		n = s->len - off;
	(void)madvise((uint8_t *)s->owned + start, off + n - start, MADV_POPULATE_READ);
#else
	(void)s;
	(void)off;
	(void)n;
#endif
}

void ps_source_close(ps_source *s)
{
	if (s->mapped)
		munmap(s->owned, s->len);
	else
		give_buf(s->owned, s->cap);
	memset(s, 0, sizeof(*s));
}
