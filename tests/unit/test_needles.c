/* The string filters' two paths (AVX-512 VBMI where the CPU has it, portable elsewhere) give
 * the same report: PEs whose data sections hold the trait needles in random case and at every
 * alignment, network indicators, API and privilege names, wide strings and runs longer than
 * the scanner keeps, analyzed once per path and compared as JSON (without @timestamp and the timeline's "now"). On a
 * CPU without AVX-512 VBMI both runs take the portable path and the test still checks that
 * the needles are found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "pebuild.h"
#include "pesleuth/analyze.h"
#include "pesleuth/error.h"
#include "pesleuth/output.h"

static uint64_t rng = 0x243f6a8885a308d3u;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const plants[] = {
	"svchost.exe -k netsvc", "mimikatz", "sekurlsa::logonpasswords", "lsass.exe", "vnc.plug", "ammyy",
	"RFB 003.008", "netsh advfirewall set", "reg add HKCU", "[backspace]", "[Caps Lock]",
	"SeDebugPrivilege", "SeLoadDriverPrivilege", "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
	"file.exe:Zone.Identifier", "VirtualAllocEx", "WriteProcessMemory", "CreateRemoteThread",
	"http://c2.example.com/gate.php", "https://203.0.113.7:8443/x", "update.evil-domain.ru", "10.1.2.3:4444",
	"fDenyTSConnections", "HNetCfg.FwPolicy2",
};

/* Random printable noise with a needle in random case at a random place, as ASCII or wide. */
static void add_strings(pb_buf *b, unsigned count)
{
	char s[1500];
	for (unsigned i = 0; i < count; i++) {
		unsigned len = rnd(8) == 0 ? 1000 + rnd(400) : 1 + rnd(90);
		for (unsigned j = 0; j < len; j++)
			s[j] = (char)(' ' + rnd(95));
		s[len] = 0;
		if (rnd(3)) {
			const char *p = plants[rnd(sizeof(plants) / sizeof(plants[0]))];
			size_t m = strlen(p);
			if (m <= len) {
				size_t at = rnd(len - (unsigned)m + 1);
				for (size_t j = 0; j < m; j++) {
					char c = p[j];
					if (c >= 'a' && c <= 'z' && rnd(2))
						c = (char)(c - 32);
					else if (c >= 'A' && c <= 'Z' && rnd(2))
						c = (char)(c + 32);
					s[at + j] = c;
				}
			}
		}
		if (rnd(4) == 0)
			pb_wstr(b, s);
		else
			pb_str(b, s);
		pb_zero(b, rnd(5));
	}
}

static json_t *report_json(const uint8_t *img, size_t len)
{
	ps_options opt;
	ps_options_init(&opt);
	ps_report *r = NULL;
	assert_int_equal(ps_analyze_buffer(&r, img, len, "needles.exe", &opt), PS_OK);
	char *s = NULL;
	assert_int_equal(ps_report_json(&s, r, PS_JSON_DETAIL), PS_OK);
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	assert_non_null(j);
	/* what depends on the clock: the two analyses may fall on either side of a second */
	json_object_del(j, "@timestamp");
	json_t *tl = json_object_get(j, "timeline");
	for (size_t i = json_array_size(tl); i-- > 0;)
		if (json_is_string(json_object_get(json_array_get(tl, i), "event")) &&
		    !strcmp(json_string_value(json_object_get(json_array_get(tl, i), "event")), "now"))
			json_array_remove(tl, i);
	free(s);
	ps_report_free(r);
	return j;
}

static void both_paths_agree(void **state)
{
	(void)state;
	size_t found = 0;
	for (unsigned round = 0; round < 12; round++) {
		pb_image im;
		pb_init(&im, round & 1);
		unsigned d = pb_add_section(&im, ".rdata", 0x40000040u);
		add_strings(&im.sections[d].data, 400);
		size_t len = 0;
		uint8_t *img = pb_build(&im, &len);
		assert_non_null(img);
		ps_detect_portable = false;
		json_t *fast = report_json(img, len);
		ps_detect_portable = true;
		json_t *portable = report_json(img, len);
		ps_detect_portable = false;
		if (!json_equal(fast, portable)) {
			char *a = json_dumps(json_object_get(fast, "findings"), JSON_COMPACT);
			char *b = json_dumps(json_object_get(portable, "findings"), JSON_COMPACT);
			print_error("round %u differs:\n%s\n%s\n", round, a, b);
			free(a);
			free(b);
		}
		assert_true(json_equal(fast, portable));
		found += json_array_size(json_object_get(fast, "findings"));
		json_decref(fast);
		json_decref(portable);
		free(img);
		pb_image_free(&im);
	}
	assert_true(found > 12); /* the planted needles are reported, not just equally missed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_paths_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
