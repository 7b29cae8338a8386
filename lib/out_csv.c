/* CSV rendering of a report, one row per file, for spreadsheets (the way `sigcheck -c` is
 * used): RFC 4180 (comma separator, CRLF line ends, a cell quoted when it holds a comma,
 * a double quote, CR or LF, quotes doubled), UTF-8.
 *
 * Cells hold file-controlled text, so two things are done to every cell before quoting:
 *  - Text: invalid UTF-8 becomes U+FFFD, and so does every code point the terminal output
 *    escapes (C0 and C1 controls, DEL, bidi overrides and isolates, zero-width and other
 *    invisible format characters, see ps_cp_is_unsafe), except TAB, CR and LF, which a quoted
 *    cell carries as they are. A spreadsheet has no use for them, and a CSV that is `cat`
 *    to a terminal cannot then drive it, nor can a right-to-left override make
 *    "invoice\u202Efdp.exe" read as "invoiceexe.pdf" in a column of names.
 *  - Formula injection (OWASP "CSV Injection"): a cell whose first character is = + - @ TAB
 *    or CR would be evaluated by Excel, LibreOffice or Google Sheets as a formula (DDE
 *    payloads such as =cmd|' /C calc'!A0 in a version string). Such a cell gets a leading
 *    apostrophe, which spreadsheets show as text. A cell that already starts with an
 *    apostrophe gets one more, so that "remove one leading apostrophe from a cell that
 *    starts with one" restores the value exactly, for programs that read the CSV back.
 * Absent values are empty cells. Numbers are decimal, hex lowercase, times ISO 8601 UTC
 * with Z (the conventions of the JSON output).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pesleuth/analyze.h"
#include "pesleuth/error.h"
#include "pesleuth/output.h"
#include "text.h"

/* The columns, in order (docs: output.h). */
static const char *const columns[] = {
	"path", "verdict", "findings", "finding_ids", "verified", "signing_date", "publisher",
	"issuer", "cert_sha1", "company", "description", "product", "product_version",
	"file_version", "original_file_name", "machine", "subsystem", "compile_time", "imphash",
	"rich_hash", "md5", "sha1", "sha256", "size",
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

/* A growing line with a sticky error. */
typedef struct cb {
	char *p;
	size_t n, cap;
	size_t cells; /* cells written on this line */
	int err;
} cb;

static int reserve(cb *b, size_t more)
{
	if (b->err)
		return -1;
	size_t need;
	if (__builtin_add_overflow(b->n, more, &need) || __builtin_add_overflow(need, 1, &need)) {
		b->err = 1;
		return -1;
	}
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (__builtin_mul_overflow(cap, 2, &cap)) {
			b->err = 1;
			return -1;
		}
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->err = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void put(cb *b, const char *s, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static int formula_start(unsigned char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' || c == '\'';
}

/* Appends one cell (the separator first unless it is the line's first); NULL is empty. */
static void cell(cb *b, const char *s)
{
	if (b->cells++)
		put(b, ",", 1);
	if (!s || !*s)
		return;
	size_t len = strlen(s);
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	/* Worst case: every byte an invalid one (U+FFFD, 3 bytes) or a doubled quote (2), plus
	 * the apostrophe and two quotes. */
	if (len > (SIZE_MAX - 4) / 3) {
		b->err = 1;
		return;
	}
	if (reserve(b, 3 * len + 3) != 0)
		return;
	char *o = b->p + b->n;
	if (quote)
		*o++ = '"';
	if (formula_start((unsigned char)s[0]))
		*o++ = '\'';
	const uint8_t *u = (const uint8_t *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t l = ps_utf8_next(u + i, len - i, &cp);
		if (l == 0) {
			o += ps_utf8_put(o, 0xFFFD);
			i++;
			continue;
		}
		if (cp == '"') {
			*o++ = '"';
			*o++ = '"';
		} else if (cp != '\t' && cp != '\r' && cp != '\n' && ps_cp_is_unsafe(cp)) {
			o += ps_utf8_put(o, 0xFFFD);
		} else {
			memcpy(o, u + i, l);
			o += l;
		}
		i += l;
	}
	if (quote)
		*o++ = '"';
	*o = 0;
	b->n = (size_t)(o - b->p);
}

static void cell_u64(cb *b, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	cell(b, buf);
}

static void cell_hex(cb *b, const uint8_t *p, size_t n)
{
	char buf[129];
	cell(b, ps_hex(buf, p, n > 64 ? 64 : n));
}

/* ps_time_iso; empty for PS_TIME_NONE or outside the years 0000-9999. */
static void cell_time(cb *b, int64_t t)
{
	char buf[PS_TIME_ISO_SIZE];
	cell(b, ps_time_iso(buf, t));
}

static int finish(char **out, cb *b)
{
	if (!b->err && b->cells != N_COLUMNS) { /* a column added to one list and not the other */
		free(b->p);
		return PS_EINTERNAL;
	}
	put(b, "\r\n", 2);
	if (b->err) {
		free(b->p);
		return PS_ENOMEM;
	}
	*out = b->p;
	return PS_OK;
}

int ps_report_csv_header(char **out)
{
	if (!out)
		return PS_EINVAL;
	*out = NULL;
	cb b = {0};
	for (size_t i = 0; i < N_COLUMNS; i++)
		cell(&b, columns[i]);
	return finish(out, &b);
}

/* Finding IDs in report order, each once, space-separated. */
static void cell_finding_ids(cb *b, const ps_report *r)
{
	cb ids = {0};
	for (size_t i = 0; i < r->n_findings; i++) {
		const char *id = r->findings[i].id;
		if (!id)
			continue;
		size_t k = 0;
		while (k < i && !(r->findings[k].id && !strcmp(r->findings[k].id, id)))
			k++;
		if (k < i)
			continue;
		if (ids.n)
			put(&ids, " ", 1);
		put(&ids, id, strlen(id));
	}
	if (ids.err)
		b->err = 1;
	cell(b, ids.p);
	free(ids.p);
}

int ps_report_csv(char **out, const ps_report *r)
{
	if (!out)
		return PS_EINVAL;
	*out = NULL;
	if (!r)
		return PS_EINVAL;
	cb b = {0};
	const ps_pe *pe = r->pe;
	const ps_signature *p = pe ? pe->primary : NULL;
	const ps_cert *signer = p ? p->signer : NULL;

	if (r->path) { /* the caller's bytes, not necessarily UTF-8 */
		size_t n = strlen(r->path);
		char *u = n <= (SIZE_MAX - 1) / 3 ? malloc(PS_UTF8_BOUND(n)) : NULL;
		if (!u)
			b.err = 1;
		else
			ps_utf8_from_bytes(u, (const uint8_t *)r->path, n);
		cell(&b, u);
		free(u);
	} else {
		cell(&b, NULL);
	}
	cell(&b, ps_report_verdict(r));
	cell_u64(&b, r->n_findings);
	cell_finding_ids(&b, r);
	/* sigcheck's "Verified" column: "Signed" for a trusted signature, else why not. */
	if (p && p->trusted)
		cell(&b, "Signed");
	else
		cell(&b, pe && pe->signature_status ? pe->signature_status : "NotSigned");
	cell_time(&b, p ? p->signing_time : PS_TIME_NONE);
	cell(&b, signer ? signer->subject_cn : NULL);
	cell(&b, signer ? signer->issuer : NULL);
	if (signer)
		cell_hex(&b, signer->sha1, sizeof(signer->sha1));
	else
		cell(&b, NULL);
	cell(&b, pe ? ps_version_string(pe, "CompanyName") : NULL);
	cell(&b, pe ? ps_version_string(pe, "FileDescription") : NULL);
	cell(&b, pe ? ps_version_string(pe, "ProductName") : NULL);
	cell(&b, pe ? ps_version_string(pe, "ProductVersion") : NULL);
	cell(&b, pe ? ps_version_string(pe, "FileVersion") : NULL);
	cell(&b, pe ? ps_version_string(pe, "OriginalFilename") : NULL);
	cell(&b, pe ? ps_machine_name(pe->coff.machine) : NULL);
	cell(&b, pe ? ps_subsystem_name(pe->opt.subsystem) : NULL);
	/* As in the JSON: a REPRO build's field is a hash and zero is no time; neither is a date. */
	if (pe && pe->coff.timedatestamp && !pe->has_repro)
		cell_time(&b, pe->coff.timedatestamp);
	else
		cell(&b, NULL);
	cell(&b, pe ? pe->imphash : NULL);
	if (pe && pe->rich.present)
		cell_hex(&b, pe->rich.hash_md5, sizeof(pe->rich.hash_md5));
	else
		cell(&b, NULL);
	const ps_hashes *h = &r->hashes;
	if (h->computed & PS_HASH_MD5)
		cell_hex(&b, h->md5, sizeof(h->md5));
	else
		cell(&b, NULL);
	if (h->computed & PS_HASH_SHA1)
		cell_hex(&b, h->sha1, sizeof(h->sha1));
	else
		cell(&b, NULL);
	if (h->computed & PS_HASH_SHA256)
		cell_hex(&b, h->sha256, sizeof(h->sha256));
	else
		cell(&b, NULL);
	cell_u64(&b, r->size);
	return finish(out, &b);
}
