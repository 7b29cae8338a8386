/* Looking up IOC feeds (include/pesleuth/intel.h loads them). Each lookup returns the
 * matching feed entry (borrowed from the ps_iocs), NULL otherwise; among duplicates the
 * line loaded first. O(log n) binary searches that never write: thread-safe once loading is
 * over (ps_iocs_load sorts before it returns). */
#ifndef PS_IOC_H
#define PS_IOC_H

#include <stddef.h>
#include <stdint.h>

#include "pesleuth/intel.h"

typedef struct ps_ioc_match {
	const char *value;       /* the feed's indicator, canonical (lowercase hex, host, URL) */
	const char *description; /* "" when the line had none */
	const char *feed;        /* the feed's path */
	unsigned line;
} ps_ioc_match;

/* A digest of n bytes (16 MD5, 20 SHA-1, 32 SHA-256). */
const ps_ioc_match *ps_iocs_find_hash(const ps_iocs *iocs, const uint8_t *digest, size_t n);
/* A host: an address in inet_ntop form, or a lowercase domain, which also matches a feed
 * domain it is a subdomain of ("a.evil.com" matches "evil.com"). */
const ps_ioc_match *ps_iocs_find_host(const ps_iocs *iocs, const char *host);
/* A URL: matches the longest feed URL that is a prefix of it. Both are compared in a
 * canonical form: scheme and host in lowercase, an IPv6 host as inet_ntop writes it, "/" for
 * an empty path (so feed "http://evil.com" matches "http://evil.com/x" but not
 * "http://evil.com.example.net/"). */
const ps_ioc_match *ps_iocs_find_url(const ps_iocs *iocs, const char *url);

#endif
