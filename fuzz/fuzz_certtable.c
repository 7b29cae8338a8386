/* libFuzzer harness: the certificate table and the PKCS#7/CMS path, crypto on — WIN_CERTIFICATE
 * walk, signature decoding (OpenSSL), nested signatures, timestamps, the Authenticode digests
 * in the pass, page hashes, and the judgement with chain building.
 *
 * Input: a whole PE when it starts with "MZ" (so ../shared's signed files seed it as they are),
 * otherwise raw certificate-table bytes, placed at the end of a minimal valid PE whose security
 * directory points at them — so mutations land in the DER, not in headers.
 *
 * Build: scripts/fuzz.sh build; replayed without libFuzzer by make check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pesleuth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 0x400u /* headers and one empty section; the table follows at this offset */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A minimal PE32: DOS header, PE header, one section of 0x200 bytes at 0x200, the table at
 * HDR. */
static uint8_t *wrap(const uint8_t *table, size_t n, size_t *len)
{
	if (n > (64u << 20))
		n = 64u << 20;
	uint8_t *b = calloc(1, HDR + n);
	if (!b)
		abort();
	b[0] = 'M', b[1] = 'Z';
	put32(b + 0x3C, 0x40);
	uint8_t *pe = b + 0x40;
	put32(pe, 0x00004550);
	put16(pe + 4, 0x014c);
	put16(pe + 6, 1);
	put16(pe + 20, 0xE0);
	put16(pe + 22, 0x0102);
	uint8_t *o = pe + 24;
	put16(o, 0x10b);
	put32(o + 16, 0x1000);  /* entry point */
	put32(o + 28, 0x400000); /* image base */
	put32(o + 32, 0x1000);
	put32(o + 36, 0x200);
	put32(o + 56, 0x2000); /* SizeOfImage */
	put32(o + 60, 0x200);  /* SizeOfHeaders */
	put16(o + 68, 3);
	put32(o + 92, 16);
	put32(o + 96 + 8 * 4, HDR);           /* security directory: a file offset */
	put32(o + 96 + 8 * 4 + 4, (uint32_t)n);
	uint8_t *s = o + 0xE0;
	memcpy(s, ".text", 5);
	put32(s + 8, 0x200);
	put32(s + 12, 0x1000);
	put32(s + 16, 0x200);
	put32(s + 20, 0x200);
	put32(s + 36, 0x60000020);
	b[0x200] = 0xC3;
	memcpy(b + HDR, table, n);
	*len = HDR + n;
	return b;
}

static ps_trust *trust(void)
{
	static ps_trust *t;
	if (!t) {
		if (ps_trust_new(&t) != PS_OK)
			abort();
		ps_trust_set_now(t, 1700000000); /* deterministic judgement */
		(void)ps_trust_add_system_anchors(t); /* real roots, so chains can succeed */
	}
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *owned = NULL;
	size_t len = size;
	const uint8_t *buf = data;
	if (size < 2 || data[0] != 'M' || data[1] != 'Z') {
		owned = wrap(data, size, &len);
		buf = owned;
	}
	ps_options opt;
	ps_options_init(&opt);
	opt.trust = trust();
	opt.authentihash = size & 1; /* both planning paths */
	ps_report *r = NULL;
	if (ps_analyze_buffer(&r, buf, len, "fuzz", &opt) != PS_OK)
		abort(); /* only memory exhaustion may fail, and inputs are bounded */
	const ps_pe *pe = r->pe;
	if (pe) {
		fuzz_touch_pe(pe);
		for (size_t i = 0; i < pe->n_signatures; i++) {
			const ps_signature *s = &pe->signatures[i];
			FUZZ_CHECK(s->index == i, "signatures are in document order");
			FUZZ_CHECK(s->parent < (int)i, "a nested signature follows its parent");
			FUZZ_CHECK(s->status != NULL, "every signature is judged");
			FUZZ_CHECK(!s->trusted || s->valid, "trusted implies valid");
			FUZZ_CHECK(!s->valid || (s->digest_ok && s->signature_ok), "valid implies digest and signature");
			FUZZ_CHECK(s->digest_len <= sizeof(s->signed_digest), "digest length bounded");
			for (size_t k = 0; k < s->n_chain; k++)
				if (s->chain[k])
					fuzz_touch_str(s->chain[k]->subject);
			for (size_t k = 0; k < s->n_timestamps; k++) {
				const ps_timestamp *t = &s->timestamps[k];
				FUZZ_CHECK(!t->verified || (t->imprint_ok && t->signature_ok && t->chain_trusted),
				           "a verified timestamp passed every check");
				if (t->tsa)
					fuzz_touch_str(t->tsa->subject);
			}
			if (s->signer) {
				fuzz_touch_str(s->signer->subject);
				fuzz_touch_str(s->signer->issuer);
				fuzz_sink += s->signer->der_len ? s->signer->der[s->signer->der_len - 1] : 0;
			}
			for (size_t k = 0; k < s->page_hash_table_len; k++)
				fuzz_sink += s->page_hash_table[k];
		}
		FUZZ_CHECK(pe->signature_status != NULL, "the file's signature status is set");
	}
	char *js = NULL;
	if (ps_report_json(&js, r, PS_JSON_DETAIL) != PS_OK)
		abort();
	FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *)js, strlen(js)), "JSON is valid UTF-8");
	free(js);
	ps_report_free(r);
	free(owned);
	return 0;
}
