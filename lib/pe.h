/* The PE model: shared context of the PE parsers (pe.c owns headers, sections, address
 * mapping and the directory dispatch; imports.c, exports.c, resources.c, debugdir.c,
 * tls.c, rich.c and clr.c each own one directory). */
#ifndef PS_PE_H
#define PS_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "findings.h"
#include "pesleuth/model.h"
#include "reader.h"

/* A section as the address mapping sees it (sorted by VirtualAddress, like pefile). */
typedef struct ps_secmap {
	uint64_t va_start, va_end; /* RVA extent */
	uint64_t raw_start;        /* PointerToRawData rounded down to 0x200 when FileAlignment >= 0x200 */
	uint64_t raw_limit;        /* PointerToRawData + SizeOfRawData: data past it is not in the file */
	size_t index;              /* into the section table */
} ps_secmap;

typedef struct ps_pectx {
	ps_rd file; /* the whole file */
	const uint8_t *data;
	size_t len;
	ps_pe *pe;
	ps_section *sections; /* == pe->sections, writable */
	ps_secmap *map;
	size_t n_map;
	bool map_disjoint; /* extents sorted and non-overlapping: lookups can bisect */
	ps_arena *arena;
	ps_findings *fs;
} ps_pectx;

/* Parses DOS, COFF and optional headers, data directories and the section table. Returns
 * PS_FORMAT_PE when the file has a PE header (the context is then ready for directories);
 * *detail names what was found ("PE32", "NE", "ZM", "empty", ...). */
ps_format ps_pe_parse_headers(ps_pectx *c, const char **detail);

/* Everything behind the data directories, the Rich header, the overlay and the certificate
 * table location; needs the headers parsed. */
void ps_pe_parse_directories(ps_pectx *c);

/* The overlay (pe->has_overlay, overlay_offset, overlay_size): needs only the section table,
 * so it is known before the pass. */
void ps_pe_overlay(ps_pectx *c);

/* A reader over the file bytes that back an RVA: from rva to the end of the section's raw
 * data in the file (or, for an RVA in no section, the file read at offset == rva, the way
 * pefile and the loader treat headers and section-less images). false when nothing backs it.
 * The reader's origin is the file offset, so evidence offsets come out right. */
bool ps_pe_rva(const ps_pectx *c, uint64_t rva, ps_rd *out);
bool ps_pe_rva_to_offset(const ps_pectx *c, uint64_t rva, uint64_t *off);
/* Index of the section whose virtual extent holds rva, or -1. */
long ps_pe_section_of_rva(const ps_pectx *c, uint64_t rva);

/* A NUL-terminated string at an RVA, at most max bytes (pefile get_string_at_rva).
 * Returns the bytes (not copied) and their length; false when the RVA maps nowhere. */
bool ps_pe_string_at(const ps_pectx *c, uint64_t rva, size_t max, const uint8_t **s, size_t *n);

/* True when data directory `d` points beyond both SizeOfImage and the file: pe.c reports it
 * as PE-DIRECTORY-INVALID and the loader ignores it (RtlImageDirectoryEntryToData), so the
 * directory's own parser adds nothing. */
bool ps_pe_dir_invalid(const ps_pectx *c, const ps_data_directory *d);

/* A "the directory is damaged" finding with the reason, the RVA and, when it maps, the file
 * offset (the shared shape of PE-…-MALFORMED findings). */
ps_finding *ps_pe_malformed(ps_pectx *c, const char *id, ps_severity sev, const char *title, const char *why,
                            uint64_t rva);

/* Converts a VA to an RVA using ImageBase; false when it lies below the image base. */
bool ps_pe_va_to_rva(const ps_pectx *c, uint64_t va, uint64_t *rva);

/* Directory parsers (one file each). */
void ps_pe_imports(ps_pectx *c);
void ps_pe_exports(ps_pectx *c);
void ps_pe_resources(ps_pectx *c);
void ps_pe_debug(ps_pectx *c);
void ps_pe_tls(ps_pectx *c);
void ps_pe_rich(ps_pectx *c);
void ps_pe_clr(ps_pectx *c);

#endif
