/* libFuzzer harness: whole-file analysis with crypto on (every hash and Authenticode hash,
 * imphash, Rich hash, PKCS#7 parsing, chain building against the system anchors), then both
 * renderers. Asserts the output contract of output.h: the JSON is valid UTF-8 and
 * well-formed, whatever bytes the file held. "Now" is fixed so that a crash reproduces on
 * any day.
 *
 * Build: scripts/fuzz.sh build; replayed without libFuzzer by make check (fuzz/replay_main.c).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pesleuth/analyze.h"
#include "pesleuth/error.h"
#include "pesleuth/output.h"
#include "pesleuth/trust.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1700000000 /* 2023-11-14T22:13:20Z */

static FILE *devnull;
static ps_trust *trust; /* shared, immutable: loaded once (the replay forks after this) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ps_trust_new(&trust) != PS_OK)
		abort();
	/* Without the bundle the chain code still runs, against no anchors. */
	(void)ps_trust_add_system_anchors(trust);
	ps_trust_set_now(trust, FUZZ_NOW);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		if (!devnull)
			abort();
	}
	if (!trust)
		LLVMFuzzerInitialize(NULL, NULL);
	ps_options opt;
	ps_options_init(&opt);
	opt.trust = trust;
	opt.authentihash = 1;
	ps_report *r = NULL;
	/* Failure is for memory and misuse only: a malformed file is a report with findings. */
	int rc = ps_analyze_buffer(&r, data, size, "fuzz-input.exe", &opt);
	if (rc != PS_OK) {
		fprintf(stderr, "ps_analyze_buffer failed: %s\n", ps_strerror(rc));
		abort();
	}
	fuzz_touch_report(r, size);
	fuzz_touch_str(ps_report_verdict(r));
	fuzz_touch_str(ps_version_string(r->pe, "OriginalFilename"));

	char *json = NULL;
	rc = ps_report_json(&json, r, PS_JSON_DETAIL);
	if (rc != PS_OK) {
		/* Only memory can fail here; for a small input it means a string jansson refused
		 * (invalid UTF-8) or a number it cannot write (NaN entropy). */
		fprintf(stderr, "ps_report_json failed: %s\n", ps_strerror(rc));
		abort();
	}
	size_t n = strlen(json);
	FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *)json, n), "JSON output is valid UTF-8");
	json_error_t jerr;
	json_t *back = json_loadb(json, n, JSON_ALLOW_NUL, &jerr);
	if (!back) {
		fprintf(stderr, "JSON output does not parse: %s at %d\n", jerr.text, jerr.position);
		abort();
	}
	FUZZ_CHECK(json_is_object(back), "JSON output is one object");
	json_decref(back);
	free(json);

	/* The terminal promise: nothing from the file reaches the screen as a control or a
	 * reordering character (C0 but newline, DEL, C1, bidi and invisible format characters). */
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&text, &tlen);
	if (!mem)
		abort();
	rc = ps_report_text(mem, r);
	fclose(mem);
	FUZZ_CHECK(rc == PS_OK, "ps_report_text succeeds");
	FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *)text, tlen), "text output is valid UTF-8");
	for (size_t i = 0; i < tlen;) {
		uint8_t b = (uint8_t)text[i];
		FUZZ_CHECK(b >= 0x20 || b == '\n', "no raw C0 control in text output");
		FUZZ_CHECK(b != 0x7F, "no raw DEL in text output");
		if (b == 0xC2 && i + 1 < tlen)
			FUZZ_CHECK((uint8_t)text[i + 1] < 0x80 || (uint8_t)text[i + 1] > 0x9F, "no raw C1 control in text output");
		if (b == 0xE2 && i + 2 < tlen && (uint8_t)text[i + 1] == 0x80)
			FUZZ_CHECK(!((uint8_t)text[i + 2] >= 0xAA && (uint8_t)text[i + 2] <= 0xAE), "no raw bidi embedding/override");
		if (b == 0xE2 && i + 2 < tlen && (uint8_t)text[i + 1] == 0x81)
			FUZZ_CHECK(!((uint8_t)text[i + 2] >= 0xA6 && (uint8_t)text[i + 2] <= 0xA9), "no raw bidi isolate");
		i++;
	}
	free(text);
	(void)devnull;

	ps_report_free(r);
	return 0;
}
