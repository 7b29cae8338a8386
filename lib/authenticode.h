/* Authenticode facts: the certificate table, the signatures in it (through the crypto
 * module), and the file digests they sign, computed in the single pass. Judgement (chains,
 * timestamps, status) is judge.c's. */
#ifndef PS_AUTHENTICODE_H
#define PS_AUTHENTICODE_H

#include "crypto.h"
#include "pass.h"
#include "pe.h"

typedef struct ps_sigplan {
	ps_vec sigs;                /* ps_signature, document order */
	int linear[PS_MD_COUNT];    /* pass digest handle per algorithm, -1 when not needed */
	int section[PS_MD_COUNT];   /* section-method handle, -1: same ranges as linear or not needed */
	ps_range *lin, *sec;
	size_t n_lin, n_sec, pad;
	bool sec_same;              /* both methods cover exactly the same bytes */
	bool sec_streamable;        /* the section-method ranges are in file order */
	int pages[PS_MD_COUNT];     /* page-hash handle per algorithm, -1 when not needed */
	ps_page *pagev;             /* the pages a page-hash table covers, in table order */
	uint64_t *page_off;         /* file offset of each page */
	size_t n_pages;
	uint64_t page_end;          /* offset of the final (zero-hash) entry */
	bool pages_streamable;
	bool table_valid;           /* a certificate table whose bytes are inside the file */
	uint64_t table_start, table_end;
} ps_sigplan;

void ps_sigplan_init(ps_sigplan *sp);
void ps_sigplan_free(ps_sigplan *sp);

/* Walks the certificate table (findings SIG-MALFORMED, SIG-CERT-PADDING,
 * SIG-DATA-AFTER-TABLE) and decodes every signature in it. */
void ps_authenticode_parse(ps_pectx *c, ps_sigplan *sp);

/* Adds to the pass the Authenticode digests the signatures need (and the SHA-256 one when
 * `authentihash` is asked for an unsigned PE). */
int ps_authenticode_plan(ps_pectx *c, ps_sigplan *sp, ps_pass *pass, bool authentihash);

/* After the pass: computed digests, digest_ok, section_digest_ok, the authentihash;
 * findings SIG-DIGEST-MISMATCH, SIG-HASH-METHODS-DISAGREE. Publishes pe->signatures. */
void ps_authenticode_finish(ps_pectx *c, ps_sigplan *sp, const ps_pass *pass);

/* Judgement of every signature against a trust context (judge.c): timestamps, chains,
 * EKU, validity; trust findings; statuses; pe->primary and pe->signature_status. */
void ps_judge_signatures(ps_pectx *c, const ps_trust *t);

#endif
