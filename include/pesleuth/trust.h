/* pesleuth — the trust context: what signatures are judged against.
 *
 * A trust context holds the anchors (root certificates) and the time "now". It is immutable
 * once analysis starts and may be shared by any number of threads. Judgement (chain trust,
 * validity at the signing time) is a function of a file's facts and this context only, so a
 * new context re-judges without reading files again.
 */
#ifndef PESLEUTH_TRUST_H
#define PESLEUTH_TRUST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ps_trust ps_trust;

/* An empty context: nothing is trusted until anchors are added; now = the current time. */
int ps_trust_new(ps_trust **out);
void ps_trust_free(ps_trust *t);

/* Adds every certificate of a PEM bundle (or one DER certificate) as a trust anchor.
 * PS_EIO when unreadable, PS_EINVAL when it holds no certificate. */
int ps_trust_add_ca_file(ps_trust *t, const char *path);

/* The system bundle (/etc/ssl/certs/ca-certificates.crt on Debian). */
int ps_trust_add_system_anchors(ps_trust *t);

/* The time "now" signatures without a trusted timestamp are judged at (seconds since 1970). */
void ps_trust_set_now(ps_trust *t, int64_t now);
int64_t ps_trust_now(const ps_trust *t);

/* Number of anchors loaded. */
unsigned ps_trust_anchor_count(const ps_trust *t);

/* Certificate revocation lists: a file holding PEM CRLs (any number) or one DER CRL, or a
 * directory whose regular files are read that way (not recursively). CRLs are matched to
 * their issuer and their signature verified when a chain is judged. Returns the number of
 * CRLs added, or PS_EIO / PS_EINVAL (nothing readable). */
int ps_trust_add_crls(ps_trust *t, const char *path);
unsigned ps_trust_crl_count(const ps_trust *t);

typedef enum ps_revocation_policy {
	PS_POLICY_STRICT = 0, /* default: keyCompromise/cACompromise void every signature */
	PS_POLICY_DATE        /* Windows: a signature timestamped before the revocation stands */
} ps_revocation_policy;
void ps_trust_set_policy(ps_trust *t, ps_revocation_policy p);
ps_revocation_policy ps_trust_policy(const ps_trust *t);

/* Blocklists of certificates known stolen or abused. A line is a SHA-1 or SHA-256 thumbprint
 * (hex, ':' or spaces allowed) with '#' comments; abuse.ch-style CSV (a thumbprint among the
 * comma-separated fields) and ClamAV .crb lines (Trusted = 0, matched on the SHA-1 of the
 * subject and of the serial) are read too. A malformed line is passed to warn (may be NULL)
 * and skipped. Returns the number of entries added, or PS_EIO. */
typedef void (*ps_line_warning)(void *ctx, const char *file, unsigned line, const char *why);
int ps_trust_add_blocklist(ps_trust *t, const char *path, ps_line_warning warn, void *ctx);
unsigned ps_trust_blocklist_count(const ps_trust *t);

/* Revocation of one certificate (DER) under the context's CRLs, as judgement sees it: a CRL
 * counts when its issuer is the certificate's issuer and it verifies with issuer_der's key
 * (NULL: no CRL can be verified, the state is unknown). "Not revoked" needs a CRL current at
 * `at`. For stored certificates (`pesleuth certs`), where no file is read. */
typedef struct ps_cert_revocation {
	int state;               /* ps_rev_state: PS_REV_UNKNOWN, PS_REV_GOOD, PS_REV_REVOKED */
	int64_t revocation_time; /* PS_TIME_NONE unless revoked */
	int reason;              /* CRLReason, or PS_REASON_NONE */
	int64_t invalidity_date; /* PS_TIME_NONE when the CRL entry has none */
	const char *why;         /* unknown: why (static text), else NULL */
} ps_cert_revocation;
/* RFC 5280 CRLReason name ("keyCompromise", ...); a missing reason (PS_REASON_NONE, < 0)
 * reads as "unspecified". */
const char *ps_crl_reason_name(int reason);
int ps_trust_cert_revocation(const ps_trust *t, const uint8_t *der, size_t der_len, const uint8_t *issuer_der,
                             size_t issuer_len, int64_t at, ps_cert_revocation *out);
#ifdef __cplusplus
}
#endif
#endif
