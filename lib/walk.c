/* Directory walker: see include/pesleuth/walk.h for the contract.
 *
 * Every directory below a root is opened relative to its already-opened parent (openat with
 * O_NOFOLLOW unless reached through a followed link) and its identity checked against the
 * fstatat that classified it, so the walk never leaves the tree through a component swapped
 * for a symbolic link while it runs. Names of a directory are read in full, then sorted,
 * then visited; the recursion is bounded by PS_MAX_WALK_DEPTH, and so are the descriptors
 * held (one per level).
 */
#include "pesleuth/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "pesleuth/error.h"

/* A directory's identity: what a loop or a second link to it has in common. */
typedef struct dirkey {
	uint64_t dev, ino;
} dirkey;

/* Open-addressing set of directories entered (only when links are followed). */
typedef struct dirset {
	dirkey *keys;
	uint8_t *used; /* one byte per slot: keys has no free sentinel (any dev/ino is possible) */
	size_t cap, n;
} dirset;

typedef struct walker {
	const ps_walk_options *o;
	ps_walk_fn fn;
	void *ctx;
	char *path; /* the current path, NUL-terminated */
	size_t len, cap;
	dirkey anc[PS_MAX_WALK_DEPTH]; /* anc[d]: the directory being walked at depth d */
	dirset seen;
	size_t held; /* bytes of names held by the directories on the current path */
	int rc;      /* sticky: the callback's nonzero value, or PS_ENOMEM */
} walker;

/* One slot of a directory's name list: an offset while the name buffer may still move,
 * a pointer once it is complete. */
typedef union name_slot {
	size_t off;
	const char *p;
} name_slot;

static dirkey key_of(const struct stat *st)
{
	dirkey k = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};
	return k;
}

static int key_eq(dirkey a, dirkey b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

static size_t key_hash(dirkey k, size_t mask)
{
	uint64_t h = (k.ino ^ (k.dev * 0xff51afd7ed558ccdu)) * 0x9e3779b97f4a7c15u;
	return (size_t)(h ^ (h >> 29)) & mask;
}

static int dirset_has(const dirset *s, dirkey k)
{
	if (!s->cap)
		return 0;
	for (size_t i = key_hash(k, s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->used[i])
			return 0;
		if (key_eq(s->keys[i], k))
			return 1;
	}
}

static void dirset_put(dirset *s, dirkey k)
{
	size_t i = key_hash(k, s->cap - 1);
	while (s->used[i]) {
		if (key_eq(s->keys[i], k))
			return;
		i = (i + 1) & (s->cap - 1);
	}
	s->used[i] = 1;
	s->keys[i] = k;
	s->n++;
}

/* Adds k, keeping the table at most half full. The caller keeps n below PS_MAX_WALK_DIRS,
 * so cap never exceeds 2 * PS_MAX_WALK_DIRS slots. */
static int dirset_add(dirset *s, dirkey k)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		dirset t = {calloc(ncap, sizeof(*t.keys)), calloc(ncap, 1), ncap, 0};
		if (!t.keys || !t.used) {
			free(t.keys);
			free(t.used);
			return PS_ENOMEM;
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				dirset_put(&t, s->keys[i]);
		free(s->keys);
		free(s->used);
		*s = t;
	}
	dirset_put(s, k);
	return PS_OK;
}

static const char *type_why(mode_t m)
{
	if (S_ISFIFO(m))
		return "not a regular file (FIFO)";
	if (S_ISSOCK(m))
		return "not a regular file (socket)";
	if (S_ISCHR(m))
		return "not a regular file (character device)";
	if (S_ISBLK(m))
		return "not a regular file (block device)";
	return "not a regular file (unknown type)";
}

static int emit(walker *w, ps_walk_kind kind, int dirfd, const char *name, unsigned depth, const struct stat *st,
                int err, const char *why)
{
	ps_walk_entry e;
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.path = w->path;
	e.dirfd = dirfd;
	e.name = name;
	e.depth = depth;
	if (st)
		e.st = *st;
	e.err = err;
	e.why = why;
	int rc = w->fn(w->ctx, &e);
	if (rc && !w->rc)
		w->rc = rc;
	return w->rc;
}

/* A regular file: FILE, or SKIP when above max_size. */
static int emit_regular(walker *w, int dirfd, const char *name, unsigned depth, const struct stat *st)
{
	uint64_t max = w->o->max_size;
	if (max && st->st_size > 0 && (uint64_t)st->st_size > max)
		return emit(w, PS_WALK_SKIP, dirfd, name, depth, st, 0, "larger than --max-size");
	return emit(w, PS_WALK_FILE, dirfd, name, depth, st, 0, NULL);
}

/* Appends "/" name to the path (no '/' after a root that ends with one). */
static int path_push(walker *w, const char *name)
{
	size_t nl = strlen(name);
	int sep = w->len > 0 && w->path[w->len - 1] != '/';
	size_t need;
	if (__builtin_add_overflow(w->len, nl + (size_t)sep + 1, &need))
		return PS_ENOMEM;
	if (need > w->cap) {
		size_t ncap = w->cap;
		while (ncap < need)
			if (__builtin_mul_overflow(ncap, 2, &ncap))
				return PS_ENOMEM;
		char *p = realloc(w->path, ncap);
		if (!p)
			return PS_ENOMEM;
		w->path = p;
		w->cap = ncap;
	}
	if (sep)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, nl + 1);
	w->len += nl;
	return PS_OK;
}

static int excluded(const walker *w, const char *name)
{
	for (size_t i = 0; i < w->o->n_excludes; i++) {
		const char *pat = w->o->excludes[i];
		if (!pat)
			continue;
		if (strchr(pat, '/') ? fnmatch(pat, w->path, FNM_PATHNAME) == 0 : fnmatch(pat, name, 0) == 0)
			return 1;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const name_slot *)a)->p, ((const name_slot *)b)->p);
}

static int visit(walker *w, int dfd, const char *name, unsigned depth);

/* Reads, sorts and visits the entries of the directory open as fd (depth `depth`, reached as
 * pfd/name). Consumes nothing: the caller closes fd. */
static int walk_dir(walker *w, int pfd, const char *name, int fd, unsigned depth, const struct stat *st)
{
	char *buf = NULL;
	name_slot *v = NULL;
	size_t blen = 0, bcap = 0, n = 0, vcap = 0, held = 0;
	int truncated = 0, rerr = 0;

	/* readdir gets its own descriptor: closedir frees the stream buffer now instead of
	 * holding one per level, and fd stays open for the *at calls on the entries. */
	int rfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
	if (!d) {
		int e = errno;
		if (rfd >= 0)
			close(rfd);
		emit(w, PS_WALK_ERROR, pfd, name, depth, st, e, "cannot read directory");
		goto out;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			rerr = errno;
			break;
		}
		const char *dn = de->d_name;
		if (dn[0] == '.' && (dn[1] == 0 || (dn[1] == '.' && dn[2] == 0)))
			continue;
		size_t nl = strlen(dn) + 1;
		size_t cost = nl + sizeof(*v);
		if (n >= PS_MAX_WALK_DIR_ENTRIES || cost > PS_MAX_WALK_NAME_BYTES - w->held) {
			truncated = 1;
			break;
		}
		if (nl > bcap - blen) {
			size_t ncap = bcap ? bcap : 4096;
			while (nl > ncap - blen)
				ncap *= 2; /* bounded by PS_MAX_WALK_NAME_BYTES: cannot overflow */
			char *nb = realloc(buf, ncap);
			if (!nb) {
				w->rc = PS_ENOMEM;
				break;
			}
			buf = nb;
			bcap = ncap;
		}
		if (n == vcap) {
			size_t ncap = vcap ? vcap * 2 : 64;
			name_slot *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				w->rc = PS_ENOMEM;
				break;
			}
			v = nv;
			vcap = ncap;
		}
		memcpy(buf + blen, dn, nl);
		v[n++].off = blen;
		blen += nl;
		held += cost;
		w->held += cost;
	}
	closedir(d);
	if (w->rc)
		goto out;
	if (rerr && emit(w, PS_WALK_ERROR, pfd, name, depth, st, rerr, "cannot read directory"))
		goto out;
	if (truncated && emit(w, PS_WALK_ERROR, pfd, name, depth, st, E2BIG,
	                      "too many directory entries: only the first ones read are visited"))
		goto out;
	for (size_t i = 0; i < n; i++)
		v[i].p = buf + v[i].off;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < n; i++)
		if (visit(w, fd, v[i].p, depth + 1))
			break;
out:
	w->held -= held;
	free(buf);
	free(v);
	return w->rc;
}

/* A directory found as pfd/name (st: its stat, through the link when via_link) at `depth`:
 * entered unless too deep, a loop, already entered, or not the directory stat()ed. */
static int enter(walker *w, int pfd, const char *name, const struct stat *st, int via_link, unsigned depth)
{
	if (depth >= PS_MAX_WALK_DEPTH)
		return emit(w, PS_WALK_ERROR, pfd, name, depth, st, ELOOP, "too deep");
	dirkey k = key_of(st);
	/* Ancestors are checked even without following links: a bind mount can loop too. */
	for (unsigned i = 0; i < depth; i++)
		if (key_eq(w->anc[i], k))
			return emit(w, PS_WALK_SKIP, pfd, name, depth, st, 0, "directory loop");
	int track = w->o->follow_symlinks && w->seen.n < PS_MAX_WALK_DIRS;
	if (w->o->follow_symlinks) {
		if (dirset_has(&w->seen, k))
			return emit(w, PS_WALK_SKIP, pfd, name, depth, st, 0, "already visited");
		/* Past the cap a link could lead into a directory entered but not remembered. */
		if (!track && via_link)
			return emit(w, PS_WALK_SKIP, pfd, name, depth, st, 0,
			            "symbolic link not followed: too many directories to remember");
	}
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (via_link ? 0 : O_NOFOLLOW);
	int fd = openat(pfd, name, flags);
	if (fd < 0)
		return emit(w, PS_WALK_ERROR, pfd, name, depth, st, errno, "cannot open directory");
	struct stat now;
	if (fstat(fd, &now) != 0) {
		int e = errno;
		close(fd);
		return emit(w, PS_WALK_ERROR, pfd, name, depth, st, e, "cannot open directory");
	}
	if (!S_ISDIR(now.st_mode) || !key_eq(key_of(&now), k)) {
		close(fd);
		return emit(w, PS_WALK_ERROR, pfd, name, depth, st, 0, "directory replaced during the walk");
	}
	if (track && dirset_add(&w->seen, k) != PS_OK) {
		close(fd);
		return w->rc = PS_ENOMEM;
	}
	w->anc[depth] = k;
	walk_dir(w, pfd, name, fd, depth, &now);
	close(fd);
	return w->rc;
}

/* The entry `name` of the directory open as dfd, at `depth` (>= 1). */
static int visit(walker *w, int dfd, const char *name, unsigned depth)
{
	size_t old = w->len;
	if (path_push(w, name) != PS_OK)
		return w->rc = PS_ENOMEM;
	struct stat st;
	memset(&st, 0, sizeof(st));
	if (w->len >= PATH_MAX) {
		/* The caller could not open it by this path; openat could, but a path it cannot
		 * print or reopen is no use in a report. */
		emit(w, PS_WALK_ERROR, dfd, name, depth, NULL, ENAMETOOLONG, "path too long");
		goto out;
	}
	if (excluded(w, name)) {
		emit(w, PS_WALK_SKIP, dfd, name, depth, NULL, 0, "excluded");
		goto out;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		int e = errno;
		emit(w, PS_WALK_ERROR, dfd, name, depth, NULL, e, e == ENOENT ? "vanished during the walk" : "cannot stat");
		goto out;
	}
	int via_link = 0;
	if (S_ISLNK(st.st_mode)) {
		if (!w->o->follow_symlinks) {
			emit(w, PS_WALK_SKIP, dfd, name, depth, &st, 0, "symbolic link, not followed");
			goto out;
		}
		struct stat t;
		if (fstatat(dfd, name, &t, 0) != 0) {
			int e = errno;
			emit(w, PS_WALK_ERROR, dfd, name, depth, &st, e,
			     e == ENOENT ? "dangling symbolic link" : e == ELOOP ? "symbolic link loop" : "cannot stat link target");
			goto out;
		}
		st = t;
		via_link = 1;
	}
	if (S_ISREG(st.st_mode))
		emit_regular(w, dfd, name, depth, &st);
	else if (S_ISDIR(st.st_mode))
		enter(w, dfd, name, &st, via_link, depth);
	else
		emit(w, PS_WALK_SKIP, dfd, name, depth, &st, 0, type_why(st.st_mode));
out:
	w->len = old;
	w->path[old] = 0;
	return w->rc;
}

int ps_walk(const char *root, const ps_walk_options *o, ps_walk_fn fn, void *ctx)
{
	const ps_walk_options defaults = {0};
	if (!root || !fn)
		return PS_EINVAL;
	if (!o)
		o = &defaults;
	if (o->n_excludes && !o->excludes)
		return PS_EINVAL;
	walker w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.fn = fn;
	w.ctx = ctx;
	size_t rl = strlen(root);
	w.cap = rl + 1 > 256 ? rl + 1 : 256;
	if (!(w.path = malloc(w.cap)))
		return PS_ENOMEM;
	memcpy(w.path, root, rl + 1);
	w.len = rl;

	struct stat st;
	if (stat(root, &st) != 0) {
		int e = errno;
		emit(&w, PS_WALK_ERROR, AT_FDCWD, root, 0, NULL, e, e == ENOENT ? "does not exist" : "cannot stat");
	} else if (S_ISREG(st.st_mode)) {
		emit_regular(&w, AT_FDCWD, root, 0, &st);
	} else if (S_ISDIR(st.st_mode)) {
		enter(&w, AT_FDCWD, root, &st, 1, 0);
	} else {
		emit(&w, PS_WALK_ERROR, AT_FDCWD, root, 0, &st, 0, type_why(st.st_mode));
	}
	free(w.path);
	free(w.seen.keys);
	free(w.seen.used);
	return w.rc;
}

/* An ERROR for a --from line that is not walked. */
static int line_error(const char *line, ps_walk_fn fn, void *ctx, int err, const char *why)
{
	ps_walk_entry e;
	memset(&e, 0, sizeof(e));
	e.kind = PS_WALK_ERROR;
	e.path = line;
	e.dirfd = AT_FDCWD;
	e.name = line;
	e.err = err;
	e.why = why;
	return fn(ctx, &e);
}

int ps_walk_from(FILE *f, const ps_walk_options *o, ps_walk_fn fn, void *ctx)
{
	return ps_walk_from_sep(f, '\n', o, fn, ctx);
}

int ps_walk_from_sep(FILE *f, int sep, const ps_walk_options *o, ps_walk_fn fn, void *ctx)
{
	if (!f || !fn || (sep != '\n' && sep != '\0'))
		return PS_EINVAL;
	char *line = malloc(PATH_MAX);
	if (!line)
		return PS_ENOMEM;
	int rc = PS_OK;
	for (;;) {
		size_t n = 0;
		int c, any = 0, nul = 0, toolong = 0;
		while ((c = getc(f)) != EOF && c != sep) {
			any = 1;
			if (nul || toolong)
				continue; /* the rest of a line already refused */
			if (c == 0)
				nul = 1;
			else if (n >= PATH_MAX - 1)
				toolong = 1;
			else
				line[n++] = (char)c;
		}
		if (c == EOF && ferror(f)) {
			rc = PS_EIO; /* a partial line is not walked */
			break;
		}
		if (c == EOF && !any)
			break;
		line[n] = 0;
		if (nul)
			rc = line_error(line, fn, ctx, EINVAL, "NUL byte in path");
		else if (toolong)
			rc = line_error(line, fn, ctx, ENAMETOOLONG, "path too long");
		else if (n)
			rc = ps_walk(line, o, fn, ctx);
		if (rc || c == EOF)
			break;
	}
	free(line);
	return rc;
}
