/* Builds PE images in memory, so unit tests can state exactly which bytes a parser sees:
 * a valid image by default, and any field or table bent on purpose. */
#ifndef PEBUILD_H
#define PEBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_buf {
	uint8_t *p;
	size_t n, cap;
} pb_buf;

void pb_put(pb_buf *b, const void *p, size_t n);
void pb_put8(pb_buf *b, uint8_t v);
void pb_put16(pb_buf *b, uint16_t v);
void pb_put32(pb_buf *b, uint32_t v);
void pb_put64(pb_buf *b, uint64_t v);
void pb_zero(pb_buf *b, size_t n);
void pb_align(pb_buf *b, size_t a);
void pb_str(pb_buf *b, const char *s);   /* with its NUL */
void pb_wstr(pb_buf *b, const char *s);  /* ASCII as UTF-16LE, with its NUL */
void pb_set16(pb_buf *b, size_t off, uint16_t v);
void pb_set32(pb_buf *b, size_t off, uint32_t v);
void pb_buf_free(pb_buf *b);

#define PB_MAX_SECTIONS 16
#define PB_SECTION_STRIDE 0x10000u /* section i lives at RVA (i+1) * stride */

typedef struct pb_section {
	char name[8];
	uint32_t characteristics;
	uint32_t virtual_size; /* 0: the data's size */
	pb_buf data;
} pb_section;

typedef struct pb_image {
	bool pe32plus;
	uint16_t machine, characteristics, subsystem, dll_characteristics;
	uint32_t timedatestamp, entry_point, file_alignment, section_alignment, checksum;
	uint64_t image_base;
	bool fix_checksum;  /* compute the PE checksum into the header */
	pb_buf stub;        /* bytes placed right after the 64-byte DOS header (e.g. a Rich header) */
	uint32_t number_of_rva_and_sizes;
	uint32_t dir_rva[16], dir_size[16];
	unsigned n_sections;
	pb_section sections[PB_MAX_SECTIONS];
	pb_buf overlay;     /* appended after the last section */
} pb_image;

/* A valid empty image: x86 (or x64), console, FileAlignment 0x200, SectionAlignment 0x1000. */
void pb_init(pb_image *im, bool pe32plus);
unsigned pb_add_section(pb_image *im, const char *name, uint32_t characteristics);
uint32_t pb_section_rva(unsigned index);
/* The finished file; caller frees. */
uint8_t *pb_build(const pb_image *im, size_t *len);
void pb_image_free(pb_image *im);

/* A Rich header in the DOS stub as MSVC's linker lays it out (three entries: 259/261/1), its
 * checksum right or, with break_checksum, off by one bit. */
void pb_rich(pb_image *im, bool break_checksum);

/* An import table written into one section: dlls[i] is "name:func,func,#ord,...".
 * Returns the RVA of the descriptor table and sets the IMPORT directory. */
uint32_t pb_imports(pb_image *im, unsigned section, const char *const *dlls, size_t n);

#endif
