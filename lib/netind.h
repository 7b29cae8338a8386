/* Network indicators in text: IPv4 and IPv6 addresses, URLs, and domains whose top-level
 * domain is real (IANA's list, compiled in). Linear in the text, no regex, no allocation. */
#ifndef PS_NETIND_H
#define PS_NETIND_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ps_ni_kind { PS_NI_NONE = 0, PS_NI_IPV4, PS_NI_IPV6, PS_NI_DOMAIN, PS_NI_URL } ps_ni_kind;

#define PS_NI_MAX_HOST 256u
#define PS_NI_MAX_TEXT 512u

typedef struct ps_netind {
	ps_ni_kind kind;
	size_t start, len;            /* the indicator's span within the text searched */
	char text[PS_NI_MAX_TEXT];    /* the indicator as found (truncated to fit), NUL-terminated;
	                                 an IPv4 keeps a following ":port" */
	char host[PS_NI_MAX_HOST];    /* canonical host: lowercase domain, or the address as
	                                 inet_ntop writes it; for a URL its host */
	bool ip_host;                 /* host is an address (IPv4/IPv6, or a URL's host) */
	bool ip_public;               /* an address that is globally routable unicast (not private,
	                                 loopback, link-local, multicast, reserved, documentation) */
} ps_netind;

typedef void (*ps_netind_fn)(void *ctx, const ps_netind *ni);

/* Finds the indicators in s[0, n) from left to right (non-overlapping) and calls fn (may be
 * NULL) for each; returns how many were found. Linear, no allocation; a string without '.'
 * or ':' costs two memchr calls. A domain or address is never glued to letters, digits, '_'
 * or '-' ("abc1.2.3.4", "x_evil.com" are nothing). Guards against the usual false positives
 * of binaries (netind.c lists each with its source): version numbers ("1.0.0.0",
 * "6.1.7600.16385", "Version=2.0.5.0"), OIDs ("2.5.4.3"), .NET namespaces and type names
 * ("System.Net", "System.IO": a bare domain must be lowercase), file names whose extension
 * is also a TLD ("main.rs", "setup.py", "libc.so", "readme.md", "foo.sh", "nt5.cat"),
 * member expressions ("event.target", "this.name"), C++ scopes ("std::vector"), times
 * ("12:34:56"). In a URL or after "www." a host may have any case and any real TLD. XML
 * namespaces are kept as URLs (the caller decides what is benign). */
size_t ps_netind_find(const char *s, size_t n, ps_netind_fn fn, void *ctx);

/* Parses s[0, n) as exactly one indicator (for IOC feeds: an IPv4 with an optional ":port",
 * an IPv6, "[IPv6]" with an optional ":port", a domain, a URL); false when it is not one.
 * The same validators as ps_netind_find without the guards for free text: the user said it
 * is an indicator, so "1.0.0.0" is an address and "Evil.RS" a domain. */
bool ps_netind_parse(const char *s, size_t n, ps_netind *out);

/* True when the label (no dot, any case) is a top-level domain in IANA's root zone. */
bool ps_tld_known(const char *label, size_t n);

#endif
