/* The trust context and chain building (part of the crypto module: OpenSSL stays here).
 *
 * Chains are built by OpenSSL's X509_verify_cert from the signature's embedded certificates
 * to the context's anchors, at a given time, with a callback that records every problem and
 * keeps going, so one pass tells "untrusted root" from "issuer missing" from "expired".
 * Purpose is not given to OpenSSL (it has no code-signing purpose before 3.2): the caller
 * applies Windows' EKU rules to the chain it gets back.
 */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto_internal.h"
#include "pesleuth/error.h"
#include "text.h"

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct ps_trust {
	X509_STORE *store;
	int64_t now;
	unsigned anchors;
};

int ps_trust_new(ps_trust **out)
{
	*out = NULL;
	ps_trust *t = calloc(1, sizeof(*t));
	if (!t)
		return PS_ENOMEM;
	t->store = X509_STORE_new();
	if (!t->store) {
		free(t);
		return PS_ENOMEM;
	}
	t->now = (int64_t)time(NULL);
	*out = t;
	return PS_OK;
}

void ps_trust_free(ps_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	free(t);
}

void ps_trust_set_now(ps_trust *t, int64_t now) { t->now = now; }
int64_t ps_trust_now(const ps_trust *t) { return t ? t->now : (int64_t)time(NULL); }
unsigned ps_trust_anchor_count(const ps_trust *t) { return t ? t->anchors : 0; }

int ps_trust_add_ca_file(ps_trust *t, const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	if (!b) {
		ERR_clear_error();
		return PS_EIO;
	}
	unsigned added = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		/* a duplicate anchor is not an error */
		if (X509_STORE_add_cert(t->store, x) == 1)
			added++;
		X509_free(x);
	}
	ERR_clear_error();
	if (!added) { /* perhaps one DER certificate */
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
		if (x && X509_STORE_add_cert(t->store, x) == 1)
			added++;
		X509_free(x);
		ERR_clear_error();
	}
	BIO_free(b);
	t->anchors += added;
	return added ? PS_OK : PS_EINVAL;
}

int ps_trust_add_system_anchors(ps_trust *t) { return ps_trust_add_ca_file(t, SYSTEM_BUNDLE); }

/* ------------------------------------------------------------ chains */

typedef struct verify_state {
	unsigned errors;
	int first_error;
	X509 *expired;
} verify_state;

static int ex_index(void)
{
	/* The application-data slot 0 of X509_STORE_CTX is reserved for the application
	 * (X509_STORE_CTX_set_app_data), no global registration needed. */
	return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return 1;
	verify_state *vs = X509_STORE_CTX_get_ex_data(ctx, ex_index());
	int err = X509_STORE_CTX_get_error(ctx);
	if (!vs)
		return 0;
	/* A trust anchor is trusted because it is in the store (Windows' root store works that
	 * way); OpenSSL also wants CA extensions on it, which 1990s roots such as "Microsoft
	 * Root Authority" (v3, no basicConstraints) lack. Only for certificates of the store. */
	if (err == X509_V_ERR_INVALID_CA &&
	    X509_STORE_CTX_get_error_depth(ctx) >= X509_STORE_CTX_get_num_untrusted(ctx))
		return 1;
	if (!vs->first_error)
		vs->first_error = err;
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		vs->errors |= PS_CHAIN_INCOMPLETE;
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		vs->errors |= PS_CHAIN_UNTRUSTED_ROOT;
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		vs->errors |= PS_CHAIN_EXPIRED;
		if (!vs->expired)
			vs->expired = X509_STORE_CTX_get_current_cert(ctx);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		vs->errors |= PS_CHAIN_NOT_YET_VALID;
		if (!vs->expired)
			vs->expired = X509_STORE_CTX_get_current_cert(ctx);
		break;
	default:
		vs->errors |= PS_CHAIN_INVALID;
		break;
	}
	return 1; /* keep going: we want every problem, not the first */
}

static X509 *x509_of(const ps_cert *c)
{
	if (!c || !c->der || c->der_len > (size_t)LONG_MAX)
		return NULL;
	const unsigned char *p = c->der;
	return d2i_X509(NULL, &p, (long)c->der_len);
}

/* The facts record for a certificate of the built chain: an embedded one when the DER
 * matches, else new facts (an anchor from the store). */
static const ps_cert *facts_for(ps_arena *a, X509 *x, const ps_cert *certs, size_t n)
{
	uint8_t h[32];
	unsigned int len = 0;
	if (X509_digest(x, EVP_sha256(), h, &len) == 1)
		for (size_t i = 0; i < n; i++)
			if (!memcmp(certs[i].sha256, h, 32))
				return &certs[i];
	ps_cert *c = ps_arena_alloc(a, sizeof(*c));
	if (c)
		ps_x509_facts(a, x, c);
	return c;
}

int ps_crypto_build_chain(ps_chain *out, ps_arena *a, const ps_trust *t, const ps_cert *leaf,
                          const ps_cert *certs, size_t n_certs, int64_t at)
{
	memset(out, 0, sizeof(*out));
	X509 *lx = x509_of(leaf);
	if (!lx) {
		out->errors = PS_CHAIN_NO_LEAF;
		out->first_error = "the signer certificate does not decode";
		ERR_clear_error();
		return PS_OK;
	}
	int rc = PS_OK;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE *empty = NULL;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!untrusted || !ctx) {
		rc = PS_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n_certs; i++) {
		X509 *x = x509_of(&certs[i]);
		if (x && !sk_X509_push(untrusted, x))
			X509_free(x);
	}
	X509_STORE *store = t ? t->store : (empty = X509_STORE_new());
	if (!store || X509_STORE_CTX_init(ctx, store, lx, untrusted) != 1) {
		rc = PS_ECRYPTO;
		goto done;
	}
	verify_state vs = {0};
	X509_STORE_CTX_set_ex_data(ctx, ex_index(), &vs);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)at);
	int ok = X509_verify_cert(ctx);
	if (ok != 1 && !vs.errors) {
		vs.errors |= PS_CHAIN_INVALID;
		vs.first_error = X509_STORE_CTX_get_error(ctx);
	}
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	int cn = chain ? sk_X509_num(chain) : 0;
	if (cn > 0) {
		const ps_cert **v = ps_arena_array(a, (size_t)cn, sizeof(*v));
		if (v) {
			for (int i = 0; i < cn; i++)
				v[i] = facts_for(a, sk_X509_value(chain, i), certs, n_certs);
			out->v = v;
			out->n = (size_t)cn;
		}
		if (vs.errors & PS_CHAIN_INCOMPLETE)
			out->missing_issuer = ps_x509_name_text(a, X509_get_issuer_name(sk_X509_value(chain, cn - 1)));
		if (vs.expired)
			out->expired = facts_for(a, vs.expired, certs, n_certs);
	}
	out->errors = vs.errors;
	if (vs.first_error)
		out->first_error = X509_verify_cert_error_string(vs.first_error);
done:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(empty);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(lx);
	ERR_clear_error();
	return rc;
}
