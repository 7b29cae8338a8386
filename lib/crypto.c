#include "crypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "pesleuth/error.h"

struct ps_md {
	EVP_MD_CTX *ctx;
	ps_md_alg alg;
};

static const EVP_MD *md_of(ps_md_alg alg)
{
	switch (alg) {
	case PS_MD_MD5: return EVP_md5();
	case PS_MD_SHA1: return EVP_sha1();
	case PS_MD_SHA256: return EVP_sha256();
	case PS_MD_SHA384: return EVP_sha384();
	case PS_MD_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

size_t ps_md_size(ps_md_alg alg)
{
	static const size_t sizes[PS_MD_COUNT] = {16, 20, 32, 48, 64};
	return (unsigned)alg < PS_MD_COUNT ? sizes[alg] : 0;
}

const char *ps_md_name(ps_md_alg alg)
{
	static const char *names[PS_MD_COUNT] = {"md5", "sha1", "sha256", "sha384", "sha512"};
	return (unsigned)alg < PS_MD_COUNT ? names[alg] : "unknown";
}

int ps_md_new(ps_md **out, ps_md_alg alg)
{
	*out = NULL;
	const EVP_MD *md = md_of(alg);
	if (!md)
		return PS_EINVAL;
	ps_md *m = calloc(1, sizeof(*m));
	if (!m)
		return PS_ENOMEM;
	m->alg = alg;
	m->ctx = EVP_MD_CTX_new();
	if (!m->ctx || EVP_DigestInit_ex(m->ctx, md, NULL) != 1) {
		ERR_clear_error();
		ps_md_free(m);
		return PS_ECRYPTO;
	}
	*out = m;
	return PS_OK;
}

int ps_md_update(ps_md *m, const void *p, size_t n)
{
	if (n == 0)
		return PS_OK;
	if (EVP_DigestUpdate(m->ctx, p, n) != 1) {
		ERR_clear_error();
		return PS_ECRYPTO;
	}
	return PS_OK;
}

int ps_md_reset(ps_md *m)
{
	if (EVP_DigestInit_ex(m->ctx, md_of(m->alg), NULL) != 1) {
		ERR_clear_error();
		return PS_ECRYPTO;
	}
	return PS_OK;
}

int ps_md_final(ps_md *m, uint8_t *out)
{
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(m->ctx, out, &len) != 1 || len != ps_md_size(m->alg)) {
		ERR_clear_error();
		return PS_ECRYPTO;
	}
	return PS_OK;
}

void ps_md_free(ps_md *m)
{
	if (!m)
		return;
	EVP_MD_CTX_free(m->ctx);
	free(m);
}

ps_md_alg ps_md_from_name(const char *name)
{
	for (int a = 0; a < PS_MD_COUNT; a++)
		if (name && !strcmp(name, ps_md_name((ps_md_alg)a)))
			return (ps_md_alg)a;
	return PS_MD_COUNT;
}

int ps_md5(uint8_t out[16], const void *p, size_t n)
{
	unsigned int len = 0;
	if (EVP_Digest(p, n, out, &len, EVP_md5(), NULL) != 1 || len != 16) {
		ERR_clear_error();
		return PS_ECRYPTO;
	}
	return PS_OK;
}
