/* Network indicators in strings (netind: kinds, hosts, public flags, and the false positives
 * of real binaries) and IOC feeds (loading, diagnostics with line numbers, lookups by hash,
 * host, subdomain and URL prefix, the shipped seed feed). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ioc.h"
#include "limits.h"
#include "netind.h"
#include "pesleuth.h"

/* ------------------------------------------------------------ helpers */

#define MAX_HITS 8

typedef struct hits {
	size_t n;
	ps_netind v[MAX_HITS];
} hits;

static void collect(void *ctx, const ps_netind *ni)
{
	hits *h = ctx;
	if (h->n < MAX_HITS)
		h->v[h->n] = *ni;
	h->n++;
}

static size_t find(const char *s, hits *h)
{
	memset(h, 0, sizeof(*h));
	size_t n = ps_netind_find(s, strlen(s), collect, h);
	assert_int_equal(n, h->n);
	return n;
}

/* One indicator expected in s. */
static void one(const char *s, ps_ni_kind kind, const char *text, const char *host, bool ip_host, bool ip_public)
{
	hits h;
	size_t n = find(s, &h);
	if (n != 1)
		fail_msg("\"%s\": %zu indicators found, 1 expected", s, n);
	assert_int_equal(h.v[0].kind, kind);
	assert_string_equal(h.v[0].text, text);
	assert_string_equal(h.v[0].host, host);
	assert_int_equal(h.v[0].ip_host, ip_host);
	assert_int_equal(h.v[0].ip_public, ip_public);
	/* the span is where the text is */
	assert_int_equal(h.v[0].len, strlen(text));
	assert_memory_equal(s + h.v[0].start, text, h.v[0].len);
}

static void none(const char *s)
{
	hits h;
	size_t n = find(s, &h);
	if (n != 0)
		fail_msg("\"%s\": found %s \"%s\", expected nothing", s,
		         h.v[0].kind == PS_NI_IPV4 ? "IPv4" : h.v[0].kind == PS_NI_IPV6 ? "IPv6" : h.v[0].kind == PS_NI_URL ? "URL" : "domain",
		         h.v[0].text);
}

#define MAX_DIAGS 32

typedef struct diags {
	size_t n;
	unsigned line[MAX_DIAGS];
	char why[MAX_DIAGS][200];
	char path[MAX_DIAGS][512];
} diags;

static void on_diag(void *ctx, const char *path, unsigned line, const char *why)
{
	diags *d = ctx;
	if (d->n < MAX_DIAGS) {
		d->line[d->n] = line;
		snprintf(d->why[d->n], sizeof(d->why[0]), "%s", why);
		snprintf(d->path[d->n], sizeof(d->path[0]), "%s", path);
	}
	d->n++;
}

/* A repository file: $PESLEUTH_ROOT (tests/run.sh sets it) or the current directory. */
static const char *repo_path(char *buf, size_t cap, const char *rel)
{
	const char *root = getenv("PESLEUTH_ROOT");
	snprintf(buf, cap, "%s%s%s", root && *root ? root : "", root && *root ? "/" : "", rel);
	return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* A temporary feed with the given bytes; the path is written to buf. */
static const char *temp_feed(char *buf, size_t cap, const char *bytes, size_t n)
{
	snprintf(buf, cap, "/tmp/pesleuth-test-ioc-XXXXXX");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	close(fd);
	return buf;
}

/* ------------------------------------------------------------ netind: what is found */

static void finds_addresses(void **state)
{
	(void)state;
	/* the POS sample's C&C, as a string of the binary would hold it */
	one("connect to 83.166.234.250:443", PS_NI_IPV4, "83.166.234.250:443", "83.166.234.250", true, true);
	one("83.166.234.237", PS_NI_IPV4, "83.166.234.237", "83.166.234.237", true, true);
	one("5.61.38.52", PS_NI_IPV4, "5.61.38.52", "5.61.38.52", true, true);
	/* an invalid port is not part of the indicator */
	one("1.93.4.5:99999", PS_NI_IPV4, "1.93.4.5", "1.93.4.5", true, true);
	/* a sentence's full stop */
	one("C&C is 83.166.234.250.", PS_NI_IPV4, "83.166.234.250", "83.166.234.250", true, true);
	/* public resolvers that malware probes, although they look like versions */
	one("8.8.8.8", PS_NI_IPV4, "8.8.8.8", "8.8.8.8", true, true);
	one("ping 8.8.4.4", PS_NI_IPV4, "8.8.4.4", "8.8.4.4", true, true);
	/* IPv6 */
	one("2001:4860:4860::8888", PS_NI_IPV6, "2001:4860:4860::8888", "2001:4860:4860::8888", true, true);
	one("[2001:4860::8888]:443", PS_NI_IPV6, "2001:4860::8888", "2001:4860::8888", true, true);
	one("bind ::1", PS_NI_IPV6, "::1", "::1", true, false);
	one("fe80::1%eth0", PS_NI_IPV6, "fe80::1", "fe80::1", true, false);
	one("::ffff:83.166.234.250", PS_NI_IPV6, "::ffff:83.166.234.250", "::ffff:83.166.234.250", true, true);
	one("2001:DB8::1", PS_NI_IPV6, "2001:DB8::1", "2001:db8::1", true, false);
}

static void finds_urls_and_domains(void **state)
{
	(void)state;
	one("http://83.166.234.250/gate", PS_NI_URL, "http://83.166.234.250/gate", "83.166.234.250", true, true);
	one("https://[2001:4860::8888]/x", PS_NI_URL, "https://[2001:4860::8888]/x", "2001:4860::8888", true, true);
	one("ftp://files.example.net/a", PS_NI_URL, "ftp://files.example.net/a", "files.example.net", false, false);
	one("HTTP://User:Pw@Evil.COM:8080/p?q=1#f", PS_NI_URL, "HTTP://User:Pw@Evil.COM:8080/p?q=1#f", "evil.com", false,
	    false);
	one("wss://chat.example.org", PS_NI_URL, "wss://chat.example.org", "chat.example.org", false, false);
	/* the URL ends at a quote, '<', '>' or a blank, and loses a sentence's punctuation */
	one("href=\"http://evil.com/a.php\">", PS_NI_URL, "http://evil.com/a.php", "evil.com", false, false);
	one("(see http://evil.com/a).", PS_NI_URL, "http://evil.com/a", "evil.com", false, false);
	one("<http://evil.com/x?y=1>", PS_NI_URL, "http://evil.com/x?y=1", "evil.com", false, false);
	/* a URL's host may be in any case and use a TLD that is also a file extension */
	one("http://GitHub.IO/x", PS_NI_URL, "http://GitHub.IO/x", "github.io", false, false);
	one("https://crates.rs/", PS_NI_URL, "https://crates.rs/", "crates.rs", false, false);
	/* domains */
	one("evil-cc.com", PS_NI_DOMAIN, "evil-cc.com", "evil-cc.com", false, false);
	one("www.example.org", PS_NI_DOMAIN, "www.example.org", "www.example.org", false, false);
	one("WWW.Example.Org", PS_NI_DOMAIN, "WWW.Example.Org", "www.example.org", false, false);
	one("www.crates.rs", PS_NI_DOMAIN, "www.crates.rs", "www.crates.rs", false, false);
	one("user foo@bar.com", PS_NI_DOMAIN, "bar.com", "bar.com", false, false);
	one("update.microsoft-cdn.xyz", PS_NI_DOMAIN, "update.microsoft-cdn.xyz", "update.microsoft-cdn.xyz", false, false);
	one("Host: c2.example.co.uk", PS_NI_DOMAIN, "c2.example.co.uk", "c2.example.co.uk", false, false);
	one("*.evil.com", PS_NI_DOMAIN, "evil.com", "evil.com", false, false);
	one("evil.com.", PS_NI_DOMAIN, "evil.com", "evil.com", false, false);
	one("xn--80ak6aa92e.xn--p1ai", PS_NI_DOMAIN, "xn--80ak6aa92e.xn--p1ai", "xn--80ak6aa92e.xn--p1ai", false, false);
	one("evil.com/gate.php", PS_NI_DOMAIN, "evil.com", "evil.com", false, false);
	/* another scheme: not a URL, but its host is still a host */
	one("gopher://evil.com/", PS_NI_DOMAIN, "evil.com", "evil.com", false, false);
}

static void finds_several_in_order(void **state)
{
	(void)state;
	hits h;
	const char *s = "GET http://evil.com/a then 83.166.234.237:443, [2001:4860::8888] and www.example.org";
	assert_int_equal(find(s, &h), 4);
	assert_int_equal(h.v[0].kind, PS_NI_URL);
	assert_string_equal(h.v[0].text, "http://evil.com/a");
	assert_int_equal(h.v[0].start, 4);
	assert_int_equal(h.v[1].kind, PS_NI_IPV4);
	assert_string_equal(h.v[1].text, "83.166.234.237:443");
	assert_int_equal(h.v[1].start, 27);
	assert_int_equal(h.v[2].kind, PS_NI_IPV6);
	assert_string_equal(h.v[2].host, "2001:4860::8888");
	assert_int_equal(h.v[3].kind, PS_NI_DOMAIN);
	assert_string_equal(h.v[3].host, "www.example.org");
	/* without a callback, a count */
	assert_int_equal(ps_netind_find(s, strlen(s), NULL, NULL), 4);
	/* only n bytes are read */
	assert_int_equal(ps_netind_find("evil.com", 4, collect, &h), 0);
	assert_int_equal(ps_netind_find(NULL, 10, collect, &h), 0);
}

static void private_addresses_are_not_public(void **state)
{
	(void)state;
	one("10.0.0.1", PS_NI_IPV4, "10.0.0.1", "10.0.0.1", true, false);
	one("192.168.1.1", PS_NI_IPV4, "192.168.1.1", "192.168.1.1", true, false);
	one("127.0.0.1", PS_NI_IPV4, "127.0.0.1", "127.0.0.1", true, false);
	one("http://10.0.0.1/x", PS_NI_URL, "http://10.0.0.1/x", "10.0.0.1", true, false);
	one("http://192.168.1.1:8080/admin", PS_NI_URL, "http://192.168.1.1:8080/admin", "192.168.1.1", true, false);
	one("http://127.0.0.1/", PS_NI_URL, "http://127.0.0.1/", "127.0.0.1", true, false);
	one("https://[fe80::1]/", PS_NI_URL, "https://[fe80::1]/", "fe80::1", true, false);
	one("239.255.255.250:1900", PS_NI_IPV4, "239.255.255.250:1900", "239.255.255.250", true, false);

	/* every range, at its edges, through the parser (no version guards there) */
	static const struct { const char *a; bool pub; } t[] = {
	    {"0.1.2.3", false},         {"9.255.255.255", true},   {"10.255.255.255", false}, {"11.0.0.1", true},
	    {"100.63.255.255", true},   {"100.64.0.1", false},     {"100.127.255.255", false}, {"100.128.0.0", true},
	    {"126.255.255.255", true},  {"127.1.2.3", false},      {"169.253.1.1", true},     {"169.254.1.1", false},
	    {"172.15.255.255", true},   {"172.16.0.1", false},     {"172.31.255.255", false}, {"172.32.0.0", true},
	    {"192.0.0.8", false},       {"192.0.1.1", true},       {"192.0.2.1", false},      {"192.167.1.1", true},
	    {"192.168.0.1", false},     {"192.169.0.1", true},     {"198.17.255.255", true},  {"198.18.0.1", false},
	    {"198.19.255.255", false},  {"198.20.0.0", true},      {"198.51.100.7", false},   {"198.51.101.7", true},
	    {"203.0.113.9", false},     {"203.0.114.9", true},     {"223.255.255.255", true}, {"224.0.0.1", false},
	    {"239.1.1.1", false},       {"240.0.0.1", false},      {"255.255.255.255", false},
	    {"::1", false},            {"fc00::1", false},        {"fd12:3456::1", false},
	    {"fe80::1", false},         {"febf::1", false},        {"ff02::1", false},        {"2001:db8::1", false},
	    {"2001:db9::1", true},      {"2a00:1450::1", true},    {"3fff::1", true},         {"4000::1", false},
	    {"::ffff:10.1.1.1", false}, {"::ffff:8.8.8.8", true},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ps_netind ni;
		if (!ps_netind_parse(t[i].a, strlen(t[i].a), &ni))
			fail_msg("%s does not parse", t[i].a);
		assert_true(ni.ip_host);
		if (ni.ip_public != t[i].pub)
			fail_msg("%s: ip_public %d, expected %d", t[i].a, ni.ip_public, t[i].pub);
	}
}

/* ------------------------------------------------------------ netind: false positives */

static void ignores_versions_namespaces_and_files(void **state)
{
	(void)state;
	static const char *const traps[] = {
	    /* assembly and file versions */
	    "1.0.0.0", "4.0.0.0", "2.0.0.0", "6.0.0.0", "10.0.0.0", "0.0.0.0", "1.2.0.0", "1.0.0.1",
	    "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089", "FileVersion 5.12.34.56",
	    "\"version\": \"51.12.34.56\"", "6.1.7600.16385", "v4.0.30319", "1.2.3.4.5", "10.0.19041.1",
	    "1.2.3.4", "9.1.7.1", "6.8.0.105", "4.6.57.0", "3.5.140.0",
	    /* OIDs */
	    "2.5.4.3", "2.5.29.17", "1.3.6.1", "1.3.101.112",
	    /* glued to letters, digits, '_' or '-' */
	    "abc1.2.3.4", "1.2.3.4abc", "x_evil.com", "evil.com_x", "-evil.com", "my-1.2.3.4", "1.2.3.4-5",
	    /* .NET namespaces and type names */
	    "System.Net.Http", "System.IO", "Microsoft.Win32", "System.Net", "system.net/defaultProxy",
	    "Windows.Media", "windows.media", "windows.storage",
	    /* files whose extension is also a TLD, and other file names */
	    "main.rs", "libgcc_s.so", "setup.py", "readme.md", "foo.sh", "libc.so", "Makefile.am", "configure.ac",
	    "Makefile.in", "lib.pm", "test.pl", "x.cs", "ksfilter.ax", "nt5.cat", "setup.cab", "a-except.ads",
	    "asmshader.tab", "msvcrt.dll", "kernel32.dll", "ntoskrnl.exe", "config.json", "index.html",
	    "C:\\DOS\\command.com", "../ecma.pub", "text/vnd.abc",
	    /* code */
	    "std::vector<int>", "a::b", "Bad::Fee", "Foo::Bar::baz", "Cache::add", "::", "12:34:56",
	    "12:34:56.789", "1:2:3:4:5:6:7:8", "00:1a:2b:3c:4d:5e", "%s.com", "%s.%s.net", "this.name",
	    "self.run(x)", "event.target", "size.cx", "elem.style.top", "document.domain", "e.free", "y.next",
	    "com.example.app", "org.apache.commons.io", "tmp0.xyz = 1", "normalize(tmp0.xyz)", "time.tz",
	    "settings.map", "refptr.free", ".rdata$.refptr.free",
	    /* not hosts at all */
	    "localhost", "http://localhost/x.php", "http://intranet:8080/", "xhttp://",
	    "http://", "http:///x", "evil.notatld", "a.b", "1.2.3", "999.1.2.3", "01.02.03.04",
	    "e.g. i.e. a.m.", "This program cannot be run in DOS mode.", "", "..", ":::",
	};
	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++)
		none(traps[i]);
	/* a URL with an invalid host is not a URL; nothing else is reported from it */
	none("http://999.1.2.3/x");
	none("http://[::g]/x");
}

static void long_and_hostile_text(void **state)
{
	(void)state;
	/* linear: long runs of candidates are each looked at once */
	static char buf[1 << 16];
	for (size_t i = 0; i + 1 < sizeof(buf); i++)
		buf[i] = "a:"[i % 2];
	buf[sizeof(buf) - 1] = 0;
	none(buf);
	for (size_t i = 0; i + 1 < sizeof(buf); i++)
		buf[i] = "1."[i % 2];
	none(buf);
	memset(buf, '.', sizeof(buf) - 1);
	none(buf);
	/* a long URL is reported whole (span) with its text truncated */
	size_t n = 0;
	n += (size_t)sprintf(buf, "http://evil.com/");
	memset(buf + n, 'x', 2000);
	buf[n + 2000] = 0;
	hits h;
	assert_int_equal(find(buf, &h), 1);
	assert_int_equal(h.v[0].len, n + 2000);
	assert_int_equal(strlen(h.v[0].text), PS_NI_MAX_TEXT - 1);
	/* a domain longer than 253 characters is not one */
	n = 0;
	for (int i = 0; i < 60; i++)
		n += (size_t)sprintf(buf + n, "abcd.");
	sprintf(buf + n, "com");
	none(buf);
}

/* ------------------------------------------------------------ netind: parse, TLDs */

static void parses_one_token(void **state)
{
	(void)state;
	ps_netind ni;
	assert_true(ps_netind_parse("5.61.38.52:443", 14, &ni));
	assert_int_equal(ni.kind, PS_NI_IPV4);
	assert_string_equal(ni.host, "5.61.38.52");
	assert_true(ni.ip_public);
	/* the user said it is an address or a domain: no version or file-name guards */
	assert_true(ps_netind_parse("1.0.0.0", 7, &ni));
	assert_int_equal(ni.kind, PS_NI_IPV4);
	assert_true(ps_netind_parse("EVIL.COM", 8, &ni));
	assert_int_equal(ni.kind, PS_NI_DOMAIN);
	assert_string_equal(ni.host, "evil.com");
	assert_true(ps_netind_parse("main.rs", 7, &ni));
	assert_int_equal(ni.kind, PS_NI_DOMAIN);
	assert_true(ps_netind_parse("2001:DB8::1", 11, &ni));
	assert_int_equal(ni.kind, PS_NI_IPV6);
	assert_string_equal(ni.host, "2001:db8::1");
	assert_true(ps_netind_parse("[2001:db8::1]:8443", 18, &ni));
	assert_int_equal(ni.kind, PS_NI_IPV6);
	assert_true(ps_netind_parse("https://Evil.com/a?b", 20, &ni));
	assert_int_equal(ni.kind, PS_NI_URL);
	assert_string_equal(ni.host, "evil.com");
	assert_string_equal(ni.text, "https://Evil.com/a?b");
	/* a whole token or nothing */
	static const char *const bad[] = {
	    "evil.com x", "x evil.com", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4.5", "256.1.1.1", "evil.notatld", "com",
	    "std::vector", "12:34:56", "a:b", "http://localhost/", "gopher://evil.com/", "http://evil.com/a b",
	    "[2001:db8::1", "[2001:db8::1]x", "-evil.com", "evil-.com", "ev_il.com", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ps_netind_parse(bad[i], strlen(bad[i]), &ni))
			fail_msg("\"%s\" parsed as an indicator", bad[i]);
}

static void knows_real_tlds(void **state)
{
	(void)state;
	static const char *const yes[] = {"com", "COM", "net", "org", "io", "rs", "py", "de", "xyz", "top", "arpa",
	                                  "xn--p1ai", "XN--P1AI", "museum", "co"};
	static const char *const no[] = {"dll", "exe", "sys", "h", "c", "cpp", "json", "html", "x", "", "notatld",
	                                 "com.", "c-m", "xn--", "thisisaverylonglabelthatisnotatld"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!ps_tld_known(yes[i], strlen(yes[i])))
			fail_msg("%s is a TLD", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (ps_tld_known(no[i], strlen(no[i])))
			fail_msg("%s is not a TLD", no[i]);
	assert_true(ps_tld_known("community", 3)); /* "com": only n bytes are read */
}

/* ------------------------------------------------------------ IOC feeds */

static void loads_feed_with_diagnostics(void **state)
{
	(void)state;
	char path[1024];
	repo_path(path, sizeof(path), "tests/data/ioc-malformed.txt");
	ps_iocs *x = NULL;
	assert_int_equal(ps_iocs_new(&x), PS_OK);
	diags d = {0};
	assert_int_equal(ps_iocs_load(x, path, on_diag, &d), PS_OK);
	static const struct { unsigned line; const char *why; } want[] = {
	    {3, "not a hash, address, domain or URL: 39 hex digits"},
	    {11, "not a valid IPv4 address"},
	    {12, "not a domain: unknown top-level domain \"notatld\""},
	    {13, "unsupported URL scheme (http, https, ftp, ws and wss are)"},
	    {14, "defanged URL: write http/https/ftp instead of hxxp/fxp"},
	    {15, "not a hash, address, domain or URL: it contains a blank (a description goes after ';')"},
	    {16, "line too long (more than 4096 bytes)"},
	    {17, "no indicator before ';'"},
	    {21, "not a hash, address, domain or URL"},
	};
	size_t nw = sizeof(want) / sizeof(want[0]);
	for (size_t i = 0; i < d.n && i < nw; i++) {
		if (d.line[i] != want[i].line || strcmp(d.why[i], want[i].why) != 0)
			fail_msg("diagnostic %zu: line %u \"%s\", expected line %u \"%s\"", i, d.line[i], d.why[i], want[i].line,
			         want[i].why);
		assert_string_equal(d.path[i], path);
	}
	assert_int_equal(d.n, nw);
	/* 14 good lines, one a duplicate: 3 hashes, 7 hosts, 3 URLs */
	assert_int_equal(ps_iocs_count(x), 13);
	ps_iocs_free(x);
}

static ps_iocs *load_test_feed(char *path, size_t cap)
{
	repo_path(path, cap, "tests/data/ioc-malformed.txt");
	ps_iocs *x = NULL;
	assert_int_equal(ps_iocs_new(&x), PS_OK);
	assert_int_equal(ps_iocs_load(x, path, NULL, NULL), PS_OK);
	return x;
}

static void looks_up_hashes(void **state)
{
	(void)state;
	char path[1024];
	ps_iocs *x = load_test_feed(path, sizeof(path));
	uint8_t d[32];

	hex_bytes("d8e79a7d21a138bc02ec99cfb9dc59e2e0cedf09", d, 20);
	const ps_ioc_match *m = ps_iocs_find_hash(x, d, 20);
	assert_non_null(m);
	assert_string_equal(m->value, "d8e79a7d21a138bc02ec99cfb9dc59e2e0cedf09");
	assert_string_equal(m->description, "Carbanak POS sample (SHA-1)");
	assert_string_equal(m->feed, path);
	assert_int_equal(m->line, 2);
	/* the same bytes are not an MD5 or a SHA-256 */
	assert_null(ps_iocs_find_hash(x, d, 16));
	assert_null(ps_iocs_find_hash(x, d, 32));
	assert_null(ps_iocs_find_hash(x, d, 19));

	hex_bytes("44d88612fea8a8f36de82e1278abb02f", d, 16);
	m = ps_iocs_find_hash(x, d, 16);
	assert_non_null(m);
	assert_int_equal(m->line, 5);
	assert_string_equal(m->value, "44d88612fea8a8f36de82e1278abb02f");

	hex_bytes("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", d, 32);
	m = ps_iocs_find_hash(x, d, 32);
	assert_non_null(m);
	assert_int_equal(m->line, 6);
	assert_string_equal(m->value, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
	assert_string_equal(m->description, "EICAR test file (SHA-256, upper case)");
	d[31] ^= 1;
	assert_null(ps_iocs_find_hash(x, d, 32));

	/* the truncated value was not loaded in any form */
	hex_bytes("fa2a0639897a42932272d0f0be2ab456d99a4020", d, 20);
	assert_null(ps_iocs_find_hash(x, d, 20));
	hex_bytes("0fa2a0639897a42932272d0f0be2ab456d99a402", d, 20);
	assert_null(ps_iocs_find_hash(x, d, 20));
	assert_null(ps_iocs_find_hash(NULL, d, 20));
	ps_iocs_free(x);
}

static void looks_up_hosts(void **state)
{
	(void)state;
	char path[1024];
	ps_iocs *x = load_test_feed(path, sizeof(path));
	static const struct { const char *q; unsigned line; const char *value; } t[] = {
	    {"83.166.234.250", 7, "83.166.234.250"},
	    {"2001:db8::dead:beef", 8, "2001:db8::dead:beef"},
	    {"evil-cc.com", 9, "evil-cc.com"},           /* line 23 is a duplicate: the first wins */
	    {"EVIL-CC.COM", 9, "evil-cc.com"},           /* a host is compared without case */
	    {"a.b.evil-cc.com", 9, "evil-cc.com"},       /* subdomains */
	    {"evil-cc.com.", 9, "evil-cc.com"},          /* fully qualified */
	    {"mixed.case.evil.org", 19, "mixed.case.evil.org"},
	    {"x.mixed.case.evil.org", 19, "mixed.case.evil.org"},
	    {"5.61.38.52", 22, "5.61.38.52"},
	    {"::ffff:5.61.38.52", 22, "5.61.38.52"},     /* IPv4-mapped */
	    {"2001:4860::8888", 24, "2001:4860::8888"},
	    {"last.example.com", 26, "last.example.com"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const ps_ioc_match *m = ps_iocs_find_host(x, t[i].q);
		if (!m)
			fail_msg("%s not found", t[i].q);
		assert_int_equal(m->line, t[i].line);
		assert_string_equal(m->value, t[i].value);
	}
	/* labels, not characters: "notevil-cc.com" is not "evil-cc.com"; parents do not match children */
	static const char *const miss[] = {"notevil-cc.com", "evil-cc.co", "evil-cc.com.au", "com", "case.evil.org",
	                                   "evil.org", "example.com", "83.166.234.25", "166.234.250", "2001:db8::dead",
	                                   "", "files.example.net", "evil.example.net"};
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		if (ps_iocs_find_host(x, miss[i]))
			fail_msg("%s matched", miss[i]);
	/* the description is valid UTF-8: the invalid bytes became U+FFFD */
	const ps_ioc_match *m = ps_iocs_find_host(x, "5.61.38.52");
	assert_string_equal(m->description, "invalid UTF-8 in the description: \xef\xbf\xbd\xef\xbf\xbd end");
	m = ps_iocs_find_host(x, "2001:db8::dead:beef");
	assert_string_equal(m->description, "documentation IPv6, mixed case");
	ps_iocs_free(x);
}

static void looks_up_url_prefixes(void **state)
{
	(void)state;
	char path[1024];
	ps_iocs *x = load_test_feed(path, sizeof(path));
	static const struct { const char *q; unsigned line; } hit[] = {
	    {"https://evil.example.net/gate.php?id=1", 10},
	    {"https://evil.example.net/gate.php?id=1&x=2", 10},
	    {"HTTPS://EVIL.EXAMPLE.NET/gate.php?id=10", 10},
	    {"ftp://files.example.net/pub/", 18},
	    {"ftp://files.example.net/pub/tools/x.zip", 18},
	    {"https://[2001:4860::8888]/x", 25},
	    {"https://[2001:4860:0:0::8888]/x/y", 25},
	};
	for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++) {
		const ps_ioc_match *m = ps_iocs_find_url(x, hit[i].q);
		if (!m)
			fail_msg("%s not found", hit[i].q);
		assert_int_equal(m->line, hit[i].line);
	}
	const ps_ioc_match *m = ps_iocs_find_url(x, "https://evil.example.net/gate.php?id=1");
	assert_string_equal(m->value, "https://evil.example.net/gate.php?id=1");
	assert_string_equal(m->description, "URL with an upper-case host");
	static const char *const miss[] = {
	    "https://evil.example.net/gate.php?id=2", "https://evil.example.net/gate.ph", "http://evil.example.net/gate.php?id=1",
	    "https://evil.example.net/Gate.php?id=1", "ftp://files.example.net/pub", "ftp://files.example.net/",
	    "https://[2001:4860::8889]/x", "not a url", "",
	};
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		if (ps_iocs_find_url(x, miss[i]))
			fail_msg("%s matched", miss[i]);
	ps_iocs_free(x);
}

static void loads_several_feeds(void **state)
{
	(void)state;
	char p1[64], p2[64], path[1024];
	static const char f1[] = "http://evil.com;root of a site\nhttp://evil.com/a/b;deeper\nhttp://evil.com/a;middle\n"
	                         "evil.net;first\n";
	static const char f2[] = "evil.net;second (a duplicate)\nnew.example.org\r\n";
	temp_feed(p1, sizeof(p1), f1, sizeof(f1) - 1);
	temp_feed(p2, sizeof(p2), f2, sizeof(f2) - 1);
	ps_iocs *x = load_test_feed(path, sizeof(path));
	diags d = {0};
	assert_int_equal(ps_iocs_load(x, p1, on_diag, &d), PS_OK);
	assert_int_equal(ps_iocs_load(x, p2, on_diag, &d), PS_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(ps_iocs_count(x), 13 + 4 + 1);
	/* a URL without a path matches the whole site, on the host's boundary */
	const ps_ioc_match *m = ps_iocs_find_url(x, "http://evil.com");
	assert_non_null(m);
	assert_string_equal(m->value, "http://evil.com/");
	assert_string_equal(m->feed, p1);
	assert_int_equal(m->line, 1);
	assert_non_null(ps_iocs_find_url(x, "http://EVIL.com/x"));
	assert_non_null(ps_iocs_find_url(x, "http://evil.com?q"));
	assert_null(ps_iocs_find_url(x, "http://evil.com.example.net/"));
	assert_null(ps_iocs_find_url(x, "http://evil.co/"));
	/* the longest prefix */
	assert_int_equal(ps_iocs_find_url(x, "http://evil.com/a/b/c")->line, 2);
	assert_int_equal(ps_iocs_find_url(x, "http://evil.com/a/c")->line, 3);
	assert_int_equal(ps_iocs_find_url(x, "http://evil.com/ab")->line, 3);
	assert_int_equal(ps_iocs_find_url(x, "http://evil.com/b")->line, 1);
	/* the first feed loaded wins among duplicates; later feeds still add */
	m = ps_iocs_find_host(x, "www.evil.net");
	assert_non_null(m);
	assert_string_equal(m->description, "first");
	assert_string_equal(m->feed, p1);
	m = ps_iocs_find_host(x, "new.example.org");
	assert_non_null(m);
	assert_string_equal(m->description, "");
	assert_int_equal(m->line, 2);
	/* the earlier feed is still there */
	assert_non_null(ps_iocs_find_host(x, "evil-cc.com"));
	ps_iocs_free(x);
	unlink(p1);
	unlink(p2);
}

static void odd_files(void **state)
{
	(void)state;
	char p[64];
	ps_iocs *x = NULL;
	assert_int_equal(ps_iocs_new(&x), PS_OK);
	diags d = {0};
	/* a missing file is an error with errno, not a diagnostic */
	errno = 0;
	assert_int_equal(ps_iocs_load(x, "/nonexistent/pesleuth/feed.txt", on_diag, &d), PS_EIO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(d.n, 0);
	/* a directory cannot be read */
	assert_int_equal(ps_iocs_load(x, "/", on_diag, &d), PS_EIO);
	/* a BOM, a NUL byte, blank and comment lines, a line of exactly PS_IOC_MAX_LINE bytes */
	static const char head[] = "\xef\xbb\xbf" "evil.com\n\n   \n\t# comment\nbad\0line\n";
	static char f[sizeof(head) + PS_IOC_MAX_LINE + 64];
	memcpy(f, head, sizeof(head) - 1);
	size_t n = sizeof(head) - 1;
	n += (size_t)sprintf(f + n, "evil.org;");
	memset(f + n, 'd', PS_IOC_MAX_LINE - 9);
	n += PS_IOC_MAX_LINE - 9;
	f[n++] = '\r';
	f[n++] = '\n';
	temp_feed(p, sizeof(p), f, n);
	assert_int_equal(ps_iocs_load(x, p, on_diag, &d), PS_OK);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.line[0], 5);
	assert_string_equal(d.why[0], "the line contains a NUL byte (not a text feed?)");
	assert_int_equal(ps_iocs_count(x), 2);
	assert_int_equal(ps_iocs_find_host(x, "evil.com")->line, 1);
	assert_int_equal(strlen(ps_iocs_find_host(x, "evil.org")->description), PS_IOC_MAX_LINE - 9);
	unlink(p);
	/* one byte more is too long */
	d.n = 0;
	n = (size_t)sprintf(f, "evil.org;");
	memset(f + n, 'd', PS_IOC_MAX_LINE - 8);
	n += PS_IOC_MAX_LINE - 8;
	f[n++] = '\n';
	n += (size_t)sprintf(f + n, "after.example.com");
	temp_feed(p, sizeof(p), f, n);
	assert_int_equal(ps_iocs_load(x, p, on_diag, &d), PS_OK);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.line[0], 1);
	assert_string_equal(d.why[0], "line too long (more than 4096 bytes)");
	assert_non_null(ps_iocs_find_host(x, "after.example.com"));
	unlink(p);
	/* an empty feed */
	temp_feed(p, sizeof(p), "", 0);
	assert_int_equal(ps_iocs_load(x, p, on_diag, &d), PS_OK);
	unlink(p);
	/* misuse */
	assert_int_equal(ps_iocs_new(NULL), PS_EINVAL);
	assert_int_equal(ps_iocs_load(NULL, p, NULL, NULL), PS_EINVAL);
	assert_int_equal(ps_iocs_count(NULL), 0);
	assert_null(ps_iocs_find_host(NULL, "evil.com"));
	assert_null(ps_iocs_find_url(NULL, "http://evil.com/"));
	ps_iocs_free(x);
	ps_iocs_free(NULL);
}

static void seed_feed_loads_cleanly(void **state)
{
	(void)state;
	char path[1024];
	repo_path(path, sizeof(path), "rules/iocs/seeds.txt");
	ps_iocs *x = NULL;
	assert_int_equal(ps_iocs_new(&x), PS_OK);
	diags d = {0};
	assert_int_equal(ps_iocs_load(x, path, on_diag, &d), PS_OK);
	if (d.n)
		fail_msg("%s:%u: %s", d.path[0], d.line[0], d.why[0]);
	assert_int_equal(ps_iocs_count(x), 6);
	static const char *const sha1[] = {"d8e79a7d21a138bc02ec99cfb9dc59e2e0cedf09", "a0527db046665ee43205f963dd40c455219beddd",
	                                   "ccad1c5037ce2a7a39f4b571fc10be213249e611"};
	for (size_t i = 0; i < 3; i++) {
		uint8_t h[20];
		hex_bytes(sha1[i], h, 20);
		const ps_ioc_match *m = ps_iocs_find_hash(x, h, 20);
		assert_non_null(m);
		assert_string_equal(m->value, sha1[i]);
		assert_non_null(strstr(m->description, "Carbanak"));
		assert_true(ends_with(m->feed, "rules/iocs/seeds.txt"));
	}
	static const char *const ips[] = {"83.166.234.250", "83.166.234.237", "5.61.38.52"};
	for (size_t i = 0; i < 3; i++) {
		const ps_ioc_match *m = ps_iocs_find_host(x, ips[i]);
		assert_non_null(m);
		assert_non_null(strstr(m->description, "C&C"));
	}
	/* a C&C address found in a string by netind is matched through its host */
	hits h;
	assert_int_equal(find("POST http://83.166.234.237:443/ok", &h), 1);
	assert_non_null(ps_iocs_find_host(x, h.v[0].host));
	ps_iocs_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(finds_addresses),
	    cmocka_unit_test(finds_urls_and_domains),
	    cmocka_unit_test(finds_several_in_order),
	    cmocka_unit_test(private_addresses_are_not_public),
	    cmocka_unit_test(ignores_versions_namespaces_and_files),
	    cmocka_unit_test(long_and_hostile_text),
	    cmocka_unit_test(parses_one_token),
	    cmocka_unit_test(knows_real_tlds),
	    cmocka_unit_test(loads_feed_with_diagnostics),
	    cmocka_unit_test(looks_up_hashes),
	    cmocka_unit_test(looks_up_hosts),
	    cmocka_unit_test(looks_up_url_prefixes),
	    cmocka_unit_test(loads_several_feeds),
	    cmocka_unit_test(odd_files),
	    cmocka_unit_test(seed_feed_loads_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
