/* Authenticode signatures through OpenSSL: part of the crypto module (the only code that
 * sees OpenSSL types; everything leaves as ps_signature / ps_cert facts in the arena).
 *
 * A signature is a PKCS#7 SignedData whose content is SpcIndirectDataContent (MS-Authenticode
 * "Windows Authenticode Portable Executable Signature Format"): the file digest and its
 * algorithm, optionally page hashes. The one SignerInfo signs authenticated attributes that
 * bind, through messageDigest, the DER *contents* of SpcIndirectDataContent (without its own
 * SEQUENCE header — Authenticode's quirk). Unauthenticated attributes carry timestamps
 * (PKCS#9 countersignature, or Microsoft's RFC 3161 token) and nested signatures.
 *
 * ASN.1 is decoded only by OpenSSL: its PKCS#7 and TS codecs, and templates below for the
 * Authenticode structures OpenSSL does not know.
 */
#define _GNU_SOURCE /* memmem */
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "crypto_internal.h"
#include "text.h"

#define OID_SPC_INDIRECT_DATA "1.3.6.1.4.1.311.2.1.4"
#define OID_SPC_PE_IMAGE_DATA "1.3.6.1.4.1.311.2.1.15"
#define OID_SPC_SP_OPUS_INFO "1.3.6.1.4.1.311.2.1.12"
#define OID_NESTED_SIGNATURE "1.3.6.1.4.1.311.2.4.1"
#define OID_RFC3161_TIMESTAMP "1.3.6.1.4.1.311.3.3.1"
#define OID_PKCS9_COUNTERSIGNATURE "1.2.840.113549.1.9.6"
#define OID_PAGE_HASHES_V1 "1.3.6.1.4.1.311.2.3.1" /* SHA-1 page hashes */
#define OID_PAGE_HASHES_V2 "1.3.6.1.4.1.311.2.3.2" /* SHA-256 page hashes */
#define OID_TSTINFO "1.2.840.113549.1.9.16.1.4"

/* ------------------------------------------------------------ Authenticode ASN.1 */

typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
} SpcAttr;
ASN1_SEQUENCE(SpcAttr) = {
	ASN1_SIMPLE(SpcAttr, type, ASN1_OBJECT),
	ASN1_OPT(SpcAttr, value, ASN1_ANY),
} static_ASN1_SEQUENCE_END(SpcAttr)

typedef struct {
	X509_ALGOR *digestAlgorithm;
	ASN1_OCTET_STRING *digest;
} SpcDigestInfo;
ASN1_SEQUENCE(SpcDigestInfo) = {
	ASN1_SIMPLE(SpcDigestInfo, digestAlgorithm, X509_ALGOR),
	ASN1_SIMPLE(SpcDigestInfo, digest, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(SpcDigestInfo)

typedef struct {
	SpcAttr *data;
	SpcDigestInfo *messageDigest;
} SpcIndirectDataContent;
ASN1_SEQUENCE(SpcIndirectDataContent) = {
	ASN1_SIMPLE(SpcIndirectDataContent, data, SpcAttr),
	ASN1_SIMPLE(SpcIndirectDataContent, messageDigest, SpcDigestInfo),
} static_ASN1_SEQUENCE_END(SpcIndirectDataContent)

typedef struct {
	int type;
	union {
		ASN1_BMPSTRING *unicode;
		ASN1_IA5STRING *ascii;
	} value;
} SpcString;
ASN1_CHOICE(SpcString) = {
	ASN1_IMP(SpcString, value.unicode, ASN1_BMPSTRING, 0),
	ASN1_IMP(SpcString, value.ascii, ASN1_IA5STRING, 1),
} static_ASN1_CHOICE_END(SpcString)

typedef struct {
	ASN1_OCTET_STRING *classId;
	ASN1_OCTET_STRING *serializedData;
} SpcSerializedObject;
ASN1_SEQUENCE(SpcSerializedObject) = {
	ASN1_SIMPLE(SpcSerializedObject, classId, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SpcSerializedObject, serializedData, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(SpcSerializedObject)

typedef struct {
	int type;
	union {
		ASN1_IA5STRING *url;
		SpcSerializedObject *moniker;
		SpcString *file;
	} value;
} SpcLink;
ASN1_CHOICE(SpcLink) = {
	ASN1_IMP(SpcLink, value.url, ASN1_IA5STRING, 0),
	ASN1_IMP(SpcLink, value.moniker, SpcSerializedObject, 1),
	ASN1_EXP(SpcLink, value.file, SpcString, 2),
} static_ASN1_CHOICE_END(SpcLink)

typedef struct {
	SpcString *programName;
	SpcLink *moreInfo;
} SpcSpOpusInfo;
ASN1_SEQUENCE(SpcSpOpusInfo) = {
	ASN1_EXP_OPT(SpcSpOpusInfo, programName, SpcString, 0),
	ASN1_EXP_OPT(SpcSpOpusInfo, moreInfo, SpcLink, 1),
} static_ASN1_SEQUENCE_END(SpcSpOpusInfo)

typedef struct {
	ASN1_BIT_STRING *flags;
	SpcLink *file;
} SpcPeImageData;
ASN1_SEQUENCE(SpcPeImageData) = {
	ASN1_SIMPLE(SpcPeImageData, flags, ASN1_BIT_STRING),
	ASN1_EXP_OPT(SpcPeImageData, file, SpcLink, 0),
} static_ASN1_SEQUENCE_END(SpcPeImageData)

/* SET OF SpcAttr (the serialized page-hash attributes of the moniker) */
DEFINE_STACK_OF(SpcAttr)
typedef STACK_OF(SpcAttr) SpcAttrSet;
ASN1_ITEM_TEMPLATE(SpcAttrSet) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, SpcAttrSet, SpcAttr)
static_ASN1_ITEM_TEMPLATE_END(SpcAttrSet)

/* ------------------------------------------------------------ helpers */

static bool oid_is(const ASN1_OBJECT *o, const char *dotted)
{
	char buf[80];
	if (!o || OBJ_obj2txt(buf, sizeof(buf), o, 1) <= 0)
		return false;
	return strcmp(buf, dotted) == 0;
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return PS_TIME_NONE;
	return (int64_t)timegm(&tm);
}

static const char *md_name_of(const ASN1_OBJECT *o)
{
	switch (OBJ_obj2nid(o)) {
	case NID_md5: return "md5";
	case NID_sha1: return "sha1";
	case NID_sha256: return "sha256";
	case NID_sha384: return "sha384";
	case NID_sha512: return "sha512";
	default: return NULL;
	}
}

/* Digest of data with the algorithm named by an OID; false for unknown algorithms. */
static bool digest_by_oid(const ASN1_OBJECT *alg, const uint8_t *data, size_t n, uint8_t *out, unsigned *outlen)
{
	const char *name = md_name_of(alg);
	if (!name)
		return false;
	const EVP_MD *md = EVP_get_digestbyname(name);
	return md && EVP_Digest(data, n, out, outlen, md, NULL) == 1;
}

/* The UTF-8 text of an ASN1_STRING (any string type), converted for the arena. */
static const char *asn1_string_utf8(ps_arena *a, const ASN1_STRING *s)
{
	if (!s)
		return NULL;
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0) {
		ERR_clear_error();
		return NULL;
	}
	const char *r = ps_arena_utf8_from_bytes(a, u, (size_t)n); /* revalidates */
	OPENSSL_free(u);
	return r;
}

const char *ps_x509_name_text(ps_arena *a, const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return NULL;
	/* RFC 2253 order and escaping, but UTF-8 kept instead of \XX escapes */
	X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	const char *r = n >= 0 ? ps_arena_utf8_from_bytes(a, (const uint8_t *)p, (size_t)n) : NULL;
	BIO_free(b);
	return r;
}

static const char *name_entry(ps_arena *a, const X509_NAME *nm, int nid)
{
	int i = X509_NAME_get_index_by_NID(nm, nid, -1);
	if (i < 0)
		return NULL;
	return asn1_string_utf8(a, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)));
}

static const char *hex_of(ps_arena *a, const uint8_t *p, size_t n)
{
	char *s = ps_arena_alloc(a, 2 * n + 1);
	return s ? ps_hex(s, p, n) : NULL;
}

void ps_x509_facts(ps_arena *a, X509 *x, ps_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->not_before = asn1_time(X509_get0_notBefore(x));
	c->not_after = asn1_time(X509_get0_notAfter(x));
	const X509_NAME *subj = X509_get_subject_name(x), *iss = X509_get_issuer_name(x);
	c->subject = ps_x509_name_text(a, subj);
	c->issuer = ps_x509_name_text(a, iss);
	c->subject_cn = name_entry(a, subj, NID_commonName);
	if (!c->subject_cn)
		c->subject_cn = name_entry(a, subj, NID_organizationName);
	if (!c->subject_cn)
		c->subject_cn = c->subject;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	c->serial = serial ? hex_of(a, ASN1_STRING_get0_data(serial), (size_t)ASN1_STRING_length(serial)) : NULL;
	unsigned int len = 0;
	X509_digest(x, EVP_sha1(), c->sha1, &len);
	X509_digest(x, EVP_sha256(), c->sha256, &len);
	STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(x);
	if (emails && sk_OPENSSL_STRING_num(emails) > 0) {
		const char *e = sk_OPENSSL_STRING_value(emails, 0);
		c->email = ps_arena_utf8_from_bytes(a, (const uint8_t *)e, strlen(e));
	}
	X509_email_free(emails);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk) {
		switch (EVP_PKEY_get_base_id(pk)) {
		case EVP_PKEY_RSA: c->key_type = "RSA"; break;
		case EVP_PKEY_RSA_PSS: c->key_type = "RSA-PSS"; break;
		case EVP_PKEY_EC: c->key_type = "EC"; break;
		case EVP_PKEY_DSA: c->key_type = "DSA"; break;
		case EVP_PKEY_ED25519: c->key_type = "Ed25519"; break;
		case EVP_PKEY_ED448: c->key_type = "Ed448"; break;
		default: c->key_type = "other"; break;
		}
		c->key_bits = (unsigned)EVP_PKEY_get_bits(pk);
	}
	c->self_issued = X509_NAME_cmp(subj, iss) == 0;
	uint32_t flags = X509_get_extension_flags(x);
	c->is_ca = (flags & EXFLAG_CA) != 0;
	c->has_eku = (flags & EXFLAG_XKUSAGE) != 0;
	uint32_t xku = X509_get_extended_key_usage(x);
	c->eku_code_signing = (xku & XKU_CODE_SIGN) != 0;
	c->eku_time_stamping = (xku & XKU_TIMESTAMP) != 0;
	c->eku_any = (xku & XKU_ANYEKU) != 0;
	c->has_key_usage = (flags & EXFLAG_KUSAGE) != 0;
	c->ku_digital_signature = (X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE) != 0;
	unsigned char *der = NULL;
	int dl = i2d_X509(x, &der);
	if (dl > 0) {
		uint8_t *copy = ps_arena_alloc(a, (size_t)dl);
		if (copy) {
			memcpy(copy, der, (size_t)dl);
			c->der = copy;
			c->der_len = (size_t)dl;
		}
	}
	OPENSSL_free(der);
	ERR_clear_error();
}

/* Facts of every certificate of a SignedData (capped). */
static size_t certs_facts(ps_arena *a, STACK_OF(X509) *sk, const ps_cert **out)
{
	int n = sk ? sk_X509_num(sk) : 0;
	if (n <= 0) {
		*out = NULL;
		return 0;
	}
	if ((unsigned)n > PS_MAX_SIG_CERTS)
		n = PS_MAX_SIG_CERTS;
	ps_cert *v = ps_arena_array(a, (size_t)n, sizeof(*v));
	if (!v) {
		*out = NULL;
		return 0;
	}
	for (int i = 0; i < n; i++)
		ps_x509_facts(a, sk_X509_value(sk, i), &v[i]);
	*out = v;
	return (size_t)n;
}

/* The facts record of the certificate that matches issuer+serial, or NULL. */
static const ps_cert *find_cert(STACK_OF(X509) *sk, const ps_cert *facts, size_t n, PKCS7_ISSUER_AND_SERIAL *ias, X509 **x_out)
{
	*x_out = NULL;
	if (!sk || !ias)
		return NULL;
	X509 *x = X509_find_by_issuer_and_serial(sk, ias->issuer, ias->serial);
	if (!x)
		return NULL;
	*x_out = x;
	for (int k = 0; k < sk_X509_num(sk); k++)
		if (sk_X509_value(sk, k) == x)
			return (size_t)k < n ? &facts[k] : NULL;
	return NULL;
}

/* Verifies a SignerInfo's signature over its authenticated attributes with x's key. */
static bool signer_signature_ok(PKCS7_SIGNER_INFO *si, X509 *x)
{
	if (!si || !x || !si->auth_attr || sk_X509_ATTRIBUTE_num(si->auth_attr) <= 0 || !si->enc_digest)
		return false;
	const char *name = md_name_of(si->digest_alg ? si->digest_alg->algorithm : NULL);
	const EVP_MD *md = name ? EVP_get_digestbyname(name) : NULL;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (!md || !pk)
		return false;
	unsigned char *abuf = NULL;
	int alen = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &abuf, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	bool ok = false;
	if (alen > 0) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		ok = m && EVP_DigestVerifyInit(m, NULL, md, NULL, pk) == 1 &&
		     EVP_DigestVerify(m, ASN1_STRING_get0_data(si->enc_digest), (size_t)ASN1_STRING_length(si->enc_digest),
		                      abuf, (size_t)alen) == 1;
		EVP_MD_CTX_free(m);
	}
	OPENSSL_free(abuf);
	ERR_clear_error();
	return ok;
}

/* messageDigest attribute == digest(data) with the signer's digest algorithm. */
static bool message_digest_binds(PKCS7_SIGNER_INFO *si, const uint8_t *data, size_t n)
{
	ASN1_TYPE *md = PKCS7_get_signed_attribute(si, NID_pkcs9_messageDigest);
	if (!md || md->type != V_ASN1_OCTET_STRING || !si->digest_alg)
		return false;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	if (!digest_by_oid(si->digest_alg->algorithm, data, n, h, &hl))
		return false;
	const ASN1_OCTET_STRING *v = md->value.octet_string;
	return (unsigned)ASN1_STRING_length(v) == hl && memcmp(ASN1_STRING_get0_data(v), h, hl) == 0;
}

size_t ps_crypto_der_length(const uint8_t *p, size_t n)
{
	if (!p || n < 2 || n > (size_t)LONG_MAX)
		return 0;
	const unsigned char *q = p;
	long len = 0;
	int tag = 0, cls = 0;
	int r = ASN1_get_object(&q, &len, &tag, &cls, (long)n);
	ERR_clear_error();
	if (r & 0x80) /* error, or content past the end */
		return 0;
	if (r == 0x21) /* indefinite length: not DER */
		return 0;
	size_t hdr = (size_t)(q - p);
	if ((size_t)len > n - hdr)
		return 0;
	return hdr + (size_t)len;
}

/* The content octets of a DER TLV (Authenticode hashes SpcIndirectDataContent without its
 * SEQUENCE header). */
static bool der_contents(const uint8_t *p, size_t n, const uint8_t **c, size_t *cl)
{
	const unsigned char *q = p;
	long len = 0;
	int tag = 0, cls = 0;
	int r = ASN1_get_object(&q, &len, &tag, &cls, (long)n);
	ERR_clear_error();
	if ((r & 0x80) || len < 0 || (size_t)len > n - (size_t)(q - p))
		return false;
	*c = q;
	*cl = (size_t)len;
	return true;
}

/* ------------------------------------------------------------ timestamps */

static void pkcs9_timestamp(ps_arena *a, ps_timestamp *ts, ASN1_TYPE *val, PKCS7_SIGNER_INFO *outer,
                            STACK_OF(X509) *certs, const ps_cert *facts, size_t n_facts)
{
	ts->kind = PS_TS_PKCS9;
	ts->time = PS_TIME_NONE;
	if (!val || val->type != V_ASN1_SEQUENCE)
		return;
	const unsigned char *p = val->value.sequence->data;
	PKCS7_SIGNER_INFO *cs = d2i_PKCS7_SIGNER_INFO(NULL, &p, val->value.sequence->length);
	if (!cs) {
		ERR_clear_error();
		return;
	}
	ts->digest_algorithm = md_name_of(cs->digest_alg ? cs->digest_alg->algorithm : NULL);
	ASN1_TYPE *st = PKCS7_get_signed_attribute(cs, NID_pkcs9_signingTime);
	if (st && (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME))
		ts->time = asn1_time(st->value.utctime);
	/* the countersignature's messageDigest is the digest of the signer's signature value */
	ts->imprint_ok = outer->enc_digest &&
	                 message_digest_binds(cs, ASN1_STRING_get0_data(outer->enc_digest),
	                                      (size_t)ASN1_STRING_length(outer->enc_digest));
	X509 *x = NULL;
	ts->tsa = find_cert(certs, facts, n_facts, cs->issuer_and_serial, &x);
	ts->signature_ok = x && signer_signature_ok(cs, x);
	(void)a;
	PKCS7_SIGNER_INFO_free(cs);
	ERR_clear_error();
}

/* Microsoft's RFC 3161 timestamp: a CMS SignedData (often version 3, with certificate
 * choices OpenSSL's PKCS#7 codec rejects) whose eContent is a TSTInfo. */
static void rfc3161_timestamp(ps_arena *a, ps_timestamp *ts, ASN1_TYPE *val, PKCS7_SIGNER_INFO *outer)
{
	ts->kind = PS_TS_RFC3161;
	ts->time = PS_TIME_NONE;
	if (!val || val->type != V_ASN1_SEQUENCE)
		return;
	const unsigned char *p = val->value.sequence->data;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, val->value.sequence->length);
	TS_TST_INFO *tst = NULL;
	STACK_OF(X509) *certs = NULL;
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed || !oid_is(CMS_get0_eContentType(cms), OID_TSTINFO))
		goto out;
	certs = CMS_get1_certs(cms);
	ts->n_certs = certs_facts(a, certs, &ts->certs);
	ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
	if (!pos || !*pos)
		goto out;
	const uint8_t *tdata = ASN1_STRING_get0_data(*pos);
	size_t tlen = (size_t)ASN1_STRING_length(*pos);
	const unsigned char *q = tdata;
	tst = d2i_TS_TST_INFO(NULL, &q, (long)tlen);
	if (!tst)
		goto out;
	ts->time = asn1_time(TS_TST_INFO_get_time(tst));
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR *ialg = mi ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	ASN1_OCTET_STRING *imsg = mi ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	ts->digest_algorithm = ialg ? md_name_of(ialg->algorithm) : NULL;
	if (ialg && imsg && outer->enc_digest) {
		uint8_t h[EVP_MAX_MD_SIZE];
		unsigned hl = 0;
		if (digest_by_oid(ialg->algorithm, ASN1_STRING_get0_data(outer->enc_digest),
		                  (size_t)ASN1_STRING_length(outer->enc_digest), h, &hl))
			ts->imprint_ok = (unsigned)ASN1_STRING_length(imsg) == hl &&
			                 memcmp(ASN1_STRING_get0_data(imsg), h, hl) == 0;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si = sis && sk_CMS_SignerInfo_num(sis) == 1 ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
	X509 *x = NULL;
	for (int i = 0; si && certs && i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
			x = sk_X509_value(certs, i);
			if ((size_t)i < ts->n_certs)
				ts->tsa = &ts->certs[i];
			break;
		}
	if (si && x) {
		X509_ALGOR *dig = NULL;
		CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
		ASN1_OCTET_STRING *md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
		                                                    V_ASN1_OCTET_STRING);
		uint8_t h[EVP_MAX_MD_SIZE];
		unsigned hl = 0;
		bool bound = dig && md && digest_by_oid(dig->algorithm, tdata, tlen, h, &hl) &&
		             (unsigned)ASN1_STRING_length(md) == hl && !memcmp(ASN1_STRING_get0_data(md), h, hl);
		CMS_SignerInfo_set1_signer_cert(si, x);
		ts->signature_ok = bound && CMS_SignerInfo_verify(si) == 1;
	}
out:
	sk_X509_pop_free(certs, X509_free);
	TS_TST_INFO_free(tst);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
}

/* ------------------------------------------------------------ signatures */

static void opus_info(ps_arena *a, ps_signature *sig, PKCS7_SIGNER_INFO *si)
{
	for (int i = 0; i < X509at_get_attr_count(si->auth_attr); i++) {
		X509_ATTRIBUTE *at = X509at_get_attr(si->auth_attr, i);
		if (!oid_is(X509_ATTRIBUTE_get0_object(at), OID_SPC_SP_OPUS_INFO))
			continue;
		ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(at, 0);
		if (!v || v->type != V_ASN1_SEQUENCE)
			return;
		const unsigned char *p = v->value.sequence->data;
		SpcSpOpusInfo *op = (SpcSpOpusInfo *)ASN1_item_d2i(NULL, &p, v->value.sequence->length,
		                                                   ASN1_ITEM_rptr(SpcSpOpusInfo));
		if (!op) {
			ERR_clear_error();
			return;
		}
		if (op->programName)
			sig->program_name = asn1_string_utf8(a, op->programName->type == 0
			                                             ? (ASN1_STRING *)op->programName->value.unicode
			                                             : (ASN1_STRING *)op->programName->value.ascii);
		if (op->moreInfo && op->moreInfo->type == 0)
			sig->program_url = asn1_string_utf8(a, op->moreInfo->value.url);
		ASN1_item_free((ASN1_VALUE *)op, ASN1_ITEM_rptr(SpcSpOpusInfo));
		return;
	}
}

/* SET OF OCTET STRING: the serialized page-hash table */
DEFINE_STACK_OF(ASN1_OCTET_STRING)
typedef STACK_OF(ASN1_OCTET_STRING) PageHashSet;
ASN1_ITEM_TEMPLATE(PageHashSet) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, PageHashSet, ASN1_OCTET_STRING)
static_ASN1_ITEM_TEMPLATE_END(PageHashSet)

static void page_hash_table(ps_arena *a, ps_signature *sig, const ASN1_TYPE *v)
{
	if (!v || v->type != V_ASN1_SET || sig->page_hash_table)
		return;
	const unsigned char *p = v->value.set->data;
	PageHashSet *set = (PageHashSet *)ASN1_item_d2i(NULL, &p, v->value.set->length, ASN1_ITEM_rptr(PageHashSet));
	if (set && sk_ASN1_OCTET_STRING_num(set) >= 1) {
		const ASN1_OCTET_STRING *t = sk_ASN1_OCTET_STRING_value(set, 0);
		size_t n = (size_t)ASN1_STRING_length(t);
		uint8_t *copy = n ? ps_arena_alloc(a, n) : NULL;
		if (copy) {
			memcpy(copy, ASN1_STRING_get0_data(t), n);
			sig->page_hash_table = copy;
			sig->page_hash_table_len = n;
		}
	}
	if (set)
		ASN1_item_free((ASN1_VALUE *)set, ASN1_ITEM_rptr(PageHashSet));
	ERR_clear_error();
}

static void page_hashes(ps_arena *a, ps_signature *sig, SpcAttr *data)
{
	if (!data || !oid_is(data->type, OID_SPC_PE_IMAGE_DATA) || !data->value || data->value->type != V_ASN1_SEQUENCE)
		return;
	const unsigned char *p = data->value->value.sequence->data;
	SpcPeImageData *pid = (SpcPeImageData *)ASN1_item_d2i(NULL, &p, data->value->value.sequence->length,
	                                                      ASN1_ITEM_rptr(SpcPeImageData));
	if (!pid) {
		ERR_clear_error();
		return;
	}
	if (pid->file && pid->file->type == 1 && pid->file->value.moniker) {
		const ASN1_OCTET_STRING *sd = pid->file->value.moniker->serializedData;
		const unsigned char *q = ASN1_STRING_get0_data(sd);
		SpcAttrSet *set = (SpcAttrSet *)ASN1_item_d2i(NULL, &q, ASN1_STRING_length(sd), ASN1_ITEM_rptr(SpcAttrSet));
		for (int i = 0; set && i < sk_SpcAttr_num(set); i++) {
			SpcAttr *at = sk_SpcAttr_value(set, i);
			if (oid_is(at->type, OID_PAGE_HASHES_V1)) {
				sig->has_page_hashes = true;
				sig->page_hash_algorithm = "sha1";
				page_hash_table(a, sig, at->value);
			} else if (oid_is(at->type, OID_PAGE_HASHES_V2)) {
				sig->has_page_hashes = true;
				sig->page_hash_algorithm = "sha256";
				page_hash_table(a, sig, at->value);
			}
		}
		if (set)
			ASN1_item_free((ASN1_VALUE *)set, ASN1_ITEM_rptr(SpcAttrSet));
	}
	ASN1_item_free((ASN1_VALUE *)pid, ASN1_ITEM_rptr(SpcPeImageData));
	ERR_clear_error();
}

void ps_crypto_parse_signature(ps_arena *a, ps_vec *out, const uint8_t *der, size_t n, uint64_t offset,
                               unsigned entry, unsigned depth, int parent, unsigned *budget)
{
	if (!*budget)
		return;
	(*budget)--;
	ps_signature *sig = ps_vec_push(out, a);
	if (!sig)
		return;
	size_t idx = out->n - 1;
	sig->index = (unsigned)idx;
	sig->entry = entry;
	sig->depth = depth;
	sig->parent = parent;
	sig->offset = offset;
	sig->claimed_signing_time = PS_TIME_NONE;
	sig->signing_time = PS_TIME_NONE;
	sig->evaluated_at = PS_TIME_NONE;

	const unsigned char *p = der;
	PKCS7 *p7 = n <= (size_t)LONG_MAX ? d2i_PKCS7(NULL, &p, (long)n) : NULL;
	SpcIndirectDataContent *idc = NULL;
	if (!p7) {
		sig->parse_error = "not a DER PKCS#7 ContentInfo";
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || !p7->d.sign) {
		sig->parse_error = "not SignedData";
		goto out;
	}
	PKCS7_SIGNED *sd = p7->d.sign;
	sig->n_certs = certs_facts(a, sd->cert, &sig->certs);
	PKCS7 *ci = sd->contents;
	if (!ci || !oid_is(ci->type, OID_SPC_INDIRECT_DATA) || !ci->d.other || ci->d.other->type != V_ASN1_SEQUENCE) {
		sig->parse_error = "content is not SpcIndirectDataContent";
		goto out;
	}
	const uint8_t *cder = ci->d.other->value.sequence->data;
	size_t clen = (size_t)ci->d.other->value.sequence->length;
	const unsigned char *q = cder;
	idc = (SpcIndirectDataContent *)ASN1_item_d2i(NULL, &q, (long)clen, ASN1_ITEM_rptr(SpcIndirectDataContent));
	if (!idc || !idc->messageDigest || !idc->messageDigest->digestAlgorithm || !idc->messageDigest->digest) {
		sig->parse_error = "SpcIndirectDataContent does not decode";
		goto out;
	}
	sig->digest_algorithm = md_name_of(idc->messageDigest->digestAlgorithm->algorithm);
	const ASN1_OCTET_STRING *dg = idc->messageDigest->digest;
	size_t dlen = (size_t)ASN1_STRING_length(dg);
	if (!sig->digest_algorithm) {
		sig->parse_error = "unsupported file digest algorithm";
		goto out;
	}
	if (dlen > sizeof(sig->signed_digest) || dlen != ps_md_size(ps_md_from_name(sig->digest_algorithm))) {
		sig->parse_error = "file digest has the wrong length for its algorithm";
		goto out;
	}
	memcpy(sig->signed_digest, ASN1_STRING_get0_data(dg), dlen);
	sig->digest_len = dlen;
	page_hashes(a, sig, idc->data);

	STACK_OF(PKCS7_SIGNER_INFO) *sis = sd->signer_info;
	if (!sis || sk_PKCS7_SIGNER_INFO_num(sis) != 1) {
		sig->parse_error = "SignedData must carry exactly one SignerInfo";
		goto out;
	}
	PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	sig->parsed = true;
	sig->signer_digest_algorithm = md_name_of(si->digest_alg ? si->digest_alg->algorithm : NULL);
	X509 *sx = NULL;
	sig->signer = find_cert(sd->cert, sig->certs, sig->n_certs, si->issuer_and_serial, &sx);
	ASN1_TYPE *ct = PKCS7_get_signed_attribute(si, NID_pkcs9_contentType);
	sig->content_type_ok = ct && ct->type == V_ASN1_OBJECT && oid_is(ct->value.object, OID_SPC_INDIRECT_DATA);
	const uint8_t *inner;
	size_t inner_len;
	sig->message_digest_ok = der_contents(cder, clen, &inner, &inner_len) && message_digest_binds(si, inner, inner_len);
	sig->signature_ok = sx && signer_signature_ok(si, sx);
	ASN1_TYPE *st = PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime);
	if (st && (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME))
		sig->claimed_signing_time = asn1_time(st->value.utctime);
	opus_info(a, sig, si);

	/* Unauthenticated attributes: timestamps and nested signatures. */
	ps_timestamp *tsv = NULL;
	size_t nts = 0;
	STACK_OF(X509_ATTRIBUTE) *ua = si->unauth_attr;
	for (int i = 0; ua && i < X509at_get_attr_count(ua); i++) {
		X509_ATTRIBUTE *at = X509at_get_attr(ua, i);
		const ASN1_OBJECT *obj = X509_ATTRIBUTE_get0_object(at);
		bool pkcs9 = oid_is(obj, OID_PKCS9_COUNTERSIGNATURE), rfc = oid_is(obj, OID_RFC3161_TIMESTAMP);
		if (pkcs9 || rfc) {
			for (int k = 0; k < X509_ATTRIBUTE_count(at) && nts < PS_MAX_TIMESTAMPS; k++) {
				if (!tsv && !(tsv = ps_arena_array(a, PS_MAX_TIMESTAMPS, sizeof(*tsv))))
					break;
				ps_timestamp *ts = &tsv[nts++];
				if (pkcs9)
					pkcs9_timestamp(a, ts, X509_ATTRIBUTE_get0_type(at, k), si, sd->cert, sig->certs, sig->n_certs);
				else
					rfc3161_timestamp(a, ts, X509_ATTRIBUTE_get0_type(at, k), si);
			}
		}
	}
	sig->timestamps = tsv;
	sig->n_timestamps = nts;
	for (int i = 0; ua && i < X509at_get_attr_count(ua); i++) {
		X509_ATTRIBUTE *at = X509at_get_attr(ua, i);
		if (!oid_is(X509_ATTRIBUTE_get0_object(at), OID_NESTED_SIGNATURE))
			continue;
		for (int k = 0; k < X509_ATTRIBUTE_count(at); k++) {
			ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(at, k);
			if (!v || v->type != V_ASN1_SEQUENCE || depth + 1 > PS_MAX_SIG_DEPTH || !*budget)
				continue;
			/* The nested DER lies inside this one: its file offset is ours plus its position
			 * in our buffer, when OpenSSL's copy can be located there. */
			const uint8_t *nd = v->value.sequence->data;
			size_t nl = (size_t)v->value.sequence->length;
			const uint8_t *at_in = nl <= n ? memmem(der, n, nd, nl) : NULL;
			uint64_t noff = at_in ? offset + (uint64_t)(at_in - der) : offset;
			ps_crypto_parse_signature(a, out, nd, nl, noff, entry, depth + 1, (int)idx, budget);
		}
	}
out:
	if (idc)
		ASN1_item_free((ASN1_VALUE *)idc, ASN1_ITEM_rptr(SpcIndirectDataContent));
	PKCS7_free(p7);
	ERR_clear_error();
}
