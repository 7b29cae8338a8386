/* Shared between the crypto module's own files (crypto*.c) only: these declarations use
 * OpenSSL types, which must not leak past crypto.h. */
#ifndef PS_CRYPTO_INTERNAL_H
#define PS_CRYPTO_INTERNAL_H

#include <openssl/x509.h>

#include "crypto.h"

/* Facts of one certificate, allocated in the arena. */
void ps_x509_facts(ps_arena *a, X509 *x, ps_cert *c);

/* An X509_NAME as one RFC 2253 line, UTF-8 kept, or NULL. */
const char *ps_x509_name_text(ps_arena *a, const X509_NAME *nm);

#endif
