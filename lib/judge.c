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
#include "pesleuth/error.h"

static bool eku_allows(const ps_cert *c, bool ts)
{
	if (!c->has_eku)
		return true;
	return c->eku_any || (ts ? c->eku_time_stamping : c->eku_code_signing);
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
	/* the TSA certificate itself must carry the timeStamping EKU (Windows requires it) */
	bool eku = ts->tsa->has_eku && (ts->tsa->eku_time_stamping);
	for (size_t i = 1; i < ch.n && eku; i++)
		if (ch.v[i] && !eku_allows(ch.v[i], true))
			eku = false;
	ts->chain_trusted = !ch.errors && eku;
	ts->verified = ts->chain_trusted;
	if (ch.errors)
		ts->chain_error = ch.first_error ? ch.first_error : "the TSA chain is not trusted";
	else if (!eku)
		ts->chain_error = "the TSA certificate lacks the timeStamping EKU";
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
	bool chain_ok = false, usage_ok = false;
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
	s->trusted = s->valid && chain_ok && usage_ok;
	if (!s->entry_valid)
		s->status = "Malformed";
	else if (!s->computed || !s->digest_ok || (s->page_hashes_checked && !s->page_hashes_ok))
		s->status = "HashMismatch";
	else if (!s->valid)
		s->status = "BadSignature";
	else if (!chain_ok && (chain_errors & ~(unsigned)(PS_CHAIN_EXPIRED | PS_CHAIN_NOT_YET_VALID)))
		s->status = "NotTrusted";
	else if (!chain_ok)
		s->status = "Expired";
	else if (!usage_ok)
		s->status = "WrongUsage";
	else
		s->status = "Valid";
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
}
