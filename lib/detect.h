/* The seed reports' traits as findings: capabilities (CAP-*), packing (PACK-*), the entry
 * point, the overlay (OVERLAY-*), strings (STR-*), IOC feeds (IOC-*) and other carriers
 * (FILE-JPEG-APPENDED-DATA).
 *
 * What must see every byte (strings, encoded strings, the overlay's histogram and embedded
 * executables) is fed from the analysis pass window by window; everything else is judged
 * afterwards from the model. See docs/FINDINGS.md for each rule and its false-positive traps. */
#ifndef PS_DETECT_H
#define PS_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "pe.h"
#include "pesleuth/analyze.h"

typedef struct ps_traits ps_traits;

/* c: the file's context; is_pe says whether its headers (and overlay) were parsed; opt (may
 * be NULL) gives the IOC feeds. */
int ps_traits_new(ps_traits **out, const ps_pectx *c, bool is_pe, const ps_options *opt);
/* The bytes [start, end) of data[0, len) (the whole file), in order, without gaps. */
void ps_traits_window(ps_traits *t, const uint8_t *data, size_t len, size_t start, size_t end);
/* After the pass and the directories: records the findings. */
void ps_traits_judge(ps_traits *t, ps_pectx *c, bool is_pe, const ps_report *r, const ps_options *opt);
/* Whether the YARA rules must scan the file: there is no prefilter, or one of its literals
 * was seen, or a string run was too long to see whole. */
bool ps_traits_rules_needed(const ps_traits *t);
/* Tests only: true makes the string filters take their portable path even where the CPU has
 * AVX-512 VBMI (set before scanning; not synchronized). */
extern bool ps_detect_portable;
void ps_traits_free(ps_traits *t);
/* IOC matching shared with re-judgement (rejudge.c): IOC-HASH from the file's hashes and
 * IOC-CERT from pe's signers (pe may be NULL); IOC-NETWORK for one stored string (a network
 * indicator or a decoded string, found again in text). */
void ps_ioc_file_findings(const ps_iocs *iocs, const ps_report *r, const ps_pe *pe, ps_findings *fs);
void ps_ioc_string_findings(const ps_iocs *iocs, const char *text, uint64_t offset, bool decoded, ps_findings *fs);

/* FILE-JPEG-APPENDED-DATA for a JPEG with bytes after its end-of-image marker; returns true
 * when data is a JPEG (its structure was walked). */
bool ps_jpeg_check(const uint8_t *data, size_t len, ps_findings *fs);

#endif
