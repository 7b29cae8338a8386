/* YARA rules: compiled once by libyara, scanned per file with one YR_SCANNER per call.
 *
 * Ownership and threads. ps_rules_new/ps_rules_free bracket libyara's process-global state
 * (yr_initialize/yr_finalize are reference-counted but not locked), so they belong to the
 * thread that loads the configuration, before workers start and after they stop. Between
 * ps_rules_finish and ps_rules_free the YR_RULES is read-only; each ps_rules_scan creates its
 * own YR_SCANNER (matches, externals, timeout live there), which is how YARA 4 shares rules
 * between threads.
 *
 * Deferred compilation (ps_rules_new_deferred). A rule pack the user did not name (the shipped
 * one) is compiled the first time a file needs it, not at start: its prefilter declarations
 * are read when a file is added (the files stay open, so the text compiled is the text read),
 * libyara compiles them under a lock when the first ps_rules_scan or ps_rules_count asks, and
 * a scan that meets none of the prefilter's literals never pays for compiling (about 30 ms,
 * most of it first-touch page faults in libyara's arenas). A pack that does not compile is
 * reported through each file's diag callback at that moment, and every scan then returns
 * PS_ERULES.
 *
 * Untrusted text. The scanned file only controls the path (the external variables) and the
 * matched bytes, which never leave libyara. Rule names, tags and meta come from the user's
 * rule file: they go into evidence (converted to valid UTF-8 by ps_ev_str), and the title
 * carries only a copy of the rule identifier restricted to YARA's identifier alphabet.
 */
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yara.h>

#include "limits.h"
#include "pesleuth/error.h"

struct ps_rules {
	YR_COMPILER *compiler; /* until ps_rules_finish */
	YR_RULES *rules;       /* after ps_rules_finish */
	size_t count;
	int initialized; /* yr_initialize succeeded: owe one yr_finalize */
	int failed;      /* a compile error: the compiler can no longer be used (libyara asserts) */
	/* The prefilter: literals (lower case) one of which every matching file contains. Only
	 * when every rule file declared its own (pf_all); the union of the declarations. */
	char pf[PS_MAX_PREFILTER][PS_PREFILTER_MAX_LEN + 1];
	const char *pf_ptr[PS_MAX_PREFILTER];
	size_t n_pf;
	int pf_all; /* every file added so far declared a prefilter */
	size_t n_files;
	/* deferred compilation: the files added, open, until the first use compiles them */
	int deferred;
	int finished; /* ps_rules_finish was called */
	struct pending {
		FILE *f;
		char *ns, *path;
		ps_diag_fn diag;
		void *ctx;
	} pend[PS_MAX_DEFERRED_RULE_FILES];
	size_t n_pend;
	pthread_mutex_t lock;
	atomic_int state; /* 0: not compiled yet, 1: compiled, -1: does not compile */
	int lazy_err;     /* why, when state is -1 */
};

/* Loki's external variables; every rule file is compiled with them declared. */
static const char *const externals[] = {"filename", "filepath", "extension", "filetype"};

/* ------------------------------------------------------------------------- paths */

/* Offset of the base name: after the last '/'. Only '/' separates: on the systems we run on
 * a backslash is an ordinary file-name character. */
static size_t base_start(const char *path, size_t len)
{
	size_t b = 0;
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			b = i + 1;
	return b;
}

/* os.path.splitext on a base name: offset of the extension's dot within base, or blen when
 * there is none. Leading dots belong to the name (".bashrc" has no extension). */
static size_t ext_start(const char *base, size_t blen)
{
	size_t i = 0;
	while (i < blen && base[i] == '.')
		i++;
	size_t dot = blen;
	for (; i < blen; i++)
		if (base[i] == '.')
			dot = i;
	return dot;
}

/* os.path.split(path)[0]: the directory without its trailing slashes, except that a
 * directory made only of slashes ("/", "//") is kept whole. */
static size_t dir_len(const char *path, size_t base_off)
{
	size_t n = base_off;
	size_t k = n;
	while (k > 0 && path[k - 1] == '/')
		k--;
	return k > 0 ? k : n;
}

/* ------------------------------------------------------------------------- loading */

static int yr_err(int yr) { return yr == ERROR_INSUFFICIENT_MEMORY ? PS_ENOMEM : PS_EINTERNAL; }

/* A compiler with Loki's external variables declared. */
static int start_compiler(ps_rules *r)
{
	int yr = yr_compiler_create(&r->compiler);
	if (yr != ERROR_SUCCESS) {
		r->compiler = NULL;
		return yr_err(yr);
	}
	for (size_t i = 0; i < sizeof(externals) / sizeof(externals[0]); i++) {
		yr = yr_compiler_define_string_variable(r->compiler, externals[i], "");
		if (yr != ERROR_SUCCESS)
			return yr_err(yr);
	}
	return PS_OK;
}

static int rules_new(ps_rules **out, int deferred)
{
	int err = PS_OK;
	*out = NULL;
	ps_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return PS_ENOMEM;
	r->deferred = deferred;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return PS_EINTERNAL;
	}
	atomic_init(&r->state, 0);
	int yr = yr_initialize();
	if (yr != ERROR_SUCCESS) {
		err = yr_err(yr);
		goto out;
	}
	r->initialized = 1;
	if (!deferred)
		err = start_compiler(r);
out:
	if (err) {
		ps_rules_free(r);
		r = NULL;
	}
	*out = r;
	return err;
}

int ps_rules_new(ps_rules **out) { return rules_new(out, 0); }

int ps_rules_new_deferred(ps_rules **out) { return rules_new(out, 1); }

typedef struct diag_ctx {
	ps_diag_fn fn;
	void *ctx;
	const char *path;
} diag_ctx;

/* libyara's messages quote pieces of the rule file (identifiers, regexps): the callback
 * contract is ASCII, so anything else becomes '?'. */
static void compiler_cb(int level, const char *file_name, int line, const YR_RULE *rule,
                        const char *message, void *user)
{
	(void)rule;
	diag_ctx *d = user;
	if (!d->fn)
		return;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s: %s",
	                 level == YARA_ERROR_LEVEL_WARNING ? "warning" : "error",
	                 message ? message : "(no message)");
	if (n < 0)
		buf[0] = '\0';
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	/* file_name is set for the file being compiled and for files it includes. */
	d->fn(d->ctx, file_name ? file_name : d->path, line > 0 ? (unsigned)line : 0u, buf);
}

static void compiler_quiet(int level, const char *file_name, int line, const YR_RULE *rule,
                           const char *message, void *user)
{
	(void)level, (void)file_name, (void)line, (void)rule, (void)message, (void)user;
}

/* One "// pesleuth-prefilter: "lit" "lit" ..." line: the literals (C escapes \\ \" \xNN)
 * appended to out (lower-cased). Returns the number added, or -1 with *why set. */
static int prefilter_line(const char *p, char out[][PS_PREFILTER_MAX_LEN + 1], size_t *n, const char **why)
{
	int added = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n' || *p == '\r')
			return added;
		if (*p != '"') {
			*why = "pesleuth-prefilter: literals are double-quoted";
			return -1;
		}
		p++;
		char lit[PS_PREFILTER_MAX_LEN + 1];
		size_t m = 0;
		while (*p != '"') {
			unsigned ch;
			if (*p == '\0' || *p == '\n') {
				*why = "pesleuth-prefilter: unterminated literal";
				return -1;
			}
			if (*p == '\\') {
				p++;
				if (*p == 'x' && p[1] && p[2] && strchr("0123456789abcdefABCDEF", p[1]) &&
				    strchr("0123456789abcdefABCDEF", p[2])) {
					char hx[3] = {p[1], p[2], 0};
					ch = (unsigned)strtoul(hx, NULL, 16);
					p += 3;
				} else if (*p == '\\' || *p == '"') {
					ch = (unsigned char)*p++;
				} else {
					*why = "pesleuth-prefilter: unknown escape";
					return -1;
				}
			} else {
				ch = (unsigned char)*p++;
			}
			if (ch < 0x20 || ch > 0x7e) {
				*why = "pesleuth-prefilter: literals are printable ASCII (the string scanner's alphabet)";
				return -1;
			}
			if (m >= PS_PREFILTER_MAX_LEN) {
				*why = "pesleuth-prefilter: literal too long";
				return -1;
			}
			lit[m++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		p++;
		lit[m] = '\0';
		if (m < PS_PREFILTER_MIN_LEN) {
			*why = "pesleuth-prefilter: literal too short";
			return -1;
		}
		size_t k = 0;
		while (k < *n && strcmp(out[k], lit))
			k++;
		if (k == *n) {
			if (*n >= PS_MAX_PREFILTER) {
				*why = "pesleuth-prefilter: too many literals";
				return -1;
			}
			memcpy(out[(*n)++], lit, m + 1);
		}
		added++;
	}
}

/* Reads the prefilter declarations of a rule file; rewinds it. Returns 1 when the file
 * declares one, 0 when not, -1 on a malformed declaration (reported through diag). */
static int read_prefilter(ps_rules *rules, FILE *f, const char *path, ps_diag_fn diag, void *ctx)
{
	static const char tag[] = "pesleuth-prefilter:";
	char line[1024];
	unsigned ln = 0;
	int declared = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		const char *q = line;
		while (*q == ' ' || *q == '\t')
			q++;
		if (q[0] != '/' || q[1] != '/')
			continue;
		q += 2;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, tag, sizeof(tag) - 1))
			continue;
		const char *why = NULL;
		int n = prefilter_line(q + sizeof(tag) - 1, rules->pf, &rules->n_pf, &why);
		if (n < 0 || (n == 0 && (why = "pesleuth-prefilter: no literal"))) {
			if (diag)
				diag(ctx, path, ln, why);
			rewind(f);
			return -1;
		}
		declared = 1;
	}
	rewind(f);
	return declared;
}

/* Compiles one open rule file (diagnostics through diag); a failure spoils the compiler. */
static int compile_file(ps_rules *r, FILE *f, const char *ns, const char *path, ps_diag_fn diag, void *ctx)
{
	diag_ctx d = {diag, ctx, path};
	yr_compiler_set_callback(r->compiler, compiler_cb, &d);
	int nerr = yr_compiler_add_file(r->compiler, f, ns, path);
	/* Do not leave a pointer to this stack frame in the compiler. */
	yr_compiler_set_callback(r->compiler, compiler_quiet, NULL);
	if (nerr > 0) {
		r->failed = 1;
		return PS_EINVAL;
	}
	return PS_OK;
}

/* Compiles the files a deferred ps_rules kept, in the order they were added, and closes them. */
static int compile_pending(ps_rules *r)
{
	int err = r->compiler ? PS_OK : start_compiler(r);
	for (size_t i = 0; i < r->n_pend; i++) {
		struct pending *p = &r->pend[i];
		if (!err)
			err = compile_file(r, p->f, p->ns, p->path, p->diag, p->ctx);
		fclose(p->f);
		free(p->ns);
		free(p->path);
	}
	r->n_pend = 0;
	return err;
}

int ps_rules_add_file(ps_rules *rules, const char *path, ps_diag_fn diag, void *ctx)
{
	if (!rules || !path || rules->failed || rules->finished || (!rules->deferred && !rules->compiler))
		return PS_EINVAL;
	int err = PS_OK;
	FILE *f = NULL;
	char *ns = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PS_EIO;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		err = PS_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		/* flex would fail on read() and report an opaque fatal error. */
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		err = PS_EIO;
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = PS_EIO;
		goto out;
	}
	fd = -1;

	/* Namespace: the base name without its extension ("rules/duqu.yar" -> "duqu"). */
	size_t len = strlen(path);
	size_t b = base_start(path, len);
	size_t e = ext_start(path + b, len - b);
	if (e == 0) {
		ns = strdup("default");
	} else {
		ns = malloc(e + 1);
		if (ns) {
			memcpy(ns, path + b, e);
			ns[e] = '\0';
		}
	}
	if (!ns) {
		err = PS_ENOMEM;
		goto out;
	}

	int pf = read_prefilter(rules, f, path, diag, ctx);
	if (pf < 0) {
		rules->failed = 1;
		err = PS_EINVAL;
		goto out;
	}
	rules->pf_all = (rules->n_files == 0 || rules->pf_all) && pf == 1;
	rules->n_files++;

	if (rules->deferred && rules->n_pend < PS_MAX_DEFERRED_RULE_FILES) {
		char *pc = strdup(path);
		if (!pc) {
			err = PS_ENOMEM;
			goto out;
		}
		rules->pend[rules->n_pend++] = (struct pending){f, ns, pc, diag, ctx};
		f = NULL;
		ns = NULL;
		goto out;
	}
	if (rules->deferred) {
		/* No more open files than the cap: what was kept is compiled now, and the rest of
		 * the pack as it is added. */
		rules->deferred = 0;
		err = compile_pending(rules);
		if (err)
			goto out;
	}
	err = compile_file(rules, f, ns, path, diag, ctx);
out:
	free(ns);
	if (f)
		fclose(f);
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return err;
}

/* The compiler's rules; the compiler (and its copies of the source text) goes. */
static int get_rules(ps_rules *rules)
{
	YR_RULES *yr_rules = NULL;
	int yr = yr_compiler_get_rules(rules->compiler, &yr_rules);
	if (yr != ERROR_SUCCESS)
		return yr_err(yr);
	yr_compiler_destroy(rules->compiler);
	rules->compiler = NULL;
	rules->rules = yr_rules;
	size_t n = 0;
	YR_RULE *rule;
	yr_rules_foreach(yr_rules, rule)
		n++;
	rules->count = n;
	return PS_OK;
}

int ps_rules_finish(ps_rules *rules)
{
	if (!rules || rules->failed)
		return PS_EINVAL;
	if (rules->finished)
		return PS_OK;
	if (!rules->deferred) {
		if (!rules->compiler)
			return PS_EINVAL;
		int err = get_rules(rules);
		if (err)
			return err;
		atomic_store_explicit(&rules->state, 1, memory_order_release);
	}
	for (size_t k = 0; k < rules->n_pf; k++)
		rules->pf_ptr[k] = rules->pf[k];
	rules->finished = 1;
	return PS_OK;
}

/* The compiled rules, compiling a deferred pack on first use (once, under the lock). The
 * object stays logically immutable: callers see the same rules whichever thread compiled. */
static int ensure_compiled(const ps_rules *cr)
{
	int st = atomic_load_explicit(&cr->state, memory_order_acquire);
	if (st)
		return st > 0 ? PS_OK : cr->lazy_err;
	if (!cr->finished)
		return PS_EINVAL;
	ps_rules *r = (ps_rules *)cr;
	pthread_mutex_lock(&r->lock);
	st = atomic_load_explicit(&r->state, memory_order_relaxed);
	if (!st) {
		int err = compile_pending(r);
		if (!err)
			err = get_rules(r);
		r->lazy_err = err == PS_EINVAL ? PS_ERULES : err;
		atomic_store_explicit(&r->state, err ? -1 : 1, memory_order_release);
		st = err ? -1 : 1;
	}
	pthread_mutex_unlock(&r->lock);
	return st > 0 ? PS_OK : r->lazy_err;
}

size_t ps_rules_prefilter(const ps_rules *rules, const char *const **lits)
{
	*lits = NULL;
	if (!rules || !rules->finished || !rules->pf_all || !rules->n_pf)
		return 0;
	*lits = rules->pf_ptr;
	return rules->n_pf;
}

size_t ps_rules_count(const ps_rules *rules)
{
	return rules && ensure_compiled(rules) == PS_OK ? rules->count : 0;
}

void ps_rules_free(ps_rules *rules)
{
	if (!rules)
		return;
	for (size_t i = 0; i < rules->n_pend; i++) {
		fclose(rules->pend[i].f);
		free(rules->pend[i].ns);
		free(rules->pend[i].path);
	}
	if (rules->compiler)
		yr_compiler_destroy(rules->compiler);
	if (rules->rules)
		yr_rules_destroy(rules->rules);
	if (rules->initialized)
		yr_finalize();
	pthread_mutex_destroy(&rules->lock);
	free(rules);
}

/* ------------------------------------------------------------------------- scanning */

/* Loki's filetype values for the magic numbers it knows best; the rest is "UNKNOWN". */
static const char *file_type(const uint8_t *d, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *type;
	} magics[] = {
		{"MZ", 2, "EXE"},
		{"\xff\xd8\xff", 3, "JPG"},
		{"PK\x03\x04", 4, "ZIP"},
		{"%PDF", 4, "PDF"},
		{"Rar!\x1a\x07", 6, "RAR"},
		{"\x1f\x8b", 2, "GZIP"},
		{"MSCF", 4, "CAB"},
		{"\x7f" "ELF", 4, "ELF"},
	};
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len && memcmp(d, magics[i].magic, magics[i].len) == 0)
			return magics[i].type;
	return "UNKNOWN";
}

static int ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static int severity_word(const char *s, ps_severity *out)
{
	static const struct {
		const char *word;
		ps_severity sev;
	} words[] = {
		{"info", PS_SEV_INFO},     {"low", PS_SEV_LOW},           {"medium", PS_SEV_MEDIUM},
		{"high", PS_SEV_HIGH},     {"critical", PS_SEV_CRITICAL},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ascii_ieq(s, words[i].word)) {
			*out = words[i].sev;
			return 1;
		}
	return 0;
}

/* Loki's score against its default thresholds (notice 40, warning 60, alert 100): below
 * notice is low, notice medium, warning high, alert critical. A negative score is Loki's
 * way of marking known-good content, so it is information rather than a threat. */
static ps_severity severity_of_score(int64_t score)
{
	if (score < 0)
		return PS_SEV_INFO;
	if (score < 40)
		return PS_SEV_LOW;
	if (score < 60)
		return PS_SEV_MEDIUM;
	if (score < 100)
		return PS_SEV_HIGH;
	return PS_SEV_CRITICAL;
}

/* A score written as a string ("75"): decimal digits, optional sign, nothing else. */
static int parse_score(const char *s, int64_t *out)
{
	int neg = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!*s)
		return 0;
	int64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v > 1000000000)
			v = 1000000000; /* saturate: the thresholds end at 100 */
		else
			v = v * 10 + (*s - '0');
	}
	*out = neg ? -v : v;
	return 1;
}

/* ATT&CK technique IDs in a meta string: "T1055", "T1055.012", several separated by commas,
 * semicolons or spaces. Anything else is ignored. */
static int attack_id_len(const char *s, size_t n)
{
	if (n != 5 && n != 9)
		return 0;
	if (s[0] != 'T' && s[0] != 't')
		return 0;
	for (size_t i = 1; i < 5; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (n == 9) {
		if (s[5] != '.')
			return 0;
		for (size_t i = 6; i < 9; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
	}
	return 1;
}

static void add_attack(ps_finding *f, ps_findings *fs, const char *s)
{
	while (*s) {
		while (*s == ',' || *s == ';' || *s == ' ' || *s == '\t')
			s++;
		size_t n = strcspn(s, ",; \t");
		if (n && attack_id_len(s, n) && f->n_attack < PS_FINDING_MAX_ATTACK) {
			int dup = 0;
			for (unsigned i = 0; i < f->n_attack; i++)
				if (strlen(f->attack[i]) == n &&
				    strncmp(f->attack[i] + 1, s + 1, n - 1) == 0)
					dup = 1;
			/* ps_attack keeps the pointer: the ID must live in the report's arena,
			 * not in the rules (which may be freed before the report is printed). */
			char *copy = dup ? NULL : ps_arena_strndup(fs->arena, s, n);
			if (copy) {
				copy[0] = 'T';
				ps_attack(f, copy);
			}
		}
		s += n;
	}
}

typedef struct scan_ctx {
	ps_findings *fs;
	unsigned matched;  /* RULE-MATCH findings made by this scan */
	int string_capped; /* a string hit YARA's per-string match cap (reported once) */
} scan_ctx;

/* The "$id@0xOFF" list: the first (lowest) match of each matched non-private string, in rule
 * order, up to this many strings. */
#define RULE_EV_STRINGS 8u

static void rule_match(scan_ctx *sc, YR_SCAN_CONTEXT *context, const YR_RULE *rule)
{
	ps_findings *fs = sc->fs;

	const YR_META *meta;
	const char *description = NULL, *author = NULL, *sev_word = NULL;
	const char *attack[2] = {NULL, NULL};
	int have_score = 0;
	int64_t score = 0;
	yr_rule_metas_foreach(rule, meta)
	{
		const char *id = meta->identifier;
		if (!id)
			continue;
		if (meta->type == META_TYPE_STRING && meta->string) {
			if (strcmp(id, "description") == 0 && !description)
				description = meta->string;
			else if (strcmp(id, "author") == 0 && !author)
				author = meta->string;
			else if (strcmp(id, "severity") == 0 && !sev_word)
				sev_word = meta->string;
			else if (strcmp(id, "attack") == 0 && !attack[0])
				attack[0] = meta->string;
			else if (strcmp(id, "mitre_att") == 0 && !attack[1])
				attack[1] = meta->string;
			else if (strcmp(id, "score") == 0 && !have_score)
				have_score = parse_score(meta->string, &score);
		} else if (meta->type == META_TYPE_INTEGER && strcmp(id, "score") == 0 &&
		           !have_score) {
			have_score = 1;
			score = meta->integer;
		}
	}
	ps_severity sev = PS_SEV_HIGH;
	if (!(sev_word && severity_word(sev_word, &sev)) && have_score)
		sev = severity_of_score(score);

	/* YARA identifiers are [A-Za-z0-9_]{1,128}; enforce it on the copy that reaches the
	 * title rather than trust it. */
	char name[129];
	size_t k = 0;
	for (const char *p = rule->identifier; p && *p && k < sizeof(name) - 1; p++, k++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '_';
		name[k] = ok ? c : '?';
	}
	name[k] = '\0';

	ps_finding *f = ps_find(fs, "RULE-MATCH", sev, "YARA rule %s matched", name);
	sc->matched++;
	if (f == &fs->sink)
		return;
	ps_ev_str(f, fs, "rule", rule->identifier);
	ps_ev_str(f, fs, "namespace", rule->ns ? rule->ns->name : "");

	char tags[512];
	size_t tl = 0;
	tags[0] = '\0';
	const char *tag;
	yr_rule_tags_foreach(rule, tag)
	{
		size_t n = strlen(tag);
		if (n + 1 >= sizeof(tags) - tl)
			break;
		if (tl)
			tags[tl++] = ' ';
		memcpy(tags + tl, tag, n);
		tl += n;
		tags[tl] = '\0';
	}
	ps_ev_str(f, fs, "tags", tags);
	if (description)
		ps_ev_str(f, fs, "description", description);
	if (author)
		ps_ev_str(f, fs, "author", author);

	/* 8 * ("$" + 128-char identifier + "@0x" + 16 digits + ", ") fits. */
	char list[RULE_EV_STRINGS * 160];
	size_t ll = 0;
	unsigned listed = 0;
	uint64_t total = 0;
	list[0] = '\0';
	const YR_STRING *string;
	yr_rule_strings_foreach(rule, string)
	{
		if (STRING_IS_PRIVATE(string))
			continue;
		const YR_MATCHES *m = &context->matches[string->idx];
		if (m->count <= 0 || !m->head)
			continue;
		total += (uint64_t)m->count;
		if (listed < RULE_EV_STRINGS) {
			/* libyara 4.2 carves YR_MATCH records and their data snippets out of
			 * one notebook page without realigning, so a YR_MATCH may sit at an odd
			 * address (UBSan: misaligned member access). Copy it out instead. */
			YR_MATCH first;
			memcpy(&first, (const void *)m->head, sizeof(first));
			int64_t off = first.base + first.offset;
			int n = snprintf(list + ll, sizeof(list) - ll, "%s%s@0x%llx",
			                 listed ? ", " : "",
			                 string->identifier ? string->identifier : "$",
			                 (unsigned long long)(off < 0 ? 0 : off));
			if (n > 0 && (size_t)n < sizeof(list) - ll) {
				ll += (size_t)n;
				listed++;
			} else {
				list[ll] = '\0';
			}
		}
	}
	ps_ev_str(f, fs, "strings", list);
	ps_ev_uint(f, "matches", total);

	for (size_t i = 0; i < 2; i++)
		if (attack[i])
			add_attack(f, fs, attack[i]);
}

static int scan_cb(YR_SCAN_CONTEXT *context, int message, void *message_data, void *user)
{
	scan_ctx *sc = user;
	switch (message) {
	case CALLBACK_MSG_RULE_MATCHING:
		if (sc->matched == PS_MAX_RULE_MATCHES) {
			ps_find_limit(sc->fs, "YARA rule matches", PS_MAX_RULE_MATCHES, 0);
			return CALLBACK_ABORT;
		}
		rule_match(sc, context, message_data);
		return CALLBACK_CONTINUE;
	case CALLBACK_MSG_TOO_MANY_MATCHES: {
		/* YARA stops recording that string and goes on: rules that count it see fewer. */
		if (!sc->string_capped) {
			sc->string_capped = 1;
			uint32_t cap = YR_MAX_STRING_MATCHES;
			ps_find_limit(sc->fs, "YARA matches of one string", cap, 0);
		}
		return CALLBACK_CONTINUE;
	}
	default:
		/* Module imports get no module data; console.log output is dropped. */
		return CALLBACK_CONTINUE;
	}
}

int ps_rules_scan(const ps_rules *rules, const uint8_t *data, size_t len, const char *path,
                  unsigned timeout, ps_findings *fs)
{
	if (!rules || !fs || (!data && len))
		return PS_EINVAL;
	int cerr = ensure_compiled(rules);
	if (cerr)
		return cerr;
	static const uint8_t empty[1];
	if (!data)
		data = empty;
	if (!path)
		path = "";
	if (timeout == 0)
		timeout = PS_RULES_TIMEOUT_DEFAULT;
	/* libyara takes an int and scales it in 64 bits; the CLI caps it far lower anyway. */
	int yr_timeout = timeout > INT_MAX ? INT_MAX : (int)timeout;

	int err = PS_OK;
	YR_SCANNER *scanner = NULL;
	size_t plen = strlen(path);
	size_t b = base_start(path, plen);
	size_t e = ext_start(path + b, plen - b);
	size_t dl = dir_len(path, b);
	/* One buffer holds "dir\0ext\0"; the base name is the tail of path itself. */
	char *buf = malloc(plen + 2);
	if (!buf)
		return PS_ENOMEM;
	memcpy(buf, path, dl);
	buf[dl] = '\0';
	char *ext = buf + dl + 1;
	size_t el = plen - b - e;
	for (size_t i = 0; i < el; i++) {
		char c = path[b + e + i];
		ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	ext[el] = '\0';

	int yr = yr_scanner_create(rules->rules, &scanner);
	if (yr != ERROR_SUCCESS) {
		scanner = NULL;
		goto yr_fail;
	}
	const char *values[] = {path + b, buf, ext, file_type(data, len)};
	for (size_t i = 0; i < sizeof(externals) / sizeof(externals[0]); i++) {
		yr = yr_scanner_define_string_variable(scanner, externals[i], values[i]);
		if (yr != ERROR_SUCCESS)
			goto yr_fail;
	}
	scan_ctx sc = {fs, 0, 0};
	yr_scanner_set_callback(scanner, scan_cb, &sc);
	yr_scanner_set_timeout(scanner, yr_timeout);
	yr_scanner_set_flags(scanner, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_REPORT_RULES_MATCHING);
	yr = yr_scanner_scan_mem(scanner, data, len);
	if (yr == ERROR_SCAN_TIMEOUT) {
		ps_find_limit(fs, "YARA scan time (seconds)", timeout, 0);
		yr = ERROR_SUCCESS;
	}
yr_fail:
	if (yr != ERROR_SUCCESS)
		err = yr == ERROR_INSUFFICIENT_MEMORY ? PS_ENOMEM : PS_EINTERNAL;
	if (scanner)
		yr_scanner_destroy(scanner);
	free(buf);
	return err;
}
