/* Getting a file's bytes into memory, boundedly. Small files are read into one buffer
 * (robust against the file being truncated while we look at it); large files are mapped and
 * the pass releases each window once it is hashed, so resident memory stays flat whatever
 * the size. The read buffer is kept per thread for the next file (at most
 * PS_READ_WHOLE_MAX bytes per thread): a fresh buffer would cost a page fault per page. */
#ifndef PS_SOURCE_H
#define PS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_source {
	const uint8_t *data;
	size_t len;
	int mapped; /* 1: mmap, 0: malloc'd buffer (or empty) */
	void *owned;
	size_t cap; /* size of the buffer owned (read files) */
} ps_source;

/* Opens a regular file without blocking (FIFOs and devices are refused with PS_ENOTFILE
 * before any read). PS_EIO leaves errno set. */
int ps_source_open(ps_source *s, const char *path);
/* Same, for a descriptor the caller opened and still owns (read with pread from offset 0). */
int ps_source_open_fd(ps_source *s, int fd);
/* Tells the kernel the bytes [off, off+n) will not be needed again (mapped files only). */
void ps_source_done_with(ps_source *s, size_t off, size_t n);
/* The mapping's pages of [off, off + n) are about to be read: map them in one call
 * (MADV_POPULATE_READ) rather than a page fault per few pages. Best effort. */
void ps_source_will_need(ps_source *s, size_t off, size_t n);
void ps_source_close(ps_source *s);

#endif
