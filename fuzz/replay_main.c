/* Replays a libFuzzer harness without libFuzzer: calls LLVMFuzzerTestOneInput once per file
 * named on the command line, recursing into directories (entries in name order, symbolic
 * links to directories not followed). make check links every fuzz/fuzz_*.c with this file
 * and runs it over the seed corpus and every past crash (fuzz/regressions/), so a fixed
 * bug stays fixed (SQLite's rule: every fuzz find becomes a regression test).
 *
 * Each input runs in a child process, so that a crash, a sanitizer report, a leak (LSan
 * runs when the child exits) or a hang (REPLAY_TIMEOUT) is pinned on the input that caused
 * it, and every failing input is listed, not only the first. REPLAY_NOFORK=1 runs the inputs
 * in this process instead (for a debugger). Each input is copied into a buffer of exactly its
 * size, as libFuzzer does, so that an over-read is caught by ASan; inputs are cut at
 * REPLAY_MAX_INPUT.
 *
 * Prints "replayed N inputs" and exits 0 when every input passed; 1 when an input failed
 * (each one named on stderr); 2 when an argument cannot be read (a replay that silently
 * skipped its corpus would prove nothing).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPLAY_MAX_INPUT ((size_t)64 << 20)
#define REPLAY_MAX_DEPTH 64
#define REPLAY_TIMEOUT 120 /* seconds per input; the largest corpus file takes ~1 s under ASan */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a harness, as with libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int use_fork = 1;
static unsigned long n_replayed, n_failed;
static int n_errors;

/* Runs the harness on one input; returns 0 when it passed. */
static int run_one(const char *path, const uint8_t *data, size_t len)
{
	if (!use_fork) {
		LLVMFuzzerTestOneInput(data, len);
		return 0;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "replay: fork: %s\n", strerror(errno));
		exit(2);
	}
	if (pid == 0) {
		alarm(REPLAY_TIMEOUT);
		LLVMFuzzerTestOneInput(data, len);
		exit(0); /* exit, not _exit: LeakSanitizer checks at exit */
	}
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "replay: waitpid: %s\n", strerror(errno));
			exit(2);
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		fprintf(stderr, "replay: FAILED %s: timed out after %d s\n", path, REPLAY_TIMEOUT);
	else if (WIFSIGNALED(st))
		fprintf(stderr, "replay: FAILED %s: killed by signal %d\n", path, WTERMSIG(st));
	else
		fprintf(stderr, "replay: FAILED %s: exit status %d\n", path, WEXITSTATUS(st));
	return 1;
}

static void replay_file(const char *path, const struct stat *st)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		n_errors++;
		return;
	}
	size_t want = (uint64_t)st->st_size > REPLAY_MAX_INPUT ? REPLAY_MAX_INPUT : (size_t)st->st_size;
	uint8_t *buf = malloc(want ? want : 1);
	if (!buf) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		fclose(f);
		n_errors++;
		return;
	}
	size_t got = 0;
	while (got < want) {
		size_t r = fread(buf + got, 1, want - got, f);
		if (r == 0)
			break;
		got += r;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		n_errors++;
		return;
	}
	uint8_t *data = buf;
	if (got < want) { /* the file shrank meanwhile: keep the buffer exactly sized */
		data = malloc(got ? got : 1);
		if (!data) {
			free(buf);
			n_errors++;
			return;
		}
		memcpy(data, buf, got);
		free(buf);
	}
	if (run_one(path, data, got))
		n_failed++;
	free(data);
	n_replayed++;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path, int depth, int top);

static void replay_dir(const char *path, int depth)
{
	if (depth > REPLAY_MAX_DEPTH) {
		fprintf(stderr, "replay: %s: directories nested too deep\n", path);
		n_errors++;
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		n_errors++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ".", "..", and dot-files such as .gitkeep */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(names, ncap * sizeof(*nv));
			if (!nv) {
				n_errors++;
				break;
			}
			names = nv;
			cap = ncap;
		}
		size_t len = strlen(path) + 1 + strlen(e->d_name) + 1;
		names[n] = malloc(len);
		if (!names[n]) {
			n_errors++;
			break;
		}
		snprintf(names[n], len, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		replay_path(names[i], depth + 1, 0);
		free(names[i]);
	}
	free(names);
}

static void replay_path(const char *path, int depth, int top)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		n_errors++;
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		if (stat(path, &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
			n_errors++;
			return;
		}
		if (S_ISDIR(st.st_mode) && !top)
			return; /* no loops through links */
	}
	if (S_ISDIR(st.st_mode))
		replay_dir(path, depth);
	else if (S_ISREG(st.st_mode))
		replay_file(path, &st);
	/* FIFOs, devices, sockets: not inputs. */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	const char *nf = getenv("REPLAY_NOFORK");
	use_fork = !(nf && *nf && strcmp(nf, "0") != 0);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		replay_path(argv[i], 0, 1);
	if (n_failed)
		printf("replayed %lu inputs, %lu FAILED\n", n_replayed, n_failed);
	else
		printf("replayed %lu inputs\n", n_replayed);
	if (n_errors)
		return 2;
	return n_failed ? 1 : 0;
}
