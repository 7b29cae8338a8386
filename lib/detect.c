/* The seed reports' traits (detect.h). Rules, thresholds and their false-positive traps are
 * documented one line per ID in docs/FINDINGS.md; calibration: bench/calibrate.sh. */
#include "detect.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "findings.h"
#include "ioc.h"
#include "limits.h"
#include "netind.h"
#include "pesleuth/error.h"
#include "rules.h"
#include "strscan.h"
#include "text.h"
#include "xorscan.h"

#define SCN_CNT_CODE 0x00000020u
#define SCN_MEM_EXECUTE 0x20000000u
#define SCN_MEM_WRITE 0x80000000u
#define NONE UINT64_MAX

/* ------------------------------------------------------------ API names
 * Functions whose presence (imported, or named by a string and resolved at run time) the
 * capability rules combine. Sorted by strcmp for bsearch. */
enum api_class {
	C_CREATEPROC, C_UNMAP, C_SETCTX, C_WRITEMEM, C_RESUME, C_OPENPROC, C_ALLOCEX,
	C_REMOTETHREAD, C_GETPROC, C_LOADLIB, C_HOOK, C_KEYSTATE, C_KEYWEAK, C_FGWIN, C_WINTEXT, C_ADJPRIV,
	C_REGWRITE, C_FILEOP, C_MINIDUMP, C_OTHER, C_COUNT
};

typedef struct api_def {
	const char *name;
	enum api_class cls;
} api_def;

static const api_def apis[] = {
	{"AdjustTokenPrivileges", C_ADJPRIV},
	{"CheckRemoteDebuggerPresent", C_OTHER},
	{"CreateFileA", C_FILEOP},
	{"CreateFileW", C_FILEOP},
	{"CreateProcessA", C_CREATEPROC},
	{"CreateProcessAsUserA", C_CREATEPROC},
	{"CreateProcessAsUserW", C_CREATEPROC},
	{"CreateProcessInternalA", C_CREATEPROC},
	{"CreateProcessInternalW", C_CREATEPROC},
	{"CreateProcessW", C_CREATEPROC},
	{"CreateRemoteThread", C_REMOTETHREAD},
	{"CreateRemoteThreadEx", C_REMOTETHREAD},
	{"CreateServiceA", C_OTHER},
	{"CreateServiceW", C_OTHER},
	{"CreateToolhelp32Snapshot", C_OTHER},
	{"CryptAcquireContextA", C_OTHER},
	{"CryptAcquireContextW", C_OTHER},
	{"CryptDecrypt", C_OTHER},
	{"DeleteFileA", C_FILEOP},
	{"DeleteFileW", C_FILEOP},
	{"GetAsyncKeyState", C_KEYSTATE},
	{"GetForegroundWindow", C_FGWIN},
	{"GetKeyState", C_KEYWEAK},
	{"GetKeyboardState", C_KEYSTATE},
	{"GetModuleHandleA", C_LOADLIB},
	{"GetModuleHandleExA", C_LOADLIB},
	{"GetModuleHandleExW", C_LOADLIB},
	{"GetModuleHandleW", C_LOADLIB},
	{"GetProcAddress", C_GETPROC},
	{"GetWindowTextA", C_WINTEXT},
	{"GetWindowTextW", C_WINTEXT},
	{"HttpOpenRequestA", C_OTHER},
	{"HttpOpenRequestW", C_OTHER},
	{"HttpSendRequestA", C_OTHER},
	{"HttpSendRequestW", C_OTHER},
	{"InternetConnectA", C_OTHER},
	{"InternetConnectW", C_OTHER},
	{"InternetOpenA", C_OTHER},
	{"InternetOpenUrlA", C_OTHER},
	{"InternetOpenUrlW", C_OTHER},
	{"InternetOpenW", C_OTHER},
	{"InternetReadFile", C_OTHER},
	{"IsDebuggerPresent", C_OTHER},
	{"LdrGetProcedureAddress", C_GETPROC},
	{"LdrLoadDll", C_LOADLIB},
	{"LoadLibraryA", C_LOADLIB},
	{"LoadLibraryExA", C_LOADLIB},
	{"LoadLibraryExW", C_LOADLIB},
	{"LoadLibraryW", C_LOADLIB},
	{"LookupPrivilegeValueA", C_OTHER},
	{"LookupPrivilegeValueW", C_OTHER},
	{"MapVirtualKeyA", C_KEYSTATE},
	{"MapVirtualKeyExA", C_KEYSTATE},
	{"MapVirtualKeyExW", C_KEYSTATE},
	{"MapVirtualKeyW", C_KEYSTATE},
	{"MiniDumpWriteDump", C_MINIDUMP},
	{"NtAllocateVirtualMemory", C_ALLOCEX},
	{"NtCreateThreadEx", C_REMOTETHREAD},
	{"NtOpenProcess", C_OPENPROC},
	{"NtQueryInformationProcess", C_OTHER},
	{"NtResumeThread", C_RESUME},
	{"NtSetContextThread", C_SETCTX},
	{"NtUnmapViewOfSection", C_UNMAP},
	{"NtWriteVirtualMemory", C_WRITEMEM},
	{"OpenProcess", C_OPENPROC},
	{"OpenProcessToken", C_OTHER},
	{"Process32First", C_OTHER},
	{"Process32FirstW", C_OTHER},
	{"Process32Next", C_OTHER},
	{"Process32NextW", C_OTHER},
	{"ReadProcessMemory", C_OTHER},
	{"RegCreateKeyA", C_REGWRITE},
	{"RegCreateKeyExA", C_REGWRITE},
	{"RegCreateKeyExW", C_REGWRITE},
	{"RegCreateKeyW", C_REGWRITE},
	{"RegOpenKeyExA", C_OTHER},
	{"RegOpenKeyExW", C_OTHER},
	{"RegSetKeyValueA", C_REGWRITE},
	{"RegSetKeyValueW", C_REGWRITE},
	{"RegSetValueA", C_REGWRITE},
	{"RegSetValueExA", C_REGWRITE},
	{"RegSetValueExW", C_REGWRITE},
	{"RegSetValueW", C_REGWRITE},
	{"ResumeThread", C_RESUME},
	{"RtlAdjustPrivilege", C_ADJPRIV},
	{"RtlCreateUserThread", C_REMOTETHREAD},
	{"SHSetValueA", C_REGWRITE},
	{"SHSetValueW", C_REGWRITE},
	{"SetThreadContext", C_SETCTX},
	{"SetWindowsHookExA", C_HOOK},
	{"SetWindowsHookExW", C_HOOK},
	{"ShellExecuteA", C_OTHER},
	{"ShellExecuteExA", C_OTHER},
	{"ShellExecuteExW", C_OTHER},
	{"ShellExecuteW", C_OTHER},
	{"StartServiceA", C_OTHER},
	{"StartServiceW", C_OTHER},
	{"ToAscii", C_KEYSTATE},
	{"ToAsciiEx", C_KEYSTATE},
	{"ToUnicode", C_KEYSTATE},
	{"ToUnicodeEx", C_KEYSTATE},
	{"URLDownloadToFileA", C_OTHER},
	{"URLDownloadToFileW", C_OTHER},
	{"VirtualAlloc", C_OTHER},
	{"VirtualAllocEx", C_ALLOCEX},
	{"VirtualAllocExNuma", C_ALLOCEX},
	{"VirtualProtect", C_OTHER},
	{"VirtualProtectEx", C_OTHER},
	{"WSAStartup", C_OTHER},
	{"WinExec", C_OTHER},
	{"WinHttpConnect", C_OTHER},
	{"WinHttpOpen", C_OTHER},
	{"WinHttpSendRequest", C_OTHER},
	{"Wow64SetThreadContext", C_SETCTX},
	{"WriteFile", C_FILEOP},
	{"WriteProcessMemory", C_WRITEMEM},
	{"ZwAllocateVirtualMemory", C_ALLOCEX},
	{"ZwCreateThreadEx", C_REMOTETHREAD},
	{"ZwOpenProcess", C_OPENPROC},
	{"ZwResumeThread", C_RESUME},
	{"ZwSetContextThread", C_SETCTX},
	{"ZwUnmapViewOfSection", C_UNMAP},
	{"ZwWriteVirtualMemory", C_WRITEMEM},
};
#define N_APIS (sizeof(apis) / sizeof(apis[0]))

static int api_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const api_def *)elem)->name);
}


#define API_SLOTS 1024u
_Static_assert(N_APIS < 255 && N_APIS < API_SLOTS / 4, "API table");

/* Slot of a name of n >= 4 characters: its length and its first and last four bytes, O(1)
 * per string (most strings are not API names; a full compare settles the rest). */
static uint32_t api_hash(const char *s, size_t n)
{
	uint32_t a, b;
	memcpy(&a, s, 4);
	memcpy(&b, s + n - 4, 4);
	uint32_t h = (uint32_t)n * 0x9e3779b1u ^ a * 0x85ebca77u ^ b * 0xc2b2ae3du;
	return (h ^ h >> 15) & (API_SLOTS - 1);
}

static long api_find(const char *name)
{
	const api_def *d = bsearch(name, apis, N_APIS, sizeof(apis[0]), api_cmp);
	return d ? (long)(d - apis) : -1;
}

/* ------------------------------------------------------------ needles
 * Case-insensitive substrings of extracted strings. */
enum needle_class {
	K_SVCHOST, K_ZONE, K_RUN, K_POLRUN, K_CRED, K_LSASS, K_RA, K_FW, K_REGADD, K_KEYMARK, K_PRIV,
	K_COUNT
};

typedef struct needle_def {
	const char *text; /* lowercase */
	enum needle_class cls;
} needle_def;

static const needle_def needles[] = {
	{"svchost.exe -k", K_SVCHOST},
	{"-k netsvc", K_SVCHOST},
	{":zone.identifier", K_ZONE},
	{"\\currentversion\\run", K_RUN},
	{"\\policies\\explorer\\run", K_POLRUN},
	{"mimikatz", K_CRED},
	{"sekurlsa", K_CRED},
	{"logonpasswords", K_CRED},
	{"lsass.exe", K_LSASS},
	{"vnc.plug", K_RA},
	{"ammyy", K_RA},
	{"rfb 003.", K_RA},
	{"tightvnc", K_RA},
	{"ultravnc", K_RA},
	{"rdpwrap", K_RA},
	{"fdenytsconnections", K_RA},
	{"netsh firewall", K_FW},
	{"netsh advfirewall", K_FW},
	{"hnetcfg.fwpolicy2", K_FW},
	{"hnetcfg.fwmgr", K_FW},
	{"authorizedapplications\\list", K_FW},
	{"reg add", K_REGADD},
	{"[backspace]", K_KEYMARK},
	{"[enter]", K_KEYMARK},
	{"[tab]", K_KEYMARK},
	{"[shift]", K_KEYMARK},
	{"[ctrl]", K_KEYMARK},
	{"[caps lock]", K_KEYMARK},
	{"sedebugprivilege", K_PRIV},
	{"serestoreprivilege", K_PRIV},
	{"sebackupprivilege", K_PRIV},
	{"setcbprivilege", K_PRIV},
	{"seloaddriverprivilege", K_PRIV},
	{"setakeownershipprivilege", K_PRIV},
	{"seimpersonateprivilege", K_PRIV},
	{"seassignprimarytokenprivilege", K_PRIV},
};
#define N_NEEDLES (sizeof(needles) / sizeof(needles[0]))
_Static_assert(N_NEEDLES + PS_MAX_PREFILTER <= 255, "needle indexes are bytes");
#define HIT_TEXT 160u

#define HIT_OFFSETS 4u

typedef struct hit {
	uint64_t count;
	uint64_t offset; /* first occurrence, NONE when none */
	uint64_t offsets[HIT_OFFSETS]; /* the first occurrences */
	char text[HIT_TEXT + 1]; /* the whole string it was found in (truncated) */
} hit;

typedef struct indicator {
	ps_ni_kind kind;
	bool ip_host, ip_public, decoded;
	uint64_t offset, count;
	char text[PS_NI_MAX_TEXT];
	char host[PS_NI_MAX_HOST];
} indicator;

typedef struct xorrec {
	uint64_t offset;
	ps_xor_method method;
	uint8_t key;
	bool wide;
	const char *anchor;
	char text[PS_XOR_MAX_DECODED + 1];
} xorrec;

#define PRIV_NAMES_KEPT 16u
#define OVERLAY_MZ_CHECKS 4096u
#define OVERLAY_MAX_LFANEW 0x1000u

struct ps_traits {
	ps_strscan ss;
	ps_xorscan xs;
	bool is_pe;
	uint64_t cert_lo, cert_hi; /* the certificate table: strings there are not the program's */
	/* API names seen as standalone strings (first offset) */
	uint64_t api_str[N_APIS];
	uint8_t api_slot[API_SLOTS]; /* open-addressing table of the API names (index + 1) */
	uint8_t nlen[N_NEEDLES + PS_MAX_PREFILTER]; /* needle and prefilter lengths */
	hit needle[N_NEEDLES];
	uint8_t bloom_bits[3][32]; /* the same first trigrams in the AVX-512 filter (bloom_hash) */
	uint64_t trigram_bits[65536 / 64]; /* some needle starts with three lowercase bytes of
	                                     * this hash (trigram_hash) */
	uint8_t bigram[65536]; /* first needle (index + 1) starting with these two lowercase bytes */
	uint8_t next_needle[N_NEEDLES + PS_MAX_PREFILTER]; /* the next one with the same first two
	                                                     * bytes (index + 1); prefilter literals
	                                                     * follow the needles */
	/* the YARA prefilter (rules.h): literals, and whether one was seen */
	const char *const *pf;
	size_t n_pf;
	bool pf_hit;
	/* distinct privilege names ("Se...Privilege") */
	char priv_names[PRIV_NAMES_KEPT][40];
	unsigned n_priv_names;
	indicator ind[PS_MAX_NET_INDICATORS];
	size_t n_ind;
	uint64_t ind_dropped;
	xorrec xr[PS_MAX_XOR_HITS];
	size_t n_xr;
	/* IOC-NETWORK: matched as indicators are found, so a file with many benign indicators
	 * cannot push a feed's out of the kept list */
	const ps_iocs *iocs;
	struct iochit {
		const ps_ioc_match *m;
		uint64_t offset;
		bool decoded;
		char text[PS_NI_MAX_TEXT];
	} ioc[PS_MAX_NET_INDICATORS];
	size_t n_ioc;
	bool decoding; /* netind callbacks come from a decoded string */
	uint64_t decoding_offset;
	/* overlay (without the certificate table): up to two ranges */
	uint64_t ov_lo[2], ov_hi[2];
	unsigned n_ov;
	uint64_t ov_hist[256];
	uint64_t ov_bytes;
	uint64_t ov_pe_offset; /* first embedded PE, NONE */
	uint64_t ov_pe_count;
	unsigned ov_mz_checks;
	char lower[PS_STR_MAX_LEN + 1];
};

/* ASCII lowercase of a byte */
static const uint8_t lct[256] = {
#define R4(i) (i), (i) + 1, (i) + 2, (i) + 3
#define R16(i) R4(i), R4((i) + 4), R4((i) + 8), R4((i) + 12)
	R16(0x00), R16(0x10), R16(0x20), R16(0x30),
	0x40, R4(0x61), R4(0x65), R4(0x69), R4(0x6d), R4(0x71), R4(0x75), 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	R16(0x60), R16(0x70), R16(0x80), R16(0x90), R16(0xa0), R16(0xb0), R16(0xc0), R16(0xd0), R16(0xe0), R16(0xf0),
#undef R16
#undef R4
};
_Static_assert(sizeof(lct) == 256, "lct");

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* 16-bit hash of three bytes (c0 | c1 << 8 | c2 << 16), each ORed with 0x20: an ASCII letter
 * of either case hashes like its lowercase (other bytes may collide, which the full compare
 * after the filter settles). */
static inline unsigned trigram_hash(uint32_t tg) { return ((tg | 0x202020u) * 0x9e3779b1u) >> 16; }

/* The filter of the AVX-512 path: three 8-bit tabulation hashes of a trigram (each byte ORed
 * with 0x20, 7 bits), each with its own 256-bit map; a position is a candidate when its
 * trigram's bit is set in all three (about 2% of positions pass, against 0.2% for the
 * 16-bit hash above, but 64 positions are tested in a few dozen instructions with the maps
 * and tables in registers instead of three loads and a multiply per position). */
static uint8_t bloom_tab[3][3][128];
static pthread_once_t bloom_once = PTHREAD_ONCE_INIT;

static void bloom_init(void)
{
	uint64_t x = 0x9e3779b97f4a7c15u; /* splitmix64 from a fixed seed: the same tables always */
	for (size_t i = 0; i < sizeof(bloom_tab); i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15u);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		((uint8_t *)bloom_tab)[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static inline unsigned bloom_hash(unsigned k, const uint8_t *u)
{
	return bloom_tab[k][0][(u[0] | 0x20u) & 0x7fu] ^ bloom_tab[k][1][(u[1] | 0x20u) & 0x7fu] ^
	       bloom_tab[k][2][(u[2] | 0x20u) & 0x7fu];
}

/* Tests: the portable search even where AVX-512 VBMI is there. */
bool ps_detect_portable;

/* Enters needle idx (lowercase, at least 3 bytes) in the filters. */
static inline void needle_add(ps_traits *t, const char *text, size_t idx)
{
	const uint8_t *u = (const uint8_t *)text;
	unsigned bg = (unsigned)u[0] << 8 | u[1], h = trigram_hash(u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16);
	t->next_needle[idx] = t->bigram[bg];
	t->bigram[bg] = (uint8_t)(idx + 1);
	t->trigram_bits[h >> 6] |= 1ull << (h & 63);
	for (unsigned k = 0; k < 3; k++) {
		unsigned b = bloom_hash(k, u);
		t->bloom_bits[k][b >> 3] |= (uint8_t)(1u << (b & 7));
	}
	t->nlen[idx] = (uint8_t)strlen(text);
}


/* ------------------------------------------------------------ per string */

static void on_indicator(void *ctx, const ps_netind *ni)
{
	ps_traits *t = ctx;
	if (t->iocs && t->n_ioc < PS_MAX_NET_INDICATORS) {
		const ps_ioc_match *m = NULL;
		if (ni->kind == PS_NI_URL)
			m = ps_iocs_find_url(t->iocs, ni->text);
		if (!m)
			m = ps_iocs_find_host(t->iocs, ni->host);
		bool seen = false;
		for (size_t i = 0; m && i < t->n_ioc; i++)
			seen |= t->ioc[i].m == m && t->ioc[i].decoded == t->decoding;
		if (m && !seen) {
			struct iochit *h = &t->ioc[t->n_ioc++];
			h->m = m;
			h->offset = t->decoding_offset;
			h->decoded = t->decoding;
			snprintf(h->text, sizeof(h->text), "%s", ni->text);
		}
	}
	for (size_t i = 0; i < t->n_ind; i++) {
		indicator *d = &t->ind[i];
		if (d->kind == ni->kind && !strcmp(d->text, ni->text)) {
			d->count++;
			return;
		}
	}
	if (t->n_ind >= PS_MAX_NET_INDICATORS) {
		t->ind_dropped++;
		return;
	}
	indicator *d = &t->ind[t->n_ind++];
	d->kind = ni->kind;
	d->ip_host = ni->ip_host;
	d->ip_public = ni->ip_public;
	d->decoded = t->decoding;
	d->offset = t->decoding_offset;
	d->count = 1;
	snprintf(d->text, sizeof(d->text), "%s", ni->text);
	snprintf(d->host, sizeof(d->host), "%s", ni->host);
}

/* "Se" + letters + "Privilege": a privilege name (winnt.h SE_*_NAME). */
static void privilege_name(ps_traits *t, const char *s, size_t n)
{
	if (n < 12 || n >= sizeof(t->priv_names[0]) || s[0] != 'S' || s[1] != 'e' ||
	    memcmp(s + n - 9, "Privilege", 9) != 0)
		return;
	for (size_t i = 2; i < n - 9; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return;
	for (unsigned i = 0; i < t->n_priv_names; i++)
		if (!strcmp(t->priv_names[i], s))
			return;
	if (t->n_priv_names < PRIV_NAMES_KEPT)
		memcpy(t->priv_names[t->n_priv_names++], s, n + 1);
}

/* Needle k at u[i] (the filters passed; the first two bytes are checked by the bigram). */
static void needles_at(ps_traits *t, const uint8_t *u, size_t n, size_t i, uint64_t offset, unsigned step,
                       bool in_cert, bool pf_only)
{
	for (unsigned k1 = t->bigram[(unsigned)lct[u[i]] << 8 | lct[u[i + 1]]]; k1; k1 = t->next_needle[k1 - 1]) {
		size_t k = k1 - 1;
		if (pf_only && k < N_NEEDLES)
			continue;
		const char *nd = k < N_NEEDLES ? needles[k].text : t->pf[k - N_NEEDLES];
		size_t m = t->nlen[k], j = 2;
		if (m > n - i)
			continue;
		while (j < m && lct[u[i + j]] == (uint8_t)nd[j])
			j++;
		if (j < m)
			continue;
		if (k >= N_NEEDLES) {
			t->pf_hit = true;
			continue;
		}
		if (in_cert)
			continue;
		hit *h = &t->needle[k];
		if (h->count < HIT_OFFSETS)
			h->offsets[h->count] = offset + (uint64_t)i * step;
		if (!h->count++) {
			h->offset = offset + (uint64_t)i * step;
			snprintf(h->text, sizeof(h->text), "%s", (const char *)u);
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#define PS_NEEDLES_AVX512 1
#include <immintrin.h>

/* match_needles on AVX-512 VBMI, 64 positions at a time (bloom_hash: the tables are looked
 * up with vpermi2b, the maps with vpermb); also tells whether txt holds a '.' or ':'. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static bool
needles_avx512(ps_traits *t, const uint8_t *u, size_t n, uint64_t offset, unsigned step, bool in_cert, bool pf_only)
{
	const __m512i fold = _mm512_set1_epi8(0x20), m7 = _mm512_set1_epi8(7), m31 = _mm512_set1_epi8(31);
	const __m512i dot = _mm512_set1_epi8('.'), colon = _mm512_set1_epi8(':');
	const __m512i pow2 = _mm512_broadcast_i32x4(_mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0, 0, 0, 0, 0, 0));
	bool netish = false;
	for (size_t b = 0; b < n; b += 64) {
		size_t left = n - b; /* >= 1 */
		__mmask64 m0 = left >= 64 ? ~0ull : (1ull << left) - 1;
		__mmask64 m1 = left - 1 >= 64 ? ~0ull : (1ull << (left - 1)) - 1;
		__mmask64 m2 = left < 2 ? 0 : left - 2 >= 64 ? ~0ull : (1ull << (left - 2)) - 1;
		__m512i f0 = _mm512_or_si512(_mm512_maskz_loadu_epi8(m0, u + b), fold);
		netish = netish || (_mm512_mask_cmpeq_epi8_mask(m0, f0, dot) | _mm512_mask_cmpeq_epi8_mask(m0, f0, colon));
		if (!m2)
			break;
		__m512i f1 = _mm512_or_si512(_mm512_maskz_loadu_epi8(m1, u + b + 1), fold);
		__m512i f2 = _mm512_or_si512(_mm512_maskz_loadu_epi8(m2, u + b + 2), fold);
		__mmask64 cand = m2; /* positions i with i + 2 < n */
		/* tables and maps are read from memory (L1) where needed: copying them into
		 * registers first cost more than the search for the short strings typical here */
		for (unsigned k = 0; k < 3 && cand; k++) {
#define TAB(j, half) _mm512_loadu_si512((const void *)(bloom_tab[k][j] + 64 * (half)))
			__m512i h = _mm512_xor_si512(_mm512_xor_si512(_mm512_permutex2var_epi8(TAB(0, 0), f0, TAB(0, 1)),
			                                              _mm512_permutex2var_epi8(TAB(1, 0), f1, TAB(1, 1))),
			                             _mm512_permutex2var_epi8(TAB(2, 0), f2, TAB(2, 1)));
#undef TAB
			__m512i bm = _mm512_zextsi256_si512(_mm256_loadu_si256((const void *)t->bloom_bits[k]));
			__m512i byte = _mm512_permutexvar_epi8(_mm512_and_si512(_mm512_srli_epi16(h, 3), m31), bm);
			__m512i bit = _mm512_shuffle_epi8(pow2, _mm512_and_si512(h, m7));
			cand &= _mm512_test_epi8_mask(byte, bit);
		}
		while (cand) {
			needles_at(t, u, n, b + (size_t)__builtin_ctzll(cand), offset, step, in_cert, pf_only);
			cand &= cand - 1;
		}
	}
	return netish;
}
#endif

/* The needles (and, with pf_only, only the prefilter literals) in txt[0, n), matched without
 * regard to ASCII case. The portable filter: a bitmap of hashed first trigrams (8 KiB, stays
 * in L1) stops nearly every position with one test; the few left walk the needles starting
 * with their bigram. Returns false when txt holds no '.' and no ':' (no network indicator
 * can be in it), true when it does or the portable path did not look. */
static bool match_needles(ps_traits *t, const char *txt, size_t n, uint64_t offset, unsigned step,
                          bool in_cert, bool pf_only)
{
	_Static_assert(PS_PREFILTER_MIN_LEN >= 3, "needles have a first trigram");
	const uint8_t *u = (const uint8_t *)txt;
#ifdef PS_NEEDLES_AVX512
	if (!ps_detect_portable && __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw"))
		return needles_avx512(t, u, n, offset, step, in_cert, pf_only);
#endif
	for (size_t i = 0; i + 2 < n; i++) {
		/* txt[n] is the NUL: four bytes can be read at i < n - 2 */
		unsigned th = trigram_hash(le32(u + i) & 0xffffffu);
		if (t->trigram_bits[th >> 6] >> (th & 63) & 1)
			needles_at(t, u, n, i, offset, step, in_cert, pf_only);
	}
	return true;
}

/* A run longer than PS_STR_MAX_LEN reaches on_string cut; the prefilter literals are looked for
 * in the rest of it, in the file's bytes, PS_STR_MAX_LEN characters at a time with an overlap
 * of a literal's length. */
static void prefilter_tail(ps_traits *t, const ps_str *s)
{
	const size_t keep = PS_PREFILTER_MAX_LEN - 1, chunk = PS_STR_MAX_LEN;
	unsigned step = s->wide ? 2 : 1;
	for (size_t c = s->len - keep; c < s->raw_len && !t->pf_hit; c += chunk - keep) {
		size_t m = s->raw_len - c < chunk ? s->raw_len - c : chunk;
		for (size_t j = 0; j < m; j++)
			t->lower[j] = (char)s->raw[(c + j) * step];
		t->lower[m] = 0;
		(void)match_needles(t, t->lower, m, 0, 0, true, true);
		if (m < chunk)
			break;
	}
}

static void on_string(void *ctx, const ps_str *s)
{
	ps_traits *t = ctx;
	/* The certificate table holds no program strings, but YARA scans it like any byte. */
	bool in_cert = s->offset >= t->cert_lo && s->offset < t->cert_hi;
	if (in_cert && (!t->n_pf || t->pf_hit))
		return;
	const char *txt = s->text;
	size_t n = s->len;
	unsigned step = s->wide ? 2 : 1;
	/* API names: equal to a name of the table (names are 6..40 identifier characters) */
	if (!in_cert && n >= 6 && n <= 40) {
		for (uint32_t h = api_hash(txt, n); t->api_slot[h]; h = (h + 1) & (API_SLOTS - 1)) {
			size_t a = t->api_slot[h] - 1u;
			if (!strcmp(apis[a].name, txt)) {
				if (t->api_str[a] == NONE)
					t->api_str[a] = s->offset;
				break;
			}
		}
		privilege_name(t, txt, n);
	}
	bool netish = match_needles(t, txt, n, s->offset, step, in_cert, false);
	if (s->truncated && t->n_pf && !t->pf_hit)
		prefilter_tail(t, s);
	if (in_cert || !netish)
		return;
	/* network indicators (netind bails out early on strings without '.' or ':') */
	t->decoding = false;
	t->decoding_offset = s->offset;
	ps_netind_find(txt, n, on_indicator, t);
}

static void on_xor(void *ctx, const ps_xorhit *h)
{
	ps_traits *t = ctx;
	if (h->offset >= t->cert_lo && h->offset < t->cert_hi)
		return;
	if (t->n_xr < PS_MAX_XOR_HITS) {
		xorrec *x = &t->xr[t->n_xr++];
		x->offset = h->offset;
		x->method = h->method;
		x->key = h->key;
		x->wide = h->wide;
		x->anchor = h->anchor;
		snprintf(x->text, sizeof(x->text), "%s", h->text);
	}
	t->decoding = true;
	t->decoding_offset = h->offset;
	ps_netind_find(h->text, h->len, on_indicator, t);
	t->decoding = false;
}

/* ------------------------------------------------------------ setup and the pass */

int ps_traits_new(ps_traits **out, const ps_pectx *c, bool is_pe, const ps_options *opt)
{
	*out = NULL;
	ps_traits *t = calloc(1, sizeof(*t));
	if (!t)
		return PS_ENOMEM;
	t->is_pe = is_pe;
	t->iocs = opt ? opt->iocs : NULL;
	for (size_t i = 0; i < N_APIS; i++) {
		t->api_str[i] = NONE;
		uint32_t h = api_hash(apis[i].name, strlen(apis[i].name));
		while (t->api_slot[h])
			h = (h + 1) & (API_SLOTS - 1);
		t->api_slot[h] = (uint8_t)(i + 1);
	}
	(void)pthread_once(&bloom_once, bloom_init);
	for (size_t k = 0; k < N_NEEDLES; k++) {
		t->needle[k].offset = NONE;
		needle_add(t, needles[k].text, k);
	}
	if (opt && opt->rules) {
		t->n_pf = ps_rules_prefilter(opt->rules, &t->pf);
		for (size_t k = 0; k < t->n_pf; k++)
			needle_add(t, t->pf[k], N_NEEDLES + k);
	}
	t->cert_lo = t->cert_hi = 0;
	t->ov_pe_offset = NONE;
	const ps_pe *pe = c->pe;
	/* The certificate table, clipped to the file: a table that claims to run past the end
	 * (SIG-MALFORMED) still holds signature bytes, neither strings nor an overlay. */
	if (is_pe && pe->has_certificate_table && pe->certificate_table_offset < c->len) {
		t->cert_lo = pe->certificate_table_offset;
		t->cert_hi = c->len - t->cert_lo < pe->certificate_table_size
		                 ? c->len
		                 : t->cert_lo + pe->certificate_table_size;
	}
	if (is_pe && pe->has_overlay) {
		uint64_t lo = pe->overlay_offset, hi = pe->overlay_offset + pe->overlay_size;
		if (t->cert_hi > t->cert_lo && t->cert_lo < hi && t->cert_hi > lo) {
			if (t->cert_lo > lo) {
				t->ov_lo[t->n_ov] = lo;
				t->ov_hi[t->n_ov++] = t->cert_lo;
			}
			if (t->cert_hi < hi) {
				t->ov_lo[t->n_ov] = t->cert_hi;
				t->ov_hi[t->n_ov++] = hi;
			}
		} else {
			t->ov_lo[0] = lo;
			t->ov_hi[0] = hi;
			t->n_ov = 1;
		}
	}
	ps_strscan_init(&t->ss, PS_STR_MIN_LEN, on_string, t);
	ps_xorscan_init(&t->xs, PS_XOR_SCAN_BUDGET, on_xor, t);
	*out = t;
	return PS_OK;
}

bool ps_traits_rules_needed(const ps_traits *t)
{
	return !t || !t->n_pf || t->pf_hit;
}

void ps_traits_free(ps_traits *t)
{
	free(t);
}


static void overlay_window(ps_traits *t, const uint8_t *data, size_t len, size_t start, size_t end)
{
	for (unsigned r = 0; r < t->n_ov; r++) {
		uint64_t lo = t->ov_lo[r] > start ? t->ov_lo[r] : start;
		uint64_t hi = t->ov_hi[r] < end ? t->ov_hi[r] : end;
		if (lo >= hi)
			continue;
		for (uint64_t i = lo; i < hi; i++)
			t->ov_hist[data[i]]++;
		t->ov_bytes += hi - lo;
		/* An embedded executable: "MZ" whose e_lfanew (small) points at "PE\0\0". */
		const uint8_t *p = data + lo;
		size_t left = (size_t)(hi - lo);
		while (left >= 2 && t->ov_mz_checks < OVERLAY_MZ_CHECKS) {
			const uint8_t *m = memchr(p, 'M', left - 1);
			if (!m)
				break;
			size_t at = (size_t)(m - data);
			if (m[1] == 'Z') {
				t->ov_mz_checks++;
				if (len >= 0x40 && at <= len - 0x40) {
					uint32_t lf = le32(data + at + 0x3c);
					if (lf >= 0x40 && lf <= OVERLAY_MAX_LFANEW && lf <= len - at && 4 <= len - at - lf &&
					    !memcmp(data + at + lf, "PE\0\0", 4)) {
						if (t->ov_pe_offset == NONE)
							t->ov_pe_offset = at;
						t->ov_pe_count++;
					}
				}
			}
			size_t adv = (size_t)(m - p) + 1;
			p += adv;
			left -= adv;
		}
	}
}

void ps_traits_window(ps_traits *t, const uint8_t *data, size_t len, size_t start, size_t end)
{
	ps_strscan_window(&t->ss, data, len, start, end);
	if (t->is_pe)
		ps_xorscan_window(&t->xs, data, len, start, end);
	if (t->n_ov)
		overlay_window(t, data, len, start, end);
}

/* ------------------------------------------------------------ judgement */

typedef struct apiset {
	bool imp[N_APIS]; /* imported by name */
	bool str[N_APIS]; /* named by a string, neither imported nor exported by the file */
	size_t n_imported_functions;
} apiset;

static bool exported(const ps_pe *pe, const char *name)
{
	for (size_t i = 0; i < pe->exports.n; i++)
		if (pe->exports.v[i].name && !strcmp(pe->exports.v[i].name, name))
			return true;
	return false;
}

static void build_apiset(const ps_traits *t, const ps_pe *pe, apiset *as)
{
	memset(as, 0, sizeof(*as));
	for (size_t d = 0; d < pe->n_import_dlls; d++) {
		const ps_import_dll *dll = &pe->import_dlls[d];
		as->n_imported_functions += dll->n_imports;
		for (size_t i = 0; i < dll->n_imports; i++) {
			const char *nm = dll->imports[i].name;
			long a = nm ? api_find(nm) : -1;
			if (a >= 0)
				as->imp[a] = true;
		}
	}
	for (size_t a = 0; a < N_APIS; a++)
		if (t->api_str[a] != NONE && !as->imp[a] && !exported(pe, apis[a].name))
			as->str[a] = true;
}

static bool has(const apiset *as, enum api_class c)
{
	for (size_t a = 0; a < N_APIS; a++)
		if (apis[a].cls == c && (as->imp[a] || as->str[a]))
			return true;
	return false;
}

static bool imported(const apiset *as, enum api_class c)
{
	for (size_t a = 0; a < N_APIS; a++)
		if (apis[a].cls == c && as->imp[a])
			return true;
	return false;
}

/* Appends "text" to a comma-separated list in buf (cut, never overflowing). */
static void list_add(char *buf, size_t cap, const char *text)
{
	size_t n = strlen(buf);
	if (n + 1 >= cap)
		return;
	snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", text);
}

/* Evidence of the API classes a rule used: "imports" and "strings" (name@offset). */
static void api_evidence(ps_finding *f, ps_findings *fs, const ps_traits *t, const apiset *as,
                         const enum api_class *cls, size_t ncls)
{
	char imps[512] = "", strs[512] = "";
	uint64_t first = NONE;
	for (size_t a = 0; a < N_APIS; a++) {
		bool want = false;
		for (size_t k = 0; k < ncls; k++)
			want |= apis[a].cls == cls[k];
		if (!want)
			continue;
		if (as->imp[a])
			list_add(imps, sizeof(imps), apis[a].name);
		else if (as->str[a]) {
			char one[96];
			snprintf(one, sizeof(one), "%s@0x%llx", apis[a].name, (unsigned long long)t->api_str[a]);
			list_add(strs, sizeof(strs), one);
			if (t->api_str[a] < first)
				first = t->api_str[a];
		}
	}
	if (imps[0])
		ps_ev_str(f, fs, "imports", imps);
	if (strs[0]) {
		ps_ev_str(f, fs, "strings", strs);
		ps_ev_off(f, "offset", first);
	}
}

static bool needle_hit(const ps_traits *t, enum needle_class k)
{
	for (size_t i = 0; i < N_NEEDLES; i++)
		if (needles[i].cls == k && t->needle[i].count)
			return true;
	return false;
}

/* Evidence of the needles of a class: the strings they were found in, with offsets. */
static void needle_evidence(ps_finding *f, ps_findings *fs, const ps_traits *t, enum needle_class k,
                            const char *key)
{
	char list[768] = "";
	uint64_t first = NONE;
	for (size_t i = 0; i < N_NEEDLES; i++) {
		const hit *h = &t->needle[i];
		if (needles[i].cls != k || !h->count)
			continue;
		char one[HIT_TEXT + 32];
		snprintf(one, sizeof(one), "%s@0x%llx", h->text, (unsigned long long)h->offset);
		list_add(list, sizeof(list), one);
		if (h->offset < first)
			first = h->offset;
	}
	if (list[0]) {
		ps_ev_str(f, fs, key, list);
		if (first != NONE && f->n_evidence < PS_FINDING_MAX_EVIDENCE) {
			bool has_off = false;
			for (unsigned e = 0; e < f->n_evidence; e++)
				has_off |= !strcmp(f->evidence[e].key, "offset");
			if (!has_off)
				ps_ev_off(f, "offset", first);
		}
	}
}

/* ATL/Wine registrar scripts (resources of type "REGISTRY"/"WINE_REGISTRY", .rgs text) declare
 * the module's own COM classes and ProgIDs: a DLL that implements the firewall objects names
 * them there. Needle hits inside them do not count. */
static bool in_registrar(const ps_pe *pe, uint64_t off)
{
	for (size_t i = 0; i < pe->n_resources; i++) {
		const ps_resource *r = &pe->resources[i];
		if (r->type_name && (!strcmp(r->type_name, "REGISTRY") || !strcmp(r->type_name, "WINE_REGISTRY")) &&
		    r->offset != UINT64_MAX && off >= r->offset && off - r->offset < r->size)
			return true;
	}
	return false;
}

static void drop_registrar_hits(ps_traits *t, const ps_pe *pe)
{
	if (!pe->n_resources)
		return;
	for (size_t k = 0; k < N_NEEDLES; k++) {
		hit *h = &t->needle[k];
		if (!h->count || h->count > HIT_OFFSETS)
			continue;
		uint64_t kept = 0;
		for (uint64_t i = 0; i < h->count; i++)
			if (!in_registrar(pe, h->offsets[i]))
				h->offsets[kept++] = h->offsets[i];
		if (kept < h->count && kept)
			h->offset = h->offsets[0];
		h->count = kept;
	}
}

/* A DLL that exports an API of a rule's classes implements that layer (kernel32 over
 * kernelbase, kernelbase over ntdll): its imports of the lower layer are not a capability. */
static bool implements(const ps_pe *pe, const enum api_class *cls, size_t ncls)
{
	for (size_t i = 0; i < pe->exports.n; i++) {
		const char *nm = pe->exports.v[i].name;
		long a = nm ? api_find(nm) : -1;
		if (a < 0)
			continue;
		for (size_t k = 0; k < ncls; k++)
			if (apis[a].cls == cls[k])
				return true;
	}
	return false;
}

static void capabilities(ps_traits *t, const ps_pe *pe, ps_findings *fs)
{
	apiset as;
	build_apiset(t, pe, &as);
	drop_registrar_hits(t, pe);
	static const enum api_class hollow_cls[] = {C_CREATEPROC, C_UNMAP, C_WRITEMEM, C_SETCTX, C_RESUME};
	static const enum api_class inject_cls[] = {C_OPENPROC, C_ALLOCEX, C_WRITEMEM, C_REMOTETHREAD};

	bool hollowing = has(&as, C_UNMAP) && has(&as, C_SETCTX) && has(&as, C_WRITEMEM) &&
	                 has(&as, C_RESUME) && has(&as, C_CREATEPROC) && !implements(pe, hollow_cls, 5);
	if (hollowing) {
		ps_finding *f = ps_find(fs, "CAP-PROCESS-HOLLOWING", PS_SEV_HIGH,
		                        "Process hollowing: create a process, unmap its image, write a new one, "
		                        "set the thread context and resume");
		api_evidence(f, fs, t, &as, hollow_cls, 5);
		needle_evidence(f, fs, t, K_SVCHOST, "host_process");
		ps_attack(f, "T1055.012");
	}
	if (has(&as, C_OPENPROC) && has(&as, C_ALLOCEX) && has(&as, C_WRITEMEM) && has(&as, C_REMOTETHREAD) &&
	    !implements(pe, inject_cls, 4)) {
		ps_finding *f = ps_find(fs, "CAP-REMOTE-THREAD-INJECTION", PS_SEV_HIGH,
		                        "Code injection: open a process, allocate and write its memory, start a "
		                        "remote thread");
		api_evidence(f, fs, t, &as, inject_cls, 4);
		ps_attack(f, "T1055");
	}
	if (!pe->clr.present && imported(&as, C_GETPROC) && imported(&as, C_LOADLIB) &&
	    as.n_imported_functions <= 12) {
		size_t n_str = 0;
		for (size_t a = 0; a < N_APIS; a++)
			if (as.str[a] && apis[a].cls != C_GETPROC && apis[a].cls != C_LOADLIB && apis[a].cls != C_FILEOP)
				n_str++;
		if (n_str >= 4) {
			ps_finding *f = ps_find(fs, "CAP-DYNAMIC-API-RESOLUTION", PS_SEV_MEDIUM,
			                        "Dynamic API resolution: %zu imported functions, the loader's among them, "
			                        "and %zu sensitive API names as strings",
			                        as.n_imported_functions, n_str);
			ps_ev_uint(f, "imported_functions", as.n_imported_functions);
			ps_ev_uint(f, "api_strings", n_str);
			static const enum api_class c[] = {C_GETPROC, C_LOADLIB, C_CREATEPROC, C_UNMAP, C_SETCTX,
			                                   C_WRITEMEM, C_RESUME, C_OPENPROC, C_ALLOCEX, C_REMOTETHREAD,
			                                   C_HOOK, C_KEYSTATE, C_ADJPRIV, C_REGWRITE, C_MINIDUMP, C_OTHER};
			api_evidence(f, fs, t, &as, c, sizeof(c) / sizeof(c[0]));
			ps_attack(f, "T1027.007");
			ps_attack(f, "T1106");
		}
	}
	/* GetKeyState (modifier checks) is in every GUI program: it counts only with key-name
	 * markers; logging window titles needs a real key-state read. */
	if (has(&as, C_HOOK) && ((needle_hit(t, K_KEYMARK) && (has(&as, C_KEYSTATE) || has(&as, C_KEYWEAK))) ||
	                         (has(&as, C_KEYSTATE) && has(&as, C_FGWIN) && has(&as, C_WINTEXT)))) {
		ps_finding *f = ps_find(fs, "CAP-KEYLOGGING", PS_SEV_MEDIUM,
		                        "Keylogging: a windows hook with keyboard state reads and key names or "
		                        "window titles");
		static const enum api_class c[] = {C_HOOK, C_KEYSTATE, C_KEYWEAK, C_FGWIN, C_WINTEXT};
		api_evidence(f, fs, t, &as, c, 5);
		needle_evidence(f, fs, t, K_KEYMARK, "key_names");
		ps_attack(f, "T1056.001");
	}
	if (has(&as, C_ADJPRIV) && needle_hit(t, K_PRIV) && t->n_priv_names < 8) {
		ps_finding *f = ps_find(fs, "CAP-PRIVILEGE-ESCALATION", PS_SEV_MEDIUM,
		                        "Privilege escalation: enables powerful token privileges");
		static const enum api_class c[] = {C_ADJPRIV};
		api_evidence(f, fs, t, &as, c, 1);
		needle_evidence(f, fs, t, K_PRIV, "privileges");
		ps_attack(f, "T1134");
	}
	bool run = needle_hit(t, K_RUN), polrun = needle_hit(t, K_POLRUN);
	if ((run || polrun) && (has(&as, C_REGWRITE) || needle_hit(t, K_REGADD))) {
		ps_finding *f = ps_find(fs, "CAP-RUN-KEY-PERSISTENCE", polrun ? PS_SEV_HIGH : PS_SEV_MEDIUM,
		                        polrun ? "Persistence through the Policies\\Explorer\\Run key"
		                               : "Persistence through a Run registry key");
		needle_evidence(f, fs, t, polrun ? K_POLRUN : K_RUN, "keys");
		static const enum api_class c[] = {C_REGWRITE};
		api_evidence(f, fs, t, &as, c, 1);
		ps_attack(f, "T1547.001");
	}
	if (needle_hit(t, K_ZONE) && has(&as, C_FILEOP)) {
		ps_finding *f = ps_find(fs, "CAP-MOTW-BYPASS", PS_SEV_MEDIUM,
		                        "Mark-of-the-web tampering: names the Zone.Identifier stream and writes or "
		                        "deletes files");
		needle_evidence(f, fs, t, K_ZONE, "strings");
		static const enum api_class c[] = {C_FILEOP};
		api_evidence(f, fs, t, &as, c, 1);
		ps_attack(f, "T1553.005");
	}
	if (needle_hit(t, K_SVCHOST)) {
		ps_finding *f = ps_find(fs, "CAP-SVCHOST-HOSTING", hollowing ? PS_SEV_HIGH : PS_SEV_MEDIUM,
		                        hollowing ? "Starts a service host (svchost.exe -k) and can hollow it"
		                                  : "Names a service host command line (svchost.exe -k)");
		needle_evidence(f, fs, t, K_SVCHOST, "strings");
		ps_attack(f, hollowing ? "T1055.012" : "T1543.003");
	}
	bool cred = needle_hit(t, K_CRED), dump = needle_hit(t, K_LSASS) && has(&as, C_MINIDUMP);
	if (cred || dump) {
		ps_finding *f = ps_find(fs, "CAP-CREDENTIAL-THEFT", PS_SEV_HIGH,
		                        cred ? "Credential theft: names mimikatz or its LSASS commands"
		                             : "Credential theft: dumps the LSASS process");
		if (cred)
			needle_evidence(f, fs, t, K_CRED, "strings");
		if (dump) {
			needle_evidence(f, fs, t, K_LSASS, "process");
			static const enum api_class c[] = {C_MINIDUMP, C_OPENPROC};
			api_evidence(f, fs, t, &as, c, 2);
		}
		ps_attack(f, "T1003.001");
	}
	if (needle_hit(t, K_RA)) {
		ps_finding *f = ps_find(fs, "CAP-REMOTE-ACCESS", PS_SEV_MEDIUM,
		                        "Remote access: names VNC, Ammyy or RDP tooling");
		needle_evidence(f, fs, t, K_RA, "strings");
		ps_attack(f, "T1219");
	}
	if (needle_hit(t, K_FW)) {
		ps_finding *f = ps_find(fs, "CAP-FIREWALL-CHANGE", PS_SEV_MEDIUM,
		                        "Firewall change: netsh firewall commands or the firewall COM objects");
		needle_evidence(f, fs, t, K_FW, "strings");
		ps_attack(f, "T1562.004");
	}
}

/* ------------------------------------------------------------ structure */

static void section_name(const ps_section *s, char *out, size_t cap)
{
	size_t n = s->name_len < cap - 1 ? s->name_len : cap - 1;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s->name[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = 0;
}

/* Section names packers and protectors write (UPX, ASPack, MPRESS, PECompact, Petite, NsPack,
 * Themida/WinLicense, VMProtect, Enigma, FSG, MEW, kkrunchy, yoda's, PELock, ...). Compared
 * without case. Drivers' PAGE/INIT, Go's .symtab and Delphi's CODE/DATA are not packers. */
static const char *const packer_names[] = {
	"UPX0", "UPX1", "UPX2", "UPX3", ".UPX0", ".UPX1", "UPX!", ".aspack", ".adata", ".ASPack", ".MPRESS1",
	".MPRESS2", "PEC2", "PECompact2", ".pec", ".pec1", ".pec2", ".petite", ".nsp0", ".nsp1", ".nsp2",
	"nsp0", "nsp1", "nsp2", ".themida", ".winlice", ".vmp0", ".vmp1", ".vmp2", ".enigma1", ".enigma2",
	"FSG!", "MEW", "kkrunchy", ".yP", ".y0da", "yC", "PELOCKnt", ".perplex", ".spack", ".svkp", "ExeS",
	".ccg", "BitArts", ".boom", ".packed", ".RLPack", "RCryptor", ".neolite", ".neolit", "ProCrypt",
	".WWPACK", ".WWP32", "pebundle", "PEBundle", "PEPACK!!", "PESHiELD", ".taz", "lzpack", ".mackt",
	".MaskPE", "MaskPE", ".sforce3", "!EPack",
};

static bool packer_name(const char *name)
{
	for (size_t i = 0; i < sizeof(packer_names) / sizeof(packer_names[0]); i++)
		if (!strcasecmp(packer_names[i], name))
			return true;
	return false;
}

/* A PACK- finding over the sections named in `sections` (none: no finding). */
static void pack_finding(ps_findings *fs, const char *id, const char *title, const char *sections, uint64_t off)
{
	if (!sections[0])
		return;
	ps_finding *f = ps_find(fs, id, PS_SEV_MEDIUM, "%s", title);
	ps_ev_str(f, fs, "sections", sections);
	ps_ev_off(f, "offset", off);
	ps_attack(f, "T1027.002");
}

static void structure(ps_traits *t, const ps_pe *pe, ps_findings *fs)
{
	char wx[256] = "", textw[256] = "", packer[256] = "", ent[256] = "";
	uint64_t wx_off = NONE, textw_off = NONE, packer_off = NONE, ent_off = NONE;
	double max_ent = 0;
	for (size_t i = 0; i < pe->n_sections; i++) {
		const ps_section *s = &pe->sections[i];
		char nm[16];
		section_name(s, nm, sizeof(nm));
		bool x = s->characteristics & (SCN_MEM_EXECUTE | SCN_CNT_CODE);
		bool w = s->characteristics & SCN_MEM_WRITE;
		/* Drivers' discardable INIT section is RWX by tradition (the loader frees it). */
		bool driver_init = pe->opt.subsystem == 1 && !strcmp(nm, "INIT");
		if ((s->characteristics & SCN_MEM_EXECUTE) && w && !driver_init) {
			list_add(wx, sizeof(wx), nm);
			if (wx_off == NONE)
				wx_off = s->header_offset;
		}
		if (w && (!strcmp(nm, ".text") || !strcmp(nm, "CODE") || !strcmp(nm, ".code"))) {
			list_add(textw, sizeof(textw), nm);
			if (textw_off == NONE)
				textw_off = s->header_offset;
		}
		if (packer_name(nm)) {
			list_add(packer, sizeof(packer), nm);
			if (packer_off == NONE)
				packer_off = s->header_offset;
		}
		if (x && s->raw_size >= 512 && s->has_entropy && s->entropy >= 7.0) {
			char one[48];
			snprintf(one, sizeof(one), "%s (%.2f)", nm, s->entropy);
			list_add(ent, sizeof(ent), one);
			if (ent_off == NONE)
				ent_off = s->raw_offset;
			if (s->entropy > max_ent)
				max_ent = s->entropy;
		}
	}
	if (ent[0]) {
		ps_finding *f = ps_find(fs, "PACK-HIGH-ENTROPY", PS_SEV_MEDIUM,
		                        "Executable section with the entropy of compressed or encrypted data");
		ps_ev_str(f, fs, "sections", ent);
		ps_ev_off(f, "offset", ent_off);
		ps_ev_int(f, "max_entropy_milli", (int64_t)(max_ent * 1000.0 + 0.5));
		ps_attack(f, "T1027.002");
	}
	pack_finding(fs, "PACK-WX-SECTION", "Section both writable and executable (self-modifying or unpacked code)",
	             wx, wx_off);
	pack_finding(fs, "PACK-TEXT-WRITABLE", "The code section is writable (code unpacked into a reused .text)", textw,
	             textw_off);
	pack_finding(fs, "PACK-PACKER-SECTION-NAME", "Section named by a packer or protector", packer, packer_off);

	/* The entry point. DLLs may have none; .NET images enter through a stub in .text. */
	uint32_t ep = pe->opt.address_of_entry_point;
	bool dll = pe->coff.characteristics & 0x2000;
	const char *why = NULL;
	char where[16] = "";
	if (ep == 0) {
		if (!dll && !pe->clr.present)
			why = "an executable without an entry point (zero)";
	} else {
		long idx = -1;
		for (size_t i = 0; i < pe->n_sections; i++) {
			const ps_section *s = &pe->sections[i];
			uint64_t span = s->virtual_size > s->raw_size ? s->virtual_size : s->raw_size;
			if (ep >= s->virtual_address && ep - s->virtual_address < span) {
				idx = (long)i;
				break;
			}
		}
		if (idx < 0)
			why = ep < pe->opt.size_of_headers ? "the entry point is in the headers"
			                                   : "the entry point is in no section";
		else {
			const ps_section *s = &pe->sections[idx];
			section_name(s, where, sizeof(where));
			if (!(s->characteristics & (SCN_MEM_EXECUTE | SCN_CNT_CODE)))
				why = "the entry point is in a section that is not executable";
		}
	}
	if (why && pe->n_sections) {
		ps_finding *f = ps_find(fs, "PE-ENTRY-POINT-ANOMALY", PS_SEV_MEDIUM, "Entry point anomaly: %s", why);
		ps_ev_off(f, "entry_point", ep);
		if (where[0])
			ps_ev_str(f, fs, "section", where);
		ps_ev_off(f, "offset", pe->optional_header_offset + 16);
		ps_attack(f, "T1027.002");
	}

	/* The overlay, without the certificate table. */
	if (t->ov_pe_offset != NONE) {
		ps_finding *f = ps_find(fs, "OVERLAY-EMBEDDED-PE", PS_SEV_MEDIUM,
		                        "An executable is appended after the image (a dropper's payload)");
		ps_ev_off(f, "offset", t->ov_pe_offset);
		ps_ev_uint(f, "count", t->ov_pe_count);
		ps_ev_off(f, "overlay_offset", pe->overlay_offset);
		ps_attack(f, "T1027.009");
	}
	if (t->ov_bytes >= 4096) {
		double e = 0;
		for (int b = 0; b < 256; b++)
			if (t->ov_hist[b]) {
				double p = (double)t->ov_hist[b] / (double)t->ov_bytes;
				e -= p * log2(p);
			}
		if (e >= 7.2) {
			ps_finding *f = ps_find(fs, "OVERLAY-HIGH-ENTROPY", PS_SEV_MEDIUM,
			                        "Compressed or encrypted data appended after the image");
			ps_ev_off(f, "offset", t->ov_lo[0]);
			ps_ev_uint(f, "size", t->ov_bytes);
			ps_ev_int(f, "entropy_milli", (int64_t)(e * 1000.0 + 0.5));
			ps_attack(f, "T1027");
		}
	}
}

/* ------------------------------------------------------------ strings */

/* Hosts whose appearance in a binary says nothing (XML namespaces, PKI, toolchains, the
 * runtimes of the bench corpus): an indicator list of only these is info. Suffix match. */
static const char *const benign_hosts[] = {
	"microsoft.com", "windows.com", "windowsupdate.com", "msn.com", "live.com", "bing.com",
	"office.com", "w3.org", "xmlsoap.org", "openxmlformats.org", "purl.org", "adobe.com",
	"verisign.com", "digicert.com", "symantec.com", "symcb.com", "symcd.com", "thawte.com",
	"globalsign.com", "globalsign.net", "sectigo.com", "comodoca.com", "usertrust.com", "entrust.net",
	"godaddy.com", "winehq.org", "mono-project.com", "gnu.org", "sourceforge.net", "sourceforge.io",
	"sf.net", "apache.org", "python.org", "example.com", "example.org", "example.net", "ietf.org",
	"iana.org", "unicode.org", "oasis-open.org", "mozilla.org", "github.com", "gnome.org",
	"freedesktop.org", "kernel.org", "debian.org", "ecma-international.org", "xml.org", "xmlns.com",
	"schema.org", "openssl.org", "zlib.net", "libpng.org", "mingw.org", "mingw-w64.org", "sqlite.org",
	"boost.org", "novell.com", "ximian.com", "go-mono.com", "nuget.org", "dotnetfoundation.org",
	"msdn.com", "visualstudio.com", "azure.com", "localhost",
};

static bool benign_host(const char *h)
{
	size_t n = strlen(h);
	for (size_t i = 0; i < sizeof(benign_hosts) / sizeof(benign_hosts[0]); i++) {
		size_t m = strlen(benign_hosts[i]);
		if (n >= m && !strcmp(h + n - m, benign_hosts[i]) && (n == m || h[n - m - 1] == '.'))
			return true;
	}
	return false;
}

static bool in_manifest(const ps_pe *pe, uint64_t off)
{
	for (size_t i = 0; i < pe->n_resources; i++) {
		const ps_resource *r = &pe->resources[i];
		if (!r->type_name && r->type_id == 24 && r->offset != UINT64_MAX && off >= r->offset &&
		    off - r->offset < r->size)
			return true;
	}
	return false;
}

static const char *kind_name(ps_ni_kind k)
{
	switch (k) {
	case PS_NI_IPV4: return "ipv4";
	case PS_NI_IPV6: return "ipv6";
	case PS_NI_DOMAIN: return "domain";
	case PS_NI_URL: return "url";
	default: return "none";
	}
}

static void strings_findings(ps_traits *t, const ps_pe *pe, ps_findings *fs)
{
	size_t n = 0;
	bool public_ip = false, other = false;
	char list[1024] = "";
	uint64_t first = NONE;
	for (size_t i = 0; i < t->n_ind; i++) {
		indicator *d = &t->ind[i];
		if (d->decoded || (pe && in_manifest(pe, d->offset)))
			continue;
		n++;
		if (d->ip_host && d->ip_public)
			public_ip = true;
		else if (!d->ip_host && !benign_host(d->host))
			other = true;
		char one[PS_NI_MAX_TEXT + 48];
		snprintf(one, sizeof(one), "%s %s@0x%llx", kind_name(d->kind), d->text, (unsigned long long)d->offset);
		if (i < 12)
			list_add(list, sizeof(list), one);
		if (d->offset < first)
			first = d->offset;
	}
	if (n) {
		ps_severity sev = public_ip ? PS_SEV_MEDIUM : other ? PS_SEV_LOW : PS_SEV_INFO;
		ps_finding *f = ps_find(fs, "STR-NETWORK-INDICATORS", sev,
		                        public_ip ? "Network indicators, including a public IP address literal"
		                                  : "Network indicators (URLs, domains) in the file's strings");
		ps_ev_uint(f, "count", n + t->ind_dropped);
		ps_ev_str(f, fs, "indicators", list);
		ps_ev_off(f, "offset", first);
		ps_ev_bool(f, "public_ip", public_ip);
	}
	if (t->n_xr) {
		const xorrec *x = &t->xr[0];
		ps_finding *f = ps_find(fs, "STR-XOR-ENCODED", PS_SEV_HIGH,
		                        "Indicator-shaped strings hidden by single-byte %s encoding",
		                        ps_xor_method_name(x->method));
		ps_ev_uint(f, "count", t->n_xr);
		ps_ev_off(f, "offset", x->offset);
		ps_ev_str(f, fs, "method", ps_xor_method_name(x->method));
		ps_ev_uint(f, "key", x->key);
		ps_ev_bool(f, "wide", x->wide);
		ps_ev_str(f, fs, "decoded", x->text);
		char more[1024] = "";
		for (size_t i = 1; i < t->n_xr && i < 6; i++) {
			char one[PS_XOR_MAX_DECODED + 48];
			snprintf(one, sizeof(one), "%s 0x%02x@0x%llx %s", ps_xor_method_name(t->xr[i].method), t->xr[i].key,
			         (unsigned long long)t->xr[i].offset, t->xr[i].text);
			list_add(more, sizeof(more), one);
		}
		if (more[0])
			ps_ev_str(f, fs, "more", more);
		if (t->xs.exhausted)
			ps_ev_uint(f, "searched_bytes", t->xs.scanned);
		ps_attack(f, "T1027");
	}
}

/* ------------------------------------------------------------ IOC feeds */

static void ioc_evidence(ps_finding *f, ps_findings *fs, const ps_ioc_match *m)
{
	ps_ev_str(f, fs, "ioc", m->value);
	if (m->description && m->description[0])
		ps_ev_str(f, fs, "description", m->description);
	ps_ev_str(f, fs, "feed", m->feed);
	ps_ev_uint(f, "line", m->line);
}

/* IOC-HASH: the file's hashes. */
static void ioc_hash_findings(const ps_iocs *iocs, const ps_report *r, ps_findings *fs)
{
	static const struct { unsigned bit; size_t off, n; const char *name; } hs[] = {
		{PS_HASH_MD5, offsetof(ps_hashes, md5), 16, "md5"},
		{PS_HASH_SHA1, offsetof(ps_hashes, sha1), 20, "sha1"},
		{PS_HASH_SHA256, offsetof(ps_hashes, sha256), 32, "sha256"},
	};
	for (size_t i = 0; i < 3; i++) {
		if (!(r->hashes.computed & hs[i].bit))
			continue;
		const uint8_t *d = (const uint8_t *)&r->hashes + hs[i].off;
		const ps_ioc_match *m = ps_iocs_find_hash(iocs, d, hs[i].n);
		if (m) {
			ps_finding *f = ps_find(fs, "IOC-HASH", PS_SEV_CRITICAL, "The file's %s is in an IOC feed", hs[i].name);
			ps_ev_str(f, fs, "hash", hs[i].name);
			ioc_evidence(f, fs, m);
			break;
		}
	}
}

/* IOC-CERT: the signers' thumbprints. */
static void ioc_cert_findings(const ps_iocs *iocs, const ps_pe *pe, ps_findings *fs)
{
	for (size_t i = 0; pe && i < pe->n_signatures; i++) {
		const ps_cert *c = pe->signatures[i].signer;
		if (!c)
			continue;
		const ps_ioc_match *m = ps_iocs_find_hash(iocs, c->sha1, 20);
		if (!m)
			m = ps_iocs_find_hash(iocs, c->sha256, 32);
		if (!m)
			continue;
		ps_finding *f = ps_find(fs, "IOC-CERT", PS_SEV_HIGH, "Signature %u's signer certificate is in an IOC feed",
		                        pe->signatures[i].index);
		char hex[65];
		ps_ev_str(f, fs, "cert_sha1", ps_hex(hex, c->sha1, 20));
		ps_ev_str(f, fs, "subject", c->subject);
		ps_ev_uint(f, "signature", pe->signatures[i].index);
		ioc_evidence(f, fs, m);
		ps_attack(f, "T1553.002");
	}
}

static void ioc_network_finding(ps_findings *fs, const char *text, uint64_t offset, bool decoded, const ps_ioc_match *m)
{
	ps_finding *f = ps_find(fs, "IOC-NETWORK", PS_SEV_HIGH, "A network indicator from an IOC feed is in the file%s",
	                        decoded ? " (encoded)" : "");
	ps_ev_str(f, fs, "indicator", text);
	ps_ev_off(f, "offset", offset);
	ps_ev_bool(f, "decoded", decoded);
	ioc_evidence(f, fs, m);
}

typedef struct strioc {
	const ps_iocs *iocs;
	const ps_ioc_match *m;
	char text[PS_NI_MAX_TEXT];
} strioc;

static void on_stored_indicator(void *ctx, const ps_netind *ni)
{
	strioc *x = ctx;
	if (x->m)
		return;
	if (ni->kind == PS_NI_URL)
		x->m = ps_iocs_find_url(x->iocs, ni->text);
	if (!x->m)
		x->m = ps_iocs_find_host(x->iocs, ni->host);
	if (x->m)
		snprintf(x->text, sizeof(x->text), "%s", ni->text);
}

void ps_ioc_string_findings(const ps_iocs *iocs, const char *text, uint64_t offset, bool decoded, ps_findings *fs)
{
	strioc x = {.iocs = iocs};
	if (!text)
		return;
	ps_netind_find(text, strlen(text), on_stored_indicator, &x);
	if (x.m)
		ioc_network_finding(fs, x.text, offset, decoded, x.m);
}

static void iocs(ps_traits *t, const ps_pe *pe, const ps_report *r, const ps_iocs *iocs, ps_findings *fs)
{
	ioc_hash_findings(iocs, r, fs);
	for (size_t i = 0; i < t->n_ioc; i++) {
		const struct iochit *h = &t->ioc[i];
		if (!h->decoded && pe && in_manifest(pe, h->offset))
			continue;
		ioc_network_finding(fs, h->text, h->offset, h->decoded, h->m);
	}
	ioc_cert_findings(iocs, pe, fs);
}

void ps_ioc_file_findings(const ps_iocs *iocs, const ps_report *r, const ps_pe *pe, ps_findings *fs)
{
	ioc_hash_findings(iocs, r, fs);
	ioc_cert_findings(iocs, pe, fs);
}

void ps_traits_judge(ps_traits *t, ps_pectx *c, bool is_pe, const ps_report *r, const ps_options *opt)
{
	ps_findings *fs = c->fs;
	const ps_pe *pe = is_pe ? c->pe : NULL;
	if (pe) {
		capabilities(t, pe, fs);
		structure(t, pe, fs);
		strings_findings(t, pe, fs);
	}
	if (opt && opt->iocs)
		iocs(t, pe, r, opt->iocs, fs);
}

/* ------------------------------------------------------------ JPEG */

/* Walks the marker segments (ITU T.81 B.1): SOI, segments with a 16-bit length, entropy-coded
 * data after SOS up to the next marker that is not a stuffed 0xFF00 or a restart marker, up to
 * EOI. Linear: every step advances. */
bool ps_jpeg_check(const uint8_t *d, size_t len, ps_findings *fs)
{
	if (len < 4 || d[0] != 0xFF || d[1] != 0xD8 || d[2] != 0xFF)
		return false;
	size_t pos = 2, eoi = 0;
	while (pos < len) {
		if (d[pos] != 0xFF)
			return true; /* not a marker where one must be: malformed, no judgement */
		while (pos < len && d[pos] == 0xFF)
			pos++;
		if (pos >= len)
			return true;
		uint8_t m = d[pos++];
		if (m == 0xD9) {
			eoi = pos;
			break;
		}
		if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7))
			continue;
		if (len - pos < 2)
			return true;
		size_t seg = (size_t)d[pos] << 8 | d[pos + 1];
		if (seg < 2 || seg > len - pos)
			return true;
		pos += seg;
		if (m == 0xDA) {
			/* entropy-coded data */
			while (pos + 1 < len) {
				if (d[pos] == 0xFF && d[pos + 1] != 0x00 && !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7) &&
				    d[pos + 1] != 0xFF)
					break;
				pos++;
			}
			if (pos + 1 >= len)
				return true;
		}
	}
	if (!eoi || eoi >= len)
		return true;
	/* Encoders pad with a few zero or 0xFF bytes; more than that, or anything else, is data. */
	size_t extra = len - eoi;
	bool padding = extra <= 16;
	for (size_t i = eoi; padding && i < len; i++)
		padding = d[i] == 0x00 || d[i] == 0xFF;
	if (padding)
		return true;
	bool pe = extra >= 2 && d[eoi] == 'M' && d[eoi + 1] == 'Z';
	ps_finding *f = ps_find(fs, "FILE-JPEG-APPENDED-DATA", pe ? PS_SEV_HIGH : PS_SEV_MEDIUM,
	                        pe ? "An executable is appended to a JPEG image"
	                           : "Data is appended after the JPEG image's end marker");
	ps_ev_off(f, "offset", eoi);
	ps_ev_uint(f, "size", extra);
	ps_attack(f, "T1027.003");
	return true;
}
