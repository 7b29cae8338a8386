/* The OpenSSL boundary. No OpenSSL type leaves this module; every OpenSSL return is
 * checked here and its error queue cleared (issue 3 adds PKCS#7/X.509 behind the same
 * wall). */
#ifndef PS_CRYPTO_H
#define PS_CRYPTO_H

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
/* Writes ps_md_size(alg) bytes. */
int ps_md_final(ps_md *m, uint8_t *out);
void ps_md_free(ps_md *m);
size_t ps_md_size(ps_md_alg alg);
const char *ps_md_name(ps_md_alg alg);

/* One-shot MD5 (imphash, Rich hash). */
int ps_md5(uint8_t out[16], const void *p, size_t n);

#endif
