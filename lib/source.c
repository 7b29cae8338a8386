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
#include "pesleuth/error.h"

int ps_source_open(ps_source *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return PS_EIO;
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
	uint8_t *buf = malloc(len);
	if (!buf) {
		rc = PS_ENOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(buf);
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
out:
	saved = errno;
	close(fd);
	errno = saved;
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

void ps_source_close(ps_source *s)
{
	if (s->mapped)
		munmap(s->owned, s->len);
	else
		free(s->owned);
	memset(s, 0, sizeof(*s));
}
