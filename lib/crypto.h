/* The OpenSSL boundary. No OpenSSL type leaves this module; every OpenSSL return is
 * checked here and its error queue cleared (issue 3 adds PKCS#7/X.509 behind the same
 * wall). */
#ifndef PS_CRYPTO_H
#define PS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ps_md_alg {
	PS_MD_MD5 = 0,
	PS_MD_SHA1,
	PS_MD_SHA256,
	PS_MD_SHA384,
	PS_MD_SHA512,
	PS_MD_COUNT
} ps_md_alg;

#define PS_MD_MAX_SIZE 64

typedef struct ps_md ps_md;

int ps_md_new(ps_md **out, ps_md_alg alg);
int ps_md_update(ps_md *m, const void *p, size_t n);
/* Starts a new digest with the same algorithm. */
int ps_md_reset(ps_md *m);
/* Writes ps_md_size(alg) bytes. */
int ps_md_final(ps_md *m, uint8_t *out);
void ps_md_free(ps_md *m);
size_t ps_md_size(ps_md_alg alg);
const char *ps_md_name(ps_md_alg alg);

/* One-shot MD5 (imphash, Rich hash). */
int ps_md5(uint8_t out[16], const void *p, size_t n);

/* "md5", "sha1", ... -> algorithm; PS_MD_COUNT when unknown. */
ps_md_alg ps_md_from_name(const char *name);

/* ------------------------------------------------------------------ Authenticode
 * (crypto_pkcs7.c: facts from the bytes; crypto_trust.c: chains against a trust context)
 */
#include "arena.h"
#include "pesleuth/model.h"
#include "pesleuth/trust.h"

/* Nested signatures are followed to this depth; signatures per file are capped too. */
#define PS_MAX_SIG_DEPTH 4u
#define PS_MAX_SIGNATURES 32u
#define PS_MAX_SIG_CERTS 64u
#define PS_MAX_TIMESTAMPS 4u

/* Total length (header + content) of the DER TLV at p, or 0 when p does not start with a
 * well-formed definite-length DER TLV that fits in n bytes. */
size_t ps_crypto_der_length(const uint8_t *p, size_t n);

/* Decodes one signature (a PKCS#7 ContentInfo holding Authenticode SignedData) and the
 * signatures nested in it, appending ps_signature records (facts only: parsed content,
 * certificates, signer signature check, messageDigest binding, timestamps as found) to
 * `out` (a ps_vec of ps_signature). *budget counts down PS_MAX_SIGNATURES. */
void ps_crypto_parse_signature(ps_arena *a, ps_vec *out, const uint8_t *der, size_t n, uint64_t offset,
                               unsigned entry, unsigned depth, int parent, unsigned *budget);

enum {
	PS_CHAIN_INCOMPLETE = 1u << 0,   /* an issuer is neither embedded nor an anchor */
	PS_CHAIN_UNTRUSTED_ROOT = 1u << 1, /* ends at a self-signed certificate that is not an anchor */
	PS_CHAIN_EXPIRED = 1u << 2,      /* a certificate is past notAfter at the time */
	PS_CHAIN_NOT_YET_VALID = 1u << 3,/* a certificate is before notBefore at the time */
	PS_CHAIN_INVALID = 1u << 4,      /* bad signature, not a CA, path length, undecodable, ... */
	PS_CHAIN_NO_LEAF = 1u << 5       /* the leaf certificate could not be decoded */
};

typedef struct ps_chain {
	const ps_cert **v; /* leaf first */
	size_t n;
	unsigned errors;   /* PS_CHAIN_* */
	const char *first_error;     /* OpenSSL's text for the first problem, static */
	const char *missing_issuer;  /* utf8 issuer name the chain could not find, or NULL */
	const ps_cert *expired;      /* first certificate outside its validity, or NULL */
} ps_chain;

typedef struct ps_crl_status {
	ps_rev_state state;
	int64_t revocation_time, invalidity_date;
	int reason;
	int64_t this_update, next_update; /* of the CRL that decided */
	const char *crl_issuer;
	const char *why; /* for UNKNOWN: static text */
} ps_crl_status;

/* Revocation of `cert` from the context's CRLs: those whose issuer is cert's issuer and whose
 * signature verifies with `issuer`'s key (NULL: none can be verified). A listing is a fact
 * whatever the CRL's age; "not revoked" needs a CRL whose nextUpdate is at or after `at`. */
int ps_crypto_crl_status(ps_crl_status *out, ps_arena *a, const ps_trust *t, const ps_cert *cert,
                         const ps_cert *issuer, int64_t at);

/* Whether a certificate is on one of the context's blocklists; *why names the match. */
bool ps_crypto_blocklisted(const ps_trust *t, const ps_cert *c, const char **why);

/* Builds the chain of `leaf` from the embedded `certs` to the anchors of `t`, judged at time
 * `at`. Certificates of the chain that are not among `certs` (anchors) get facts allocated in
 * the arena. Purpose and EKU are not checked here (the caller does, per Windows' rules). */
int ps_crypto_build_chain(ps_chain *out, ps_arena *a, const ps_trust *t, const ps_cert *leaf,
                          const ps_cert *certs, size_t n_certs, int64_t at);

#endif
