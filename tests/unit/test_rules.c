/* YARA rules (lib/rules.c): compiling with Loki's external variables, diagnostics with their
 * line, RULE-MATCH findings with severity from meta, evidence and ATT&CK IDs copied into the
 * report, the caps, and the shipped rule pack (the .yar files in rules/): it compiles without
 * a warning, and every rule matches the fixture its file describes and not as many zeros. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "findings.h"
#include "limits.h"
#include "pesleuth/error.h"
#include "pesleuth/analyze.h"
#include "pesleuth/intel.h"
#include "rules.h"

/* ------------------------------------------------------------------ helpers */

typedef struct diag_log {
	unsigned n;
	char path[512];
	unsigned line;
	char why[512];
} diag_log;

static void diag_cb(void *ctx, const char *path, unsigned line, const char *why)
{
	diag_log *d = ctx;
	d->n++;
	snprintf(d->path, sizeof(d->path), "%s", path ? path : "");
	d->line = line;
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
	for (const char *p = why; p && *p; p++) /* the contract: ASCII */
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

/* A scratch directory for rule files (removed by cleanup_dir). */
static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ps-rules-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int cleanup_dir(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	return 0;
}

static const char *write_rules(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Compiles one rule text written as tmpdir/name; asserts no diagnostic. */
static ps_rules *compile(const char *name, const char *text)
{
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new(&r), PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules(name, text), diag_cb, &d), PS_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	return r;
}

typedef struct report {
	ps_arena arena;
	ps_findings fs;
} report;

static void report_init(report *rep)
{
	ps_arena_init(&rep->arena, PS_MAX_REPORT_BYTES);
	ps_findings_init(&rep->fs, &rep->arena);
}

static const ps_evidence *ev(const ps_finding *f, const char *key)
{
	for (unsigned i = 0; i < f->n_evidence; i++)
		if (strcmp(f->evidence[i].key, key) == 0)
			return &f->evidence[i];
	return NULL;
}

static const char *ev_s(const ps_finding *f, const char *key)
{
	const ps_evidence *e = ev(f, key);
	assert_non_null(e);
	assert_int_equal(e->type, PS_EV_STR);
	return e->s;
}

static uint64_t ev_u(const ps_finding *f, const char *key)
{
	const ps_evidence *e = ev(f, key);
	assert_non_null(e);
	return e->u;
}

/* The RULE-MATCH finding for rule `name`, or NULL. */
static const ps_finding *rule_finding(const ps_findings *fs, const char *name)
{
	for (size_t i = 0; i < fs->n; i++) {
		const ps_finding *f = &fs->v[i];
		if (strcmp(f->id, "RULE-MATCH") != 0)
			continue;
		const ps_evidence *e = ev(f, "rule");
		if (e && strcmp(e->s, name) == 0)
			return f;
	}
	return NULL;
}

/* ------------------------------------------------------------------ severity, evidence */

static const char rules_meta[] =
	"rule Crit : tagA tagB\n"
	"{\n"
	"    meta:\n"
	"        description = \"crit \\\"rule\\\"\"\n"
	"        author = \"someone\"\n"
	"        severity = \"CRITICAL\"\n"
	"        score = 10\n"
	"        attack = \"T1055.012, bogus; t1027 T1055.012\"\n"
	"    strings:\n"
	"        $a = \"alpha\"\n"
	"        $b = \"beta\" wide\n"
	"    condition:\n"
	"        all of them\n"
	"}\n"
	"rule Scored { meta: score = 75 mitre_att = \"T1547.001\" strings: $c = \"gamma\"\n"
	"  condition: $c }\n"
	"rule ScoreText { meta: score = \"45\" strings: $c = \"gamma\" condition: #c >= 2 }\n"
	"rule ScoreLow { meta: score = 20 severity = \"nonsense\" condition: filesize > 0 }\n"
	"rule ScoreNeg { meta: score = -30 condition: filesize > 0 }\n"
	"rule ScoreBig { meta: score = 100 condition: filesize > 0 }\n"
	"rule Plain { strings: $d = \"delta\" $p = \"alpha\" private condition: $d and $p }\n"
	"private rule Hidden { condition: true }\n"
	"rule NoMatch { strings: $z = \"zulu\" condition: $z }\n";

static void severity_and_evidence(void **state)
{
	(void)state;
	ps_rules *r = compile("unit.yar", rules_meta);
	assert_int_equal(ps_rules_count(r), 9); /* private rules are compiled rules too */

	/* alpha @3, beta (UTF-16LE) @11, gamma @22 and @28, delta @34 */
	static const uint8_t data[] = "xx alpha y b\0e\0t\0a\0 z gamma gamma delta";
	report rep;
	report_init(&rep);
	assert_int_equal(ps_rules_scan(r, data, sizeof(data) - 1, "/tmp/x.bin", 0, &rep.fs), PS_OK);
	ps_findings *fs = &rep.fs;
	assert_int_equal(fs->n, 7);
	/* libyara reports in rule order */
	const char *order[] = {"Crit",     "Scored",   "ScoreText", "ScoreLow",
	                       "ScoreNeg", "ScoreBig", "Plain"};
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(fs->v[i].id, "RULE-MATCH");
		assert_string_equal(ev_s(&fs->v[i], "rule"), order[i]);
		assert_string_equal(ev_s(&fs->v[i], "namespace"), "unit");
	}
	ps_rules_free(r); /* what the findings point to must not live in the rules */

	const ps_finding *f = &fs->v[0];
	assert_int_equal(f->severity, PS_SEV_CRITICAL); /* severity wins over score */
	assert_string_equal(f->title, "YARA rule Crit matched");
	assert_string_equal(ev_s(f, "tags"), "tagA tagB");
	assert_string_equal(ev_s(f, "description"), "crit \"rule\"");
	assert_string_equal(ev_s(f, "author"), "someone");
	assert_string_equal(ev_s(f, "strings"), "$a@0x3, $b@0xb");
	assert_int_equal(ev_u(f, "matches"), 2);
	/* valid IDs kept once, normalised; "bogus" dropped */
	assert_int_equal(f->n_attack, 2);
	assert_string_equal(f->attack[0], "T1055.012");
	assert_string_equal(f->attack[1], "T1027");

	f = &fs->v[1];
	assert_int_equal(f->severity, PS_SEV_HIGH); /* score 75 */
	assert_string_equal(ev_s(f, "tags"), "");
	assert_null(ev(f, "description"));
	assert_null(ev(f, "author"));
	assert_int_equal(f->n_attack, 1);
	assert_string_equal(f->attack[0], "T1547.001");
	/* fast mode: a string only tested for presence is recorded once */
	assert_string_equal(ev_s(f, "strings"), "$c@0x16");

	f = &fs->v[2];
	assert_int_equal(f->severity, PS_SEV_MEDIUM); /* "45" */
	assert_string_equal(ev_s(f, "strings"), "$c@0x16");
	assert_int_equal(ev_u(f, "matches"), 2); /* #c needs every match */

	assert_int_equal(fs->v[3].severity, PS_SEV_LOW);  /* 20; unknown severity word ignored */
	assert_int_equal(fs->v[4].severity, PS_SEV_INFO); /* negative: Loki's goodware marker */
	assert_int_equal(fs->v[5].severity, PS_SEV_CRITICAL);
	assert_string_equal(ev_s(&fs->v[5], "strings"), "");
	assert_int_equal(ev_u(&fs->v[5], "matches"), 0);

	f = &fs->v[6];
	assert_int_equal(f->severity, PS_SEV_HIGH); /* no meta */
	assert_string_equal(ev_s(f, "strings"), "$d@0x22"); /* the private $p is not shown */
	assert_int_equal(ev_u(f, "matches"), 1);
	assert_int_equal(f->n_attack, 0);
	ps_arena_release(&rep.arena);
}

/* ------------------------------------------------------------------ diagnostics, misuse */

static void syntax_error_reports_line(void **state)
{
	(void)state;
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new(&r), PS_OK);
	char ok[256], bad[256];
	snprintf(ok, sizeof(ok), "%s", write_rules("good.yar", "rule G { condition: true }\n"));
	snprintf(bad, sizeof(bad), "%s",
	         write_rules("bad.yar", "rule X {\n condition:\n  true and\n  foo bar\n}\n"));
	assert_int_equal(ps_rules_add_file(r, ok, diag_cb, &d), PS_OK);
	assert_int_equal(ps_rules_add_file(r, bad, diag_cb, &d), PS_EINVAL);
	assert_true(d.n >= 1);
	assert_string_equal(d.path, bad);
	assert_int_equal(d.line, 4);
	assert_true(strncmp(d.why, "error: ", 7) == 0);
	assert_non_null(strstr(d.why, "foo"));
	/* libyara cannot go on after an error */
	assert_int_equal(ps_rules_add_file(r, ok, diag_cb, &d), PS_EINVAL);
	assert_int_equal(ps_rules_finish(r), PS_EINVAL);
	assert_int_equal(ps_rules_count(r), 0);
	report rep;
	report_init(&rep);
	assert_int_equal(ps_rules_scan(r, (const uint8_t *)"x", 1, "x", 0, &rep.fs), PS_EINVAL);
	ps_rules_free(r);
	ps_arena_release(&rep.arena);
}

static void warning_is_reported_not_fatal(void **state)
{
	(void)state;
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new(&r), PS_OK);
	const char *p =
		write_rules("slow.yar", "\nrule W {\n strings: $a = { 01 ?? }\n condition: $a }\n");
	assert_int_equal(ps_rules_add_file(r, p, diag_cb, &d), PS_OK);
	assert_true(d.n >= 1);
	assert_int_equal(d.line, 3);
	assert_true(strncmp(d.why, "warning: ", 9) == 0);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(ps_rules_count(r), 1);
	assert_int_equal(ps_rules_finish(r), PS_OK); /* idempotent */
	assert_int_equal(ps_rules_add_file(r, p, diag_cb, &d), PS_EINVAL); /* finished */
	ps_rules_free(r);
}

static void unreadable_files(void **state)
{
	(void)state;
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new(&r), PS_OK);
	char missing[256];
	snprintf(missing, sizeof(missing), "%s/none.yar", tmpdir);
	assert_int_equal(ps_rules_add_file(r, missing, diag_cb, &d), PS_EIO);
	assert_int_equal(ps_rules_add_file(r, tmpdir, diag_cb, &d), PS_EIO); /* a directory */
	assert_int_equal(d.n, 0);
	/* an I/O failure does not spoil what was added */
	assert_int_equal(ps_rules_add_file(r, write_rules("g.yar", "rule G { condition: true }"),
	                                   diag_cb, &d),
	                 PS_OK);
	assert_int_equal(ps_rules_count(r), 0); /* not finished yet */
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(ps_rules_count(r), 1);
	ps_rules_free(r);
	ps_rules_free(NULL);
}

/* ------------------------------------------------------------------ external variables */

static int matches(const ps_rules *r, const void *data, size_t len, const char *path,
                   const char *rule)
{
	report rep;
	report_init(&rep);
	assert_int_equal(ps_rules_scan(r, data, len, path, 0, &rep.fs), PS_OK);
	int hit = rule_finding(&rep.fs, rule) != NULL;
	ps_arena_release(&rep.arena);
	return hit;
}

static void external_variables(void **state)
{
	(void)state;
	ps_rules *r = compile(
		"ext.yar",
		"rule ExeExt { condition: extension == \".exe\" and filetype == \"EXE\" }\n"
		"rule Names { condition: filename == \"a.EXE\" and filepath == \"/x/y\" }\n"
		"rule Bare { condition: filepath == \"\" and filename == \"b.tar.GZ\" and "
		"extension == \".gz\" and filetype == \"GZIP\" }\n"
		"rule Root { condition: filepath == \"/\" and filename == \".bashrc\" and "
		"extension == \"\" }\n"
	                      "rule Jpg { condition: filetype == \"JPG\" }\n"
	                      "rule Unknown { condition: filetype == \"UNKNOWN\" }\n");
	static const uint8_t mz[] = {'M', 'Z', 0x90, 0};
	assert_true(matches(r, mz, sizeof(mz), "/x/y/a.EXE", "ExeExt"));
	assert_true(matches(r, mz, sizeof(mz), "/x/y/a.EXE", "Names"));
	assert_false(matches(r, mz, sizeof(mz), "/x/y/a.dll", "ExeExt"));
	assert_false(matches(r, mz, sizeof(mz), "/x/y/a.dll", "Names"));
	assert_false(matches(r, "ZM\0\0", 4, "/x/y/a.exe", "ExeExt")); /* not MZ */
	assert_true(matches(r, "\x1f\x8b\x08\x00", 4, "b.tar.GZ", "Bare"));
	assert_true(matches(r, "#", 1, "/.bashrc", "Root"));
	assert_true(matches(r, "\xff\xd8\xff\xe0", 4, "/p/q.jpg", "Jpg"));
	assert_false(matches(r, "\xff\xd8", 2, "/p/q.jpg", "Jpg")); /* too short for the magic */
	assert_true(matches(r, "\0\0\0\0", 4, "/p/q", "Unknown"));
	assert_true(matches(r, NULL, 0, NULL, "Unknown")); /* empty file, no path */
	ps_rules_free(r);
}

/* ------------------------------------------------------------------ caps */

static void match_cap(void **state)
{
	(void)state;
	size_t n = PS_MAX_RULE_MATCHES + 6;
	char *text = malloc(n * 48);
	assert_non_null(text);
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "rule R%zu { condition: true }\n", i);
	ps_rules *r = compile("many.yar", text);
	free(text);
	assert_int_equal(ps_rules_count(r), n);
	report rep;
	report_init(&rep);
	assert_int_equal(ps_rules_scan(r, (const uint8_t *)"x", 1, "x", 0, &rep.fs), PS_OK);
	assert_int_equal(rep.fs.n, PS_MAX_RULE_MATCHES + 1);
	for (size_t i = 0; i < PS_MAX_RULE_MATCHES; i++)
		assert_string_equal(rep.fs.v[i].id, "RULE-MATCH");
	const ps_finding *lim = &rep.fs.v[PS_MAX_RULE_MATCHES];
	assert_string_equal(lim->id, "PE-LIMIT-REACHED");
	assert_string_equal(ev_s(lim, "structure"), "YARA rule matches");
	assert_int_equal(ev_u(lim, "cap"), PS_MAX_RULE_MATCHES);
	ps_arena_release(&rep.arena);
	ps_rules_free(r);
}

static void timeout_is_a_finding(void **state)
{
	(void)state;
	/* filesize^2 iterations: minutes on 64 KiB, stopped after one second */
	ps_rules *r = compile("slow2.yar",
	                      "rule Slow { condition: for all i in (0..filesize) : "
	                      "(for all j in (0..filesize) : (uint8(i) == uint8(j))) }\n");
	size_t len = 64 << 10;
	uint8_t *data = calloc(1, len);
	assert_non_null(data);
	report rep;
	report_init(&rep);
	assert_int_equal(ps_rules_scan(r, data, len, "/z", 1, &rep.fs), PS_OK);
	assert_int_equal(rep.fs.n, 1);
	assert_string_equal(rep.fs.v[0].id, "PE-LIMIT-REACHED");
	assert_string_equal(ev_s(&rep.fs.v[0], "structure"), "YARA scan time (seconds)");
	assert_int_equal(ev_u(&rep.fs.v[0], "cap"), 1);
	ps_arena_release(&rep.arena);
	free(data);
	ps_rules_free(r);
}

static void string_match_cap(void **state)
{
	(void)state;
	/* "abcd" a million and two times: YARA's per-string cap (YR_MAX_STRING_MATCHES)
	 * stops recording the string; the scan goes on and says so once. */
	ps_rules *r =
		compile("count.yar", "rule Many { strings: $a = \"abcd\" condition: #a > 10 }\n");
	size_t len = 4 * ((size_t)1000000 + 2);
	uint8_t *data = malloc(len);
	assert_non_null(data);
	for (size_t i = 0; i < len; i += 4)
		memcpy(data + i, "abcd", 4);
	report rep;
	report_init(&rep);
	assert_int_equal(ps_rules_scan(r, data, len, "/z", 0, &rep.fs), PS_OK);
	assert_int_equal(rep.fs.n, 2);
	assert_string_equal(rep.fs.v[0].id, "PE-LIMIT-REACHED");
	assert_string_equal(ev_s(&rep.fs.v[0], "structure"), "YARA matches of one string");
	assert_int_equal(ev_u(&rep.fs.v[0], "cap"), 1000000);
	assert_string_equal(rep.fs.v[1].id, "RULE-MATCH");
	assert_int_equal(ev_u(&rep.fs.v[1], "matches"), 1000000);
	ps_arena_release(&rep.arena);
	free(data);
	ps_rules_free(r);
}

/* One compiled rule set, several threads scanning at once, each with its own report. */
typedef struct worker {
	pthread_t t;
	const ps_rules *r;
	unsigned hits, errors;
} worker;

static void *scan_loop(void *arg)
{
	worker *w = arg;
	static const uint8_t data[] = "MZ..alpha..xx..beta";
	for (unsigned i = 0; i < 300; i++) {
		report rep;
		report_init(&rep);
		char path[64];
		snprintf(path, sizeof(path), "/t/%u/f%u.%s", i % 7, i, i % 2 ? "exe" : "dll");
		if (ps_rules_scan(w->r, data, sizeof(data) - 1, path, 0, &rep.fs) != PS_OK)
			w->errors++;
		for (size_t k = 0; k < rep.fs.n; k++)
			if (strcmp(rep.fs.v[k].id, "RULE-MATCH") == 0)
				w->hits++;
		ps_arena_release(&rep.arena);
	}
	return NULL;
}

static void shared_between_threads(void **state)
{
	(void)state;
	ps_rules *r = compile(
		"mt.yar",
		"rule A { strings: $a = \"alpha\" $b = \"beta\" condition: all of them }\n"
		"rule Exe { condition: extension == \".exe\" and filetype == \"EXE\" }\n");
	worker w[4];
	for (size_t i = 0; i < 4; i++) {
		w[i] = (worker){.r = r};
		assert_int_equal(pthread_create(&w[i].t, NULL, scan_loop, &w[i]), 0);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(w[i].t, NULL), 0);
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(w[i].hits, 300 + 150); /* A every time, Exe for odd i */
	}
	ps_rules_free(r);
}

/* ------------------------------------------------------------------ deferred compilation */

/* A deferred pack reads its prefilter at once and compiles on first use: the rules and
 * matches are those of an eager pack, the text compiled is the text read when the file was
 * added (it stays open), and four threads racing the first scan compile it once. */
static void deferred_compiles_on_first_use(void **state)
{
	(void)state;
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new_deferred(&r), PS_OK);
	char path[256];
	snprintf(path, sizeof(path), "%s",
	         write_rules("lazy.yar", "// pesleuth-prefilter: \"alpha\"\n"
	                                 "rule A { strings: $a = \"alpha\" $b = \"beta\" condition: all of them }\n"
	                                 "rule Exe { condition: extension == \".exe\" and filetype == \"EXE\" }\n"));
	assert_int_equal(ps_rules_add_file(r, path, diag_cb, &d), PS_OK);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	const char *const *lits = NULL;
	assert_int_equal(ps_rules_prefilter(r, &lits), 1); /* known before compiling */
	assert_string_equal(lits[0], "alpha");
	/* replaced after it was added: the open file is what gets compiled */
	assert_int_equal(unlink(path), 0);
	write_rules("lazy.yar", "rule Other { condition: true }\n");
	worker w[4];
	for (size_t i = 0; i < 4; i++) {
		w[i] = (worker){.r = r};
		assert_int_equal(pthread_create(&w[i].t, NULL, scan_loop, &w[i]), 0);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(w[i].t, NULL), 0);
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(w[i].hits, 300 + 150);
	}
	assert_int_equal(ps_rules_count(r), 2);
	assert_int_equal(d.n, 0);
	ps_rules_free(r);

	/* ps_rules_count compiles too; freeing an unused deferred pack closes its files */
	assert_int_equal(ps_rules_new_deferred(&r), PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("c.yar", "rule C { condition: true }\n"), diag_cb, &d), PS_OK);
	assert_int_equal(ps_rules_count(r), 0); /* not finished */
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(ps_rules_count(r), 1);
	ps_rules_free(r);
	assert_int_equal(ps_rules_new_deferred(&r), PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("c.yar", "rule C { condition: true }\n"), diag_cb, &d), PS_OK);
	ps_rules_free(r);
}

/* A deferred pack that does not compile: adding and finishing succeed, the first scan
 * reports the error with its line and fails with PS_ERULES, and so does every later one. */
static void deferred_error_at_first_use(void **state)
{
	(void)state;
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new_deferred(&r), PS_OK);
	char bad[256];
	snprintf(bad, sizeof(bad), "%s", write_rules("bad.yar", "rule X {\n condition:\n  true and\n  foo bar\n}\n"));
	assert_int_equal(ps_rules_add_file(r, bad, diag_cb, &d), PS_OK);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(d.n, 0);
	for (int i = 0; i < 2; i++) {
		report rep;
		report_init(&rep);
		assert_int_equal(ps_rules_scan(r, (const uint8_t *)"x", 1, "x", 0, &rep.fs), PS_ERULES);
		assert_int_equal(rep.fs.n, 0);
		ps_arena_release(&rep.arena);
	}
	assert_true(d.n >= 1);
	assert_string_equal(d.path, bad);
	assert_int_equal(d.line, 4);
	assert_true(strncmp(d.why, "error: ", 7) == 0);
	assert_int_equal(ps_rules_count(r), 0);
	assert_string_equal(ps_strerror(PS_ERULES), "the YARA rules could not be compiled");
	ps_rules_free(r);
}

/* Past PS_MAX_DEFERRED_RULE_FILES open files a deferred pack compiles as it is added: an
 * error in a later file is then reported at once, and every rule is there. */
static void deferred_past_the_cap(void **state)
{
	(void)state;
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new_deferred(&r), PS_OK);
	for (unsigned i = 0; i < PS_MAX_DEFERRED_RULE_FILES + 3; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "r%u.yar", i);
		snprintf(text, sizeof(text), "rule R%u { condition: true }\n", i);
		assert_int_equal(ps_rules_add_file(r, write_rules(name, text), diag_cb, &d), PS_OK);
	}
	assert_int_equal(ps_rules_add_file(r, write_rules("zz.yar", "rule Z { condition: nope }\n"), diag_cb, &d),
	                 PS_EINVAL);
	assert_int_equal(d.n, 1);
	ps_rules_free(r);

	assert_int_equal(ps_rules_new_deferred(&r), PS_OK);
	for (unsigned i = 0; i < PS_MAX_DEFERRED_RULE_FILES + 3; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "r%u.yar", i);
		snprintf(text, sizeof(text), "rule R%u { condition: true }\n", i);
		assert_int_equal(ps_rules_add_file(r, write_rules(name, text), diag_cb, &d), PS_OK);
	}
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(ps_rules_count(r), PS_MAX_DEFERRED_RULE_FILES + 3);
	assert_true(matches(r, "x", 1, "x", "R0"));
	ps_rules_free(r);
}

/* ------------------------------------------------------------------ the shipped pack */

/* A fixture line of a shipped rule file:
 *   " * fixture RULE: ITEM ITEM ..."
 * ITEM is MZ ("MZ" then zeros to 64 bytes), "text" (bytes then one NUL) or W"text" (UTF-16LE
 * then two NULs); \xNN is a byte, \c is c. */
typedef struct fixture {
	char rule[129];
	char ns[64];
	uint8_t data[1024];
	size_t len;
} fixture;

static int parse_items(const char *s, fixture *fx)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			s++;
			continue;
		}
		if (s[0] == 'M' && s[1] == 'Z') {
			if (n + 64 > sizeof(fx->data))
				return 0;
			memset(fx->data + n, 0, 64);
			fx->data[n] = 'M';
			fx->data[n + 1] = 'Z';
			n += 64;
			s += 2;
			continue;
		}
		int wide = 0;
		if (*s == 'W') {
			wide = 1;
			s++;
		}
		if (*s++ != '"')
			return 0;
		while (*s && *s != '"') {
			unsigned c;
			if (s[0] == '\\' && s[1] == 'x') {
				char hex[3] = {s[2], s[3], 0};
				c = (unsigned)strtoul(hex, NULL, 16);
				s += 4;
			} else if (s[0] == '\\' && s[1]) {
				c = (unsigned char)s[1];
				s += 2;
			} else {
				c = (unsigned char)*s++;
			}
			if (n + 2 > sizeof(fx->data))
				return 0;
			fx->data[n++] = (uint8_t)c;
			if (wide)
				fx->data[n++] = 0;
		}
		if (*s++ != '"')
			return 0;
		if (n + 2 > sizeof(fx->data))
			return 0;
		fx->data[n++] = 0;
		if (wide)
			fx->data[n++] = 0;
	}
	fx->len = n;
	return n > 0;
}

/* Reads the fixtures of one rule file; returns how many were appended. */
static size_t read_fixtures(const char *path, const char *ns, fixture *fx, size_t cap, size_t have)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[2048];
	size_t got = 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "* fixture ");
		if (!p)
			continue;
		p += strlen("* fixture ");
		const char *colon = strchr(p, ':');
		assert_non_null(colon);
		assert_true(have + got < cap);
		fixture *x = &fx[have + got];
		memset(x, 0, sizeof(*x));
		assert_true((size_t)(colon - p) < sizeof(x->rule));
		memcpy(x->rule, p, (size_t)(colon - p));
		snprintf(x->ns, sizeof(x->ns), "%s", ns);
		assert_true(parse_items(colon + 1, x));
		got++;
	}
	fclose(f);
	return got;
}

static void shipped_pack(void **state)
{
	(void)state;
	const char *root = getenv("PESLEUTH_ROOT");
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/rules", root && *root ? root : ".");
	DIR *d = opendir(dir);
	assert_non_null(d);

	ps_rules *r = NULL;
	diag_log dg = {0};
	assert_int_equal(ps_rules_new(&r), PS_OK);
	static fixture fx[64];
	size_t nfx = 0, files = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".yar") != 0)
			continue;
		char path[1400], ns[64];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(ns, sizeof(ns), "%.*s", (int)(l - 4), e->d_name);
		assert_int_equal(ps_rules_add_file(r, path, diag_cb, &dg), PS_OK);
		nfx += read_fixtures(path, ns, fx, sizeof(fx) / sizeof(fx[0]), nfx);
		files++;
	}
	closedir(d);
	assert_true(files >= 2); /* duqu.yar, carbanak_pos.yar */
	if (dg.n)
		print_error("%s:%u: %s\n", dg.path, dg.line, dg.why);
	assert_int_equal(dg.n, 0); /* not even a warning */
	assert_int_equal(ps_rules_finish(r), PS_OK);
	/* one fixture per rule, every rule covered */
	assert_int_equal(nfx, ps_rules_count(r));
	for (size_t i = 0; i < nfx; i++)
		for (size_t k = i + 1; k < nfx; k++)
			assert_string_not_equal(fx[i].rule, fx[k].rule);
	assert_true(nfx >= 13);

	for (size_t i = 0; i < nfx; i++) {
		report rep;
		report_init(&rep);
		assert_int_equal(
			ps_rules_scan(r, fx[i].data, fx[i].len, "/evidence/sample.bin", 0, &rep.fs),
			PS_OK);
		const ps_finding *f = rule_finding(&rep.fs, fx[i].rule);
		if (!f)
			print_error("fixture of %s does not match it\n", fx[i].rule);
		assert_non_null(f);
		assert_string_equal(ev_s(f, "namespace"), fx[i].ns);
		assert_string_equal(ev_s(f, "author"), "pesleuth");
		assert_non_null(ev(f, "description"));
		assert_true(f->severity >= PS_SEV_HIGH);
		assert_int_equal(f->n_attack, 1);
		assert_int_equal(f->attack[0][0], 'T');
		/* every other finding is a rule match too (related rules may fire together) */
		for (size_t k = 0; k < rep.fs.n; k++)
			assert_string_equal(rep.fs.v[k].id, "RULE-MATCH");
		ps_arena_release(&rep.arena);

		uint8_t *zeros = calloc(1, fx[i].len);
		assert_non_null(zeros);
		report_init(&rep);
		assert_int_equal(
			ps_rules_scan(r, zeros, fx[i].len, "/evidence/sample.bin", 0, &rep.fs),
			PS_OK);
		assert_int_equal(rep.fs.n, 0);
		ps_arena_release(&rep.arena);
		free(zeros);

		/* through the whole analysis, with the pack's prefilter deciding whether YARA runs */
		ps_options opt;
		ps_options_init(&opt);
		opt.rules = r;
		ps_report *rp = NULL;
		assert_int_equal(ps_analyze_buffer(&rp, fx[i].data, fx[i].len, "/evidence/sample.bin", &opt), PS_OK);
		size_t k = 0;
		while (k < rp->n_findings &&
		       !(strcmp(rp->findings[k].id, "RULE-MATCH") == 0 &&
		         strstr(rp->findings[k].title, fx[i].rule) != NULL))
			k++;
		if (k == rp->n_findings)
			print_error("the prefilter hides the fixture of %s\n", fx[i].rule);
		assert_true(k < rp->n_findings);
		ps_report_free(rp);
	}
	/* the shipped pack declares its prefilter, so YARA skips files without its literals */
	const char *const *lits = NULL;
	assert_true(ps_rules_prefilter(r, &lits) >= 2);
	assert_non_null(lits);
	ps_rules_free(r);
}

/* The per-file time budget stops the scanners beyond hashing, and says so. */
static void time_budget(void **state)
{
	(void)state;
	ps_rules *r = compile("tb.yar", "rule Always { condition: true }\n");
	ps_options opt;
	ps_options_init(&opt);
	opt.rules = r;
	const size_t len = 64u << 20;
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)("http://a.example.com/ "[i % 22]); /* strings everywhere */
	opt.time_budget_ms = 1;
	ps_report *rp = NULL;
	assert_int_equal(ps_analyze_buffer(&rp, buf, len, "big", &opt), PS_OK);
	bool limit = false, rule = false;
	for (size_t i = 0; i < rp->n_findings; i++) {
		limit |= !strcmp(rp->findings[i].id, "PE-LIMIT-REACHED") && strstr(rp->findings[i].title, "time budget");
		rule |= !strcmp(rp->findings[i].id, "RULE-MATCH");
	}
	assert_true(limit);
	assert_false(rule);
	assert_true(rp->hashes.computed & PS_HASH_SHA256); /* hashing is never cut */
	ps_report_free(rp);
	/* the default budget: everything runs */
	opt.time_budget_ms = 0;
	rp = NULL;
	assert_int_equal(ps_analyze_buffer(&rp, buf, 1u << 20, "small", &opt), PS_OK);
	rule = false;
	for (size_t i = 0; i < rp->n_findings; i++)
		rule |= !strcmp(rp->findings[i].id, "RULE-MATCH");
	assert_true(rule);
	ps_report_free(rp);
	free(buf);
	ps_rules_free(r);
}

static void prefilter_declarations(void **state)
{
	(void)state;
	const char *const *lits = NULL;
	/* two files, both declaring: the union, lower-cased, duplicates once */
	ps_rules *r = NULL;
	diag_log d = {0};
	assert_int_equal(ps_rules_new(&r), PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("a.yar", "// pesleuth-prefilter: \"Alpha\" \"be\\\\ta\"\n"
	                                                         "rule A { strings: $a = \"alpha\" nocase condition: $a }\n"),
	                                   diag_cb, &d),
	                 PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("b.yar", "  //pesleuth-prefilter: \"alpha\" \"\\x7eDQ\"\n"
	                                                         "rule B { strings: $a = \"~DQ123\" wide condition: $a }\n"),
	                                   diag_cb, &d),
	                 PS_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(ps_rules_prefilter(r, &lits), 3);
	assert_string_equal(lits[0], "alpha");
	assert_string_equal(lits[1], "be\\ta");
	assert_string_equal(lits[2], "~dq");
	/* analysis: YARA runs when a literal is in a string run (any case, UTF-16LE too) */
	ps_options opt;
	ps_options_init(&opt);
	opt.rules = r;
	static const uint8_t wide[] = "MZ\0\0~\0D\0Q\0001\0002\0003\0\0\0";
	ps_report *rp = NULL;
	assert_int_equal(ps_analyze_buffer(&rp, wide, sizeof(wide), "x", &opt), PS_OK);
	assert_int_equal(rp->n_findings >= 1, 1);
	ps_report_free(rp);
	ps_rules_free(r);

	/* the contract seen from outside: a rule true for every file runs only when a literal is there */
	r = NULL;
	assert_int_equal(ps_rules_new(&r), PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("f.yar", "// pesleuth-prefilter: \"needle\"\nrule F { condition: true }\n"),
	                                   diag_cb, &d),
	                 PS_OK);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	opt.rules = r;
	static const uint8_t with[] = "....a NEEDLE here....", without[] = "....a needl here....";
	rp = NULL;
	assert_int_equal(ps_analyze_buffer(&rp, with, sizeof(with), "x", &opt), PS_OK);
	assert_true(rp->n_findings == 1 && !strcmp(rp->findings[0].id, "RULE-MATCH"));
	ps_report_free(rp);
	rp = NULL;
	assert_int_equal(ps_analyze_buffer(&rp, without, sizeof(without), "x", &opt), PS_OK);
	assert_int_equal(rp->n_findings, 0);
	ps_report_free(rp);

	/* a printable run longer than PS_STR_MAX_LEN reaches the scanner cut: a literal in the cut
	 * tail (straddling the cut, or far beyond it), ASCII or UTF-16LE, still lets YARA run, and
	 * a long run without one does not */
	static const size_t at[] = {0, PS_STR_MAX_LEN - 3, PS_STR_MAX_LEN, 5000, 9994};
	for (size_t w = 0; w < 2; w++) {
		for (size_t k = 0; k <= sizeof(at) / sizeof(at[0]); k++) {
			size_t chars = 10000, step = w + 1, n = chars * step;
			uint8_t *buf = calloc(1, n);
			assert_non_null(buf);
			for (size_t i = 0; i < chars; i++)
				buf[i * step] = (uint8_t)('a' + i % 7); /* a..g: never "needle" */
			bool put = k < sizeof(at) / sizeof(at[0]);
			if (put)
				for (size_t i = 0; i < 6; i++)
					buf[(at[k] + i) * step] = (uint8_t)"NeEdLe"[i];
			rp = NULL;
			assert_int_equal(ps_analyze_buffer(&rp, buf, n, "x", &opt), PS_OK);
			if (put != (rp->n_findings == 1))
				print_error("wide %zu, literal at %zu (%s): %zu findings\n", w, put ? at[k] : 0,
				            put ? "put" : "none", rp->n_findings);
			assert_int_equal(rp->n_findings, put ? 1 : 0);
			ps_report_free(rp);
			free(buf);
		}
	}
	ps_rules_free(r);

	/* one file without a declaration: no prefilter, every file is scanned */
	r = NULL;
	assert_int_equal(ps_rules_new(&r), PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("c.yar", "// pesleuth-prefilter: \"alpha\"\nrule C { condition: false }\n"),
	                                   diag_cb, &d),
	                 PS_OK);
	assert_int_equal(ps_rules_add_file(r, write_rules("d.yar", "rule D { condition: filesize > 0 }\n"), diag_cb, &d), PS_OK);
	assert_int_equal(ps_rules_finish(r), PS_OK);
	assert_int_equal(ps_rules_prefilter(r, &lits), 0);
	ps_rules_free(r);

	/* malformed declarations are errors with their line */
	static const char *bad[] = {
		"// pesleuth-prefilter: alpha\n",               /* not quoted */
		"// pesleuth-prefilter: \"ab\"\n",             /* too short */
		"// pesleuth-prefilter: \"a\\x01bc\"\n",       /* not printable */
		"// pesleuth-prefilter: \"abc\n",              /* unterminated */
		"\n// pesleuth-prefilter:\n",                  /* empty */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = NULL;
		memset(&d, 0, sizeof(d));
		assert_int_equal(ps_rules_new(&r), PS_OK);
		char text[256];
		snprintf(text, sizeof(text), "%srule E { condition: true }\n", bad[i]);
		assert_int_equal(ps_rules_add_file(r, write_rules("e.yar", text), diag_cb, &d), PS_EINVAL);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.line, i == 4 ? 2u : 1u);
		assert_non_null(strstr(d.why, "pesleuth-prefilter"));
		ps_rules_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(severity_and_evidence),
		cmocka_unit_test(syntax_error_reports_line),
		cmocka_unit_test(warning_is_reported_not_fatal),
		cmocka_unit_test(unreadable_files),
		cmocka_unit_test(external_variables),
		cmocka_unit_test(match_cap),
		cmocka_unit_test(timeout_is_a_finding),
		cmocka_unit_test(string_match_cap),
		cmocka_unit_test(shared_between_threads),
		cmocka_unit_test(deferred_compiles_on_first_use),
		cmocka_unit_test(deferred_error_at_first_use),
		cmocka_unit_test(deferred_past_the_cap),
		cmocka_unit_test(shipped_pack),
		cmocka_unit_test(prefilter_declarations),
		cmocka_unit_test(time_budget),
	};
	return cmocka_run_group_tests(tests, setup_dir, cleanup_dir);
}
