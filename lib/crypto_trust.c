/* The trust context and chain building (part of the crypto module: OpenSSL stays here).
 *
 * Chains are built by OpenSSL's X509_verify_cert from the signature's embedded certificates
 * to the context's anchors, at a given time, with a callback that records every problem and
 * keeps going, so one pass tells "untrusted root" from "issuer missing" from "expired".
 * Purpose is not given to OpenSSL (it has no code-signing purpose before 3.2): the caller
 * applies Windows' EKU rules to the chain it gets back.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
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

typedef struct crb_entry {
	uint8_t subject_sha1[20];
	char serial[80]; /* hex, as the line gave it (lowercase); "" matches any serial */
} crb_entry;

struct ps_trust {
	X509_STORE *store;
	int64_t now;
	unsigned anchors;
	/* The system bundle is parsed on first use (about 140 certificates, 20 ms of every
	 * process's start, for scans that may meet no signature at all): lazy_bundle is the file,
	 * lazy_done turns 1 once it is in the store (or nothing is pending). */
	const char *lazy_bundle;
	int lazy_done;
	pthread_mutex_t lazy_lock;
	STACK_OF(X509_CRL) *crls;
	ps_revocation_policy policy;
	uint8_t (*bl_sha1)[20];
	uint8_t (*bl_sha256)[32];
	size_t n_sha1, n_sha256, cap_sha1, cap_sha256;
	crb_entry *crb;
	size_t n_crb, cap_crb;
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
	t->lazy_done = 1;
	if (pthread_mutex_init(&t->lazy_lock, NULL) != 0) {
		X509_STORE_free(t->store);
		free(t);
		return PS_ENOMEM;
	}
	*out = t;
	return PS_OK;
}

/* The pending system bundle into the store, once, whichever thread gets here first. The
 * trust context stays logically immutable: this only completes what ps_trust_add_system_anchors
 * asked for. */
static void anchors_ready(const ps_trust *tc)
{
	ps_trust *t = (ps_trust *)tc;
	if (!t || __atomic_load_n(&t->lazy_done, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&t->lazy_lock);
	if (!t->lazy_done) {
		(void)ps_trust_add_ca_file(t, t->lazy_bundle);
		__atomic_store_n(&t->lazy_done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&t->lazy_lock);
}

static X509 *x509_of(const ps_cert *c)
{
	if (!c || !c->der || c->der_len > (size_t)LONG_MAX)
		return NULL;
	const unsigned char *p = c->der;
	return d2i_X509(NULL, &p, (long)c->der_len);
}

void ps_trust_free(ps_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	pthread_mutex_destroy(&t->lazy_lock);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t->bl_sha1);
	free(t->bl_sha256);
	free(t->crb);
	free(t);
}

void ps_trust_set_policy(ps_trust *t, ps_revocation_policy p) { t->policy = p; }
ps_revocation_policy ps_trust_policy(const ps_trust *t) { return t ? t->policy : PS_POLICY_STRICT; }
unsigned ps_trust_crl_count(const ps_trust *t) { return t && t->crls ? (unsigned)sk_X509_CRL_num(t->crls) : 0; }
unsigned ps_trust_blocklist_count(const ps_trust *t)
{
	return t ? (unsigned)(t->n_sha1 + t->n_sha256 + t->n_crb) : 0;
}

/* ------------------------------------------------------------ CRLs */

static int add_crl_file(ps_trust *t, const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	if (!b) {
		ERR_clear_error();
		return PS_EIO;
	}
	int added = 0;
	X509_CRL *crl;
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_CRL_push(t->crls, crl))
			added++;
		else
			X509_CRL_free(crl);
	}
	ERR_clear_error();
	if (!added) { /* one DER CRL */
		(void)BIO_reset(b);
		crl = d2i_X509_CRL_bio(b, NULL);
		if (crl && sk_X509_CRL_push(t->crls, crl))
			added++;
		else
			X509_CRL_free(crl);
		ERR_clear_error();
	}
	BIO_free(b);
	return added ? added : PS_EINVAL;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int ps_trust_add_crls(ps_trust *t, const char *path)
{
	if (!t->crls && !(t->crls = sk_X509_CRL_new_null()))
		return PS_ENOMEM;
	struct stat st;
	if (stat(path, &st) != 0)
		return PS_EIO;
	if (!S_ISDIR(st.st_mode))
		return add_crl_file(t, path);
	DIR *d = opendir(path);
	if (!d)
		return PS_EIO;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name); /* deterministic order */
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *full = malloc(len);
		if (full) {
			snprintf(full, len, "%s/%s", path, names[i]);
			if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
				int r = add_crl_file(t, full);
				if (r > 0)
					total += r;
			}
			free(full);
		}
		free(names[i]);
	}
	free(names);
	return total ? total : PS_EINVAL;
}

static int64_t asn1_time_of(const ASN1_TIME *a)
{
	struct tm tm;
	if (!a || ASN1_TIME_to_tm(a, &tm) != 1)
		return PS_TIME_NONE;
	return (int64_t)timegm(&tm);
}

int ps_crypto_crl_status(ps_crl_status *out, ps_arena *a, const ps_trust *t, const ps_cert *cert,
                         const ps_cert *issuer, int64_t at)
{
	memset(out, 0, sizeof(*out));
	out->state = PS_REV_UNKNOWN;
	out->revocation_time = out->invalidity_date = PS_TIME_NONE;
	out->this_update = out->next_update = PS_TIME_NONE;
	out->reason = PS_REASON_NONE;
	if (!t || !t->crls || !sk_X509_CRL_num(t->crls)) {
		out->why = "no CRL was given";
		return PS_OK;
	}
	X509 *x = x509_of(cert), *ix = x509_of(issuer);
	if (!x) {
		out->why = "the certificate does not decode";
		goto done;
	}
	out->why = ix ? "no CRL of its issuer" : "its issuer's certificate is not available to verify a CRL";
	EVP_PKEY *ik = ix ? X509_get0_pubkey(ix) : NULL;
	const X509_NAME *iname = X509_get_issuer_name(x);
	bool covered = false;
	for (int i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(t->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), iname) != 0)
			continue;
		if (!ik || X509_CRL_verify(crl, ik) != 1) {
			ERR_clear_error();
			out->why = "a CRL of its issuer does not verify with the issuer's key";
			continue;
		}
		int64_t tu = asn1_time_of(X509_CRL_get0_lastUpdate(crl));
		int64_t nu = asn1_time_of(X509_CRL_get0_nextUpdate(crl));
		X509_REVOKED *rev = NULL;
		if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)) == 1 && rev) {
			/* listed: a fact whatever the CRL's age; the earliest date wins */
			int64_t rt = asn1_time_of(X509_REVOKED_get0_revocationDate(rev));
			if (out->state != PS_REV_REVOKED || (rt != PS_TIME_NONE && rt < out->revocation_time)) {
				out->state = PS_REV_REVOKED;
				out->revocation_time = rt;
				out->this_update = tu;
				out->next_update = nu;
				out->crl_issuer = ps_x509_name_text(a, X509_CRL_get_issuer(crl));
				ASN1_ENUMERATED *re = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
				out->reason = re ? (int)ASN1_ENUMERATED_get(re) : PS_REASON_NONE;
				ASN1_ENUMERATED_free(re);
				ASN1_GENERALIZEDTIME *inv = X509_REVOKED_get_ext_d2i(rev, NID_invalidity_date, NULL, NULL);
				out->invalidity_date = inv ? asn1_time_of(inv) : PS_TIME_NONE;
				ASN1_GENERALIZEDTIME_free(inv);
				ERR_clear_error();
			}
			continue;
		}
		/* not listed: it says "not revoked" for `at` when it was current then or issued
		 * later (nextUpdate at or after `at`) */
		if (out->state != PS_REV_REVOKED && (nu == PS_TIME_NONE || nu >= at)) {
			if (!covered || tu > out->this_update) {
				out->this_update = tu;
				out->next_update = nu;
				out->crl_issuer = ps_x509_name_text(a, X509_CRL_get_issuer(crl));
			}
			covered = true;
		} else if (out->state != PS_REV_REVOKED && !covered) {
			out->why = "the CRL of its issuer is older than the time judged at";
			out->this_update = tu;
			out->next_update = nu;
		}
	}
	if (out->state != PS_REV_REVOKED && covered) {
		out->state = PS_REV_GOOD;
		out->why = NULL;
	}
	if (out->state == PS_REV_REVOKED)
		out->why = NULL;
done:
	X509_free(x);
	X509_free(ix);
	ERR_clear_error();
	return PS_OK;
}

/* ------------------------------------------------------------ blocklists */

/* Hex digits of s (':' and blanks ignored) into out; returns the byte count or -1. */
static int parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ':' || *s == ' ' || *s == '\t' || *s == '"')
			continue;
		int v = ps_hex_digit((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0)
			hi = v;
		else {
			if (n == max)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (int)n : -1;
}

static int cmp20(const void *a, const void *b) { return memcmp(a, b, 20); }
static int cmp32(const void *a, const void *b) { return memcmp(a, b, 32); }

static bool push_thumb(ps_trust *t, const uint8_t *h, int n)
{
	if (n == 20) {
		if (t->n_sha1 == t->cap_sha1) {
			size_t nc = t->cap_sha1 ? 2 * t->cap_sha1 : 64;
			void *nv = realloc(t->bl_sha1, nc * 20);
			if (!nv)
				return false;
			t->bl_sha1 = nv;
			t->cap_sha1 = nc;
		}
		memcpy(t->bl_sha1[t->n_sha1++], h, 20);
	} else {
		if (t->n_sha256 == t->cap_sha256) {
			size_t nc = t->cap_sha256 ? 2 * t->cap_sha256 : 64;
			void *nv = realloc(t->bl_sha256, nc * 32);
			if (!nv)
				return false;
			t->bl_sha256 = nv;
			t->cap_sha256 = nc;
		}
		memcpy(t->bl_sha256[t->n_sha256++], h, 32);
	}
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

/* ClamAV .crb: Name;Trusted;Subject;Serial;Pubkey;Exponent;CodeSign;TimeSign;CertSign;
 * NotBefore;Comment[;minFL[;maxFL]] — Trusted 0 is a revoked (blocklisted) certificate,
 * Subject the SHA-1 of the subject name, Serial the serial number in hex. */
static const char *crb_line(ps_trust *t, char *line)
{
	/* fields may be empty (";;"): split by hand, strtok would merge them */
	char *f[13] = {0};
	int nf = 0;
	for (char *p = line; p && nf < 13;) {
		char *semi = strchr(p, ';');
		if (semi)
			*semi = 0;
		f[nf++] = trim(p);
		p = semi ? semi + 1 : NULL;
	}
	if (nf < 4)
		return "a .crb line needs at least Name;Trusted;Subject;Serial";
	if (strcmp(f[1], "0") != 0)
		return NULL; /* a trusted entry: not ours to use */
	crb_entry e;
	memset(&e, 0, sizeof(e));
	if (parse_hex(f[2], e.subject_sha1, 20) != 20)
		return ".crb Subject is not a SHA-1 in hex";
	uint8_t tmp[40];
	if (*f[3] && parse_hex(f[3], tmp, sizeof(tmp)) < 0)
		return ".crb Serial is not hex";
	size_t k = 0;
	for (const char *p = f[3]; *p && k + 1 < sizeof(e.serial); p++)
		if (ps_hex_digit((unsigned char)*p) >= 0)
			e.serial[k++] = (char)((*p >= 'A' && *p <= 'F') ? *p + 32 : *p);
	if (t->n_crb == t->cap_crb) {
		size_t nc = t->cap_crb ? 2 * t->cap_crb : 16;
		crb_entry *nv = realloc(t->crb, nc * sizeof(*nv));
		if (!nv)
			return "out of memory";
		t->crb = nv;
		t->cap_crb = nc;
	}
	t->crb[t->n_crb++] = e;
	return NULL;
}

int ps_trust_add_blocklist(ps_trust *t, const char *path, ps_line_warning warn, void *ctx)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return PS_EIO;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int added = 0;
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		const char *why = NULL;
		size_t before = t->n_sha1 + t->n_sha256 + t->n_crb;
		if (strchr(s, ';')) {
			why = crb_line(t, s);
		} else if (strchr(s, ',')) { /* CSV (abuse.ch): the field that is a thumbprint */
			bool found = false;
			for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok && !found; tok = strtok_r(NULL, ",", &save)) {
				uint8_t h[32];
				int n = parse_hex(trim(tok), h, sizeof(h));
				if (n == 20 || n == 32)
					found = push_thumb(t, h, n);
			}
			if (!found)
				why = "no SHA-1 or SHA-256 thumbprint among the CSV fields";
		} else {
			uint8_t h[32];
			int n = parse_hex(s, h, sizeof(h));
			if (n == 20 || n == 32) {
				if (!push_thumb(t, h, n))
					why = "out of memory";
			} else {
				why = "not a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint";
			}
		}
		if (why && warn)
			warn(ctx, path, lineno, why);
		added += (int)(t->n_sha1 + t->n_sha256 + t->n_crb - before);
	}
	free(line);
	fclose(fp);
	/* sorted here, so lookups never write: a context is shared by threads once built */
	if (t->n_sha1)
		qsort(t->bl_sha1, t->n_sha1, 20, cmp20);
	if (t->n_sha256)
		qsort(t->bl_sha256, t->n_sha256, 32, cmp32);
	return added;
}

bool ps_crypto_blocklisted(const ps_trust *t, const ps_cert *c, const char **why)
{
	*why = NULL;
	if (!t || !c)
		return false;
	if (t->n_sha1 && bsearch(c->sha1, t->bl_sha1, t->n_sha1, 20, cmp20)) {
		*why = "SHA-1 thumbprint";
		return true;
	}
	if (t->n_sha256 && bsearch(c->sha256, t->bl_sha256, t->n_sha256, 32, cmp32)) {
		*why = "SHA-256 thumbprint";
		return true;
	}
	if (t->n_crb) {
		X509 *x = x509_of(c);
		if (!x)
			return false;
		unsigned char *der = NULL;
		int dl = i2d_X509_NAME(X509_get_subject_name(x), &der);
		uint8_t h[20];
		unsigned hl = 0;
		bool have = dl > 0 && EVP_Digest(der, (size_t)dl, h, &hl, EVP_sha1(), NULL) == 1;
		OPENSSL_free(der);
		bool hit = false;
		for (size_t i = 0; have && !hit && i < t->n_crb; i++)
			if (!memcmp(t->crb[i].subject_sha1, h, 20) &&
			    (!t->crb[i].serial[0] || (c->serial && !strcmp(t->crb[i].serial, c->serial))))
				hit = true;
		X509_free(x);
		ERR_clear_error();
		if (hit) {
			*why = "ClamAV .crb subject and serial";
			return true;
		}
	}
	return false;
}

void ps_trust_set_now(ps_trust *t, int64_t now) { t->now = now; }
int64_t ps_trust_now(const ps_trust *t) { return t ? t->now : (int64_t)time(NULL); }
unsigned ps_trust_anchor_count(const ps_trust *t)
{
	anchors_ready(t);
	return t ? t->anchors : 0;
}

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

/* Deferred when the bundle reads as PEM with at least one certificate (the common case);
 * anything else is loaded now, so that its errors are reported now. A PEM bundle whose
 * certificates all fail to parse then trusts nothing, as it would have eagerly, but without
 * the error. */
int ps_trust_add_system_anchors(ps_trust *t)
{
	if (!t->lazy_done)
		return PS_OK; /* already pending */
	FILE *f = fopen(SYSTEM_BUNDLE, "rb");
	if (f) {
		char buf[8192];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		if (strstr(buf, "-----BEGIN CERTIFICATE-----")) {
			t->lazy_bundle = SYSTEM_BUNDLE;
			t->lazy_done = 0;
			return PS_OK;
		}
	}
	return ps_trust_add_ca_file(t, SYSTEM_BUNDLE);
}

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
	anchors_ready(t);
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

int ps_trust_cert_revocation(const ps_trust *t, const uint8_t *der, size_t der_len, const uint8_t *issuer_der,
                             size_t issuer_len, int64_t at, ps_cert_revocation *out)
{
	memset(out, 0, sizeof(*out));
	out->state = PS_REV_UNKNOWN;
	out->revocation_time = out->invalidity_date = PS_TIME_NONE;
	out->reason = PS_REASON_NONE;
	if (!der || !der_len)
		return PS_EINVAL;
	ps_cert cert = {.der = der, .der_len = der_len}, issuer = {.der = issuer_der, .der_len = issuer_len};
	ps_arena a;
	ps_arena_init(&a, 64 * 1024);
	ps_crl_status st;
	int rc = ps_crypto_crl_status(&st, &a, t, &cert, issuer_der && issuer_len ? &issuer : NULL, at);
	if (rc == PS_OK) {
		out->state = (int)st.state;
		out->revocation_time = st.revocation_time;
		out->reason = st.reason;
		out->invalidity_date = st.invalidity_date;
		out->why = st.state == PS_REV_UNKNOWN ? st.why : NULL;
	}
	ps_arena_release(&a);
	return rc;
}
