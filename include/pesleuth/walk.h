/* pesleuth — walking directory trees for files to analyze.
 *
 * The walker reports what it finds through a callback, one entry at a time, in a
 * deterministic order: the entries of a directory in byte-wise (strcmp) order of their
 * names, a subdirectory's entries visited at the place the subdirectory sorts among its
 * siblings (depth-first pre-order, like find(1)). Directories themselves are not reported,
 * only what was found in them and why anything was left out:
 *
 *  - PS_WALK_FILE: a regular file to analyze.
 *  - PS_WALK_SKIP: something deliberately not analyzed (a symbolic link not followed, a FIFO,
 *    socket or device, a file above max_size, an excluded name, a directory already entered).
 *  - PS_WALK_ERROR: something that could not be looked at (vanished, unreadable directory,
 *    too deep, path too long, ...). The walk goes on.
 *
 * Nothing in the tree stops the walk: only the callback (returning nonzero) or running out
 * of memory does. The tree is untrusted: its depth, the entries read per directory, the
 * bytes of names held and the directories remembered are capped (PS_MAX_WALK_* in
 * lib/limits.h), so a hostile tree costs bounded memory, stack and file descriptors (one
 * descriptor per directory level below the root, at most the depth cap).
 *
 * Roots (the path given to ps_walk, each line given to ps_walk_from) are stat()ed, so a
 * symbolic link named as a root is followed; a root that is a regular file is reported as
 * one entry; excludes are not applied to roots (the caller named them). Inside directories,
 * entries are looked at with fstatat/openat relative to their opened parent, and a
 * directory is opened with O_NOFOLLOW unless it was reached through a followed link, then
 * checked to be the one that was stat()ed, so a directory swapped for a symbolic link during
 * the walk is not followed.
 *
 * Thread-safety: ps_walk keeps all its state on the caller's stack and heap; different walks
 * may run at the same time. It does not change the working directory.
 */
#ifndef PESLEUTH_WALK_H
#define PESLEUTH_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ps_walk_options {
	/* Follow symbolic links found inside directories (a link given as a root is always
	 * followed). With it, no directory is entered twice: one that is on the current path is
	 * a "directory loop", one entered before through another path is "already visited"
	 * (the first path in walk order wins), both by device and inode. A file reached through
	 * two different paths is reported under each. */
	int follow_symlinks;
	/* fnmatch(3) globs. A pattern containing '/' is matched against the whole path as passed
	 * to the callback, with FNM_PATHNAME ('*' does not match '/'); any other pattern against
	 * the entry's name. A match is a SKIP "excluded" entry, and an excluded directory is not
	 * entered. Not applied to roots. */
	const char *const *excludes;
	size_t n_excludes;
	/* 0: no limit. A regular file of more bytes is a SKIP "larger than --max-size" entry. */
	uint64_t max_size;
} ps_walk_options;

typedef enum ps_walk_kind { PS_WALK_FILE, PS_WALK_SKIP, PS_WALK_ERROR } ps_walk_kind;

typedef struct ps_walk_entry {
	ps_walk_kind kind;
	/* root + "/" + names (no '/' added when the root already ends with one). A root is passed
	 * as given. Valid during the callback only. May exceed PATH_MAX only in an ERROR
	 * ENAMETOOLONG entry. */
	const char *path;
	/* For race-safe opening with openat(2): the directory holding the entry (AT_FDCWD for a
	 * root) and the entry's name in it (the path itself for a root). Valid during the
	 * callback only; do not close dirfd. For an entry reached through a followed symbolic
	 * link, name is the link. */
	int dirfd;
	const char *name;
	/* 0 for a root, 1 for the entries of a root directory, ... */
	unsigned depth;
	/* FILE: lstat of the entry, or stat when it is a root or was reached through a followed
	 * link. SKIP/ERROR: the same when known; st.st_mode is 0 when not known (an excluded
	 * name is not stat()ed; an ERROR for a failed stat has none). */
	struct stat st;
	/* ERROR: an errno value, or 0 when no system call failed (a root that is not a file or
	 * directory, a directory replaced during the walk). Notable values: ENOENT (vanished
	 * between readdir and lstat, or a dangling followed link), EACCES (unreadable
	 * directory), ELOOP (depth cap, a link loop the kernel refused, or a directory swapped
 * for a symbolic link before it was opened), ENAMETOOLONG (path
	 * longer than PATH_MAX), E2BIG (more directory entries than the caps: the ones read
	 * are still visited), EMFILE (out of descriptors: the directory is not entered).
	 * FILE/SKIP: 0. */
	int err;
	/* SKIP/ERROR: a static English phrase, e.g. "symbolic link, not followed",
	 * "not a regular file (FIFO)", "larger than --max-size", "excluded", "directory loop",
	 * "already visited", "vanished during the walk", "cannot open directory", "too deep".
	 * FILE: NULL. */
	const char *why;
} ps_walk_entry;

/* Called for every entry. A nonzero return stops the walk, and ps_walk returns that value.
 * The callback may change the tree (delete, create); the walker copes with what it finds
 * next. */
typedef int (*ps_walk_fn)(void *ctx, const ps_walk_entry *e);

/* Walks one root (a file or a directory); o may be NULL (all defaults). Returns 0 when the
 * walk finished (whatever ERROR entries it reported), the callback's nonzero value when it
 * stopped the walk, PS_ENOMEM when memory ran out (the walk stops), or PS_EINVAL (root or
 * fn NULL, or n_excludes without excludes). */
int ps_walk(const char *root, const ps_walk_options *o, ps_walk_fn fn, void *ctx);

/* Walks every line of f as a root, in order (for --from; e.g. the output of find -print).
 * A line ends at '\n' (a last line without one counts too); nothing else is stripped, not
 * even a trailing '\r', since paths may hold any byte but '\n' and NUL. Empty lines are
 * ignored. A line holding a NUL byte is an ERROR EINVAL entry ("NUL byte in path", path
 * cut at the NUL) and a line of PATH_MAX bytes or more an ERROR ENAMETOOLONG entry (path
 * cut to PATH_MAX - 1 bytes); neither is walked. Each root is walked as by ps_walk
 * (directories are remembered per root, not across lines). Returns as ps_walk, and PS_EIO
 * when reading f failed (the lines read before are walked). */
int ps_walk_from(FILE *f, const ps_walk_options *o, ps_walk_fn fn, void *ctx);

/* Same, with the paths ending at sep: '\n' (ps_walk_from) or '\0' (find -print0, xargs -0),
 * where '\n' is an ordinary byte of a path and a last path without its NUL counts too.
 * PS_EINVAL for any other sep. */
int ps_walk_from_sep(FILE *f, int sep, const ps_walk_options *o, ps_walk_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
