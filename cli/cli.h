/* pesleuth CLI: what main.c (options, commands) and scan.c (walker, worker pool, the one
 * writer, progress) share. Public library headers only. */
#ifndef PESLEUTH_CLI_H
#define PESLEUTH_CLI_H
#include <stdint.h>
#include <stdio.h>

#include "pesleuth.h"

#define EXIT_RAN 0
#define EXIT_UNTRUSTED 1
#define EXIT_USAGE 2

/* Worker threads at most (--threads); files in flight at most per thread (queued, being
 * analyzed or waiting for their turn at the writer): memory is bounded by threads × this ×
 * the per-report arena cap, whatever the number of files. Output is in discovery order, so a
 * large file holds back the small ones found after it: the window must be deep enough that
 * the other workers keep going meanwhile (32 per thread; a done file holds only its rendered
 * output, and its report only with --db). */
#define CLI_MAX_THREADS 256
#define CLI_INFLIGHT_PER_THREAD 32
/* Descriptors the producer keeps open in queued jobs; past this, workers open by path. */
#define CLI_MAX_HELD_FDS 128
#define CLI_MAX_EXCLUDES 256

typedef struct cli {
	const char *cmd;
	int json, jsonl, csv;
	ps_options opt;
	ps_trust *trust;
	ps_iocs *iocs;
	ps_rules *rules;
	int fail_on; /* --fail-on: a severity (ps_severity), or -1 */
	unsigned threads;
	int progress;        /* draw a progress line on stderr (a terminal, and not --no-progress) */
	ps_walk_options walk;
	const char *excludes[CLI_MAX_EXCLUDES];
	const char *from;    /* --from FILE or "-" */
	int from_null;       /* --null: its paths end with NUL, not newline */
	const char *db_path; /* --db */
	int rescan;          /* --rescan: analyze files the database has seen unchanged */
	/* results, written by the writer thread only */
	int had_error;
	int untrusted; /* verify: some file is not signed by a trusted signature */
	int failed_on; /* some file had a finding at fail_on or above */
} cli;

/* show/verify (paths are files) and scan (paths are walked): every file through the worker
 * pool, every output line through one writer, in the order of the paths. */
int cli_run(cli *c, char **paths, int n);

/* certs and pivot: questions to the corpus database (--db), which never read the files. */
int cli_certs(cli *c);
int cli_pivot(cli *c, const char *key_value);
/* rejudge: every stored file judged again under the trust options, IOC feeds and time given
 * now; prints the files whose verdict or findings changed and stores the new judgements. */
int cli_rejudge(cli *c);

/* Untrusted text on a terminal or in a line-based output: escaped (ps_fputs_escaped). */
void cli_put_escaped(FILE *f, const char *s);

#endif
