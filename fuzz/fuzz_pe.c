/* libFuzzer harness: the PE parser alone (headers, sections, every directory), without the
 * hashing pass and the signatures, so the fuzzer's time goes to the parsers. Mirrors lib/analyze.c's set-up of
 * the parsing context; keep the two in step when analyze() changes.
 *
 * Build: scripts/fuzz.sh build; replayed without libFuzzer by make check (fuzz/replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "findings.h"
#include "harness.h"
#include "limits.h"
#include "pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ps_arena arena;
	ps_findings fs;
	/* On the heap, like analyze.c's report_impl, so ASan sees overruns of the model. */
	ps_pe *pe = calloc(1, sizeof(*pe));
	if (!pe)
		abort();
	ps_arena_init(&arena, PS_MAX_REPORT_BYTES);
	ps_findings_init(&fs, &arena);

	ps_pectx c;
	memset(&c, 0, sizeof(c));
	ps_rd_init(&c.file, data, size, 0);
	c.data = data;
	c.len = size;
	c.pe = pe;
	c.arena = &arena;
	c.fs = &fs;

	const char *detail = NULL;
	ps_format format = ps_pe_parse_headers(&c, &detail);
	FUZZ_CHECK(detail != NULL, "ps_pe_parse_headers sets detail");
	fuzz_touch_str(detail);
	if (format == PS_FORMAT_PE) {
		/* As analyze.c does; the signatures themselves (ps_authenticode_*) are left out: they
		 * need the pass, and fuzz_analyze drives them. */
		if (pe->n_directories > PS_DIR_SECURITY && pe->dirs[PS_DIR_SECURITY].rva &&
		    pe->dirs[PS_DIR_SECURITY].size) {
			pe->has_certificate_table = true;
			pe->certificate_table_offset = pe->dirs[PS_DIR_SECURITY].rva; /* a file offset */
			pe->certificate_table_size = pe->dirs[PS_DIR_SECURITY].size;
			pe->certificate_table_in_file = pe->certificate_table_offset <= size &&
			                                pe->certificate_table_size <= size - pe->certificate_table_offset;
		}
		pe->checksum_stored = pe->opt.checksum;
		ps_pe_parse_directories(&c);
		fuzz_touch_pe(pe);
		FUZZ_CHECK(c.sections == pe->sections, "context and model share the section table");
		FUZZ_CHECK(c.n_map == pe->n_sections, "one map entry per parsed section");
		for (size_t k = 0; k < c.n_map; k++) {
			FUZZ_CHECK(c.map[k].index < pe->n_sections, "map index in range");
			FUZZ_CHECK(c.map[k].va_start <= c.map[k].va_end, "map extent ordered");
		}
	}
	if (arena.exhausted)
		ps_find_limit(&fs, "report memory", PS_MAX_REPORT_BYTES, 0);
	fuzz_touch_findings(fs.v, fs.n);

	ps_arena_release(&arena);
	free(pe);
	return 0;
}
