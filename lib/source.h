/* Getting a file's bytes into memory, boundedly. Small files are read into one buffer
 * (robust against the file being truncated while we look at it); large files are mapped and
 * the pass releases each window once it is hashed, so resident memory stays flat whatever
 * the size. */
#ifndef PS_SOURCE_H
#define PS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_source {
	const uint8_t *data;
	size_t len;
	int mapped; /* 1: mmap, 0: malloc'd buffer (or empty) */
	void *owned;
} ps_source;

/* Opens a regular file without blocking (FIFOs and devices are refused with PS_ENOTFILE
 * before any read). PS_EIO leaves errno set. */
int ps_source_open(ps_source *s, const char *path);
/* Tells the kernel the bytes [off, off+n) will not be needed again (mapped files only). */
void ps_source_done_with(ps_source *s, size_t off, size_t n);
void ps_source_close(ps_source *s);

#endif
