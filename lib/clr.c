/* CLR (.NET) header and the metadata root's version string.
 *
 * "Is .NET" follows pefile (directory 14 has a non-zero RVA; Windows' loader likewise treats
 * an image with a COM descriptor directory as managed), so a file whose header is damaged
 * still counts as .NET and gets a PE-CLR-MALFORMED finding. The directory's Size is not
 * checked (pefile does not either): the header is read whatever it declares.
 * IMAGE_COR20_HEADER is ECMA-335 II.25.3.3; the metadata root is II.24.2.1.
 */
#include "pe.h"

#define COR20_FIXED 24u   /* cb .. EntryPointToken: what the model holds */
#define COR20_SIZE 72u    /* the whole header */
#define BSJB 0x424A5342u  /* "BSJB", metadata root signature */
#define MD_ROOT_FIXED 16u /* signature, major, minor, reserved, length */
#define MD_VERSION_MAX 255u /* II.24.2.1: the string with its NUL is at most 256 bytes */

static ps_finding *malformed(ps_pectx *c, const char *why, uint64_t rva)
{
	return ps_pe_malformed(c, "PE-CLR-MALFORMED", PS_SEV_LOW, "The .NET (CLR) header is damaged; only the readable part is reported", why, rva);
}

static void metadata_root(ps_pectx *c, ps_clr *clr)
{
	uint64_t rva = clr->metadata_rva;
	ps_rd r;
	if (!rva) {
		malformed(c, "the CLR header has no metadata", rva);
		return;
	}
	if (!ps_pe_rva(c, rva, &r) || !ps_rd_has(&r, MD_ROOT_FIXED)) {
		malformed(c, "metadata root is not in the file", rva);
		return;
	}
	uint32_t sig = ps_rd_u32(&r);
	if (sig != BSJB) {
		ps_finding *f = malformed(c, "metadata root signature is not BSJB", rva);
		ps_ev_uint(f, "signature", sig);
		return;
	}
	ps_rd_skip(&r, 2 + 2 + 4); /* MajorVersion, MinorVersion, Reserved */
	uint32_t length = ps_rd_u32(&r);
	size_t want = length < MD_VERSION_MAX ? length : MD_VERSION_MAX;
	const char *why = NULL;
	if (want > ps_rd_remaining(&r)) {
		want = ps_rd_remaining(&r);
		why = "metadata version string runs past the end of the file";
	}
	ps_rd v;
	ps_rd_take(&r, want, &v);
	const uint8_t *s;
	size_t n;
	bool term;
	ps_rd_cstr(&v, want, &s, &n, &term);
	if (!term && length > MD_VERSION_MAX && !why)
		why = "metadata version string is longer than 255 bytes";
	clr->metadata_version = ps_arena_strndup(c->arena, s ? s : (const uint8_t *)"", s ? n : 0);
	if (why)
		malformed(c, why, rva);
}

void ps_pe_clr(ps_pectx *c)
{
	ps_pe *pe = c->pe;
	if (pe->n_directories <= PS_DIR_CLR || !pe->dirs[PS_DIR_CLR].rva)
		return;
	ps_clr *clr = &pe->clr;
	clr->present = true;
	uint64_t dir_rva = pe->dirs[PS_DIR_CLR].rva;
	ps_rd r;
	if (!ps_pe_rva(c, dir_rva, &r) || !ps_rd_has(&r, COR20_FIXED)) {
		malformed(c, "CLR header is not in the file", dir_rva);
		return;
	}
	bool whole = ps_rd_has(&r, COR20_SIZE);
	ps_rd_skip(&r, 4); /* cb: 0x48 in every assembly; we rely on the layout, not on it */
	clr->major_runtime_version = ps_rd_u16(&r);
	clr->minor_runtime_version = ps_rd_u16(&r);
	clr->metadata_rva = ps_rd_u32(&r);
	clr->metadata_size = ps_rd_u32(&r);
	clr->flags = ps_rd_u32(&r);
	clr->entry_point_token = ps_rd_u32(&r);
	if (!whole)
		malformed(c, "CLR header is cut off by the end of the data behind it", dir_rva);
	metadata_root(c, clr);
}
