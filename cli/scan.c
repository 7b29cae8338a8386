/* pesleuth CLI: the scan engine. One producer (the walker, on the main thread) hands files to
 * a pool of workers over a bounded ring; each worker analyzes a file and renders its output
 * into memory; one writer thread prints the outputs in the order the files were found,
 * stores them in the corpus database and draws the progress line. Everything a worker reads
 * (trust context, IOC feeds, YARA rules, options) is immutable once the pool starts.
 *
 * The ring has threads × CLI_INFLIGHT_PER_THREAD slots: the producer waits when every slot is
 * in use, so at most that many reports exist at once, whatever the number of files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { SLOT_FREE, SLOT_PENDING, SLOT_RUNNING, SLOT_DONE };
enum { JOB_FILE, JOB_ERROR, JOB_NOTE };

typedef struct job {
	int state;
	int kind;
	char *path;
	int rc, err;      /* JOB_ERROR: library code and errno */
	const char *why;  /* JOB_NOTE: a static reason */
	uint64_t size;    /* from the walker's stat, for the progress line */
	ps_db_filestat st;
	int have_st;
	int fd; /* JOB_FILE: opened by the producer where the walker saw the file, or -1 */
	/* results */
	char *out, *errout; /* for stdout and stderr, or NULL */
	size_t out_len, errout_len;
	int out_nl;         /* a newline follows out (a JSON line handed over as the library made it) */
	ps_report *report;  /* kept for the database, else freed by the worker */
	int untrusted, failed_on, had_error;
} job;

typedef struct pool {
	cli *c;
	job *ring;
	size_t cap;
	uint64_t produced, taken, written; /* sequence numbers */
	int producing;                     /* the walk is not over */
	pthread_mutex_t mu;
	pthread_cond_t work, done, room;
	ps_db *db;                       /* the writer's */
	uint64_t files_done, bytes_done; /* the writer's */
	uint64_t files_seen, bytes_seen; /* the producer's, under mu */
	uint64_t n_unchanged, n_too_big; /* the producer's, read after the join */
	atomic_uint fds_held;              /* descriptors in queued jobs */
	struct timespec t0, last_draw;
	int drawn; /* a progress line is on the terminal */
	int stdout_tty;
} pool;

void cli_put_escaped(FILE *f, const char *s) { ps_fputs_escaped(f, s, strlen(s)); }

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* ---- rendering (workers) ---- */

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void scan_line(FILE *f, const ps_report *r)
{
	fprintf(f, "%-8s ", ps_report_verdict(r));
	if (r->pe)
		fprintf(f, "%-6s %-6s ", r->format_detail, ps_machine_name(r->pe->coff.machine));
	else
		fprintf(f, "%-13s ", r->format == PS_FORMAT_MZ ? "MZ" : "-");
	if (r->hashes.computed & PS_HASH_SHA256)
		print_hex(f, r->hashes.sha256, 32);
	else if (r->hashes.computed & PS_HASH_SHA1)
		print_hex(f, r->hashes.sha1, 20);
	else if (r->hashes.computed & PS_HASH_MD5)
		print_hex(f, r->hashes.md5, 16);
	fprintf(f, " %3zu ", r->n_findings);
	cli_put_escaped(f, r->path);
	fputc('\n', f);
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

static void verify_line(FILE *f, const ps_report *r)
{
	const ps_pe *pe = r->pe;
	const char *status = pe && pe->signature_status ? pe->signature_status : "NotSigned";
	if (pe && pe->primary && pe->primary->trusted && !all_trusted(r))
		status = "SomeNotTrusted";
	fprintf(f, "%-14s ", all_trusted(r) ? "Valid" : status);
	cli_put_escaped(f, r->path);
	fputc('\n', f);
	for (size_t i = 0; pe && i < pe->n_signatures; i++) {
		const ps_signature *s = &pe->signatures[i];
		fprintf(f, "  %*s#%u %-8s %-12s ", 2 * (int)s->depth, "", s->index,
		        s->digest_algorithm ? s->digest_algorithm : "?", s->status ? s->status : "?");
		if (s->signer)
			cli_put_escaped(f, s->signer->subject_cn);
		else
			fputs("(no signer certificate)", f);
		if (s->signing_time != PS_TIME_NONE) {
			char buf[PS_TIME_ISO_SIZE];
			if (ps_time_iso(buf, s->signing_time)[0])
				fprintf(f, "  timestamp %s", buf);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		const ps_finding *fd = &r->findings[i];
		if (strncmp(fd->id, "SIG-", 4) && strncmp(fd->id, "CERT-", 5) && strncmp(fd->id, "TS-", 3))
			continue;
		if (fd->severity == PS_SEV_INFO)
			continue;
		fprintf(f, "  [%s] %s  ", ps_severity_name(fd->severity), fd->id);
		cli_put_escaped(f, fd->title);
		fputc('\n', f);
	}
}

/* An error record: the JSON object on stdout (JSON modes), the message on stderr. */
static void render_error(const cli *c, job *j)
{
	j->had_error = 1;
	FILE *o = open_memstream(&j->out, &j->out_len);
	if (o) {
		if (c->jsonl || c->json) {
			char *s = NULL;
			if (ps_error_json(&s, j->path, j->rc, j->err) == PS_OK) {
				fputs(s, o);
				fputc('\n', o);
				free(s);
			}
		}
		fclose(o);
	}
	FILE *e = open_memstream(&j->errout, &j->errout_len);
	if (e) {
		fputs("pesleuth: ", e);
		cli_put_escaped(e, j->path);
		fprintf(e, ": %s\n", j->err ? strerror(j->err) : ps_strerror(j->rc));
		fclose(e);
	}
}

static void render_note(job *j)
{
	FILE *e = open_memstream(&j->errout, &j->errout_len);
	if (e) {
		fputs("pesleuth: ", e);
		cli_put_escaped(e, j->path);
		fprintf(e, ": skipped: %s\n", j->why);
		fclose(e);
	}
}

/* What the writer needs of an analyzed file besides its text; r is kept or freed. */
static void finish_job(const cli *c, job *j, ps_report *r)
{
	if (!strcmp(c->cmd, "verify") && !all_trusted(r))
		j->untrusted = 1;
	if (c->fail_on >= 0 && r->n_findings && (int)r->worst >= c->fail_on)
		j->failed_on = 1;
	if (c->db_path)
		j->report = r;
	else
		ps_report_free(r);
}

static void analyze_job(const cli *c, job *j)
{
	ps_report *r = NULL;
	errno = 0;
	int rc;
	if (j->fd >= 0) {
		rc = ps_analyze_fd(&r, j->fd, j->path, &c->opt);
		int saved = errno;
		close(j->fd);
		j->fd = -1;
		errno = saved;
	} else {
		rc = ps_analyze_path(&r, j->path, &c->opt);
	}
	if (rc != PS_OK) {
		j->rc = rc;
		j->err = rc == PS_EIO ? errno : 0;
		render_error(c, j);
		return;
	}
	if (c->json || c->jsonl) {
		/* The library's buffer is handed to the writer as it is (a JSON line is tens of
		 * KiB: copying it through a memstream cost 1.5% of a scan). */
		char *s = NULL;
		unsigned flags = PS_JSON_DETAIL | (c->json ? PS_JSON_PRETTY : 0);
		if (ps_report_json(&s, r, flags) == PS_OK) {
			j->out = s;
			j->out_len = strlen(s);
			j->out_nl = 1;
		} else {
			j->had_error = 1;
		}
		finish_job(c, j, r);
		return;
	}
	FILE *o = open_memstream(&j->out, &j->out_len);
	if (!o) {
		j->rc = PS_ENOMEM;
		j->err = 0;
		ps_report_free(r);
		render_error(c, j);
		return;
	}
	if (c->csv) {
		char *s = NULL;
		if (ps_report_csv(&s, r) == PS_OK) {
			fputs(s, o);
			free(s);
		} else {
			j->had_error = 1;
		}
	} else if (!strcmp(c->cmd, "show")) {
		ps_report_text(o, r);
	} else if (!strcmp(c->cmd, "verify")) {
		verify_line(o, r);
	} else {
		scan_line(o, r);
	}
	fclose(o);
	finish_job(c, j, r);
}

static void *worker(void *arg)
{
	pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->taken == p->produced && p->producing)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->produced)
			break;
		job *j = &p->ring[p->taken++ % p->cap];
		j->state = SLOT_RUNNING;
		pthread_mutex_unlock(&p->mu);
		if (j->kind == JOB_FILE) {
			int held = j->fd >= 0;
			analyze_job(p->c, j);
			if (held)
				atomic_fetch_sub(&p->fds_held, 1);
		}
		else if (j->kind == JOB_ERROR)
			render_error(p->c, j);
		else
			render_note(j);
		pthread_mutex_lock(&p->mu);
		j->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the writer ---- */

static void human_bytes(char *buf, size_t cap, double b)
{
	static const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned k = 0;
	while (b >= 1024 && k < 4) {
		b /= 1024;
		k++;
	}
	snprintf(buf, cap, k ? "%.1f %s" : "%.0f %s", b, u[k]);
}

static void clear_progress(pool *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		p->drawn = 0;
	}
}

/* files done/found, bytes, rate, ETA (once the walk is over and the total is known) */
static void draw_progress(pool *p, int force)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && p->last_draw.tv_sec && since(&p->last_draw, &now) < 0.1)
		return;
	p->last_draw = now;
	double el = since(&p->t0, &now);
	double rate = el > 0 ? (double)p->bytes_done / el : 0;
	char done[32], total[32], rb[32], eta[32] = "";
	human_bytes(done, sizeof(done), (double)p->bytes_done);
	human_bytes(rb, sizeof(rb), rate);
	pthread_mutex_lock(&p->mu);
	int walking = p->producing;
	uint64_t files_seen = p->files_seen, bytes_seen = p->bytes_seen;
	pthread_mutex_unlock(&p->mu);
	human_bytes(total, sizeof(total), (double)bytes_seen);
	if (!walking && p->files_done == files_seen) {
		snprintf(eta, sizeof(eta), "  done in %.1fs", el);
	} else if (!walking && rate > 0 && bytes_seen >= p->bytes_done) {
		double left = (double)(bytes_seen - p->bytes_done) / rate;
		snprintf(eta, sizeof(eta), " ETA %um%02us", (unsigned)(left / 60), (unsigned)left % 60);
	}
	fprintf(stderr, "\r\033[K%llu/%llu%s files  %s/%s  %s/s%s", (unsigned long long)p->files_done,
	        (unsigned long long)files_seen, walking ? "+" : "", done, total, rb, eta);
	fflush(stderr);
	p->drawn = 1;
}

static void write_job(pool *p, job *j)
{
	cli *c = p->c;
	/* the progress line is wiped only before something else is written to the terminal */
	if (p->c->progress && ((j->errout && j->errout_len) || (p->stdout_tty && j->out && j->out_len)))
		clear_progress(p);
	if (j->out && j->out_len)
		fwrite(j->out, 1, j->out_len, stdout);
	if (j->out_nl)
		putchar('\n');
	if (j->errout && j->errout_len) {
		fflush(stdout);
		fwrite(j->errout, 1, j->errout_len, stderr);
	}
	if (j->report && p->db) {
		if (ps_db_put(p->db, j->report, j->path, j->have_st ? &j->st : NULL) != PS_OK) {
			fputs("pesleuth: --db: ", stderr);
			cli_put_escaped(stderr, ps_db_errmsg(p->db));
			fputs(": ", stderr);
			cli_put_escaped(stderr, j->path);
			fputc('\n', stderr);
			c->had_error = 1;
		}
	}
	c->had_error |= j->had_error;
	c->untrusted |= j->untrusted;
	c->failed_on |= j->failed_on;
	if (j->kind == JOB_FILE) {
		p->files_done++;
		p->bytes_done += j->size;
	}
	ps_report_free(j->report);
	free(j->out);
	free(j->errout);
	free(j->path);
	memset(j, 0, sizeof(*j));
	if (c->progress)
		draw_progress(p, 0);
}

static void *writer(void *arg)
{
	pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->written < p->produced && p->ring[p->written % p->cap].state != SLOT_DONE)
			pthread_cond_wait(&p->done, &p->mu);
		if (p->written == p->produced) {
			if (!p->producing)
				break;
			pthread_cond_wait(&p->done, &p->mu);
			continue;
		}
		job *j = &p->ring[p->written % p->cap];
		pthread_mutex_unlock(&p->mu);
		write_job(p, j);
		pthread_mutex_lock(&p->mu);
		j->state = SLOT_FREE;
		p->written++;
		pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the producer ---- */

/* Queues a job (the producer waits for a free slot). path is copied; fd (or -1) is the
 * job's to close. */
static int submit(pool *p, int kind, const char *path, const struct stat *st, int fd, int rc, int err,
                  const char *why)
{
	char *copy = strdup(path);
	if (!copy) {
		if (fd >= 0) {
			close(fd);
			atomic_fetch_sub(&p->fds_held, 1);
		}
		return PS_ENOMEM;
	}
	pthread_mutex_lock(&p->mu);
	while (p->produced - p->written >= p->cap)
		pthread_cond_wait(&p->room, &p->mu);
	job *j = &p->ring[p->produced % p->cap];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->path = copy;
	j->fd = fd;
	j->rc = rc;
	j->err = err;
	j->why = why;
	if (st) {
		j->size = (uint64_t)st->st_size;
		j->st.size = (uint64_t)st->st_size;
		j->st.inode = (uint64_t)st->st_ino;
		j->st.dev = (uint64_t)st->st_dev;
		j->st.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
		j->st.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
		j->have_st = 1;
	}
	j->state = SLOT_PENDING;
	p->produced++;
	if (kind == JOB_FILE) {
		p->files_seen++;
		p->bytes_seen += j->size;
	}
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return PS_OK;
}

typedef struct producer {
	pool *p;
	ps_db *ro; /* read connection for the incremental check */
} producer;

/* Opens a walked file where the walker saw it: relative to its directory, without following a
 * symbolic link that took its place since (unless --follow-symlinks), and only when it is
 * still the file the walker stat()ed (device and inode), so that what is analyzed is what was
 * walked. Returns the descriptor; -1 with *err 0 when the worker is to open it by path (too
 * many descriptors held already), or -1 with *err the file's error: ENOENT (vanished, or
 * replaced by another file), ELOOP (replaced by a symbolic link). */
static int open_walked(pool *p, const ps_walk_entry *e, int *err)
{
	*err = 0;
	if (atomic_load(&p->fds_held) >= CLI_MAX_HELD_FDS)
		return -1;
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (e->depth > 0 && !p->c->walk.follow_symlinks)
		flags |= O_NOFOLLOW;
	int fd = openat(e->dirfd, e->name, flags);
	if (fd < 0) {
		*err = errno == EMFILE || errno == ENFILE ? 0 : errno;
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_dev != e->st.st_dev || st.st_ino != e->st.st_ino) {
		close(fd);
		*err = ENOENT;
		return -1;
	}
	atomic_fetch_add(&p->fds_held, 1);
	return fd;
}

static int on_entry(void *ctx, const ps_walk_entry *e)
{
	producer *pr = ctx;
	pool *p = pr->p;
	switch (e->kind) {
	case PS_WALK_FILE:
		if (pr->ro) {
			ps_db_filestat st = {.size = (uint64_t)e->st.st_size, .inode = (uint64_t)e->st.st_ino,
			                     .dev = (uint64_t)e->st.st_dev,
			                     .mtime_ns = (int64_t)e->st.st_mtim.tv_sec * 1000000000 + e->st.st_mtim.tv_nsec,
			                     .ctime_ns = (int64_t)e->st.st_ctim.tv_sec * 1000000000 + e->st.st_ctim.tv_nsec};
			int same = 0;
			if (ps_db_unchanged(pr->ro, e->path, &st, &same) == PS_OK && same) {
				p->n_unchanged++;
				return 0;
			}
		}
		int err, fd = open_walked(p, e, &err);
		if (err)
			return submit(p, JOB_ERROR, e->path, NULL, -1, PS_EIO, err, NULL) == PS_OK ? 0 : 1;
		return submit(p, JOB_FILE, e->path, &e->st, fd, 0, 0, NULL) == PS_OK ? 0 : 1;
	case PS_WALK_ERROR:
		return submit(p, JOB_ERROR, e->path, NULL, -1, e->err ? PS_EIO : PS_ENOTFILE, e->err, NULL) == PS_OK ? 0 : 1;
	case PS_WALK_SKIP:
		if (S_ISFIFO(e->st.st_mode) || S_ISSOCK(e->st.st_mode) || S_ISCHR(e->st.st_mode) || S_ISBLK(e->st.st_mode)) {
			return submit(p, JOB_NOTE, e->path, NULL, -1, 0, 0, e->why) == PS_OK ? 0 : 1;
		}
		if (e->why && strstr(e->why, "max-size"))
			p->n_too_big++;
		return 0;
	}
	return 0;
}

int cli_run(cli *c, char **paths, int n)
{
	pool p;
	memset(&p, 0, sizeof(p));
	p.c = c;
	unsigned threads = c->threads ? c->threads : 1;
	p.cap = (size_t)threads * CLI_INFLIGHT_PER_THREAD;
	p.ring = calloc(p.cap, sizeof(*p.ring));
	if (!p.ring) {
		fprintf(stderr, "pesleuth: out of memory\n");
		return -1;
	}
	producer pr = {.p = &p};
	if (c->db_path) {
		if (ps_db_open(&p.db, c->db_path, 0) != PS_OK) {
			fputs("pesleuth: --db ", stderr);
			cli_put_escaped(stderr, c->db_path);
			fprintf(stderr, ": %s\n", p.db ? ps_db_errmsg(p.db) : "cannot be opened");
			ps_db_close(p.db);
			free(p.ring);
			return -1;
		}
		if (!c->rescan && ps_db_open(&pr.ro, c->db_path, PS_DB_READONLY) != PS_OK) {
			ps_db_close(pr.ro);
			pr.ro = NULL;
		}
	}
	atomic_init(&p.fds_held, 0);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	pthread_cond_init(&p.room, NULL);
	p.producing = 1;
	p.stdout_tty = isatty(STDOUT_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	pthread_t tw, *tv = calloc(threads, sizeof(*tv));
	unsigned started = 0;
	int rc = 0;
	if (!tv || pthread_create(&tw, NULL, writer, &p) != 0) {
		fprintf(stderr, "pesleuth: cannot start threads\n");
		free(tv);
		free(p.ring);
		ps_db_close(p.db);
		ps_db_close(pr.ro);
		return -1;
	}
	for (; started < threads; started++)
		if (pthread_create(&tv[started], NULL, worker, &p) != 0)
			break;
	if (!started) {
		fprintf(stderr, "pesleuth: cannot start threads\n");
		rc = -1;
	}
	int walk = !strcmp(c->cmd, "scan");
	for (int i = 0; started && i < n; i++) {
		if (!walk) {
			if (submit(&p, JOB_FILE, paths[i], NULL, -1, 0, 0, NULL) != PS_OK)
				rc = -1;
		} else if (ps_walk(paths[i], &c->walk, on_entry, &pr) != PS_OK) {
			rc = -1;
		}
		if (rc)
			break;
	}
	if (started && !rc && c->from) {
		FILE *f = strcmp(c->from, "-") ? fopen(c->from, "r") : stdin;
		if (!f) {
			fputs("pesleuth: --from ", stderr);
			cli_put_escaped(stderr, c->from);
			fprintf(stderr, ": %s\n", strerror(errno));
			c->had_error = 1;
		} else {
			if (ps_walk_from_sep(f, c->from_null ? '\0' : '\n', &c->walk, on_entry, &pr) != PS_OK)
				rc = -1;
			if (f != stdin)
				fclose(f);
		}
	}
	pthread_mutex_lock(&p.mu);
	p.producing = 0;
	pthread_cond_broadcast(&p.work);
	pthread_cond_broadcast(&p.done);
	pthread_mutex_unlock(&p.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tv[i], NULL);
	pthread_join(tw, NULL);
	if (c->progress) {
		draw_progress(&p, 1);
		fputc('\n', stderr);
	}
	if (p.db && ps_db_flush(p.db) != PS_OK) {
		fputs("pesleuth: --db: ", stderr);
		cli_put_escaped(stderr, ps_db_errmsg(p.db));
		fputc('\n', stderr);
		c->had_error = 1;
	}
	if (p.n_unchanged)
		fprintf(stderr, "pesleuth: %llu unchanged files already in the database skipped (--rescan analyzes them again)\n",
		        (unsigned long long)p.n_unchanged);
	if (p.n_too_big)
		fprintf(stderr, "pesleuth: %llu files larger than --max-size skipped\n", (unsigned long long)p.n_too_big);
	ps_db_close(pr.ro);
	ps_db_close(p.db);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	pthread_cond_destroy(&p.room);
	free(tv);
	free(p.ring);
	if (rc)
		fprintf(stderr, "pesleuth: out of memory\n");
	return rc;
}
