/* Network indicators in printable text (netind.h).
 *
 * The scan runs over every string of every file, so its common case is a string with no
 * '.' and no ':' — two memchr calls reject it. Otherwise the text is cut into maximal runs of
 * host characters [A-Za-z0-9._-]; each run is examined once, so a domain or address is
 * never glued to letters, digits, '_' or '-' ("abc1.2.3.4", "x_evil.com" are not
 * indicators) and the whole scan is linear. IPv6 candidates are the runs of [0-9A-Fa-f:.]
 * that start at a boundary; inet_pton sees a bounded copy of at most 45 characters.
 *
 * Binaries are full of dotted words that are not hosts (measured on the 800 PE files of
 * bench: GNAT's "a-except.ads", wine's "asmshader.tab", shader swizzles, .NET configuration
 * sections). The guards, each for a real source:
 *  - versions: a dotted quad is not an address when it is part of a longer dotted run
 *    ("6.1.7600.16385", "1.2.3.4.5"), follows the word "version" ("FileVersion 5.1.2.3"), has
 *    two zero octets and starts below 10 or ends in 0 ("1.0.0.0", "4.0.0.0", "2.0.5.0";
 *    "10.0.0.1" and "127.0.0.1" stay addresses), or starts below 10 with two more
 *    single-digit octets or a final 0 ("1.2.3.4", "9.1.7.1", "6.8.0.105", "4.6.57.0": a
 *    toolchain's version; the public resolvers 8.8.8.8, 8.8.4.4, 1.1.1.1, 1.0.0.1, 9.9.9.9
 *    and 4.2.2.x are kept).
 *  - OIDs compiled into crypto code ("2.5.4.3", "2.5.29.17", "1.3.6.1", "1.3.101.112").
 *  - .NET namespaces ("System.IO", "System.Net.Http"): a bare domain must be lowercase.
 *  - TLDs that end file names and member expressions far more often than hosts in binaries
 *    ("main.rs", "setup.py", "libc.so", "nt5.cat", "event.target", "size.cx"), expression
 *    labels ("this.name", "elem.style.top"), a single-character name before the TLD
 *    ("e.free"), reverse names ("com.example.app"), WinRT namespaces ("windows.media"),
 *    format strings ("%s.com"), path components ("..\\command.com", "../ecma.pub") and
 *    expression syntax around the word ("self.run(", "tmp0.xyz = ", "f(tmp0.xyz)").
 *  - C++ scopes and times ("std::vector", "Bad::Fee", "12:34:56"): an IPv6 must parse,
 *    carry a hex digit and two ':', not mix letter case, and not fall in 0::/8 (where
 *    "a::b" and "1:2:3:4:5:6:7:8" land) unless it is ::1 or an IPv4-mapped address.
 * In a URL or after "www." the host is what it says: any case, any real TLD, any address.
 * Known misses: a bare host under one of the stop-listed TLDs ("evil.rs", "c2.id" — found
 * when written as a URL or with "www."), and shader code with ".xyz" swizzles that is not
 * an assignment or an argument ("tmp0.xyz") is still reported. */
#include "netind.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* character classes */
#define C_DIG 0x01u  /* 0-9 */
#define C_ALPHA 0x02u /* A-Z a-z */
#define C_HEX 0x04u  /* 0-9 A-F a-f */
#define C_HOST 0x08u /* A-Z a-z 0-9 . _ - : what a host run is made of */
#define C_V6 0x10u   /* 0-9 A-F a-f : . : what a textual IPv6 is made of */
#define C_UPPER 0x20u

#define DG (C_DIG | C_HEX | C_HOST | C_V6)
#define HU (C_ALPHA | C_HEX | C_HOST | C_V6 | C_UPPER) /* A-F */
#define HL (C_ALPHA | C_HEX | C_HOST | C_V6)           /* a-f */
#define AU (C_ALPHA | C_HOST | C_UPPER)                /* G-Z */
#define AL (C_ALPHA | C_HOST)                          /* g-z */

static const unsigned char cls[256] = {
	['0'] = DG, ['1'] = DG, ['2'] = DG, ['3'] = DG, ['4'] = DG,
	['5'] = DG, ['6'] = DG, ['7'] = DG, ['8'] = DG, ['9'] = DG,
	['A'] = HU, ['B'] = HU, ['C'] = HU, ['D'] = HU, ['E'] = HU, ['F'] = HU,
	['a'] = HL, ['b'] = HL, ['c'] = HL, ['d'] = HL, ['e'] = HL, ['f'] = HL,
	['G'] = AU, ['H'] = AU, ['I'] = AU, ['J'] = AU, ['K'] = AU, ['L'] = AU, ['M'] = AU,
	['N'] = AU, ['O'] = AU, ['P'] = AU, ['Q'] = AU, ['R'] = AU, ['S'] = AU, ['T'] = AU,
	['U'] = AU, ['V'] = AU, ['W'] = AU, ['X'] = AU, ['Y'] = AU, ['Z'] = AU,
	['g'] = AL, ['h'] = AL, ['i'] = AL, ['j'] = AL, ['k'] = AL, ['l'] = AL, ['m'] = AL,
	['n'] = AL, ['o'] = AL, ['p'] = AL, ['q'] = AL, ['r'] = AL, ['s'] = AL, ['t'] = AL,
	['u'] = AL, ['v'] = AL, ['w'] = AL, ['x'] = AL, ['y'] = AL, ['z'] = AL,
	['.'] = C_HOST | C_V6, ['_'] = C_HOST, ['-'] = C_HOST, [':'] = C_V6,
};

static unsigned ccls(const char *s, size_t i) { return cls[(unsigned char)s[i]]; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c; }

/* A URL ends at whitespace, a quote, '<' or '>' (and at anything that is not printable
 * ASCII, though the strings given are printable). */
static bool url_end(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
}

/* ------------------------------------------------------------------ address classes */

static bool v4_public(uint32_t a)
{
	unsigned a8 = a >> 24;
	if (a8 == 0 || a8 == 10 || a8 == 127 || a8 >= 224) /* this network, private, loopback,
	                                                      multicast, reserved, broadcast */
		return false;
	if ((a & 0xffc00000u) == 0x64400000u    /* 100.64/10 shared address space */
	    || (a & 0xffff0000u) == 0xa9fe0000u /* 169.254/16 link-local */
	    || (a & 0xfff00000u) == 0xac100000u /* 172.16/12 */
	    || (a & 0xffffff00u) == 0xc0000000u /* 192.0.0/24 IETF protocol assignments */
	    || (a & 0xffffff00u) == 0xc0000200u /* 192.0.2/24 TEST-NET-1 */
	    || (a & 0xffff0000u) == 0xc0a80000u /* 192.168/16 */
	    || (a & 0xfffe0000u) == 0xc6120000u /* 198.18/15 benchmarking */
	    || (a & 0xffffff00u) == 0xc6336400u /* 198.51.100/24 TEST-NET-2 */
	    || (a & 0xffffff00u) == 0xcb007100u /* 203.0.113/24 TEST-NET-3 */)
		return false;
	return true;
}

static bool v4_mapped(const uint8_t b[16])
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(b, pre, 12) == 0;
}

/* Global unicast is 2000::/3 (everything else is unallocated or special: ::, ::1, fc00::/7,
 * fe80::/10, ff00::/8), less the documentation prefix 2001:db8::/32; an IPv4-mapped address
 * is judged as the IPv4 it carries. */
static bool v6_public(const uint8_t b[16])
{
	if (v4_mapped(b))
		return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
	if ((b[0] & 0xe0) != 0x20)
		return false;
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return false;
	return true;
}

/* ------------------------------------------------------------------ parsers */

/* Exactly a dotted quad in s[0, n): four decimal octets, no leading zeros (glibc's
 * inet_pton rule; "010" is octal to inet_aton). */
static bool parse_v4(const char *s, size_t n, uint8_t oct[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		if (k > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		size_t st = i;
		unsigned v = 0;
		while (i < n && i - st < 4 && (ccls(s, i) & C_DIG))
			v = v * 10 + (unsigned)(s[i++] - '0');
		size_t len = i - st;
		if (len == 0 || len > 3 || v > 255 || (len > 1 && s[st] == '0'))
			return false;
		oct[k] = (uint8_t)v;
	}
	return i == n;
}

static uint32_t v4_u32(const uint8_t o[4])
{
	return (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
}

/* ":port" at s[i] (1-5 digits, <= 65535, then not a host character): returns the length of
 * ":port", or 0. */
static size_t port_len(const char *s, size_t n, size_t i)
{
	if (i >= n || s[i] != ':')
		return 0;
	size_t j = i + 1;
	unsigned v = 0;
	while (j < n && j - i <= 5 && (ccls(s, j) & C_DIG))
		v = v * 10 + (unsigned)(s[j++] - '0');
	if (j == i + 1 || j - i > 6 || v > 65535 || (j < n && (ccls(s, j) & (C_HOST | C_V6))))
		return 0;
	return j - i;
}

/* A textual IPv6 in s[0, n) (no brackets), validated by inet_pton on a bounded copy. */
static bool parse_v6(const char *s, size_t n, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];
	if (n < 2 || n > INET6_ADDRSTRLEN - 1)
		return false;
	unsigned colons = 0;
	bool hex = false;
	for (size_t i = 0; i < n; i++) {
		unsigned k = ccls(s, i);
		if (!(k & C_V6))
			return false;
		colons += s[i] == ':';
		hex |= (k & C_HEX) != 0;
	}
	if (colons < 2 || !hex)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET6, buf, out) == 1;
}

/* A hostname label: 1-63 of [A-Za-z0-9-], not starting or ending with '-'. */
static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(ccls(s, i) & (C_ALPHA | C_DIG)) && s[i] != '-')
			return false;
	return true;
}

/* Domain in s[0, n): at least two valid labels, at most 253 characters, and a last label
 * that is a real TLD. Sets *tld, *tld_n to the last label and *labels to the label count.
 * Returns false otherwise. */
static bool parse_domain(const char *s, size_t n, const char **tld, size_t *tld_n, unsigned *labels)
{
	if (n < 4 || n > 253)
		return false;
	unsigned k = 0;
	size_t st = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!label_ok(s + st, i - st))
			return false;
		k++;
		if (i == n) {
			*tld = s + st;
			*tld_n = i - st;
		}
		st = i + 1;
	}
	*labels = k;
	return k >= 2 && ps_tld_known(*tld, *tld_n);
}

/* TLDs that a bare dotted word ends with in code and data far more often than a host does:
 * file extensions and language suffixes ("main.rs", "setup.py", "libc.so", "foo.sh",
 * "readme.md", "Makefile.am", "filter.ax", "x.cat" a Windows catalog, "setup.cab",
 * "a-except.ads" the GNAT runtime's Ada specs, "asmshader.tab" yacc, "trigd.inc"), and
 * member names ("event.target", "size.cx", "refptr.free", "time.tz", "settings.map",
 * "windows.media" WinRT namespaces). Sorted. */
static const char *const bare_stop_tlds[] = {
	"ac", "ads", "ai", "am", "ax", "bz", "cab", "call", "cat", "cc", "ci", "cl", "cs", "cx", "cy",
	"data", "do", "free", "id", "im", "in", "inc", "is", "it", "la", "map", "md", "me", "mk", "ml",
	"mm", "mo", "mov", "ms", "name", "next", "page", "pl", "pm", "properties", "ps", "pub", "py",
	"rc", "rs", "services", "sh", "so", "style", "sy", "tab", "target", "to", "tz", "windows", "zip",
};

/* Labels that make a dotted word an expression or a namespace, not a host: "this.name",
 * "elem.style.top", "document.domain", "system.net" (a .NET configuration section). */
static const char *const bare_stop_labels[] = {
	"document", "event", "prototype", "self", "style", "system", "this", "window",
};

static bool in_list(const char *const *list, size_t count, const char *t, size_t n)
{
	char k[16];
	if (n >= sizeof(k))
		return false;
	for (size_t i = 0; i < n; i++)
		k[i] = lower(t[i]);
	k[n] = 0;
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(list[mid], k);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

#define IN_LIST(list, t, n) in_list(list, sizeof(list) / sizeof(list[0]), t, n)

static bool ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* ------------------------------------------------------------------ results */

static void set_text(ps_netind *ni, const char *s, size_t start, size_t len)
{
	size_t k = len < PS_NI_MAX_TEXT - 1 ? len : PS_NI_MAX_TEXT - 1;
	ni->start = start;
	ni->len = len;
	memcpy(ni->text, s + start, k);
	ni->text[k] = 0;
}

static void set_host_domain(ps_netind *ni, const char *d, size_t n)
{
	/* n <= 253 (parse_domain) */
	for (size_t i = 0; i < n; i++)
		ni->host[i] = lower(d[i]);
	ni->host[n] = 0;
	ni->ip_host = false;
	ni->ip_public = false;
}

static void set_host_v4(ps_netind *ni, const uint8_t o[4])
{
	inet_ntop(AF_INET, o, ni->host, sizeof(ni->host));
	ni->ip_host = true;
	ni->ip_public = v4_public(v4_u32(o));
}

static void set_host_v6(ps_netind *ni, const uint8_t b[16])
{
	inet_ntop(AF_INET6, b, ni->host, sizeof(ni->host));
	ni->ip_host = true;
	ni->ip_public = v6_public(b);
}

/* ------------------------------------------------------------------ URLs */

static bool scheme_ok(const char *s, size_t n)
{
	return ieq(s, n, "http") || ieq(s, n, "https") || ieq(s, n, "ftp") || ieq(s, n, "ws") || ieq(s, n, "wss");
}

/* The host (and optional port) of a URL's authority a[0, n): "[v6]", a dotted quad or a
 * domain (any case, any real TLD), after an optional "user@" part. */
static bool url_host(const char *a, size_t n, ps_netind *ni)
{
	for (size_t i = n; i > 0; i--)
		if (a[i - 1] == '@') {
			a += i;
			n -= i;
			break;
		}
	size_t hn = n;
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (!close)
			return false;
		size_t h = (size_t)(close - a);
		uint8_t b[16];
		if (!parse_v6(a + 1, h - 1, b))
			return false;
		if (h + 1 < n && port_len(a, n, h + 1) != n - h - 1)
			return false;
		set_host_v6(ni, b);
		return true;
	}
	const char *colon = memchr(a, ':', n);
	if (colon) {
		hn = (size_t)(colon - a);
		if (port_len(a, n, hn) != n - hn)
			return false;
	}
	uint8_t o[4];
	if (parse_v4(a, hn, o)) {
		set_host_v4(ni, o);
		return true;
	}
	if (hn > 0 && a[hn - 1] == '.') /* a fully qualified "evil.com." */
		hn--;
	const char *tld;
	size_t tn;
	unsigned labels;
	if (!parse_domain(a, hn, &tld, &tn, &labels))
		return false;
	set_host_domain(ni, a, hn);
	return true;
}

/* A URL whose scheme is s[i, j) and s[j, j + 3) == "://". In text (exact false) it ends at
 * url_end and loses trailing punctuation; for a feed token (exact) it must span s[i, n).
 * Sets *end past it. */
static bool try_url(const char *s, size_t n, size_t i, size_t j, bool exact, ps_netind *ni, size_t *end)
{
	size_t p = j + 3, e = p;
	while (e < n && !url_end((unsigned char)s[e]))
		e++;
	if (exact && e != n)
		return false;
	if (!exact) {
		/* "(see http://x.com/a)." — the sentence's punctuation is not the URL's */
		bool paren = memchr(s + p, '(', e - p) != NULL, bracket = memchr(s + p, '[', e - p) != NULL;
		while (e > p) {
			char c = s[e - 1];
			if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || (c == ')' && !paren) ||
			    (c == ']' && !bracket) || c == '}')
				e--;
			else
				break;
		}
	}
	size_t ae = p;
	while (ae < e && s[ae] != '/' && s[ae] != '?' && s[ae] != '#' && s[ae] != '\\')
		ae++;
	if (ae == p || !url_host(s + p, ae - p, ni))
		return false;
	ni->kind = PS_NI_URL;
	set_text(ni, s, i, e - i);
	*end = e;
	return true;
}

/* ------------------------------------------------------------------ scanning */

/* "Version 1.2.3.4", "FileVersion=1.2.3.4", "\"version\": \"1.2.3.4\"" */
static bool after_version_word(const char *s, size_t i)
{
	size_t k = i;
	while (k > 0 && i - k < 4 && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '=' || s[k - 1] == ':' ||
	                              s[k - 1] == '"' || s[k - 1] == '\''))
		k--;
	return k >= 7 && strncasecmp(s + k - 7, "version", 7) == 0;
}

/* Public resolvers that malware probes for connectivity and that look like versions. */
static bool well_known_resolver(const uint8_t o[4])
{
	uint32_t a = v4_u32(o);
	return a == 0x08080808u || a == 0x08080404u || a == 0x01010101u || a == 0x01000001u || a == 0x09090909u ||
	       (a & 0xffffff00u) == 0x04020200u;
}

static bool version_like(const uint8_t o[4])
{
	unsigned zeros = (o[0] == 0) + (o[1] == 0) + (o[2] == 0) + (o[3] == 0);
	if (zeros >= 2 && (o[0] < 10 || o[3] == 0)) /* 1.0.0.0, 4.0.0.0, 2.0.5.0, 10.0.0.0 */
		return true;
	/* 1.2.3.4, 9.1.7.1, 6.8.0.105 (toolchain versions), 4.6.57.0 */
	if (o[0] < 10 && ((o[1] < 10 && o[2] < 10) || o[3] == 0) && !well_known_resolver(o))
		return true;
	/* OIDs compiled into crypto code: 2.5.4.3 (X.500 attribute types), 2.5.29.15 (X.509
	 * extensions), 1.3.6.1, 1.3.101.112 (Ed25519) */
	if ((o[0] == 2 && o[1] == 5) || (o[0] == 1 && o[1] == 3))
		return true;
	return false;
}

/* The IPv6 candidate starting at s[i] (a boundary). */
static bool try_v6(const char *s, size_t n, size_t i, ps_netind *ni, size_t *end)
{
	size_t j = i;
	bool up = false, lo = false;
	while (j < n && (ccls(s, j) & C_V6)) {
		unsigned k = ccls(s, j);
		if (k & C_ALPHA) {
			up |= (k & C_UPPER) != 0;
			lo |= !(k & C_UPPER);
		}
		j++;
	}
	if (j < n && (ccls(s, j) & C_HOST)) /* glued: "dead::beefy", "Cache::add" */
		return false;
	size_t e = j;
	while (e > i && s[e - 1] == '.')
		e--;
	if (e - i >= 2 && s[e - 1] == ':' && s[e - 2] != ':')
		e--;
	if (up && lo)
		return false;
	uint8_t b[16];
	if (!parse_v6(s + i, e - i, b))
		return false;
	if (b[0] == 0) {
		static const uint8_t loop[16] = {[15] = 1};
		if (!(memcmp(b, loop, 16) == 0 || v4_mapped(b)))
			return false;
	}
	ni->kind = PS_NI_IPV6;
	set_host_v6(ni, b);
	set_text(ni, s, i, e - i);
	*end = e;
	return true;
}

/* The rules for a domain that is neither in a URL nor after "www.": s[a, b) is the domain
 * within the host run s[i, j). */
static bool bare_domain_ok(const char *s, size_t n, size_t i, size_t j, size_t a, size_t b, const char *tld,
                           size_t tn, unsigned labels)
{
	for (size_t k = a; k < b; k++)
		if (ccls(s, k) & C_UPPER) /* System.IO, Microsoft.Win32 */
			return false;
	if (IN_LIST(bare_stop_tlds, tld, tn))
		return false;
	if (i > 0 && (s[i - 1] == '%' || s[i - 1] == '\\')) /* "%s.com", "C:\\DOS\\command.com" */
		return false;
	if (i > 0 && s[i - 1] == '/' && !(i > 1 && s[i - 2] == '/')) /* "../ecma.pub", "text/vnd.abc" */
		return false;
	/* expressions: "self.run(", "tmp0.xyz = ", "normalize(tmp0.xyz)", "vec4(pos.xyz, 1.0)" */
	if (j < n && s[j] == '(')
		return false;
	size_t q = j;
	while (q < n && s[q] == ' ')
		q++;
	if (q < n && s[q] == '=' && !(q + 1 < n && s[q + 1] == '='))
		return false;
	if (i > 0 && s[i - 1] == '(' && j < n && (s[j] == ',' || s[j] == ')'))
		return false;
	size_t st = a;
	for (unsigned k = 0; k < labels; k++) {
		const char *dot = memchr(s + st, '.', b - st);
		size_t e = dot ? (size_t)(dot - s) : b;
		if (IN_LIST(bare_stop_labels, s + st, e - st))
			return false;
		/* one character before the TLD ("e.free", "y.next", "8.target"): an expression */
		if (k + 2 == labels && e - st == 1)
			return false;
		if (k == 0) {
			/* reverse names: "com.example.app" */
			if (labels >= 3 && (ieq(s + st, e - st, "com") || ieq(s + st, e - st, "org") || ieq(s + st, e - st, "net")))
				return false;
			/* WinRT namespaces: "windows.media", "windows.storage" */
			if (ieq(s + st, e - st, "windows") && !ieq(tld, tn, "com") && !ieq(tld, tn, "net"))
				return false;
		}
		st = e + 1;
	}
	return true;
}

/* The host run s[i, j) (maximal, contains a '.'). */
static bool try_host(const char *s, size_t n, size_t i, size_t j, ps_netind *ni, size_t *end)
{
	size_t a = i, b = j;
	while (a < b && s[a] == '.')
		a++;
	while (b > a && s[b - 1] == '.')
		b--;
	if (b - a < 4)
		return false;
	uint8_t o[4];
	if (parse_v4(s + a, b - a, o)) {
		if (a != i || version_like(o) || after_version_word(s, i))
			return false;
		size_t pl = b == j ? port_len(s, n, j) : 0;
		ni->kind = PS_NI_IPV4;
		set_host_v4(ni, o);
		set_text(ni, s, a, b - a + pl);
		*end = b + pl;
		return true;
	}
	const char *tld;
	size_t tn;
	unsigned labels;
	if (!parse_domain(s + a, b - a, &tld, &tn, &labels))
		return false;
	const char *first_end = memchr(s + a, '.', b - a);
	size_t fn = (size_t)(first_end - (s + a));
	if (!ieq(s + a, fn, "www") && !bare_domain_ok(s, n, i, j, a, b, tld, tn, labels))
		return false;
	ni->kind = PS_NI_DOMAIN;
	set_host_domain(ni, s + a, b - a);
	set_text(ni, s, a, b - a);
	*end = b;
	return true;
}

size_t ps_netind_find(const char *s, size_t n, ps_netind_fn fn, void *ctx)
{
	if (!s || n < 3 || (!memchr(s, '.', n) && !memchr(s, ':', n)))
		return 0;
	size_t found = 0, i = 0;
	ps_netind ni;
	while (i < n) {
		unsigned k = ccls(s, i);
		if (!(k & (C_HOST | C_V6))) {
			i++;
			continue;
		}
		/* a run resumed after a URL's stripped punctuation: not a boundary */
		if (i > 0 && (k & C_HOST) && (ccls(s, i - 1) & C_HOST)) {
			while (i < n && (ccls(s, i) & C_HOST))
				i++;
			continue;
		}
		size_t end = 0;
		ni.kind = PS_NI_NONE;
		if ((k & C_V6) && s[i] != '.' && (i == 0 || !(ccls(s, i - 1) & (C_HOST | C_V6))) &&
		    try_v6(s, n, i, &ni, &end))
			goto hit;
		if (!(k & C_HOST)) { /* ':' */
			i++;
			continue;
		}
		size_t j = i;
		bool dot = false;
		while (j < n && (ccls(s, j) & C_HOST))
			dot |= s[j++] == '.';
		if (n - j >= 3 && s[j] == ':' && s[j + 1] == '/' && s[j + 2] == '/' && scheme_ok(s + i, j - i) &&
		    try_url(s, n, i, j, false, &ni, &end))
			goto hit;
		if (dot && try_host(s, n, i, j, &ni, &end))
			goto hit;
		i = j;
		continue;
	hit:
		found++;
		if (fn)
			fn(ctx, &ni);
		i = end > i ? end : i + 1;
	}
	return found;
}

bool ps_netind_parse(const char *s, size_t n, ps_netind *out)
{
	if (!s || !out || n == 0)
		return false;
	memset(out, 0, sizeof(*out));
	ps_netind ni;
	memset(&ni, 0, sizeof(ni));
	size_t end = 0;
	/* URL */
	size_t j = 0;
	while (j < n && (ccls(s, j) & C_ALPHA))
		j++;
	if (n - j >= 3 && s[j] == ':' && s[j + 1] == '/' && s[j + 2] == '/') {
		if (!scheme_ok(s, j) || !try_url(s, n, 0, j, true, &ni, &end))
			return false;
		*out = ni;
		return true;
	}
	uint8_t b[16], o[4];
	/* [IPv6] or [IPv6]:port */
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return false;
		size_t h = (size_t)(close - s);
		if (!parse_v6(s + 1, h - 1, b) || (h + 1 < n && port_len(s, n, h + 1) != n - h - 1))
			return false;
		ni.kind = PS_NI_IPV6;
		set_host_v6(&ni, b);
		goto ok;
	}
	/* IPv4, IPv4:port */
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;
	if (parse_v4(s, hn, o) && (hn == n || port_len(s, n, hn) == n - hn)) {
		ni.kind = PS_NI_IPV4;
		set_host_v4(&ni, o);
		goto ok;
	}
	if (colon) {
		if (!parse_v6(s, n, b))
			return false;
		ni.kind = PS_NI_IPV6;
		set_host_v6(&ni, b);
		goto ok;
	}
	/* domain, any case, any real TLD; "evil.com." is fully qualified */
	hn = n;
	if (s[hn - 1] == '.')
		hn--;
	const char *tld;
	size_t tn;
	unsigned labels;
	if (!parse_domain(s, hn, &tld, &tn, &labels))
		return false;
	ni.kind = PS_NI_DOMAIN;
	set_host_domain(&ni, s, hn);
ok:
	set_text(&ni, s, 0, n);
	*out = ni;
	return true;
}
