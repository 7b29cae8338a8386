/* The trust context's inputs: CRLs (matching, signature check, coverage, reasons, dates;
 * PEM bundles, DER, directories) and blocklists (thumbprints, abuse.ch CSV, ClamAV .crb,
 * malformed lines). A small PKI is made in-process with OpenSSL (EC keys: fast). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto_internal.h"
#include "pesleuth.h"

#define T2011 1300000000 /* 2011-03-13 */
#define T2014 1400000000 /* 2014-05-13 */
#define T2020 1600000000 /* 2020-09-13 */
#define T2030 1900000000 /* 2030-03-17 */

typedef struct pki {
	EVP_PKEY *ca_key, *other_key, *leaf_key;
	X509 *ca, *leaf, *leaf2;
	ps_arena arena;
	ps_cert ca_f, leaf_f, leaf2_f;
	char dir[64];
} pki;

static X509 *make_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){T2011 - 86400 * 365});
	X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &(time_t){T2030});
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"pesleuth unit", -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	X509_sign(x, ikey ? ikey : key, EVP_sha256());
	return x;
}

/* A CRL of the CA, signed by `key`, thisUpdate/nextUpdate given, revoking `revoked` (may be
 * NULL) at rev_time with a reason (-1: no reason extension) and an optional invalidityDate. */
static X509_CRL *make_crl(pki *p, EVP_PKEY *key, time_t this_u, time_t next_u, X509 *revoked, time_t rev_time,
                          int reason, time_t invalidity)
{
	X509_CRL *crl = X509_CRL_new();
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->ca));
	ASN1_TIME *t = ASN1_TIME_set(NULL, this_u);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, next_u);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	if (revoked) {
		X509_REVOKED *r = X509_REVOKED_new();
		X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked));
		ASN1_TIME *rt = ASN1_TIME_set(NULL, rev_time);
		X509_REVOKED_set_revocationDate(r, rt);
		ASN1_TIME_free(rt);
		if (reason >= 0) {
			ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
			ASN1_ENUMERATED_set(e, reason);
			X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
			ASN1_ENUMERATED_free(e);
		}
		if (invalidity) {
			ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, invalidity);
			X509_REVOKED_add1_ext_i2d(r, NID_invalidity_date, g, 0, 0);
			ASN1_GENERALIZEDTIME_free(g);
		}
		X509_CRL_add0_revoked(crl, r);
	}
	X509_CRL_sort(crl);
	X509_CRL_sign(crl, key, EVP_sha256());
	return crl;
}

static void write_crl(const char *path, X509_CRL *crl, int pem)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (pem)
		PEM_write_X509_CRL(f, crl);
	else
		i2d_X509_CRL_fp(f, crl);
	fclose(f);
}

static int setup(void **state)
{
	pki *p = calloc(1, sizeof(*p));
	p->ca_key = EVP_EC_gen("P-256");
	p->other_key = EVP_EC_gen("P-256");
	p->leaf_key = EVP_EC_gen("P-256");
	p->ca = make_cert("unit CA", 1, p->ca_key, NULL, NULL);
	p->leaf = make_cert("unit signer", 0x30A1, p->leaf_key, p->ca, p->ca_key);
	p->leaf2 = make_cert("unit other signer", 0x30A2, p->leaf_key, p->ca, p->ca_key);
	ps_arena_init(&p->arena, 1 << 20);
	ps_x509_facts(&p->arena, p->ca, &p->ca_f);
	ps_x509_facts(&p->arena, p->leaf, &p->leaf_f);
	ps_x509_facts(&p->arena, p->leaf2, &p->leaf2_f);
	snprintf(p->dir, sizeof(p->dir), "/tmp/pesleuth-trust-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	pki *p = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		return -1;
	X509_free(p->ca);
	X509_free(p->leaf);
	X509_free(p->leaf2);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->other_key);
	EVP_PKEY_free(p->leaf_key);
	ps_arena_release(&p->arena);
	free(p);
	return 0;
}

static ps_trust *trust_with(const char *crl_path)
{
	ps_trust *t = NULL;
	assert_int_equal(ps_trust_new(&t), PS_OK);
	if (crl_path)
		assert_true(ps_trust_add_crls(t, crl_path) > 0);
	return t;
}

static void crl_listed_and_not(void **state)
{
	pki *p = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/one.crl", p->dir);
	X509_CRL *crl = make_crl(p, p->ca_key, T2014, T2030, p->leaf, T2011 + 86400, 1 /* keyCompromise */, T2011);
	write_crl(path, crl, 0); /* DER */
	X509_CRL_free(crl);
	ps_trust *t = trust_with(path);
	assert_int_equal(ps_trust_crl_count(t), 1);
	ps_crl_status st;
	/* listed: revoked with its date, reason and invalidityDate, whatever the time asked */
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf_f, &p->ca_f, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_REVOKED);
	assert_int_equal(st.revocation_time, T2011 + 86400);
	assert_int_equal(st.reason, 1);
	assert_int_equal(st.invalidity_date, T2011);
	assert_int_equal(st.this_update, T2014);
	assert_non_null(strstr(st.crl_issuer, "CN=unit CA"));
	/* not listed, CRL current at the time (nextUpdate after it): good */
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf2_f, &p->ca_f, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_GOOD);
	/* not listed, asked after nextUpdate: unknown (stale) */
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf2_f, &p->ca_f, T2030 + 1), PS_OK);
	assert_int_equal(st.state, PS_REV_UNKNOWN);
	assert_non_null(strstr(st.why, "older"));
	/* without the issuer's certificate the CRL cannot be verified: unknown */
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf_f, NULL, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_UNKNOWN);
	ps_trust_free(t);
	/* no CRL at all */
	t = trust_with(NULL);
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf_f, &p->ca_f, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_UNKNOWN);
	assert_string_equal(st.why, "no CRL was given");
	ps_trust_free(t);
}

static void crl_forged_and_bundles(void **state)
{
	pki *p = *state;
	char path[256], dir[128];
	/* a CRL in the CA's name signed by another key lists the leaf: ignored */
	snprintf(path, sizeof(path), "%s/forged.crl", p->dir);
	X509_CRL *crl = make_crl(p, p->other_key, T2014, T2030, p->leaf, T2011, -1, 0);
	write_crl(path, crl, 1);
	X509_CRL_free(crl);
	ps_trust *t = trust_with(path);
	ps_crl_status st;
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf_f, &p->ca_f, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_UNKNOWN);
	assert_non_null(strstr(st.why, "does not verify"));
	ps_trust_free(t);

	/* a PEM bundle of two CRLs, in a directory with a non-CRL file: both read, reason absent */
	snprintf(dir, sizeof(dir), "%s/crls", p->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/bundle.pem", dir);
	FILE *f = fopen(path, "w");
	X509_CRL *a = make_crl(p, p->ca_key, T2011, T2014, NULL, 0, -1, 0);
	X509_CRL *b = make_crl(p, p->ca_key, T2014, T2030, p->leaf2, T2014 - 100, -1, 0);
	PEM_write_X509_CRL(f, a);
	PEM_write_X509_CRL(f, b);
	fclose(f);
	X509_CRL_free(a);
	X509_CRL_free(b);
	snprintf(path, sizeof(path), "%s/README", dir);
	f = fopen(path, "w");
	fputs("not a CRL\n", f);
	fclose(f);
	t = NULL;
	assert_int_equal(ps_trust_new(&t), PS_OK);
	assert_int_equal(ps_trust_add_crls(t, dir), 2);
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf2_f, &p->ca_f, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_REVOKED);
	assert_int_equal(st.reason, PS_REASON_NONE);
	assert_int_equal(st.revocation_time, T2014 - 100);
	/* the older CRL (2011-2014) does not cover 2020, the newer does: good */
	assert_int_equal(ps_crypto_crl_status(&st, &p->arena, t, &p->leaf_f, &p->ca_f, T2020), PS_OK);
	assert_int_equal(st.state, PS_REV_GOOD);
	assert_int_equal(st.this_update, T2014);
	assert_int_equal(ps_trust_add_crls(t, path), PS_EINVAL); /* the README alone */
	assert_int_equal(ps_trust_add_crls(t, "/nonexistent/x.crl"), PS_EIO);
	ps_trust_free(t);
}

typedef struct warnings {
	unsigned n, lines[8];
} warnings;

static void on_warn(void *ctx, const char *file, unsigned line, const char *why)
{
	warnings *w = ctx;
	(void)file;
	assert_non_null(why);
	if (w->n < 8)
		w->lines[w->n] = line;
	w->n++;
}

static void hex_colon(char *out, const uint8_t *p, size_t n, int upper)
{
	for (size_t i = 0; i < n; i++)
		out += sprintf(out, upper ? "%02X%s" : "%02x%s", p[i], i + 1 < n ? ":" : "");
}

static void blocklist_formats(void **state)
{
	pki *p = *state;
	char path[128], sha1[80], sha256[128];
	hex_colon(sha1, p->leaf_f.sha1, 20, 1);
	hex_colon(sha256, p->ca_f.sha256, 32, 0);
	/* .crb: SHA-1 of the DER subject of leaf2, its serial */
	unsigned char *der = NULL;
	int dl = i2d_X509_NAME(X509_get_subject_name(p->leaf2), &der);
	uint8_t sh[20];
	unsigned hl;
	EVP_Digest(der, (size_t)dl, sh, &hl, EVP_sha1(), NULL);
	OPENSSL_free(der);
	char subj[41];
	for (int i = 0; i < 20; i++)
		sprintf(subj + 2 * i, "%02x", sh[i]);
	snprintf(path, sizeof(path), "%s/block.txt", p->dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "# stolen certificates\n"
	           "%s   # the unit signer, upper case with colons\n"
	           "\n"
	           "not-a-thumbprint\n"
	           "0123456789012345678901234567890123456789a\n" /* 41 digits */
	           "2011-10-14 00:00:00,%s,Duqu\n"
	           "unit;0;%s;30A2;;010001;1;0;0;;stolen\n"
	           "trusted;1;%s;30A2;;010001;1;0;0;;ignored, Trusted=1\n"
	           "badcrb;0;xyz;;\n",
	        sha1, sha256, subj, subj);
	fclose(f);
	ps_trust *t = NULL;
	assert_int_equal(ps_trust_new(&t), PS_OK);
	warnings w = {0};
	assert_int_equal(ps_trust_add_blocklist(t, path, on_warn, &w), 3);
	assert_int_equal(ps_trust_blocklist_count(t), 3);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.lines[0], 4);
	assert_int_equal(w.lines[1], 5);
	assert_int_equal(w.lines[2], 9);
	const char *why;
	assert_true(ps_crypto_blocklisted(t, &p->leaf_f, &why));
	assert_string_equal(why, "SHA-1 thumbprint");
	assert_true(ps_crypto_blocklisted(t, &p->ca_f, &why));
	assert_string_equal(why, "SHA-256 thumbprint");
	assert_true(ps_crypto_blocklisted(t, &p->leaf2_f, &why));
	assert_string_equal(why, "ClamAV .crb subject and serial");
	ps_trust_free(t);
	/* nothing blocklisted without a list */
	assert_int_equal(ps_trust_new(&t), PS_OK);
	assert_false(ps_crypto_blocklisted(t, &p->leaf_f, &why));
	assert_int_equal(ps_trust_add_blocklist(t, "/nonexistent", NULL, NULL), PS_EIO);
	ps_trust_free(t);
}

static void policy_and_now(void **state)
{
	(void)state;
	ps_trust *t = NULL;
	assert_int_equal(ps_trust_new(&t), PS_OK);
	assert_int_equal(ps_trust_policy(t), PS_POLICY_STRICT);
	ps_trust_set_policy(t, PS_POLICY_DATE);
	assert_int_equal(ps_trust_policy(t), PS_POLICY_DATE);
	ps_trust_set_now(t, 12345);
	assert_int_equal(ps_trust_now(t), 12345);
	assert_int_equal(ps_trust_anchor_count(t), 0);
	ps_trust_free(t);
	assert_int_equal(ps_trust_policy(NULL), PS_POLICY_STRICT);
}

/* The system bundle is parsed on first use, once, whichever thread asks first; the result is
 * what an eager load of the same file gives. */
static void *count_anchors(void *arg) { return (void *)(uintptr_t)ps_trust_anchor_count(arg); }

static void system_bundle_on_first_use(void **state)
{
	(void)state;
	FILE *f = fopen("/etc/ssl/certs/ca-certificates.crt", "rb");
	if (!f) {
		skip(); /* no system bundle on this machine */
		return;
	}
	fclose(f);
	ps_trust *eager = NULL, *lazy = NULL;
	assert_int_equal(ps_trust_new(&eager), PS_OK);
	assert_int_equal(ps_trust_add_ca_file(eager, "/etc/ssl/certs/ca-certificates.crt"), PS_OK);
	unsigned want = ps_trust_anchor_count(eager);
	assert_true(want > 10);
	assert_int_equal(ps_trust_new(&lazy), PS_OK);
	assert_int_equal(ps_trust_add_system_anchors(lazy), PS_OK);
	assert_int_equal(ps_trust_add_system_anchors(lazy), PS_OK); /* asking twice loads once */
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, count_anchors, lazy), 0);
	for (int i = 0; i < 4; i++) {
		void *got = NULL;
		assert_int_equal(pthread_join(th[i], &got), 0);
		assert_int_equal((unsigned)(uintptr_t)got, want);
	}
	assert_int_equal(ps_trust_anchor_count(lazy), want);
	ps_trust_free(eager);
	ps_trust_free(lazy);
	/* never used: freed without being parsed */
	assert_int_equal(ps_trust_new(&lazy), PS_OK);
	assert_int_equal(ps_trust_add_system_anchors(lazy), PS_OK);
	ps_trust_free(lazy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_bundle_on_first_use),
		cmocka_unit_test(crl_listed_and_not),
		cmocka_unit_test(crl_forged_and_bundles),
		cmocka_unit_test(blocklist_formats),
		cmocka_unit_test(policy_and_now),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
