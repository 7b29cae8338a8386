/* pesleuth — the command-line program. Uses only the public headers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pesleuth.h"

#define EXIT_RAN 0
#define EXIT_UNTRUSTED 1
#define EXIT_USAGE 2

#define MAX_WALK_DEPTH 256

typedef struct cli {
	const char *cmd;
	int json, jsonl;
	ps_options opt;
	ps_trust *trust;
	int had_error;
	int untrusted; /* verify: some file is not signed by a trusted signature */
	ps_iocs *iocs;
	ps_rules *rules;
	int fail_on;   /* --fail-on: a severity (ps_severity), or -1 */
	int failed_on; /* some file had a finding at fail_on or above */
} cli;

static void usage(FILE *f)
{
	fputs("usage: pesleuth show [--json] [OPTIONS] FILE...\n"
	      "       pesleuth verify [--json] [OPTIONS] FILE...\n"
	      "       pesleuth scan [--jsonl] [OPTIONS] PATH...\n"
	      "       pesleuth version\n"
	      "\n"
	      "  show             the whole story of each file, for a human (or --json: one object)\n"
	      "  verify           every Authenticode signature of each file, like signtool verify /pa /all:\n"
	      "                   one line per file; exit 0 when all are trusted, 1 when some are not\n"
	      "  scan             files and directories, recursively (symbolic links inside directories\n"
	      "                   are not followed); one line per file, or --jsonl: one JSON object per line\n"
	      "  --ca-file PEM    trust the certificates of a PEM bundle (repeatable); without it, the\n"
	      "                   system CA bundle is the trust store\n"
	      "  --hashes LIST    file hashes to compute: md5,sha1,sha256 (default: all)\n"
	      "  --authentihash   compute the MD5, SHA-1 and SHA-256 Authenticode hashes of every PE\n"
	      "  --crl FILE|DIR   certificate revocation lists (PEM or DER; repeatable), judged against\n"
	      "                   the trusted signing time\n"
	      "  --revocation-policy strict|date\n"
	      "                   strict (default): keyCompromise/cACompromise void every signature;\n"
	      "                   date: like Windows, a signature timestamped before the revocation stands\n"
	      "  --blocklist FILE certificate thumbprints (SHA-1/SHA-256, # comments; abuse.ch CSV and\n"
	      "                   ClamAV .crb accepted; repeatable)\n"
	      "  --ioc FILE       IOC feed: MD5/SHA-1/SHA-256, IPs, domains, URLs, one per line with an\n"
	      "                   optional ;description (Loki's format; repeatable)\n"
	      "  --rules FILE.yar YARA rules (repeatable), compiled once; external variables filename,\n"
	      "                   filepath, extension, filetype as Loki defines them\n"
	      "  --no-default-rules\n"
	      "                   skip the shipped rule pack and feeds (rules/*.yar, rules/iocs/*.txt)\n"
	      "  --rules-timeout SECONDS\n"
	      "                   YARA time budget per file (default 10)\n"
	      "  --fail-on SEVERITY\n"
	      "                   exit 1 when some file has a finding at info, low, medium, high or\n"
	      "                   critical or above (for pipelines)\n"
	      "\n"
	      "Exit status: 0 the command ran (verify: every file trusted); 1 verify: some file is not\n"
	      "trusted, or --fail-on matched; 2 usage error, or a file could not be read.\n",
	      f);
}

static int parse_hashes(const char *s, unsigned *out)
{
	unsigned h = 0;
	char *dup = strdup(s), *save = NULL;
	if (!dup)
		return -1;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "md5"))
			h |= PS_HASH_MD5;
		else if (!strcmp(t, "sha1"))
			h |= PS_HASH_SHA1;
		else if (!strcmp(t, "sha256"))
			h |= PS_HASH_SHA256;
		else {
			free(dup);
			return -1;
		}
	}
	free(dup);
	if (!h)
		return -1;
	*out = h;
	return 0;
}

static void report_error(cli *c, const char *path, int rc, int err)
{
	c->had_error = 1;
	if (c->jsonl || c->json) {
		char *s = NULL;
		if (ps_error_json(&s, path, rc, err) == PS_OK) {
			puts(s);
			free(s);
		}
	}
	fputs("pesleuth: ", stderr);
	ps_fputs_escaped(stderr, path, strlen(path));
	fprintf(stderr, ": %s\n", err ? strerror(err) : ps_strerror(rc));
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void scan_line(const ps_report *r)
{
	printf("%-8s ", ps_report_verdict(r));
	if (r->pe)
		printf("%-6s %-6s ", r->format_detail, ps_machine_name(r->pe->coff.machine));
	else
		printf("%-13s ", r->format == PS_FORMAT_MZ ? "MZ" : "-");
	if (r->hashes.computed & PS_HASH_SHA256)
		print_hex(r->hashes.sha256, 32);
	else if (r->hashes.computed & PS_HASH_SHA1)
		print_hex(r->hashes.sha1, 20);
	else if (r->hashes.computed & PS_HASH_MD5)
		print_hex(r->hashes.md5, 16);
	printf(" %3zu ", r->n_findings);
	ps_fputs_escaped(stdout, r->path, strlen(r->path));
	putchar('\n');
}

/* verify: every signature must be trusted (signtool /pa /all) */
static int all_trusted(const ps_report *r)
{
	if (!r->pe || !r->pe->n_signatures)
		return 0;
	for (size_t i = 0; i < r->pe->n_signatures; i++)
		if (!r->pe->signatures[i].trusted)
			return 0;
	return 1;
}

static void verify_line(const ps_report *r)
{
	const ps_pe *pe = r->pe;
	const char *status = pe && pe->signature_status ? pe->signature_status : "NotSigned";
	if (pe && pe->primary && pe->primary->trusted && !all_trusted(r))
		status = "SomeNotTrusted";
	printf("%-14s ", all_trusted(r) ? "Valid" : status);
	ps_fputs_escaped(stdout, r->path, strlen(r->path));
	putchar('\n');
	for (size_t i = 0; pe && i < pe->n_signatures; i++) {
		const ps_signature *s = &pe->signatures[i];
		printf("  %*s#%u %-8s %-12s ", 2 * (int)s->depth, "", s->index, s->digest_algorithm ? s->digest_algorithm : "?",
		       s->status ? s->status : "?");
		if (s->signer)
			ps_fputs_escaped(stdout, s->signer->subject_cn, strlen(s->signer->subject_cn));
		else
			fputs("(no signer certificate)", stdout);
		if (s->signing_time != PS_TIME_NONE) {
			char buf[40];
			time_t t = (time_t)s->signing_time;
			struct tm tm;
			if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
				printf("  timestamp %s", buf);
		}
		putchar('\n');
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		const ps_finding *f = &r->findings[i];
		if (strncmp(f->id, "SIG-", 4) && strncmp(f->id, "CERT-", 5) && strncmp(f->id, "TS-", 3))
			continue;
		if (f->severity == PS_SEV_INFO)
			continue;
		printf("  [%s] %s  ", ps_severity_name(f->severity), f->id);
		ps_fputs_escaped(stdout, f->title, strlen(f->title));
		putchar('\n');
	}
}

static void analyze_one(cli *c, const char *path)
{
	ps_report *r = NULL;
	errno = 0;
	int rc = ps_analyze_path(&r, path, &c->opt);
	if (rc != PS_OK) {
		report_error(c, path, rc, rc == PS_EIO ? errno : 0);
		return;
	}
	if (c->json || c->jsonl) {
		char *s = NULL;
		unsigned flags = PS_JSON_DETAIL | (c->json ? PS_JSON_PRETTY : 0);
		if (ps_report_json(&s, r, flags) == PS_OK) {
			puts(s);
			free(s);
		} else {
			report_error(c, path, PS_ENOMEM, 0);
		}
	} else if (!strcmp(c->cmd, "show")) {
		ps_report_text(stdout, r);
	} else if (!strcmp(c->cmd, "verify")) {
		verify_line(r);
	} else {
		scan_line(r);
	}
	if (!strcmp(c->cmd, "verify") && !all_trusted(r))
		c->untrusted = 1;
	if (c->fail_on >= 0 && r->n_findings && (int)r->worst >= c->fail_on)
		c->failed_on = 1;
	ps_report_free(r);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(cli *c, const char *path, unsigned depth, int top)
{
	struct stat st;
	int rc = top ? stat(path, &st) : lstat(path, &st);
	if (rc != 0) {
		report_error(c, path, PS_EIO, errno);
		return;
	}
	if (S_ISLNK(st.st_mode))
		return; /* not followed inside directories */
	if (!S_ISDIR(st.st_mode)) {
		if (S_ISREG(st.st_mode))
			analyze_one(c, path);
		else if (top)
			report_error(c, path, PS_ENOTFILE, 0);
		return;
	}
	if (depth >= MAX_WALK_DEPTH) {
		report_error(c, path, PS_EINVAL, ELOOP);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		report_error(c, path, PS_EIO, errno);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str); /* deterministic order */
	size_t plen = strlen(path);
	for (size_t i = 0; i < n; i++) {
		size_t len = plen + 1 + strlen(names[i]) + 1;
		char *child = malloc(len);
		if (child) {
			snprintf(child, len, "%s%s%s", path, (plen && path[plen - 1] == '/') ? "" : "/", names[i]);
			walk(c, child, depth + 1, 0);
			free(child);
		}
		free(names[i]);
	}
	free(names);
}

/* A malformed blocklist line: FILE:LINE: why, on stderr, and the line is skipped. */
static void warn_line(void *ctx, const char *file, unsigned line, const char *why)
{
	(void)ctx;
	ps_fputs_escaped(stderr, file, strlen(file));
	if (line)
		fprintf(stderr, ":%u", line);
	fputs(": ", stderr);
	ps_fputs_escaped(stderr, why, strlen(why));
	fputc('\n', stderr);
}

#define MAX_DEFERRED 256

static int severity_of(const char *s)
{
	for (int v = PS_SEV_INFO; v <= PS_SEV_CRITICAL; v++)
		if (!strcmp(s, ps_severity_name((ps_severity)v)))
			return v;
	return -1;
}

static int load_ioc(cli *c, const char *path)
{
	if (!c->iocs && ps_iocs_new(&c->iocs) != PS_OK) {
		fprintf(stderr, "pesleuth: out of memory\n");
		return -1;
	}
	int rc = ps_iocs_load(c->iocs, path, warn_line, NULL);
	if (rc != PS_OK) {
		fputs("pesleuth: --ioc ", stderr);
		ps_fputs_escaped(stderr, path, strlen(path));
		fprintf(stderr, ": %s\n", rc == PS_EIO ? strerror(errno) : ps_strerror(rc));
		return -1;
	}
	return 0;
}

static int add_rules(cli *c, const char *path)
{
	if (!c->rules && ps_rules_new(&c->rules) != PS_OK) {
		fprintf(stderr, "pesleuth: out of memory\n");
		return -1;
	}
	int rc = ps_rules_add_file(c->rules, path, warn_line, NULL);
	if (rc != PS_OK) {
		fputs("pesleuth: --rules ", stderr);
		ps_fputs_escaped(stderr, path, strlen(path));
		fprintf(stderr, ": %s\n", rc == PS_EIO ? strerror(errno) : "does not compile");
		return -1;
	}
	return 0;
}

/* The shipped rule pack and feeds: $PESLEUTH_RULES_DIR, else the directory the build named
 * (the repository's rules/). Files in name order, so runs are reproducible. */
static int load_defaults(cli *c)
{
	const char *dir = getenv("PESLEUTH_RULES_DIR");
	if (!dir || !*dir)
		dir = PS_RULES_DIR;
	static const struct { const char *sub, *ext; int yara; } kinds[] = {{"", ".yar", 1}, {"/iocs", ".txt", 0}};
	for (size_t k = 0; k < 2; k++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s", dir, kinds[k].sub);
		struct dirent **ents = NULL;
		int n = scandir(path, &ents, NULL, alphasort);
		if (n < 0) {
			if (k == 0)
				fprintf(stderr, "pesleuth: warning: no default rules in %s (--no-default-rules to skip)\n", path);
			continue;
		}
		int rc = 0;
		for (int i = 0; i < n; i++) {
			const char *nm = ents[i]->d_name;
			size_t ln = strlen(nm), le = strlen(kinds[k].ext);
			if (!rc && nm[0] != '.' && ln > le && !strcmp(nm + ln - le, kinds[k].ext)) {
				char file[4096 + 256];
				snprintf(file, sizeof(file), "%s/%s", path, nm);
				rc = kinds[k].yara ? add_rules(c, file) : load_ioc(c, file);
			}
			free(ents[i]);
		}
		free(ents);
		if (rc)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct {
		int opt;
		const char *arg;
	} deferred[MAX_DEFERRED];
	int deferred_n = 0;
	int no_default_rules = 0;
	cli c;
	memset(&c, 0, sizeof(c));
	c.fail_on = -1;
	ps_options_init(&c.opt);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c.cmd = argv[1];
	if (!strcmp(c.cmd, "version") || !strcmp(c.cmd, "--version")) {
		printf("pesleuth %s\n", PESLEUTH_VERSION);
		return EXIT_RAN;
	}
	if (!strcmp(c.cmd, "help") || !strcmp(c.cmd, "--help") || !strcmp(c.cmd, "-h")) {
		usage(stdout);
		return EXIT_RAN;
	}
	if (strcmp(c.cmd, "show") && strcmp(c.cmd, "scan") && strcmp(c.cmd, "verify")) {
		fprintf(stderr, "pesleuth: unknown command '%s'\n", c.cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"jsonl", no_argument, NULL, 'l'},
		{"hashes", required_argument, NULL, 'H'},
		{"ca-file", required_argument, NULL, 'C'},
		{"authentihash", no_argument, NULL, 'A'},
		{"crl", required_argument, NULL, 'R'},
		{"blocklist", required_argument, NULL, 'B'},
		{"revocation-policy", required_argument, NULL, 'P'},
		{"ioc", required_argument, NULL, 'I'},
		{"rules", required_argument, NULL, 'Y'},
		{"no-default-rules", no_argument, NULL, 'N'},
		{"rules-timeout", required_argument, NULL, 'T'},
		{"fail-on", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	optind = 2;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': c.json = 1; break;
		case 'l': c.jsonl = 1; break;
		case 'H':
			if (parse_hashes(optarg, &c.opt.hashes) != 0) {
				fprintf(stderr, "pesleuth: --hashes takes a list of md5, sha1, sha256\n");
				return EXIT_USAGE;
			}
			break;
		case 'C':
			if (!c.trust && ps_trust_new(&c.trust) != PS_OK) {
				fprintf(stderr, "pesleuth: out of memory\n");
				return EXIT_USAGE;
			}
			if (ps_trust_add_ca_file(c.trust, optarg) != PS_OK) {
				fputs("pesleuth: --ca-file ", stderr);
				ps_fputs_escaped(stderr, optarg, strlen(optarg));
				fputs(": no certificate could be read\n", stderr);
				ps_trust_free(c.trust);
				return EXIT_USAGE;
			}
			break;
		case 'A': c.opt.authentihash = 1; break;
		case 'N': no_default_rules = 1; break;
		case 'T': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 3600) {
				fprintf(stderr, "pesleuth: --rules-timeout takes 1 to 3600 seconds\n");
				return EXIT_USAGE;
			}
			c.opt.rules_timeout = (unsigned)v;
			break;
		}
		case 'F':
			c.fail_on = severity_of(optarg);
			if (c.fail_on < 0) {
				fprintf(stderr, "pesleuth: --fail-on takes info, low, medium, high or critical\n");
				return EXIT_USAGE;
			}
			break;
		case 'I':
		case 'Y':
		case 'R':
		case 'B':
		case 'P':
			if (deferred_n >= MAX_DEFERRED) {
				fprintf(stderr, "pesleuth: too many --crl, --blocklist, --ioc and --rules options\n");
				return EXIT_USAGE;
			}
			deferred[deferred_n].opt = ch;
			deferred[deferred_n++].arg = optarg;
			break;
		case 'h': usage(stdout); return EXIT_RAN;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pesleuth: %s needs at least one path\n", c.cmd);
		ps_trust_free(c.trust);
		return EXIT_USAGE;
	}
	if (!c.trust) { /* default trust store: the system bundle */
		if (ps_trust_new(&c.trust) != PS_OK) {
			fprintf(stderr, "pesleuth: out of memory\n");
			return EXIT_USAGE;
		}
		if (ps_trust_add_system_anchors(c.trust) != PS_OK)
			fprintf(stderr, "pesleuth: warning: the system CA bundle could not be read; nothing is trusted\n");
	}
	/* CRLs, blocklists and the policy go into the trust context once it exists */
	for (int i = 0; i < deferred_n; i++) {
		const char *arg = deferred[i].arg;
		int rc;
		switch (deferred[i].opt) {
		case 'R':
			rc = ps_trust_add_crls(c.trust, arg);
			if (rc < 0) {
				fputs("pesleuth: --crl ", stderr);
				ps_fputs_escaped(stderr, arg, strlen(arg));
				fprintf(stderr, ": %s\n", rc == PS_EIO ? strerror(errno) : "no CRL could be read");
				ps_trust_free(c.trust);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			rc = ps_trust_add_blocklist(c.trust, arg, warn_line, NULL);
			if (rc < 0) {
				fputs("pesleuth: --blocklist ", stderr);
				ps_fputs_escaped(stderr, arg, strlen(arg));
				fprintf(stderr, ": %s\n", strerror(errno));
				ps_trust_free(c.trust);
				return EXIT_USAGE;
			}
			break;
		case 'I':
			if (load_ioc(&c, arg) != 0)
				goto usage_fail;
			break;
		case 'Y':
			if (add_rules(&c, arg) != 0)
				goto usage_fail;
			break;
		case 'P':
			if (!strcmp(arg, "strict"))
				ps_trust_set_policy(c.trust, PS_POLICY_STRICT);
			else if (!strcmp(arg, "date"))
				ps_trust_set_policy(c.trust, PS_POLICY_DATE);
			else {
				fprintf(stderr, "pesleuth: --revocation-policy takes strict or date\n");
				ps_trust_free(c.trust);
				return EXIT_USAGE;
			}
			break;
		}
	}
	if (!no_default_rules && load_defaults(&c) != 0)
		goto usage_fail;
	if (c.rules && ps_rules_finish(c.rules) != PS_OK) {
		fprintf(stderr, "pesleuth: the YARA rules could not be compiled\n");
		goto usage_fail;
	}
	c.opt.trust = c.trust;
	c.opt.iocs = c.iocs;
	c.opt.rules = c.rules;
	if (!strcmp(c.cmd, "show") || !strcmp(c.cmd, "verify")) {
		if (c.jsonl) /* compact, one object per line, wins over --json */
			c.json = 0;
		for (int i = optind; i < argc; i++)
			analyze_one(&c, argv[i]);
	} else {
		if (c.json) { /* scan prints one object per file: --json means --jsonl */
			c.json = 0;
			c.jsonl = 1;
		}
		for (int i = optind; i < argc; i++)
			walk(&c, argv[i], 0, 1);
	}
	ps_trust_free(c.trust);
	ps_iocs_free(c.iocs);
	ps_rules_free(c.rules);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	if (c.had_error)
		return EXIT_USAGE;
	return c.untrusted || c.failed_on ? EXIT_UNTRUSTED : EXIT_RAN;
usage_fail:
	ps_trust_free(c.trust);
	ps_iocs_free(c.iocs);
	ps_rules_free(c.rules);
	return EXIT_USAGE;
}
