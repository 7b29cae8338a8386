/* IOC feeds (include/pesleuth/intel.h) and their lookups (ioc.h).
 *
 * A feed is read with a bounded line buffer (PS_IOC_MAX_LINE): a longer line is reported and
 * skipped, never held. Indicators go into five arrays — MD5, SHA-1, SHA-256 (binary keys),
 * hosts (addresses in inet_ntop form and lowercase domains) and URLs (canonical form) —
 * each sorted and deduplicated at the end of every ps_iocs_load, so lookups are binary
 * searches that never write and may run from any number of threads. Strings (values,
 * descriptions, feed paths) live in a chunked pool, so the pointers handed out in
 * ps_ioc_match stay valid when the arrays are grown and re-sorted by a later load. */
#include "ioc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "limits.h"
#include "netind.h"
#include "pesleuth/error.h"
#include "text.h"

typedef struct hash_ent {
	uint8_t d[32];
	uint64_t seq; /* load order: among duplicates the first line loaded wins */
	ps_ioc_match m;
} hash_ent;

typedef struct str_ent { /* key: m.value */
	uint64_t seq;
	ps_ioc_match m;
} str_ent;

typedef struct vec {
	void *v;
	size_t n, cap, elem;
} vec;

typedef struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
} chunk;

enum { V_MD5, V_SHA1, V_SHA256, V_HOST, V_URL, V_COUNT };

struct ps_iocs {
	vec v[V_COUNT];
	chunk *pool;
	uint64_t seq;
};

#define POOL_CHUNK (64u << 10)
/* A canonical URL: the line's URL plus a "/" and an IPv6 host that inet_ntop may write
 * longer than it was written ("[::]" can become "[::ffff:255.255.255.255]"). */
#define URL_CANON_MAX (PS_IOC_MAX_LINE + 64u)

/* ------------------------------------------------------------ storage */

static void *vec_push(vec *x)
{
	if (x->n == x->cap) {
		size_t nc = x->cap ? 2 * x->cap : 256;
		void *nv = realloc(x->v, nc * x->elem); /* nc <= 2 * PS_MAX_IOCS: no overflow */
		if (!nv)
			return NULL;
		x->v = nv;
		x->cap = nc;
	}
	void *e = (char *)x->v + x->n * x->elem;
	x->n++;
	memset(e, 0, x->elem);
	return e;
}

static char *pool_dup(ps_iocs *x, const char *s, size_t n)
{
	chunk *c = x->pool;
	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > POOL_CHUNK ? n + 1 : POOL_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = x->pool;
		x->pool = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = 0;
	c->used += n + 1;
	return p;
}

/* Untrusted bytes as valid UTF-8 (invalid bytes become U+FFFD) in the pool. */
static char *pool_utf8(ps_iocs *x, const char *s, size_t n, char *scratch)
{
	size_t k = ps_utf8_from_bytes(scratch, (const uint8_t *)s, n);
	return pool_dup(x, scratch, k);
}

static int cmp_hash16(const void *a, const void *b)
{
	const hash_ent *x = a, *y = b;
	int c = memcmp(x->d, y->d, 16);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}
static int cmp_hash20(const void *a, const void *b)
{
	const hash_ent *x = a, *y = b;
	int c = memcmp(x->d, y->d, 20);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}
static int cmp_hash32(const void *a, const void *b)
{
	const hash_ent *x = a, *y = b;
	int c = memcmp(x->d, y->d, 32);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}
static int cmp_str(const void *a, const void *b)
{
	const str_ent *x = a, *y = b;
	int c = strcmp(x->m.value, y->m.value);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static size_t hash_len(int which) { return which == V_MD5 ? 16 : which == V_SHA1 ? 20 : 32; }

/* Sorts and keeps the first-loaded entry of each key. */
static void finish(ps_iocs *x)
{
	static int (*const cmps[V_COUNT])(const void *, const void *) = {cmp_hash16, cmp_hash20, cmp_hash32, cmp_str,
	                                                                   cmp_str};
	for (int k = 0; k < V_COUNT; k++) {
		vec *v = &x->v[k];
		if (v->n < 2)
			continue;
		qsort(v->v, v->n, v->elem, cmps[k]);
		size_t w = 1;
		for (size_t r = 1; r < v->n; r++) {
			const char *prev = (const char *)v->v + (w - 1) * v->elem, *cur = (const char *)v->v + r * v->elem;
			bool same = k <= V_SHA256 ? memcmp(((const hash_ent *)prev)->d, ((const hash_ent *)cur)->d, hash_len(k)) == 0
			                          : strcmp(((const str_ent *)prev)->m.value, ((const str_ent *)cur)->m.value) == 0;
			if (same)
				continue;
			if (w != r)
				memcpy((char *)v->v + w * v->elem, cur, v->elem);
			w++;
		}
		v->n = w;
	}
}

static size_t total(const ps_iocs *x)
{
	size_t t = 0;
	for (int k = 0; k < V_COUNT; k++)
		t += x->v[k].n;
	return t;
}

/* ------------------------------------------------------------ parsing */


static bool blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c; }

/* A blank or comment line. */
static bool skipped(const char *s, size_t n)
{
	size_t k = 0;
	while (k < n && blank(s[k]))
		k++;
	return k == n || s[k] == '#';
}

static bool ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* The canonical form of a URL u[0, n) (which has "://"): scheme and host in lowercase, an
 * IPv6 host as inet_ntop writes it, a fully qualified host's final dot dropped, and "/" for
 * an empty path, so that "HTTP://Evil.com" and "http://evil.com/" compare equal and
 * "http://evil.com" is not a prefix of "http://evil.com.example.net/". Returns the length
 * written to out (NUL-terminated), 0 when it does not fit or is not a URL. */
static size_t canon_url(const char *u, size_t n, char *out, size_t cap)
{
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < n; i++)
		if (u[i] == ':' && u[i + 1] == '/' && u[i + 2] == '/') {
			sep = u + i;
			break;
		}
	if (!sep || sep == u)
		return 0;
	size_t w = 0;
#define PUT(c)                 \
	do {                       \
		if (w + 1 >= cap)      \
			return 0;          \
		out[w++] = (c);        \
	} while (0)
	size_t sn = (size_t)(sep - u);
	for (size_t i = 0; i < sn; i++)
		PUT(lower(u[i]));
	PUT(':');
	PUT('/');
	PUT('/');
	size_t p = sn + 3, ae = p;
	while (ae < n && u[ae] != '/' && u[ae] != '?' && u[ae] != '#' && u[ae] != '\\')
		ae++;
	size_t hs = p; /* after "user@" */
	for (size_t i = ae; i > p; i--)
		if (u[i - 1] == '@') {
			hs = i;
			break;
		}
	for (size_t i = p; i < hs; i++)
		PUT(u[i]);
	size_t he, rest;
	if (hs < ae && u[hs] == '[') {
		const char *close = memchr(u + hs, ']', ae - hs);
		if (!close)
			return 0;
		he = (size_t)(close - u);
		char a[INET6_ADDRSTRLEN + 1], t[INET6_ADDRSTRLEN];
		uint8_t b[16];
		size_t an = he - hs - 1;
		if (an >= sizeof(a))
			return 0;
		memcpy(a, u + hs + 1, an);
		a[an] = 0;
		if (inet_pton(AF_INET6, a, b) != 1 || !inet_ntop(AF_INET6, b, t, sizeof(t)))
			return 0;
		PUT('[');
		for (const char *q = t; *q; q++)
			PUT(*q);
		PUT(']');
		rest = he + 1;
	} else {
		const char *colon = memchr(u + hs, ':', ae - hs);
		he = colon ? (size_t)(colon - u) : ae;
		size_t e = he;
		if (e > hs && u[e - 1] == '.')
			e--;
		for (size_t i = hs; i < e; i++)
			PUT(lower(u[i]));
		rest = he;
	}
	for (size_t i = rest; i < ae; i++) /* ":port" */
		PUT(u[i]);
	if (ae == n || u[ae] != '/')
		PUT('/');
	for (size_t i = ae; i < n; i++)
		PUT(u[i]);
#undef PUT
	out[w] = 0;
	return w;
}

/* Why s[0, n) (trimmed, no ';') is not an indicator, for the diagnostic. */
static const char *why_not(const char *s, size_t n, char *buf, size_t cap)
{
	for (size_t i = 0; i < n; i++)
		if (blank(s[i]))
			return "not a hash, address, domain or URL: it contains a blank (a description goes after ';')";
	bool has_dot = memchr(s, '.', n) != NULL, has_colon = memchr(s, ':', n) != NULL;
	bool numeric = true;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == ':'))
			numeric = false;
	if ((n >= 4 && strncasecmp(s, "hxxp", 4) == 0) || (n >= 3 && strncasecmp(s, "fxp", 3) == 0))
		return "defanged URL: write http/https/ftp instead of hxxp/fxp";
	for (size_t i = 0; i + 2 < n; i++)
		if ((s[i] == '[' || s[i] == '(' || s[i] == '{') && s[i + 1] == '.' &&
		    (s[i + 2] == ']' || s[i + 2] == ')' || s[i + 2] == '}'))
			return "defanged indicator: write '.' instead of '[.]'";
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
			if (!(ieq(s, i, "http") || ieq(s, i, "https") || ieq(s, i, "ftp") || ieq(s, i, "ws") || ieq(s, i, "wss")))
				return "unsupported URL scheme (http, https, ftp, ws and wss are)";
			return "URL without a valid host (an IP address or a domain with a known top-level domain) or port";
		}
	if (numeric && has_dot)
		return has_colon ? "not a valid IPv4 address and port" : "not a valid IPv4 address";
	if (has_colon)
		return "not a valid IPv6 address (or IPv4:port)";
	if (has_dot) {
		size_t e = n;
		if (e > 0 && s[e - 1] == '.')
			e--;
		size_t st = 0;
		while (st < e && memchr(s + st, '.', e - st))
			st = (size_t)((const char *)memchr(s + st, '.', e - st) - s) + 1;
		size_t tn = e - st;
		bool alpha = tn > 0 && tn <= 63;
		for (size_t i = st; i < e && alpha; i++)
			alpha = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			        s[i] == '-';
		if (alpha && !ps_tld_known(s + st, tn)) {
			snprintf(buf, cap, "not a domain: unknown top-level domain \"%.*s\"", (int)tn, s + st);
			return buf;
		}
		return "not a valid domain name (labels of letters, digits and '-', at most 63 each)";
	}
	return "not a hash, address, domain or URL";
}

typedef struct loader {
	ps_iocs *x;
	const char *path;     /* in the pool, valid UTF-8 */
	char *scratch;        /* PS_UTF8_BOUND(PS_IOC_MAX_LINE) bytes */
	char why[160];
} loader;

/* One line (no '\n', trailing CR kept). Returns NULL when it was added or skipped, else
 * why it is malformed; *oom on allocation failure. */
static const char *line(loader *L, unsigned lineno, const char *s, size_t n, bool *oom)
{
	ps_iocs *x = L->x;
	if (memchr(s, 0, n))
		return "the line contains a NUL byte (not a text feed?)";
	while (n && (blank(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	while (n && blank(*s))
		s++, n--;
	if (!n || *s == '#')
		return NULL;
	const char *semi = memchr(s, ';', n);
	size_t in = semi ? (size_t)(semi - s) : n;
	while (in && blank(s[in - 1]))
		in--;
	if (!in)
		return "no indicator before ';'";
	const char *d = semi ? semi + 1 : s + n;
	size_t dn = (size_t)(s + n - d);
	while (dn && blank(*d))
		d++, dn--;

	ps_ioc_match m = {.feed = L->path, .line = lineno};
	/* hashes */
	size_t hexd = 0;
	while (hexd < in && ps_hex_digit((unsigned char)s[hexd]) >= 0)
		hexd++;
	vec *v = NULL;
	uint8_t digest[32];
	char value[URL_CANON_MAX];
	size_t vn = 0;
	if (hexd == in) {
		if (in != 32 && in != 40 && in != 64) {
			snprintf(L->why, sizeof(L->why), "not a hash, address, domain or URL: %zu hex digits", in);
			return L->why;
		}
		for (size_t i = 0; i < in; i += 2)
			digest[i / 2] = (uint8_t)(ps_hex_digit((unsigned char)s[i]) << 4 | ps_hex_digit((unsigned char)s[i + 1]));
		ps_hex(value, digest, in / 2);
		vn = in;
		v = &x->v[in == 32 ? V_MD5 : in == 40 ? V_SHA1 : V_SHA256];
	} else {
		ps_netind ni;
		if (!ps_netind_parse(s, in, &ni))
			return why_not(s, in, L->why, sizeof(L->why));
		if (ni.kind == PS_NI_URL) {
			vn = canon_url(s, in, value, sizeof(value));
			if (!vn)
				return "URL too long";
			v = &x->v[V_URL];
		} else {
			vn = strlen(ni.host);
			memcpy(value, ni.host, vn + 1);
			v = &x->v[V_HOST];
		}
	}
	m.value = pool_dup(x, value, vn);
	m.description = dn ? pool_utf8(x, d, dn, L->scratch) : "";
	if (!m.value || !m.description)
		goto oom;
	if (v->elem == sizeof(hash_ent)) {
		hash_ent *e = vec_push(v);
		if (!e)
			goto oom;
		memcpy(e->d, digest, in / 2);
		e->seq = x->seq++;
		e->m = m;
	} else {
		str_ent *e = vec_push(v);
		if (!e)
			goto oom;
		e->seq = x->seq++;
		e->m = m;
	}
	return NULL;
oom:
	*oom = true;
	return NULL;
}

/* ------------------------------------------------------------ API */

int ps_iocs_new(ps_iocs **out)
{
	if (!out)
		return PS_EINVAL;
	*out = NULL;
	ps_iocs *x = calloc(1, sizeof(*x));
	if (!x)
		return PS_ENOMEM;
	for (int k = 0; k < V_COUNT; k++)
		x->v[k].elem = k <= V_SHA256 ? sizeof(hash_ent) : sizeof(str_ent);
	*out = x;
	return PS_OK;
}

void ps_iocs_free(ps_iocs *x)
{
	if (!x)
		return;
	for (int k = 0; k < V_COUNT; k++)
		free(x->v[k].v);
	for (chunk *c = x->pool, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(x);
}

size_t ps_iocs_count(const ps_iocs *x) { return x ? total(x) : 0; }

int ps_iocs_load(ps_iocs *x, const char *path, ps_diag_fn diag, void *ctx)
{
	if (!x || !path)
		return PS_EINVAL;
	int rc = PS_OK, saved_errno = 0;
	loader L = {.x = x};
	char *buf = NULL, *lb = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return PS_EIO;
	enum { READ = 64u << 10 };
	const size_t lcap = PS_IOC_MAX_LINE + 1; /* a CR may follow the longest line */
	buf = malloc(READ);
	lb = malloc(lcap);
	L.scratch = malloc(PS_UTF8_BOUND(PS_IOC_MAX_LINE > 4096 ? PS_IOC_MAX_LINE : 4096));
	if (!buf || !lb || !L.scratch) {
		rc = PS_ENOMEM;
		goto out;
	}
	L.path = pool_utf8(x, path, strlen(path) < 4096 ? strlen(path) : 4096, L.scratch);
	if (!L.path) {
		rc = PS_ENOMEM;
		goto out;
	}
	size_t ll = 0, have = 0, pos = 0;
	bool toolong = false, eof = false, stop = false;
	unsigned lineno = 0;
	while (!stop) {
		if (pos == have) {
			have = fread(buf, 1, READ, fp);
			pos = 0;
			if (have == 0) {
				if (ferror(fp)) {
					saved_errno = errno ? errno : EIO;
					rc = PS_EIO;
					break;
				}
				eof = true;
			}
		}
		const char *nl = eof ? NULL : memchr(buf + pos, '\n', have - pos);
		if (!eof) {
			size_t seg_end = nl ? (size_t)(nl - buf) : have, seg = seg_end - pos;
			if (!toolong && seg > lcap - ll)
				toolong = true;
			if (!toolong) {
				memcpy(lb + ll, buf + pos, seg);
				ll += seg;
			}
			pos = nl ? seg_end + 1 : seg_end;
			if (!nl)
				continue;
		} else if (ll == 0 && !toolong) {
			break; /* the file ended with '\n' (or is empty) */
		}
		/* a complete line */
		if (lineno < 0xffffffffu)
			lineno++;
		const char *s = lb;
		size_t n = ll;
		if (lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) /* UTF-8 BOM */
			s += 3, n -= 3;
		if (!toolong && n > 0 && s[n - 1] == '\r')
			n--;
		const char *why = NULL;
		if (toolong || n > PS_IOC_MAX_LINE) {
			snprintf(L.why, sizeof(L.why), "line too long (more than %u bytes)", PS_IOC_MAX_LINE);
			why = L.why;
		} else if (total(x) >= PS_MAX_IOCS && !skipped(s, n)) {
			snprintf(L.why, sizeof(L.why), "too many indicators (PS_MAX_IOCS = %u): the rest of the feed is not loaded",
			         PS_MAX_IOCS);
			why = L.why;
			stop = true;
		} else {
			bool oom = false;
			why = line(&L, lineno, s, n, &oom);
			if (oom) {
				rc = PS_ENOMEM;
				break;
			}
		}
		if (why && diag)
			diag(ctx, L.path, lineno, why);
		ll = 0;
		toolong = false;
		if (eof)
			break;
	}
out:
	if (fp)
		fclose(fp);
	free(buf);
	free(lb);
	free(L.scratch);
	/* sorted here, whatever happened, so lookups never write and see every line added */
	finish(x);
	if (rc == PS_EIO)
		errno = saved_errno;
	return rc;
}

/* ------------------------------------------------------------ lookups */

const ps_ioc_match *ps_iocs_find_hash(const ps_iocs *x, const uint8_t *digest, size_t n)
{
	if (!x || !digest || (n != 16 && n != 20 && n != 32))
		return NULL;
	const vec *v = &x->v[n == 16 ? V_MD5 : n == 20 ? V_SHA1 : V_SHA256];
	const hash_ent *a = v->v;
	size_t lo = 0, hi = v->n;
	while (lo < hi) { /* the first entry >= digest */
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(a[mid].d, digest, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && memcmp(a[lo].d, digest, n) == 0 ? &a[lo].m : NULL;
}

/* strcmp(key, q[0, qn)) where q holds no NUL */
static int cmp_prefix(const char *key, const char *q, size_t qn)
{
	int c = strncmp(key, q, qn);
	if (c)
		return c;
	return key[qn] != 0;
}

static const str_ent *find_str(const vec *v, const char *q, size_t qn)
{
	const str_ent *a = v->v;
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_prefix(a[mid].m.value, q, qn) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && cmp_prefix(a[lo].m.value, q, qn) == 0 ? &a[lo] : NULL;
}

const ps_ioc_match *ps_iocs_find_host(const ps_iocs *x, const char *host)
{
	if (!x || !host || !x->v[V_HOST].n)
		return NULL;
	char h[PS_NI_MAX_HOST];
	size_t n = strnlen(host, sizeof(h));
	if (n == 0 || n == sizeof(h))
		return NULL;
	for (size_t i = 0; i < n; i++)
		h[i] = lower(host[i]);
	h[n] = 0;
	if (n > 1 && h[n - 1] == '.')
		h[--n] = 0;
	const vec *v = &x->v[V_HOST];
	const str_ent *e = find_str(v, h, n);
	if (e)
		return &e->m;
	if (strncmp(h, "::ffff:", 7) == 0 && strchr(h + 7, '.')) { /* IPv4-mapped: the IPv4 */
		e = find_str(v, h + 7, n - 7);
		return e ? &e->m : NULL;
	}
	/* a domain (its last label has a letter): the parent domains, longest first, on label
	 * boundaries only ("a.evil.com" finds "evil.com", "notevil.com" does not) */
	const char *last = strrchr(h, '.');
	if (!last || strchr(h, ':'))
		return NULL;
	bool letter = false;
	for (const char *p = last + 1; *p; p++)
		letter |= (*p >= 'a' && *p <= 'z');
	if (!letter)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (h[i] != '.')
			continue;
		const char *suf = h + i + 1;
		if (suf >= last) /* a bare TLD is never a feed entry */
			break;
		e = find_str(v, suf, n - i - 1);
		if (e)
			return &e->m;
	}
	return NULL;
}

const ps_ioc_match *ps_iocs_find_url(const ps_iocs *x, const char *url)
{
	if (!x || !url || !x->v[V_URL].n)
		return NULL;
	char q[URL_CANON_MAX];
	size_t un = strnlen(url, URL_CANON_MAX);
	if (un == URL_CANON_MAX)
		return NULL;
	size_t len = canon_url(url, un, q, sizeof(q));
	if (!len)
		return NULL;
	/* The feed URLs that are prefixes of q sort at or before q, and every entry between
	 * such a prefix and q starts with it. So: take the last entry <= q[0, len); if it is a
	 * prefix, it is the longest; otherwise no prefix is longer than its common part with
	 * q, so search again below that. Each round shortens len. */
	const vec *v = &x->v[V_URL];
	const str_ent *a = v->v;
	while (len > 0) {
		size_t lo = 0, hi = v->n;
		while (lo < hi) { /* the first entry > q[0, len) */
			size_t mid = lo + (hi - lo) / 2;
			if (cmp_prefix(a[mid].m.value, q, len) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			return NULL;
		const char *k = a[lo - 1].m.value;
		size_t l = 0;
		while (l < len && k[l] && k[l] == q[l])
			l++;
		if (!k[l]) /* k is a prefix of q: the first of its duplicates (none are kept) */
			return &a[lo - 1].m;
		len = l;
	}
	return NULL;
}
