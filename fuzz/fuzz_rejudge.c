/* libFuzzer harness: re-judgement from stored facts (lib/rejudge.c). The input is analyzed as a
 * file; its judgement facts (ps_report_judge_facts) and report JSON go through ps_rejudge
 * under the same trust context and time, which must reproduce the same judgement: the same
 * verdict and the same findings (ID and severity, in any order), and JSON that is valid UTF-8
 * and parses. The certificate table is parsed a second time from the stored bytes, so every
 * hostile table the fuzzer finds is checked for a parse that depends on anything but its own
 * bytes. Then the facts are corrupted (one byte of the JSON flipped, chosen by the input) and
 * ps_rejudge must fail cleanly or judge, never crash.
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

static ps_trust *trust;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ps_trust_new(&trust) != PS_OK)
		abort();
	(void)ps_trust_add_system_anchors(trust);
	ps_trust_set_now(trust, FUZZ_NOW);
	return 0;
}

static int cmp_key(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "ID:severity" of every finding, sorted, joined by spaces (malloc'd). */
static char *keys(const ps_report *r)
{
	char **v = calloc(r->n_findings + 1, sizeof(*v));
	size_t total = 1;
	if (!v)
		abort();
	for (size_t i = 0; i < r->n_findings; i++) {
		size_t n = strlen(r->findings[i].id) + 16;
		v[i] = malloc(n);
		if (!v[i])
			abort();
		snprintf(v[i], n, "%s:%s", r->findings[i].id, ps_severity_name(r->findings[i].severity));
		total += strlen(v[i]) + 1;
	}
	qsort(v, r->n_findings, sizeof(*v), cmp_key);
	char *s = malloc(total);
	if (!s)
		abort();
	s[0] = '\0';
	for (size_t i = 0; i < r->n_findings; i++) {
		strcat(s, v[i]);
		strcat(s, " ");
		free(v[i]);
	}
	free(v);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!trust)
		LLVMFuzzerInitialize(NULL, NULL);
	ps_options opt;
	ps_options_init(&opt);
	opt.trust = trust;
	ps_report *r = NULL;
	if (ps_analyze_buffer(&r, data, size, "fuzz-input.exe", &opt) != PS_OK)
		abort();
	char *facts = NULL, *json = NULL;
	if (ps_report_judge_facts(&facts, r) != PS_OK || ps_report_json(&json, r, PS_JSON_DETAIL) != PS_OK)
		abort();

	ps_report *again = NULL;
	char *merged = NULL;
	int rc = ps_rejudge(&again, &merged, facts, json, NULL, 0, "fuzz-input.exe", &opt);
	/* a table above PS_MAX_KEPT_CERT_TABLE is not kept: then the facts say so and the
	 * re-judgement may refuse; anything kept must judge again */
	if (rc == PS_OK) {
		char *k1 = keys(r), *k2 = keys(again);
		if (strcmp(k1, k2) != 0) {
			fprintf(stderr, "re-judgement differs:\n  scan:    %s\n  rejudge: %s\n", k1, k2);
			abort();
		}
		FUZZ_CHECK(r->worst == again->worst, "the same verdict");
		size_t n = strlen(merged);
		FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *)merged, n), "merged JSON is valid UTF-8");
		json_error_t e;
		json_t *back = json_loadb(merged, n, JSON_ALLOW_NUL, &e);
		FUZZ_CHECK(back != NULL, "merged JSON parses");
		json_decref(back);
		free(k1);
		free(k2);
		ps_report_free(again);
		free(merged);
	} else {
		FUZZ_CHECK(r->pe && r->pe->has_certificate_table && !r->pe->certificate_table_data &&
		               r->pe->certificate_table_offset < size,
		           "only a table too large to keep may refuse re-judgement");
	}

	/* corrupted facts: fail or judge, never crash */
	size_t fl = strlen(facts);
	if (fl && size) {
		facts[data[0] * 131u % fl] ^= (uint8_t)(size > 1 ? data[1] | 1u : 1u);
		again = NULL;
		merged = NULL;
		if (ps_rejudge(&again, &merged, facts, json, NULL, 0, NULL, &opt) == PS_OK) {
			fuzz_touch_str(ps_report_verdict(again));
			ps_report_free(again);
			free(merged);
		}
	}
	free(facts);
	free(json);
	ps_report_free(r);
	return 0;
}
