/* The directory walker on real trees built under a mkdtemp directory: order, symbolic links
 * (skipped, followed, loops, two links to one directory), FIFOs and sockets, unreadable
 * directories (as uid 65534 when run as root), files vanishing mid-walk, excludes,
 * --max-size, --from lists, the depth cap and overlong paths.
 *
 * Each walk is rendered as one line per entry — "F path", "S path (why)", "E path ERRNO (why)",
 * paths relative to the test's directory — and compared as a whole, so an extra, missing or
 * reordered entry fails with the full picture.
 */
#define _GNU_SOURCE /* renameat2 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "limits.h" /* lib/limits.h: PS_MAX_WALK_DEPTH */
#include "pesleuth.h"

/* ---- trees ---- */

static char base[256];

static void make_base(void)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(base, sizeof(base), "%s/ps_walk_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_true(n > 0 && (size_t)n < sizeof(base));
	assert_non_null(mkdtemp(base));
}

static const char *at(const char *rel)
{
	static char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s/%s", base, rel);
	assert_true(n > 0 && (size_t)n < sizeof(p));
	return p;
}

static void mk_file(const char *rel, size_t size)
{
	FILE *f = fopen(at(rel), "wb");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('M', f);
	assert_int_equal(fclose(f), 0);
}

static void mk_dir(const char *rel)
{
	assert_int_equal(mkdir(at(rel), 0755), 0);
}

static void mk_link(const char *target, const char *rel)
{
	assert_int_equal(symlink(target, at(rel)), 0);
}

/* Removes dfd/name whatever it holds, by descriptors (paths may exceed PATH_MAX). */
static void rm_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	fchmodat(dfd, name, 0700, 0);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
		} else {
			for (;;) { /* one name at a time: no readdir across unlinks */
				char child[NAME_MAX + 1] = "";
				struct dirent *e;
				rewinddir(d);
				while ((e = readdir(d)))
					if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
						snprintf(child, sizeof(child), "%s", e->d_name);
						break;
					}
				if (!child[0])
					break;
				rm_at(dirfd(d), child);
			}
			closedir(d);
		}
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static int setup(void **state)
{
	(void)state;
	make_base();
	return 0;
}

/* Runs after a failed test too: nothing is left in TMPDIR, no alarm stays pending. */
static int teardown(void **state)
{
	(void)state;
	alarm(0);
	rm_at(AT_FDCWD, base);
	return 0;
}

/* ---- recording walks ---- */

typedef struct rec {
	ps_walk_kind kind;
	char *path; /* full */
	char *name;
	int err;
	const char *why;
	struct stat st;
	unsigned depth;
} rec;

typedef struct wlog {
	rec *v;
	size_t n, cap;
	int stop_at;      /* nonzero: return 42 from the stop_at-th entry */
	const char *kill; /* unlink this path when the first FILE is seen */
} wlog;

static int record(void *ctx, const ps_walk_entry *e)
{
	wlog *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	rec *r = &l->v[l->n++];
	r->kind = e->kind;
	r->path = strdup(e->path);
	r->name = strdup(e->name);
	assert_true(r->path && r->name);
	r->err = e->err;
	r->why = e->why;
	r->st = e->st;
	r->depth = e->depth;
	/* invariants of every entry */
	if (e->kind == PS_WALK_FILE) {
		if (e->why || e->err || !S_ISREG(e->st.st_mode))
			return -100;
	} else if (!e->why || (e->kind == PS_WALK_SKIP && e->err)) {
		return -101;
	}
	if (l->kill && e->kind == PS_WALK_FILE) {
		if (unlink(l->kill) != 0)
			return -102;
		l->kill = NULL;
	}
	if (l->stop_at && l->n == (size_t)l->stop_at)
		return 42;
	return 0;
}

static void log_free(wlog *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ELOOP: return "ELOOP";
	case EINVAL: return "EINVAL";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case E2BIG: return "E2BIG";
	default: return "E?";
	}
}

/* One line per entry, paths relative to base ("." for base itself). Caller frees. */
static char *render(const wlog *l)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	size_t bl = strlen(base);
	for (size_t i = 0; i < l->n; i++) {
		const rec *r = &l->v[i];
		const char *p = r->path;
		if (!strncmp(p, base, bl) && p[bl] == '/')
			p += bl + 1;
		else if (!strcmp(p, base))
			p = ".";
		fputc("FSE"[r->kind], f);
		if (strlen(p) > 200)
			fprintf(f, " <%zu bytes>", strlen(p));
		else
			fprintf(f, " %s", p);
		if (r->kind == PS_WALK_ERROR)
			fprintf(f, " %s", errname(r->err));
		if (r->why)
			fprintf(f, " (%s)", r->why);
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
	return s;
}

static int walk(wlog *l, const char *root, const ps_walk_options *o)
{
	return ps_walk(root, o, record, l);
}

static void assert_walk(const char *root, const ps_walk_options *o, const char *expected)
{
	wlog l = {0};
	assert_int_equal(walk(&l, root, o), 0);
	char *got = render(&l);
	assert_string_equal(got, expected);
	free(got);
	log_free(&l);
}

static const rec *find_rec(const wlog *l, const char *rel)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, at(rel)))
			return &l->v[i];
	return NULL;
}

/* ---- tests ---- */

static void sorted_order_and_paths(void **state)
{
	(void)state;
	const char *files[] = {"b", "a", "B", "a b", ".hidden", "\xc3\xa9", "z", "m/2", "m/10", "m/1"};
	mk_dir("m");
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		mk_file(files[i], 1);
	const char *expected = "F .hidden\nF B\nF a\nF a b\nF b\nF m/1\nF m/10\nF m/2\nF z\nF \xc3\xa9\n";
	assert_walk(base, NULL, expected);

	/* a root ending in '/' gets no second one; depth and name follow the path */
	char slash[PATH_MAX];
	snprintf(slash, sizeof(slash), "%s/", base);
	wlog l = {0};
	assert_int_equal(walk(&l, slash, NULL), 0);
	assert_int_equal(l.n, 10);
	assert_string_equal(l.v[0].path, at(".hidden"));
	assert_string_equal(l.v[0].name, ".hidden");
	assert_int_equal(l.v[0].depth, 1);
	assert_string_equal(l.v[5].path, at("m/1"));
	assert_string_equal(l.v[5].name, "1");
	assert_int_equal(l.v[5].depth, 2);
	assert_int_equal(l.v[5].st.st_size, 1);
	log_free(&l);

	/* a file given as the root is one entry, at depth 0, with its own path */
	assert_int_equal(walk(&l, at("m/10"), NULL), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, PS_WALK_FILE);
	assert_string_equal(l.v[0].path, at("m/10"));
	assert_int_equal(l.v[0].depth, 0);
	log_free(&l);
}

static void missing_and_special_roots(void **state)
{
	(void)state;
	assert_walk(at("nope"), NULL, "E nope ENOENT (does not exist)\n");
	assert_int_equal(mkfifo(at("fifo"), 0644), 0);
	assert_walk(at("fifo"), NULL, "E fifo 0 (not a regular file (FIFO))\n");
	wlog l = {0};
	assert_int_equal(walk(&l, "/dev/null", NULL), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, PS_WALK_ERROR);
	assert_string_equal(l.v[0].why, "not a regular file (character device)");
	assert_true(S_ISCHR(l.v[0].st.st_mode));
	log_free(&l);
	/* misuse */
	assert_int_equal(ps_walk(NULL, NULL, record, &l), PS_EINVAL);
	assert_int_equal(ps_walk(base, NULL, NULL, NULL), PS_EINVAL);
	ps_walk_options bad = {.n_excludes = 1};
	assert_int_equal(ps_walk(base, &bad, record, &l), PS_EINVAL);
	assert_int_equal(l.n, 0);
}

static void symlinks(void **state)
{
	(void)state;
	mk_dir("d");
	mk_file("d/x", 3);
	mk_file("f", 5);
	mk_link("d", "ld");
	mk_link("f", "lf");
	mk_link("nowhere", "zz");
	assert_walk(base, NULL,
	            "F d/x\nF f\nS ld (symbolic link, not followed)\nS lf (symbolic link, not followed)\n"
	            "S zz (symbolic link, not followed)\n");

	/* followed: the file through the link is reported with the target's stat; the directory
	 * was already entered as d */
	ps_walk_options o = {.follow_symlinks = 1};
	wlog l = {0};
	assert_int_equal(walk(&l, base, &o), 0);
	char *got = render(&l);
	assert_string_equal(got, "F d/x\nF f\nS ld (already visited)\nF lf\nE zz ENOENT (dangling symbolic link)\n");
	free(got);
	const rec *lf = find_rec(&l, "lf");
	assert_true(S_ISREG(lf->st.st_mode));
	assert_int_equal(lf->st.st_size, 5);
	assert_true(S_ISDIR(find_rec(&l, "ld")->st.st_mode));
	assert_true(S_ISLNK(find_rec(&l, "zz")->st.st_mode)); /* lstat kept for the dangling link */
	log_free(&l);

	/* unfollowed SKIP carries the link's own lstat */
	assert_int_equal(walk(&l, base, NULL), 0);
	assert_true(S_ISLNK(find_rec(&l, "ld")->st.st_mode));
	log_free(&l);

	/* a symbolic link named as the root is followed, and its path kept */
	assert_walk(at("ld"), NULL, "F ld/x\n");
	assert_walk(at("lf"), NULL, "F lf\n");
}

static void symlink_loops(void **state)
{
	(void)state;
	mk_dir("a");
	mk_file("a/file", 1);
	mk_link("..", "a/link");
	mk_link(".", "a/self");
	mk_dir("b");
	mk_dir("b/c");
	mk_link("../../b", "b/c/up");
	mk_link("s", "s");
	ps_walk_options o = {.follow_symlinks = 1};
	alarm(20); /* a loop that did not terminate fails the test instead of hanging it */
	assert_walk(base, &o,
	            "F a/file\nS a/link (directory loop)\nS a/self (directory loop)\nS b/c/up (directory loop)\n"
	            "E s ELOOP (symbolic link loop)\n");
	alarm(0);
}

static void two_links_one_directory(void **state)
{
	(void)state;
	mk_dir("target");
	mk_dir("target/sub");
	mk_file("target/sub/f", 1);
	mk_dir("root");
	mk_link("../target", "root/l1");
	mk_link("../target", "root/l2");
	mk_link("../target/sub", "root/l3");
	ps_walk_options o = {.follow_symlinks = 1};
	assert_walk(at("root"), &o, "F root/l1/sub/f\nS root/l2 (already visited)\nS root/l3 (already visited)\n");
	assert_walk(at("root"), NULL,
	            "S root/l1 (symbolic link, not followed)\nS root/l2 (symbolic link, not followed)\n"
	            "S root/l3 (symbolic link, not followed)\n");
}

static void fifo_and_socket_skipped(void **state)
{
	(void)state;
	mk_file("a", 1);
	assert_int_equal(mkfifo(at("p"), 0644), 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(at("sock")) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, at("sock"));
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	mk_file("z", 1);
	alarm(20); /* opening the FIFO would block: SIGALRM fails the test */
	assert_walk(base, NULL, "F a\nS p (not a regular file (FIFO))\nS sock (not a regular file (socket))\nF z\n");
	ps_walk_options o = {.follow_symlinks = 1};
	mk_link("p", "q");
	assert_walk(base, &o,
	            "F a\nS p (not a regular file (FIFO))\nS q (not a regular file (FIFO))\n"
	            "S sock (not a regular file (socket))\nF z\n");
	alarm(0);
	close(s);
}

/* The expected picture of the unreadable tree; returns 0 when the walk matched it. Runs in a
 * forked child when root (no cmocka asserts there). */
static int unreadable_walk(void)
{
	wlog l = {0};
	int rc = walk(&l, base, NULL);
	char *got = render(&l);
	const char *expected = "F a\nE locked EACCES (cannot open directory)\nE noexec/f EACCES (cannot stat)\nF z\n";
	int bad = rc != 0 || strcmp(got, expected) != 0;
	if (bad)
		fprintf(stderr, "walk returned %d, entries:\n%s", rc, got);
	free(got);
	log_free(&l);
	return bad;
}

static void unreadable_directory(void **state)
{
	(void)state;
	assert_int_equal(chmod(base, 0755), 0);
	mk_file("a", 1);
	mk_dir("locked");
	mk_file("locked/inside", 1);
	mk_dir("noexec");
	mk_file("noexec/f", 1);
	mk_file("z", 1);
	assert_int_equal(chmod(at("locked"), 0), 0);
	assert_int_equal(chmod(at("noexec"), 0444), 0); /* listable, entries not reachable */
	int skipped = 0;
	if (geteuid() == 0) {
		/* root reads anything: walk as nobody */
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
				_exit(77);
			_exit(unreadable_walk());
		}
		int status = 0;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 77)
			skipped = 1;
		else
			assert_int_equal(WEXITSTATUS(status), 0);
	} else {
		assert_int_equal(unreadable_walk(), 0);
	}
	if (skipped)
		skip(); /* cannot drop privileges here (user namespace without uid 65534?) */
}

static void vanishing_file(void **state)
{
	(void)state;
	mk_file("a", 1);
	mk_file("b", 1);
	mk_dir("c");
	mk_file("c/x", 1);
	mk_file("d", 1);
	char victim[PATH_MAX];
	snprintf(victim, sizeof(victim), "%s", at("b"));
	wlog l = {.kill = victim};
	assert_int_equal(walk(&l, base, NULL), 0);
	char *got = render(&l);
	assert_string_equal(got, "F a\nE b ENOENT (vanished during the walk)\nF c/x\nF d\n");
	free(got);
	log_free(&l);
}

static void stop_from_callback(void **state)
{
	(void)state;
	mk_file("a", 1);
	mk_dir("b");
	mk_file("b/x", 1);
	mk_file("c", 1);
	wlog l = {.stop_at = 2};
	assert_int_equal(walk(&l, base, NULL), 42);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].path, at("b/x"));
	log_free(&l);
}

static void excludes(void **state)
{
	(void)state;
	mk_file("keep.exe", 1);
	mk_file("skip.wlog", 1);
	mk_dir("node_modules");
	mk_file("node_modules/m.exe", 1);
	mk_dir("sub");
	mk_file("sub/x.wlog", 1);
	mk_file("sub/y.exe", 1);
	mk_dir("sub/deep");
	mk_file("sub/deep/z.exe", 1);

	char deep[PATH_MAX];
	snprintf(deep, sizeof(deep), "%s", at("sub/deep"));
	const char *pats[] = {"*.wlog", "node_modules", deep};
	ps_walk_options o = {.excludes = pats, .n_excludes = 3};
	assert_walk(base, &o,
	            "F keep.exe\nS node_modules (excluded)\nS skip.wlog (excluded)\nS sub/deep (excluded)\n"
	            "S sub/x.wlog (excluded)\nF sub/y.exe\n");

	/* a path glob: '*' does not cross '/' */
	char top[PATH_MAX];
	snprintf(top, sizeof(top), "%s", at("*.exe"));
	const char *pats2[] = {top};
	ps_walk_options o2 = {.excludes = pats2, .n_excludes = 1};
	assert_walk(base, &o2,
	            "S keep.exe (excluded)\nF node_modules/m.exe\nF skip.wlog\nF sub/deep/z.exe\nF sub/x.wlog\n"
	            "F sub/y.exe\n");

	/* roots are not excluded; an excluded name is not stat()ed */
	const char *all[] = {"*"};
	ps_walk_options o3 = {.excludes = all, .n_excludes = 1};
	assert_walk(at("keep.exe"), &o3, "F keep.exe\n");
	wlog l = {0};
	assert_int_equal(walk(&l, base, &o3), 0);
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].kind, PS_WALK_SKIP);
		assert_int_equal(l.v[i].st.st_mode, 0);
	}
	log_free(&l);
}

static void max_size(void **state)
{
	(void)state;
	mk_file("e", 0);
	mk_file("ten", 10);
	mk_file("eleven", 11);
	ps_walk_options o = {.max_size = 10};
	wlog l = {0};
	assert_int_equal(walk(&l, base, &o), 0);
	char *got = render(&l);
	assert_string_equal(got, "F e\nS eleven (larger than --max-size)\nF ten\n");
	free(got);
	assert_int_equal(find_rec(&l, "eleven")->st.st_size, 11);
	log_free(&l);
	assert_walk(at("eleven"), &o, "S eleven (larger than --max-size)\n");
	assert_walk(base, NULL, "F e\nF eleven\nF ten\n");
}

static void walk_from_list(void **state)
{
	(void)state;
	mk_dir("dir");
	mk_file("dir/b", 1);
	mk_file("dir/a", 1);
	mk_file("file", 1);

	FILE *f = tmpfile();
	assert_non_null(f);
	/* at() returns one static buffer: one call per fprintf */
	fprintf(f, "%s\n\n", at("missing"));
	fprintf(f, "%s\n", at("dir"));
	fprintf(f, "%s\r\n", at("file"));
	fprintf(f, "%s\n", at("file"));
	fprintf(f, "%s", at("n"));
	fputc(0, f);
	fprintf(f, "ul\n");
	for (int i = 0; i < PATH_MAX + 10; i++)
		fputc('x', f);
	fprintf(f, "\n%s", at("file")); /* last line without '\n' */
	rewind(f);
	wlog l = {0};
	assert_int_equal(ps_walk_from(f, NULL, record, &l), 0);
	char *got = render(&l);
	char expected[512];
	snprintf(expected, sizeof(expected),
	         "E missing ENOENT (does not exist)\nF dir/a\nF dir/b\nE file\r ENOENT (does not exist)\nF file\n"
	         "E n EINVAL (NUL byte in path)\nE <%d bytes> ENAMETOOLONG (path too long)\nF file\n",
	         PATH_MAX - 1);
	assert_string_equal(got, expected);
	free(got);
	log_free(&l);
	fclose(f);

	/* a stop from the callback ends the list too */
	f = tmpfile();
	assert_non_null(f);
	fprintf(f, "%s\n", at("file"));
	fprintf(f, "%s\n", at("dir"));
	rewind(f);
	l.stop_at = 1;
	assert_int_equal(ps_walk_from(f, NULL, record, &l), 42);
	assert_int_equal(l.n, 1);
	log_free(&l);
	fclose(f);

	/* a read error is PS_EIO */
	f = fopen("/dev/null", "w");
	assert_non_null(f);
	assert_int_equal(ps_walk_from(f, NULL, record, &l), PS_EIO);
	fclose(f);
	log_free(&l);

	/* NUL-separated (find -print0): '\n' belongs to the path, empty records are ignored,
	 * the last one needs no NUL; only '\n' and '\0' are separators */
	mk_file("new\nline", 1);
	f = tmpfile();
	assert_non_null(f);
	fprintf(f, "%s", at("new\nline"));
	fputc(0, f);
	fputc(0, f);
	fprintf(f, "%s", at("dir"));
	fputc(0, f);
	fprintf(f, "%s\n", at("file"));
	fputc(0, f);
	fprintf(f, "%s", at("file"));
	rewind(f);
	assert_int_equal(ps_walk_from_sep(f, '\0', NULL, record, &l), 0);
	got = render(&l);
	assert_string_equal(got, "F new\nline\nF dir/a\nF dir/b\nE file\n ENOENT (does not exist)\nF file\n");
	free(got);
	log_free(&l);
	rewind(f);
	assert_int_equal(ps_walk_from_sep(f, ' ', NULL, record, &l), PS_EINVAL);
	assert_int_equal(l.n, 0);
	fclose(f);
}

/* A chain base/d/d/.../d, PS_MAX_WALK_DEPTH + 2 levels, with a file f at every level. */
static void depth_cap(void **state)
{
	(void)state;
	int fd = open(base, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (unsigned k = 0; k < PS_MAX_WALK_DEPTH + 2; k++) {
		int ffd = openat(fd, "f", O_WRONLY | O_CREAT, 0644);
		assert_true(ffd >= 0);
		close(ffd);
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	close(fd);

	wlog l = {0};
	assert_int_equal(walk(&l, base, NULL), 0);
	size_t files = 0, errors = 0;
	unsigned maxdepth = 0;
	for (size_t i = 0; i < l.n; i++) {
		const rec *r = &l.v[i];
		if (r->depth > maxdepth)
			maxdepth = r->depth;
		if (r->kind == PS_WALK_FILE) {
			files++;
			assert_int_equal(strlen(r->path), strlen(base) + 2 * r->depth); /* "/d" per level, "/f" */
		} else {
			errors++;
			assert_int_equal(r->kind, PS_WALK_ERROR);
			assert_int_equal(r->err, ELOOP);
			assert_string_equal(r->why, "too deep");
			assert_int_equal(r->depth, PS_MAX_WALK_DEPTH);
			assert_string_equal(r->name, "d");
			assert_true(S_ISDIR(r->st.st_mode));
		}
	}
	/* directories at depths 0 .. cap-1 are entered, each has one f: cap files */
	assert_int_equal(files, PS_MAX_WALK_DEPTH);
	assert_int_equal(errors, 1);
	assert_int_equal(maxdepth, PS_MAX_WALK_DEPTH);
	assert_int_equal(l.n, PS_MAX_WALK_DEPTH + 1);
	/* pre-order with d < f: the error comes first, then files from the deepest up */
	assert_int_equal(l.v[0].kind, PS_WALK_ERROR);
	assert_string_equal(l.v[l.n - 1].path, at("f"));
	log_free(&l);
}

/* Directories of 200-byte names until the path passes PATH_MAX, a file f in each. */
static void path_too_long(void **state)
{
	(void)state;
	char nm[201];
	memset(nm, 'x', 200);
	nm[200] = 0;
	size_t bl = strlen(base);
	unsigned levels = (PATH_MAX / 201) + 2;
	int fd = open(base, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (unsigned k = 0; k < levels; k++) {
		int ffd = openat(fd, "f", O_WRONLY | O_CREAT, 0644);
		assert_true(ffd >= 0);
		close(ffd);
		assert_int_equal(mkdirat(fd, nm, 0755), 0);
		int nfd = openat(fd, nm, O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	close(fd);

	/* expected: dir k (path bl + 201k) entered while shorter than PATH_MAX; its f at +2 */
	size_t want_files = 0, want_errors = 1;
	unsigned k = 0;
	for (; bl + 201u * k < PATH_MAX; k++) {
		if (bl + 201u * k + 2 < PATH_MAX)
			want_files++;
		else
			want_errors++; /* an f itself too long */
	}
	size_t too_long_len = bl + 201u * k; /* the first directory too long */

	wlog l = {0};
	assert_int_equal(walk(&l, base, NULL), 0);
	size_t files = 0, errors = 0;
	for (size_t i = 0; i < l.n; i++) {
		const rec *r = &l.v[i];
		if (r->kind == PS_WALK_FILE) {
			files++;
			assert_true(strlen(r->path) < PATH_MAX);
		} else {
			errors++;
			assert_int_equal(r->kind, PS_WALK_ERROR);
			assert_int_equal(r->err, ENAMETOOLONG);
			assert_string_equal(r->why, "path too long");
			/* the full path, not cut */
			assert_true(strlen(r->path) == too_long_len || strlen(r->path) == too_long_len - 201 + 2);
			assert_true(strlen(r->path) >= PATH_MAX);
		}
	}
	assert_int_equal(errors, want_errors);
	assert_int_equal(files, want_files);
	assert_true(files >= 15);
	log_free(&l);
}

/* A directory swapped for a symbolic link while the walk runs (renameat2 RENAME_EXCHANGE,
 * atomically, in a loop on another thread) must never lead the walk out of the tree: whatever
 * the timing, root/x is entered as the directory it was stat()ed as, or refused. Timing
 * decides how often the race is hit, not whether the test passes. */
typedef struct swapper {
	int dfd;
	volatile int stop;
	unsigned long swaps;
} swapper;

static void *swap_loop(void *arg)
{
	swapper *s = arg;
	while (!s->stop)
		if (renameat2(s->dfd, "x", s->dfd, "xl", RENAME_EXCHANGE) == 0)
			s->swaps++;
	return NULL;
}

static void swapped_directory_not_followed(void **state)
{
	(void)state;
	mk_dir("outside");
	mk_file("outside/secret", 1);
	mk_dir("root");
	mk_dir("root/x");
	mk_file("root/x/inner", 1);
	mk_link("../outside", "root/xl");
	swapper s = {.dfd = open(at("root"), O_RDONLY | O_DIRECTORY)};
	assert_true(s.dfd >= 0);
	if (renameat2(s.dfd, "x", s.dfd, "xl", RENAME_EXCHANGE) != 0) {
		close(s.dfd);
		skip(); /* the filesystem cannot exchange */
	}
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, swap_loop, &s), 0);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long walks = 0, inner = 0, refused = 0;
	int escaped = 0;
	do {
		wlog l = {0};
		int rc = walk(&l, at("root"), NULL);
		for (size_t i = 0; i < l.n; i++) {
			const rec *r = &l.v[i];
			if (strstr(r->path, "secret"))
				escaped = 1;
			if (r->kind == PS_WALK_FILE)
				inner++;
			if (r->kind == PS_WALK_ERROR)
				refused++;
		}
		log_free(&l);
		walks++;
		if (rc != 0 || escaped)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) < 500000000L);
	s.stop = 1;
	pthread_join(t, NULL);
	close(s.dfd);
	print_message("%lu walks, %lu swaps: %lu times inside x, %lu refused\n", walks, s.swaps, inner, refused);
	assert_false(escaped);
	assert_true(walks > 10 && s.swaps > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sorted_order_and_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_and_special_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(two_links_one_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_and_socket_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(vanishing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(excludes, setup, teardown),
		cmocka_unit_test_setup_teardown(max_size, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_from_list, setup, teardown),
		cmocka_unit_test_setup_teardown(depth_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(path_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(swapped_directory_not_followed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
