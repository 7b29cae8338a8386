/* pesleuth — the command-line program. Uses only the public headers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: pesleuth show [--json] [OPTIONS] FILE...\n"
	      "       pesleuth verify [--json] [OPTIONS] FILE...\n"
	      "       pesleuth scan [--jsonl|--csv] [OPTIONS] [SCAN OPTIONS] PATH...\n"
	      "       pesleuth certs --db DB [--jsonl] [OPTIONS]\n"
	      "       pesleuth pivot --db DB KEY:VALUE\n"
	      "       pesleuth rejudge --db DB [--jsonl] [OPTIONS]\n"
	      "       pesleuth version\n"
	      "\n"
	      "  show             the whole story of each file, for a human (or --json: one object)\n"
	      "  verify           every Authenticode signature of each file, like signtool verify /pa /all:\n"
	      "                   one line per file; exit 0 when all are trusted, 1 when some are not\n"
	      "  scan             files and directories, recursively (symbolic links inside directories\n"
	      "                   are not followed); one line per file, or --jsonl: one JSON object per line\n"
	      "                   (ECS field names), or --csv: one spreadsheet row per file\n"
	      "  certs            every certificate in the database: files it signed, first and last\n"
	      "                   trusted signing time, revocation under the trust options given\n"
	      "  pivot            the files of the database matching cert:THUMBPRINT, signer:TEXT,\n"
	      "                   email:ADDRESS, imphash:HEX, rich:HEX, sha256:HEX or string:TEXT\n"
	      "  rejudge          judge every file of the database again under the trust options, IOC\n"
	      "                   feeds and time given now, without reading the files; print the files\n"
	      "                   whose verdict or findings changed (YARA rules are not run again)\n"
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
	      "  --time-budget SECONDS\n"
	      "                   per file, for string, XOR and rule scanning (default 60); past it\n"
	      "                   they stop and PE-LIMIT-REACHED says so; hashes are always complete\n"
	      "  --threads N      worker threads (default: the number of cores)\n"
	      "  --no-progress    no progress line on stderr (drawn only when stderr is a terminal)\n"
	      "\n"
	      "SCAN OPTIONS:\n"
	      "  --db FILE        record facts and judgements in a SQLite corpus database; files it\n"
	      "                   holds unchanged (path, size, mtime, inode) are skipped\n"
	      "  --rescan         analyze unchanged files again\n"
	      "  --exclude GLOB   skip matching files and directories (a glob with '/' matches the\n"
	      "                   whole path, otherwise the name; repeatable)\n"
	      "  --max-size SIZE  skip larger files (bytes, or with K, M, G)\n"
	      "  --follow-symlinks\n"
	      "                   follow symbolic links inside directories (each directory once)\n"
	      "  --from FILE      also scan the paths listed in FILE, one per line (- for stdin)\n"
	      "  --null           --from paths end with a NUL byte, not a newline (find -print0)\n"
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

/* Rule files the user named are compiled as they are added (errors stop the run before any
 * scan); the shipped pack alone (deferred) is compiled when a file first passes its prefilter. */
static int add_rules(cli *c, const char *path, int deferred)
{
	if (!c->rules && (deferred ? ps_rules_new_deferred(&c->rules) : ps_rules_new(&c->rules)) != PS_OK) {
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
				rc = kinds[k].yara ? add_rules(c, file, 1) : load_ioc(c, file);
			}
			free(ents[i]);
		}
		free(ents);
		if (rc)
			return -1;
	}
	return 0;
}

/* A whole number 1..max written as plain decimal digits (no sign, no spaces). */
static int parse_count(const char *s, unsigned long max, unsigned *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* A size: digits, optionally followed by K, M or G (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || errno || end == s)
		return -1;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int main(int argc, char **argv)
{
	struct {
		int opt;
		const char *arg;
	} deferred[MAX_DEFERRED];
	int deferred_n = 0;
	int no_default_rules = 0, no_progress = 0;
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
	if (strcmp(c.cmd, "show") && strcmp(c.cmd, "scan") && strcmp(c.cmd, "verify") && strcmp(c.cmd, "certs") &&
	    strcmp(c.cmd, "pivot") && strcmp(c.cmd, "rejudge")) {
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
		{"csv", no_argument, NULL, 'c'},
		{"time-budget", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, 't'},
		{"no-progress", no_argument, NULL, 'q'},
		{"db", required_argument, NULL, 'D'},
		{"rescan", no_argument, NULL, 'r'},
		{"exclude", required_argument, NULL, 'x'},
		{"max-size", required_argument, NULL, 'm'},
		{"follow-symlinks", no_argument, NULL, 'L'},
		{"from", required_argument, NULL, 'f'},
		{"null", no_argument, NULL, '0'},
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
				goto usage_fail;
			}
			break;
		case 'C':
			if (!c.trust && ps_trust_new(&c.trust) != PS_OK) {
				fprintf(stderr, "pesleuth: out of memory\n");
				goto usage_fail;
			}
			if (ps_trust_add_ca_file(c.trust, optarg) != PS_OK) {
				fputs("pesleuth: --ca-file ", stderr);
				ps_fputs_escaped(stderr, optarg, strlen(optarg));
				fputs(": no certificate could be read\n", stderr);
				goto usage_fail;
			}
			break;
		case 'A': c.opt.authentihash = 1; break;
		case 'N': no_default_rules = 1; break;
		case 'T':
			if (parse_count(optarg, 3600, &c.opt.rules_timeout) != 0) {
				fprintf(stderr, "pesleuth: --rules-timeout takes 1 to 3600 seconds\n");
				goto usage_fail;
			}
			break;
		case 'F':
			c.fail_on = severity_of(optarg);
			if (c.fail_on < 0) {
				fprintf(stderr, "pesleuth: --fail-on takes info, low, medium, high or critical\n");
				goto usage_fail;
			}
			break;
		case 'I':
		case 'Y':
		case 'R':
		case 'B':
		case 'P':
			if (deferred_n >= MAX_DEFERRED) {
				fprintf(stderr, "pesleuth: too many --crl, --blocklist, --ioc and --rules options\n");
				goto usage_fail;
			}
			deferred[deferred_n].opt = ch;
			deferred[deferred_n++].arg = optarg;
			break;
		case 'c': c.csv = 1; break;
		case 'b': {
			unsigned v = 0;
			if (parse_count(optarg, 86400, &v) != 0) {
				fprintf(stderr, "pesleuth: --time-budget takes 1 to 86400 seconds\n");
				goto usage_fail;
			}
			c.opt.time_budget_ms = v * 1000u;
			break;
		}
		case 't':
			if (parse_count(optarg, CLI_MAX_THREADS, &c.threads) != 0) {
				fprintf(stderr, "pesleuth: --threads takes 1 to %d\n", CLI_MAX_THREADS);
				goto usage_fail;
			}
			break;
		case 'q': no_progress = 1; break;
		case 'D': c.db_path = optarg; break;
		case 'r': c.rescan = 1; break;
		case 'x':
			if (c.walk.n_excludes >= CLI_MAX_EXCLUDES) {
				fprintf(stderr, "pesleuth: at most %d --exclude options\n", CLI_MAX_EXCLUDES);
				goto usage_fail;
			}
			c.excludes[c.walk.n_excludes++] = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &c.walk.max_size) != 0) {
				fprintf(stderr, "pesleuth: --max-size takes a size in bytes, or with K, M or G\n");
				goto usage_fail;
			}
			break;
		case 'L': c.walk.follow_symlinks = 1; break;
		case 'f': c.from = optarg; break;
		case '0': c.from_null = 1; break;
		case 'h':
			usage(stdout);
			ps_trust_free(c.trust);
			return EXIT_RAN;
		default:
			usage(stderr);
			goto usage_fail;
		}
	}
	c.walk.excludes = c.excludes;
	if (!strcmp(c.cmd, "certs") || !strcmp(c.cmd, "pivot") || !strcmp(c.cmd, "rejudge")) {
		if (!c.db_path) {
			fprintf(stderr, "pesleuth: %s needs --db DB\n", c.cmd);
			goto usage_fail;
		}
	} else if (c.from_null && !c.from) {
		fprintf(stderr, "pesleuth: --null needs --from FILE\n");
		ps_trust_free(c.trust);
		return EXIT_USAGE;
	} else if (optind >= argc && !(c.from && !strcmp(c.cmd, "scan"))) {
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
				goto usage_fail;
			}
			break;
		case 'B':
			rc = ps_trust_add_blocklist(c.trust, arg, warn_line, NULL);
			if (rc < 0) {
				fputs("pesleuth: --blocklist ", stderr);
				ps_fputs_escaped(stderr, arg, strlen(arg));
				fprintf(stderr, ": %s\n", strerror(errno));
				goto usage_fail;
			}
			break;
		case 'I':
			if (load_ioc(&c, arg) != 0)
				goto usage_fail;
			break;
		case 'Y':
			if (add_rules(&c, arg, 0) != 0)
				goto usage_fail;
			break;
		case 'P':
			if (!strcmp(arg, "strict"))
				ps_trust_set_policy(c.trust, PS_POLICY_STRICT);
			else if (!strcmp(arg, "date"))
				ps_trust_set_policy(c.trust, PS_POLICY_DATE);
			else {
				fprintf(stderr, "pesleuth: --revocation-policy takes strict or date\n");
				goto usage_fail;
			}
			break;
		}
	}
	if (!no_default_rules && strcmp(c.cmd, "certs") && strcmp(c.cmd, "pivot") && load_defaults(&c) != 0)
		goto usage_fail;
	if (c.rules && ps_rules_finish(c.rules) != PS_OK) {
		fprintf(stderr, "pesleuth: the YARA rules could not be compiled\n");
		goto usage_fail;
	}
	c.opt.trust = c.trust;
	c.opt.iocs = c.iocs;
	c.opt.rules = c.rules;
	if (c.db_path && c.opt.hashes && !(c.opt.hashes & PS_HASH_SHA256))
		c.opt.hashes |= PS_HASH_SHA256; /* the database is keyed by SHA-256 */
	if (!c.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c.threads = n < 1 ? 1 : n > CLI_MAX_THREADS ? CLI_MAX_THREADS : (unsigned)n;
	}
	c.progress = !no_progress && isatty(STDERR_FILENO);
	int rc = 0;
	if (!strcmp(c.cmd, "certs")) {
		rc = cli_certs(&c);
	} else if (!strcmp(c.cmd, "rejudge")) {
		rc = cli_rejudge(&c);
	} else if (!strcmp(c.cmd, "pivot")) {
		if (optind + 1 != argc) {
			fprintf(stderr, "pesleuth: pivot takes one KEY:VALUE\n");
			rc = EXIT_USAGE;
		} else {
			rc = cli_pivot(&c, argv[optind]);
		}
	} else {
		if (!strcmp(c.cmd, "show") || !strcmp(c.cmd, "verify")) {
			if (c.jsonl) /* compact, one object per line, wins over --json */
				c.json = 0;
			c.csv = 0;
		} else if (c.json) { /* scan prints one object per file: --json means --jsonl */
			c.json = 0;
			c.jsonl = 1;
		}
		if (c.jsonl || c.json)
			c.csv = 0;
		if (c.csv) {
			char *h = NULL;
			if (ps_report_csv_header(&h) == PS_OK) {
				fputs(h, stdout);
				free(h);
			}
		}
		if (cli_run(&c, argv + optind, argc - optind) != 0)
			c.had_error = 1;
	}
	ps_trust_free(c.trust);
	ps_iocs_free(c.iocs);
	ps_rules_free(c.rules);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	if (rc)
		return rc;
	if (c.had_error)
		return EXIT_USAGE;
	return c.untrusted || c.failed_on ? EXIT_UNTRUSTED : EXIT_RAN;
usage_fail:
	ps_trust_free(c.trust);
	ps_iocs_free(c.iocs);
	ps_rules_free(c.rules);
	return EXIT_USAGE;
}
