/* Judgement of signatures: a function of the facts (what the bytes say and what the crypto
 * verified) plus a trust context (anchors, now). DESIGN.md "Trust and time":
 *
 *  - only a verified timestamp — imprint bound to this signature, countersignature valid, TSA
 *    chain trusted with the timeStamping EKU at the stamped time — is a signing time; the
 *    signingTime attribute is a claim and decides nothing;
 *  - the signer's chain is built at the signing time when there is one, else at now;
 *  - Windows' usage rules: the leaf, and every certificate of the chain that has an EKU
 *    extension, must allow code signing (or any purpose); a key usage extension on the leaf
 *    must allow digital signatures.
 */
#include <inttypes.h>
#include <string.h>

#include "authenticode.h"
#include "names.h"
#include "text.h"
#include "pesleuth/analyze.h"
#include "pesleuth/error.h"

static bool eku_allows(const ps_cert *c, bool ts)
{
	if (!c->has_eku)
		return true;
	return c->eku_any || (ts ? c->eku_time_stamping : c->eku_code_signing);
}

/* A compromised key: nothing it signed can be dated safely. */
static bool compromise(int r) { return r == 1 || r == 2 || r == 10; }

/* Adds a revocation record to the signature (arena-grown array). */
static ps_revocation *add_revocation(ps_pectx *c, ps_signature *s)
{
	ps_revocation *nv = ps_arena_array(c->arena, s->n_revocation + 1, sizeof(*nv));
	if (!nv)
		return NULL;
	if (s->n_revocation)
		memcpy(nv, s->revocation, s->n_revocation * sizeof(*nv));
	s->revocation = nv;
	return &nv[s->n_revocation++];
}

/* Revocation of every certificate of a chain (the anchor at its end excepted when it is
 * self-issued: nobody above it publishes a CRL for it), judged against `when` — the trusted
 * signing time, the timestamp's time for a TSA chain, or PS_TIME_NONE when the signature has
 * no trusted time. Records the facts in s->revocation, raises the findings, and returns
 * whether a revocation voids what the chain vouches for. */
static bool revocations(ps_pectx *c, const ps_trust *t, ps_signature *s, const ps_cert *const *chain, size_t n,
                        int64_t when, bool dated, bool tsa)
{
	bool voids = false;
	const ps_cert *unknown = NULL;
	size_t n_unknown = 0;
	int64_t at = dated ? when : ps_trust_now(t);
	for (size_t k = 0; k < n; k++) {
		const ps_cert *cert = chain[k];
		if (!cert || (k + 1 == n && cert->self_issued))
			continue;
		ps_crl_status st;
		if (ps_crypto_crl_status(&st, c->arena, t, cert, k + 1 < n ? chain[k + 1] : NULL, at) != PS_OK)
			continue;
		ps_revocation *r = add_revocation(c, s);
		if (!r)
			break;
		r->cert = cert;
		r->tsa = tsa;
		r->state = st.state;
		r->revocation_time = st.revocation_time;
		r->reason = st.reason;
		r->invalidity_date = st.invalidity_date;
		r->crl_issuer = st.crl_issuer;
		r->crl_this_update = st.this_update;
		r->crl_next_update = st.next_update;
		r->judged_at = dated ? when : PS_TIME_NONE; /* none: judged at now (evaluated_at) */
		if (st.state == PS_REV_UNKNOWN) {
			if (!unknown)
				unknown = cert;
			n_unknown++;
			continue;
		}
		if (st.state != PS_REV_REVOKED)
			continue;
		ps_finding *f;
		if (!dated) {
			/* no trusted time: nothing says the file was signed before the revocation */
			r->voids = true;
			f = ps_find(c->fs, "CERT-REVOKED-UNDATED", PS_SEV_CRITICAL,
			            "Signature %u: a certificate of its %schain is revoked and no trusted timestamp dates the signature",
			            s->index, tsa ? "TSA " : "");
		} else if (when >= st.revocation_time) {
			r->signed_after_revocation = true;
			r->voids = true;
			f = ps_find(c->fs, "CERT-SIGNED-AFTER-REVOCATION", PS_SEV_CRITICAL,
			            "Signature %u: %s after the certificate was revoked", s->index,
			            tsa ? "timestamped" : "signed");
		} else {
			bool comp = compromise(st.reason);
			bool serious = comp || st.reason == 0 || st.reason == PS_REASON_NONE ||
			               (st.invalidity_date != PS_TIME_NONE && when >= st.invalidity_date);
			r->voids = comp && ps_trust_policy(t) == PS_POLICY_STRICT;
			f = ps_find(c->fs, "CERT-REVOKED-AFTER-SIGNING", serious ? PS_SEV_CRITICAL : PS_SEV_HIGH,
			            "Signature %u: the certificate was revoked (%s) after the %s", s->index,
			            ps_crl_reason_name(st.reason), tsa ? "timestamp" : "trusted signing time");
			ps_ev_bool(f, "voids_signature", r->voids);
			if (st.invalidity_date != PS_TIME_NONE)
				ps_ev_bool(f, "signed_after_invalidity_date", when >= st.invalidity_date);
		}
		ps_ev_uint(f, "signature", s->index);
		ps_ev_bool(f, "tsa_chain", tsa);
		ps_ev_str(f, c->fs, "certificate", cert->subject);
		ps_ev_str(f, c->fs, "serial", cert->serial);
		ps_ev_time(f, "revocation_time", st.revocation_time);
		ps_ev_str(f, c->fs, "reason", ps_crl_reason_name(st.reason));
		if (dated)
			ps_ev_time(f, tsa ? "timestamp_time" : "signing_time", when);
		ps_attack(f, "T1553.002");
		voids = voids || r->voids;
	}
	if (unknown && ps_trust_crl_count(t)) {
		ps_finding *f = ps_find(c->fs, "CERT-REVOCATION-UNKNOWN", PS_SEV_INFO,
		                        "Signature %u: revocation of %zu certificate(s) of its %schain is unknown from the CRLs given",
		                        s->index, n_unknown, tsa ? "TSA " : "");
		ps_ev_uint(f, "signature", s->index);
		ps_ev_str(f, c->fs, "certificate", unknown->subject);
		ps_ev_uint(f, "certificates", n_unknown);
	}
	return voids;
}

/* The first blocklisted certificate of a chain (raising CERT-BLOCKLISTED), or NULL. */
static const char *blocklisted_in(ps_pectx *c, const ps_trust *t, ps_signature *s, const ps_cert *const *chain,
                                  size_t n, bool tsa)
{
	for (size_t k = 0; k < n; k++) {
		const char *why;
		if (!chain[k] || !ps_crypto_blocklisted(t, chain[k], &why))
			continue;
		/* a blocklisted TSA voids its timestamp (the caller), not the signature */
		if (!tsa)
			s->blocklisted = true;
		ps_finding *f = ps_find(c->fs, "CERT-BLOCKLISTED", PS_SEV_CRITICAL,
		                        "Signature %u: a certificate of its %schain is on a blocklist", s->index,
		                        tsa ? "TSA " : "");
		ps_ev_uint(f, "signature", s->index);
		ps_ev_str(f, c->fs, "certificate", chain[k]->subject);
		ps_ev_str(f, c->fs, "match", why);
		char hex[65];
		ps_hex(hex, chain[k]->sha256, 32);
		ps_ev_str(f, c->fs, "sha256", hex);
		ps_attack(f, "T1553.002");
		return chain[k]->subject;
	}
	return NULL;
}

static void judge_timestamp(ps_pectx *c, const ps_trust *t, ps_signature *s, ps_timestamp *ts)
{
	if (ts->time == PS_TIME_NONE || !ts->imprint_ok || !ts->signature_ok || !ts->tsa) {
		ts->chain_error = !ts->tsa ? "the TSA certificate is not embedded"
		                  : !ts->imprint_ok ? "the timestamp does not hash this signature"
		                  : !ts->signature_ok ? "the countersignature does not verify"
		                                      : "the timestamp holds no time";
		return;
	}
	ps_chain ch;
	const ps_cert *pool = ts->kind == PS_TS_RFC3161 ? ts->certs : s->certs;
	size_t npool = ts->kind == PS_TS_RFC3161 ? ts->n_certs : s->n_certs;
	if (ps_crypto_build_chain(&ch, c->arena, t, ts->tsa, pool, npool, ts->time) != PS_OK) {
		ts->chain_error = "chain building failed";
		return;
	}
	ts->chain = ch.v;
	ts->n_chain = ch.n;
	/* the TSA certificate itself must carry the timeStamping EKU (Windows requires it) */
	bool eku = ts->tsa->has_eku && (ts->tsa->eku_time_stamping);
	for (size_t i = 1; i < ch.n && eku; i++)
		if (ch.v[i] && !eku_allows(ch.v[i], true))
			eku = false;
	/* a TSA certificate revoked at or before the stamped time cannot vouch for it; one
	 * revoked later for a compromised key cannot either under the strict policy */
	bool revoked = revocations(c, t, s, ch.v, ch.n, ts->time, true, true);
	const char *blocked = blocklisted_in(c, t, s, ch.v, ch.n, true);
	ts->chain_trusted = !ch.errors && eku && !revoked && !blocked;
	ts->verified = ts->chain_trusted;
	if (ch.errors)
		ts->chain_error = ch.first_error ? ch.first_error : "the TSA chain is not trusted";
	else if (!eku)
		ts->chain_error = "the TSA certificate lacks the timeStamping EKU";
	else if (revoked)
		ts->chain_error = "a certificate of the TSA chain is revoked";
	else if (blocked)
		ts->chain_error = "a certificate of the TSA chain is blocklisted";
}

static const char *top_subject(const ps_chain *ch)
{
	return ch->n && ch->v[ch->n - 1] ? ch->v[ch->n - 1]->subject : NULL;
}

static void judge_one(ps_pectx *c, const ps_trust *t, int64_t now, ps_signature *s)
{
	if (!s->parsed) {
		s->status = "Malformed";
		return;
	}
	s->valid = s->entry_valid && s->computed && s->digest_ok && s->message_digest_ok && s->content_type_ok &&
	           s->signature_ok && s->signer && (!s->page_hashes_checked || s->page_hashes_ok);
	if (!s->signature_ok || !s->message_digest_ok || !s->content_type_ok || !s->signer) {
		const char *why = !s->signer ? "the signer certificate is not embedded"
		                  : !s->content_type_ok ? "the contentType attribute is not SpcIndirectDataContent"
		                  : !s->message_digest_ok ? "messageDigest does not bind the signed content"
		                                          : "the signer's signature does not verify";
		ps_finding *f = ps_find(c->fs, "SIG-SIGNATURE-INVALID", PS_SEV_HIGH,
		                        "Signature %u does not verify: %s", s->index, why);
		ps_ev_uint(f, "signature", s->index);
		ps_ev_str(f, c->fs, "reason", why);
		ps_attack(f, "T1553.002");
	}

	/* timestamps */
	ps_timestamp *tss = (ps_timestamp *)s->timestamps;
	const ps_timestamp *untrusted = NULL;
	for (size_t i = 0; i < s->n_timestamps; i++) {
		judge_timestamp(c, t, s, &tss[i]);
		if (tss[i].verified && s->signing_time == PS_TIME_NONE)
			s->signing_time = tss[i].time;
		else if (!tss[i].verified && !untrusted)
			untrusted = &tss[i];
	}
	if (untrusted && s->signing_time == PS_TIME_NONE) {
		bool forged = !untrusted->imprint_ok || !untrusted->signature_ok;
		ps_finding *f = ps_find(c->fs, "TS-UNTRUSTED", forged ? PS_SEV_MEDIUM : PS_SEV_LOW,
		                        "Signature %u: the timestamp is not trusted, its time is only a claim",
		                        s->index);
		ps_ev_uint(f, "signature", s->index);
		if (untrusted->time != PS_TIME_NONE)
			ps_ev_time(f, "claimed_time", untrusted->time);
		ps_ev_str(f, c->fs, "reason", untrusted->chain_error ? untrusted->chain_error : "not verified");
		if (untrusted->tsa)
			ps_ev_str(f, c->fs, "tsa", untrusted->tsa->subject);
	}

	s->at_signing_time = s->signing_time != PS_TIME_NONE;
	s->evaluated_at = s->at_signing_time ? s->signing_time : now;
	bool chain_ok = false, usage_ok = false, revoked = false;
	unsigned chain_errors = PS_CHAIN_NO_LEAF;
	if (s->signer) {
		ps_chain ch;
		if (ps_crypto_build_chain(&ch, c->arena, t, s->signer, s->certs, s->n_certs, s->evaluated_at) == PS_OK) {
			s->chain = ch.v;
			s->n_chain = ch.n;
			chain_ok = !ch.errors;
			chain_errors = ch.errors;
			if (ch.errors & PS_CHAIN_UNTRUSTED_ROOT) {
				ps_finding *f = ps_find(c->fs, "SIG-UNTRUSTED-ROOT", PS_SEV_MEDIUM,
				                        "Signature %u chains to a self-signed certificate that is not a trust anchor",
				                        s->index);
				ps_ev_uint(f, "signature", s->index);
				const char *root = top_subject(&ch);
				if (root)
					ps_ev_str(f, c->fs, "root", root);
				ps_ev_bool(f, "self_signed_leaf", ch.n == 1);
				ps_attack(f, "T1553.002");
			}
			if (ch.errors & (PS_CHAIN_INCOMPLETE | PS_CHAIN_NO_LEAF)) {
				ps_finding *f = ps_find(c->fs, "SIG-CHAIN-INCOMPLETE", PS_SEV_LOW,
				                        "Signature %u: no chain to a trust anchor (an issuer is neither embedded nor trusted)",
				                        s->index);
				ps_ev_uint(f, "signature", s->index);
				if (ch.missing_issuer)
					ps_ev_str(f, c->fs, "missing_issuer", ch.missing_issuer);
			}
			if (ch.errors & PS_CHAIN_INVALID) {
				ps_finding *f = ps_find(c->fs, "SIG-CHAIN-INVALID", PS_SEV_HIGH,
				                        "Signature %u: the certificate chain is invalid", s->index);
				ps_ev_uint(f, "signature", s->index);
				ps_ev_str(f, c->fs, "reason", ch.first_error ? ch.first_error : "invalid");
				ps_attack(f, "T1553.002");
			}
			if (ch.errors & (PS_CHAIN_EXPIRED | PS_CHAIN_NOT_YET_VALID)) {
				const ps_cert *x = ch.expired;
				ps_finding *f;
				if (s->at_signing_time) {
					f = ps_find(c->fs, "CERT-EXPIRED-AT-SIGNING", PS_SEV_HIGH,
					            "Signature %u: a certificate was outside its validity at the trusted signing time",
					            s->index);
					ps_attack(f, "T1553.002");
				} else {
					f = ps_find(c->fs, "CERT-EXPIRED", PS_SEV_LOW,
					            "Signature %u: a certificate is outside its validity now, and no trusted timestamp says when it was signed",
					            s->index);
				}
				ps_ev_uint(f, "signature", s->index);
				ps_ev_time(f, "evaluated_at", s->evaluated_at);
				if (x) {
					ps_ev_str(f, c->fs, "certificate", x->subject);
					ps_ev_time(f, "not_before", x->not_before);
					ps_ev_time(f, "not_after", x->not_after);
				}
			}
		}
		/* the signer's chain: blocklists, then revocation against the trusted signing time */
		const ps_cert *const *chain = s->chain;
		size_t n_chain = s->n_chain;
		const ps_cert *leaf_only[1] = {s->signer};
		if (!n_chain) {
			chain = leaf_only;
			n_chain = 1;
		}
		blocklisted_in(c, t, s, chain, n_chain, false);
		revoked = revocations(c, t, s, chain, n_chain, s->signing_time, s->at_signing_time, false);
		const ps_cert *leaf = s->signer;
		const char *usage = NULL;
		if (!eku_allows(leaf, false))
			usage = "the signer certificate's extended key usage does not allow code signing";
		else if (leaf->has_key_usage && !leaf->ku_digital_signature)
			usage = "the signer certificate's key usage does not allow digital signatures";
		for (size_t i = 1; !usage && i < s->n_chain; i++)
			if (s->chain[i] && !eku_allows(s->chain[i], false))
				usage = "an issuing certificate's extended key usage does not allow code signing";
		usage_ok = !usage;
		if (usage) {
			ps_finding *f = ps_find(c->fs, "SIG-WRONG-EKU", PS_SEV_HIGH, "Signature %u: %s", s->index, usage);
			ps_ev_uint(f, "signature", s->index);
			ps_ev_str(f, c->fs, "reason", usage);
			ps_ev_str(f, c->fs, "certificate", leaf->subject);
			ps_attack(f, "T1553.002");
		}
	}
	s->trusted = s->valid && chain_ok && usage_ok && !revoked && !s->blocklisted;
	if (!s->entry_valid)
		s->status = "Malformed";
	else if (!s->computed || !s->digest_ok || (s->page_hashes_checked && !s->page_hashes_ok))
		s->status = "HashMismatch";
	else if (!s->valid)
		s->status = "BadSignature";
	else if (s->blocklisted)
		s->status = "Blocklisted";
	else if (revoked)
		s->status = "Revoked";
	else if (!chain_ok && (chain_errors & ~(unsigned)(PS_CHAIN_EXPIRED | PS_CHAIN_NOT_YET_VALID)))
		s->status = "NotTrusted";
	else if (!chain_ok)
		s->status = "Expired";
	else if (!usage_ok)
		s->status = "WrongUsage";
	else
		s->status = "Valid";
}

/* ------------------------------------------------------------ compile time */

#define DELPHI_TIMESTAMP 0x2A425E19u /* 1992-06-19 22:22:17, Borland/Delphi linkers */
#define STAMP_TOLERANCE (12 * 3600)  /* header vs debug/export/resource stamps */
#define SIGN_SKEW 3600               /* build machine clock vs the TSA's */

static int64_t earliest_signing_time(const ps_pe *pe)
{
	int64_t best = PS_TIME_NONE;
	for (size_t i = 0; i < pe->n_signatures; i++) {
		int64_t s = pe->signatures[i].signing_time;
		if (s != PS_TIME_NONE && (best == PS_TIME_NONE || s < best))
			best = s;
	}
	return best;
}

static void inconsistent(ps_pectx *c, const char *where, uint32_t other)
{
	uint32_t coff = c->pe->coff.timedatestamp;
	if (!other || other == 0xFFFFFFFFu)
		return; /* not a time */
	int64_t d = (int64_t)other - (int64_t)coff;
	if (d < 0)
		d = -d;
	if (d <= STAMP_TOLERANCE)
		return;
	ps_finding *f = ps_find(c->fs, "TIME-STAMPS-INCONSISTENT", PS_SEV_MEDIUM,
	                        "The COFF TimeDateStamp and the %s timestamp are %" PRId64 " hours apart", where, d / 3600);
	ps_ev_str(f, c->fs, "field", where);
	ps_ev_time(f, "coff_time", coff);
	ps_ev_time(f, "other_time", other);
	ps_attack(f, "T1070.006");
}

static void time_findings(ps_pectx *c, const ps_trust *t)
{
	const ps_pe *pe = c->pe;
	if (pe->has_repro)
		return; /* /Brepro: the header "timestamps" are a hash of the build */
	uint32_t ts = pe->coff.timedatestamp;
	if (ts == 0) {
		ps_find(c->fs, "TIME-COMPILE-ZERO", PS_SEV_LOW, "The COFF TimeDateStamp is zero: no compile time");
		return;
	}
	if (ts == DELPHI_TIMESTAMP) {
		ps_finding *f = ps_find(c->fs, "TIME-COMPILE-CONSTANT", PS_SEV_LOW,
		                        "The compile time is a linker constant (Borland/Delphi's 1992-06-19 22:22:17), not a time");
		ps_ev_time(f, "time", ts);
		return;
	}
	/* Microsoft's linker (the Rich header says the file is its work) writes the COFF, debug,
	 * export and resource stamps from one value; other toolchains do not (Wine's winebuild
	 * writes arbitrary export stamps and hash-like COFF stamps), so their stamps prove less. */
	bool msvc = pe->rich.present;
	int64_t now = ps_trust_now(t);
	if ((int64_t)ts > now + 86400) {
		ps_finding *f = ps_find(c->fs, "TIME-COMPILE-FUTURE", msvc ? PS_SEV_MEDIUM : PS_SEV_LOW,
		                        "The compile time is in the future");
		ps_ev_time(f, "compile_time", ts);
		ps_ev_time(f, "now", now);
		ps_attack(f, "T1070.006");
	}
	int64_t signed_at = earliest_signing_time(pe);
	if (signed_at != PS_TIME_NONE && (int64_t)ts > signed_at + SIGN_SKEW) {
		ps_finding *f = ps_find(c->fs, "TIME-COMPILE-AFTER-SIGNING", PS_SEV_HIGH,
		                        "The compile time is later than the trusted signing time: the header was forged");
		ps_ev_time(f, "compile_time", ts);
		ps_ev_time(f, "signing_time", signed_at);
		ps_attack(f, "T1070.006");
	}
	if (!msvc)
		return;
	for (size_t i = 0; i < pe->n_debug; i++)
		if (pe->debug[i].timedatestamp && pe->debug[i].timedatestamp != ts) {
			inconsistent(c, "debug directory", pe->debug[i].timedatestamp);
			break;
		}
	if (pe->exports.present)
		inconsistent(c, "export directory", pe->exports.timedatestamp);
	if (pe->n_resources)
		inconsistent(c, "resource directory", pe->resource_timedatestamp);
}

/* ------------------------------------------------------------ beyond */

/* Lower-case letters and digits of s, words separated by one space, legal-form words dropped
 * ("Inc.", "Corporation", "Ltd", "GmbH", "e.V.", ...), for comparing company names. */
static void norm_company(const char *s, char *out, size_t cap)
{
	static const char *drop[] = {"inc", "incorporated", "corp", "corporation", "co", "company", "ltd",
	                             "limited", "llc", "gmbh", "ag", "sa", "sas", "srl", "bv", "nv", "ev",
	                             "e", "v", "plc", "oy", "ab", "as", "kk", "pty", "the"};
	size_t o = 0;
	char word[64];
	size_t w = 0;
	for (const char *p = s;; p++) {
		unsigned char ch = (unsigned char)*p;
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch >= 0x80;
		if (alnum && w + 1 < sizeof(word)) {
			word[w++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
			continue;
		}
		if (w) {
			word[w] = 0;
			bool skip = false;
			for (size_t k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
				skip = skip || !strcmp(word, drop[k]);
			if (!skip && o + w + 2 < cap) {
				if (o)
					out[o++] = ' ';
				memcpy(out + o, word, w);
				o += w;
			}
			w = 0;
		}
		if (!ch)
			break;
	}
	out[o] = 0;
}

/* The O= attribute of an RFC 2253 subject line, copied into buf. */
static const char *subject_org(const char *subject, char *buf, size_t cap)
{
	if (!subject)
		return NULL;
	for (const char *p = subject; *p; p++) {
		if ((p == subject || p[-1] == ',') && p[0] == 'O' && p[1] == '=') {
			size_t n = 0;
			for (const char *q = p + 2; *q && n + 1 < cap; q++) {
				if (*q == '\\' && q[1]) {
					buf[n++] = *++q;
					continue;
				}
				if (*q == ',')
					break;
				buf[n++] = *q;
			}
			buf[n] = 0;
			return buf;
		}
	}
	return NULL;
}

/* Publishers whose names malware borrows; a file claiming one of them, signed by someone
 * else, is impersonating. */
static const char *famous(const char *norm)
{
	static const char *names[] = {"microsoft", "google", "apple", "adobe", "mozilla", "oracle", "intel",
	                              "nvidia", "advanced micro devices", "cisco", "vmware", "symantec",
	                              "mcafee", "kaspersky", "eset", "avast", "sophos", "trend micro",
	                              "citrix", "dell", "hewlett packard", "lenovo", "logitech", "realtek",
	                              "qualcomm", "valve", "zoom", "dropbox", "teamviewer", "anydesk",
	                              "amazon", "facebook", "meta platforms", "igor pavlov", "piriform",
	                              "sysinternals"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *hit = strstr(norm, names[i]);
		size_t n = strlen(names[i]);
		if (hit && (hit == norm || hit[-1] == ' ') && (hit[n] == 0 || hit[n] == ' '))
			return names[i];
	}
	return NULL;
}

static void beyond_findings(ps_pectx *c)
{
	const ps_pe *pe = c->pe;
	const ps_signature *p = pe->primary;
	if (!p || !p->signer)
		return;
	const ps_cert *leaf = p->signer;
	/* a certificate bought for the campaign: first used days after issuance. Short-lived
	 * certificates (Azure Trusted Signing issues 3-day ones) are always fresh: skipped. */
	if (p->signing_time != PS_TIME_NONE && leaf->not_before != PS_TIME_NONE && leaf->not_after != PS_TIME_NONE &&
	    leaf->not_after - leaf->not_before >= 90 * 86400 && p->signing_time >= leaf->not_before &&
	    p->signing_time - leaf->not_before < 7 * 86400) {
		ps_finding *f = ps_find(c->fs, "CERT-FRESH-AT-SIGNING", PS_SEV_LOW,
		                        "The signer certificate was issued %" PRId64 " day(s) before the trusted signing time",
		                        (p->signing_time - leaf->not_before) / 86400);
		ps_ev_str(f, c->fs, "certificate", leaf->subject);
		ps_ev_time(f, "not_before", leaf->not_before);
		ps_ev_time(f, "signing_time", p->signing_time);
		ps_attack(f, "T1588.003");
	}
	const char *company = ps_version_string(pe, "CompanyName");
	if (!company || !*company)
		return;
	char org[256], nc[256], no[256], ncn[256];
	const char *o = subject_org(leaf->subject, org, sizeof(org));
	norm_company(company, nc, sizeof(nc));
	norm_company(o ? o : "", no, sizeof(no));
	norm_company(leaf->subject_cn ? leaf->subject_cn : "", ncn, sizeof(ncn));
	if (!*nc)
		return;
	bool match = (*no && (strstr(no, nc) || strstr(nc, no))) || (*ncn && (strstr(ncn, nc) || strstr(nc, ncn)));
	if (match)
		return;
	const char *claimed = famous(nc);
	bool same_famous = claimed && ((*no && strstr(no, claimed)) || (*ncn && strstr(ncn, claimed)));
	/* acquired brands that keep their name in version information */
	static const char *alias[][2] = {{"sysinternals", "microsoft"}, {"piriform", "avast"},
	                                 {"piriform", "gen digital"}, {"avast", "gen digital"}};
	for (size_t i = 0; !same_famous && i < sizeof(alias) / sizeof(alias[0]); i++)
		same_famous = strstr(nc, alias[i][0]) && ((*no && strstr(no, alias[i][1])) || (*ncn && strstr(ncn, alias[i][1])));
	if (same_famous)
		return;
	ps_finding *f = ps_find(c->fs, "SIG-PUBLISHER-MISMATCH", claimed ? PS_SEV_HIGH : PS_SEV_LOW,
	                        claimed ? "The file claims to come from a well-known publisher but is signed by someone else"
	                                : "The version information's CompanyName is not the signer's organisation");
	ps_ev_str(f, c->fs, "company_name", company);
	ps_ev_str(f, c->fs, "signer", o ? o : leaf->subject_cn);
	if (claimed) {
		ps_ev_str(f, c->fs, "claimed_publisher", claimed);
		ps_attack(f, "T1036");
	}
}

/* ------------------------------------------------------------ timeline */

static void timeline(ps_pectx *c, const ps_trust *t)
{
	ps_pe *pe = c->pe;
	enum { MAX_POINTS = 24 };
	ps_time_point *v = ps_arena_array(c->arena, MAX_POINTS, sizeof(*v));
	if (!v)
		return;
	size_t n = 0;
#define POINT(T, E, D)                                                   \
	do {                                                                \
		if ((T) != PS_TIME_NONE && n < MAX_POINTS) {                    \
			v[n].time = (T), v[n].event = (E), v[n].detail = (D), n++; \
		}                                                               \
	} while (0)
	const ps_signature *p = pe->primary;
	if (p && p->signer) {
		POINT(p->signer->not_before, "certificate valid from", p->signer->subject_cn);
		POINT(p->signer->not_after, "certificate valid until", p->signer->subject_cn);
	}
	if (pe->coff.timedatestamp && !pe->has_repro)
		POINT((int64_t)pe->coff.timedatestamp, "compiled (COFF TimeDateStamp)", NULL);
	if (p) {
		POINT(p->claimed_signing_time, "signingTime claimed (unauthenticated)", NULL);
		for (size_t i = 0; i < p->n_timestamps; i++)
			POINT(p->timestamps[i].time,
			      p->timestamps[i].verified ? "signed (trusted timestamp)" : "timestamp (not trusted)",
			      p->timestamps[i].tsa ? p->timestamps[i].tsa->subject_cn : NULL);
		for (size_t i = 0; i < p->n_revocation; i++) {
			const ps_revocation *r = &p->revocation[i];
			if (r->state != PS_REV_REVOKED)
				continue;
			POINT(r->revocation_time, r->tsa ? "TSA certificate revoked" : "certificate revoked",
			      ps_crl_reason_name(r->reason));
			POINT(r->invalidity_date, "key compromised since (invalidityDate)", r->cert ? r->cert->subject_cn : NULL);
		}
	}
	POINT(ps_trust_now(t), "now", NULL);
#undef POINT
	for (size_t i = 1; i < n; i++) /* insertion sort: stable, n <= 24 */
		for (size_t j = i; j > 0 && v[j - 1].time > v[j].time; j--) {
			ps_time_point tmp = v[j];
			v[j] = v[j - 1];
			v[j - 1] = tmp;
		}
	pe->timeline = v;
	pe->n_timeline = n;
}

void ps_judge_signatures(ps_pectx *c, const ps_trust *t)
{
	ps_pe *pe = c->pe;
	int64_t now = ps_trust_now(t);
	ps_signature *sigs = (ps_signature *)pe->signatures;
	bool strong = false, any = false;
	for (size_t i = 0; i < pe->n_signatures; i++) {
		judge_one(c, t, now, &sigs[i]);
		if (sigs[i].parsed) {
			any = true;
			ps_md_alg a = ps_md_from_name(sigs[i].digest_algorithm);
			if (a != PS_MD_MD5 && a != PS_MD_SHA1)
				strong = true;
		}
	}
	if (any && !strong) {
		ps_finding *f = ps_find(c->fs, "SIG-WEAK-DIGEST", PS_SEV_LOW,
		                        "Every signature uses %s only, a digest that collisions make forgeable",
		                        sigs[0].parsed ? sigs[0].digest_algorithm : "MD5/SHA-1");
		ps_ev_str(f, c->fs, "algorithm", sigs[0].parsed ? sigs[0].digest_algorithm : "sha1");
	}
	pe->primary = pe->n_signatures && sigs[0].parsed && sigs[0].depth == 0 ? &sigs[0] : NULL;
	if (!pe->has_certificate_table) {
		pe->signature_status = "NotSigned";
		ps_find(c->fs, "SIG-NOT-SIGNED", PS_SEV_INFO, "The file carries no Authenticode signature");
	} else if (!pe->primary) {
		pe->signature_status = "Malformed";
	} else {
		pe->signature_status = pe->primary->status;
	}
	time_findings(c, t);
	beyond_findings(c);
	timeline(c, t);
}
