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

#ifdef __cplusplus
}
#endif
#endif
