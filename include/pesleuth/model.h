/* pesleuth — the facts about one file: hashes, the PE model, findings.
 *
 * Everything here is read-only for callers and owned by the ps_report that holds it
 * (see analyze.h); pointers are valid until ps_report_free().
 *
 * Strings that come from the file are kept as they were found:
 *  - "raw" strings (section names, DLL/function names, PDB paths) are the file's bytes,
 *    NUL-terminated; they may hold any byte value and are NOT guaranteed to be UTF-8.
 *  - "utf8" strings (resource names, version strings) were UTF-16LE in the file and are
 *    stored converted to valid UTF-8 (unpaired surrogates become U+FFFD).
 * Either kind is untrusted: escape it before printing (see output.h).
 */
#ifndef PESLEUTH_MODEL_H
#define PESLEUTH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- findings */

typedef enum ps_severity {
	PS_SEV_INFO = 0,
	PS_SEV_LOW,
	PS_SEV_MEDIUM,
	PS_SEV_HIGH,
	PS_SEV_CRITICAL
} ps_severity;

typedef enum ps_ev_type {
	PS_EV_UINT,   /* u */
	PS_EV_INT,    /* i */
	PS_EV_OFFSET, /* u: a file offset or RVA; text output shows hex */
	PS_EV_STR,    /* s: valid UTF-8, may still hold control characters */
	PS_EV_BOOL,   /* u != 0 */
	PS_EV_TIME    /* i: seconds since 1970-01-01 UTC */
} ps_ev_type;

typedef struct ps_evidence {
	const char *key; /* static ASCII identifier */
	ps_ev_type type;
	uint64_t u;
	int64_t i;
	const char *s;
} ps_evidence;

#define PS_FINDING_MAX_EVIDENCE 12
#define PS_FINDING_MAX_ATTACK 4

typedef struct ps_finding {
	const char *id;    /* stable ID, e.g. "PE-SECTION-OUT-OF-FILE" (docs/FINDINGS.md) */
	ps_severity severity;
	const char *title; /* one line, valid UTF-8 */
	unsigned n_evidence;
	ps_evidence evidence[PS_FINDING_MAX_EVIDENCE];
	unsigned n_attack;
	const char *attack[PS_FINDING_MAX_ATTACK]; /* MITRE ATT&CK technique IDs */
} ps_finding;

/* ---------------------------------------------------------------- hashes */

enum {
	PS_HASH_MD5 = 1u << 0,
	PS_HASH_SHA1 = 1u << 1,
	PS_HASH_SHA256 = 1u << 2,
	PS_HASH_ALL = PS_HASH_MD5 | PS_HASH_SHA1 | PS_HASH_SHA256
};

typedef struct ps_hashes {
	unsigned computed; /* PS_HASH_* bits that are set below */
	uint8_t md5[16];
	uint8_t sha1[20];
	uint8_t sha256[32];
} ps_hashes;

/* ---------------------------------------------------------------- signatures */

#define PS_TIME_NONE INT64_MIN /* a time that is absent or could not be parsed */

/* A certificate as found in a signature (facts only). */
typedef struct ps_cert {
	const char *subject, *issuer; /* utf8, RFC 2253 order, e.g. "CN=Microsoft Corporation,O=..." */
	const char *subject_cn;       /* utf8 common name (or O, or the whole subject) */
	const char *serial;           /* lowercase hex, as stored (no sign handling) */
	uint8_t sha1[20], sha256[32]; /* thumbprints: digests of the DER */
	int64_t not_before, not_after;
	const char *email;            /* subject emailAddress or first rfc822 SAN, or NULL */
	const char *key_type;         /* "RSA", "EC", "DSA", "Ed25519", ... */
	unsigned key_bits;
	bool self_issued;             /* subject == issuer */
	bool is_ca;                   /* basicConstraints cA */
	bool has_eku, eku_code_signing, eku_time_stamping, eku_any;
	bool has_key_usage, ku_digital_signature;
	const uint8_t *der;
	size_t der_len;
} ps_cert;

typedef enum ps_ts_kind { PS_TS_NONE = 0, PS_TS_PKCS9, PS_TS_RFC3161 } ps_ts_kind;

typedef struct ps_timestamp {
	ps_ts_kind kind;
	int64_t time;           /* the TSA's time: genTime (RFC 3161) or signingTime (PKCS#9) */
	const char *digest_algorithm;
	bool imprint_ok;        /* the token hashes exactly this signer's signature value */
	bool signature_ok;      /* the countersignature verifies with the TSA certificate */
	const ps_cert *tsa;     /* the countersigner's certificate, NULL when not embedded */
	size_t n_certs;         /* certificates carried by an RFC 3161 token */
	const ps_cert *certs;
	/* judgement */
	size_t n_chain;
	const ps_cert *const *chain; /* the TSA's chain as built at `time` */
	bool chain_trusted;     /* TSA chain reaches a trust anchor, timeStamping EKU, at `time` */
	bool verified;          /* imprint, signature and chain: a trusted signing time */
	const char *chain_error;/* why the chain is not trusted (static text), or NULL */
} ps_timestamp;

typedef enum ps_rev_state {
	PS_REV_UNKNOWN = 0, /* no verified CRL of its issuer covers the time */
	PS_REV_GOOD,        /* a verified CRL covering the time does not list it */
	PS_REV_REVOKED      /* listed by a verified CRL of its issuer */
} ps_rev_state;

/* CRL reason codes (RFC 5280); PS_REASON_NONE when the entry carries no reason (which RFC 5280
 * reads as unspecified). */
#define PS_REASON_NONE (-1)

/* Revocation of one certificate of a chain (the signer's or a TSA's). */
typedef struct ps_revocation {
	const ps_cert *cert;
	bool tsa;                 /* a certificate of a timestamp's chain */
	ps_rev_state state;
	int64_t revocation_time;  /* when revoked */
	int reason;               /* CRLReason, or PS_REASON_NONE */
	int64_t invalidity_date;  /* invalidityDate extension (key known compromised since), or NONE */
	const char *crl_issuer;
	int64_t crl_this_update, crl_next_update;
	int64_t judged_at;        /* the trusted signing time compared (the timestamp's for a TSA
	                             chain); NONE without one: then judged at now (evaluated_at) */
	bool signed_after_revocation;
	bool voids;               /* this revocation makes the signature untrusted under the policy */
} ps_revocation;

typedef struct ps_signature {
	unsigned index;         /* document order: entries in table order, nested depth-first */
	unsigned entry;         /* WIN_CERTIFICATE entry it came from */
	unsigned depth;         /* 0 for an entry's signature, 1 for one nested in it, ... */
	int parent;             /* index of the enclosing signature, -1 at depth 0 */
	uint64_t offset;        /* file offset of its DER */
	bool parsed;            /* SignedData + SpcIndirectDataContent + one SignerInfo decoded */
	const char *parse_error;/* why not, static text */

	const char *digest_algorithm; /* of the file digest: "md5", "sha1", "sha256", ... */
	size_t digest_len;
	uint8_t signed_digest[64];    /* stored in SpcIndirectDataContent */
	uint8_t computed_digest[64];  /* linear method over this file */
	bool computed;
	bool digest_ok;               /* linear digest == signed digest */
	uint8_t section_digest[64];   /* section-table method (the Authenticode specification's) */
	bool section_digest_ok;       /* section-table method == signed digest */
	bool entry_valid;             /* its WIN_CERTIFICATE header is one Windows accepts */
	bool has_page_hashes;
	const char *page_hash_algorithm;
	const uint8_t *page_hash_table; /* as signed: (u32 file offset, digest) pairs */
	size_t page_hash_table_len;
	bool page_hashes_checked;       /* the table could be recomputed from this file */
	bool page_hashes_ok;            /* every signed page hash matches */
	uint64_t page_hash_mismatch;    /* file offset of the first page that differs */

	const char *signer_digest_algorithm;
	bool content_type_ok;    /* contentType attribute is SpcIndirectDataContent */
	bool message_digest_ok;  /* messageDigest attribute binds the signed content */
	bool signature_ok;       /* signer's signature over the authenticated attributes */
	const char *program_name, *program_url; /* SpcSpOpusInfo, utf8 */
	int64_t claimed_signing_time; /* unauthenticated claim (signingTime attribute) or NONE */

	const ps_cert *signer;   /* NULL when the signer certificate is not embedded */
	size_t n_certs;
	const ps_cert *certs;    /* every certificate the SignedData carries */

	size_t n_timestamps;
	const ps_timestamp *timestamps;

	/* judgement (trust context + time) */
	size_t n_chain;
	const ps_cert *const *chain; /* leaf first, as built; the last is the anchor when trusted */
	int64_t evaluated_at;        /* time the chain was judged at */
	bool at_signing_time;        /* evaluated_at is a verified timestamp */
	int64_t signing_time;        /* verified, trusted timestamp time, or PS_TIME_NONE */
	size_t n_revocation;
	const ps_revocation *revocation;
	bool blocklisted;            /* a certificate of the signer's chain is on a blocklist (a
	                                blocklisted TSA only voids its timestamp) */
	bool valid;                  /* digest, message digest and signer signature verify */
	bool trusted;
	const char *status;          /* "Valid", "HashMismatch", "Revoked", "NotTrusted", ... */
} ps_signature;

/* ---------------------------------------------------------------- PE model */

typedef struct ps_coff_header {
	uint16_t machine;
	uint16_t number_of_sections; /* as stored; see ps_pe.n_sections for what was parsed */
	uint32_t timedatestamp;
	uint32_t pointer_to_symbol_table;
	uint32_t number_of_symbols;
	uint16_t size_of_optional_header;
	uint16_t characteristics;
} ps_coff_header;

typedef struct ps_optional_header {
	uint16_t magic; /* 0x10b PE32, 0x20b PE32+, 0x107 ROM, anything else as found */
	uint8_t major_linker_version, minor_linker_version;
	uint32_t size_of_code, size_of_initialized_data, size_of_uninitialized_data;
	uint32_t address_of_entry_point;
	uint32_t base_of_code;
	uint32_t base_of_data; /* PE32 only */
	uint64_t image_base;
	uint32_t section_alignment, file_alignment;
	uint16_t major_os_version, minor_os_version;
	uint16_t major_image_version, minor_image_version;
	uint16_t major_subsystem_version, minor_subsystem_version;
	uint32_t win32_version_value;
	uint32_t size_of_image, size_of_headers, checksum;
	uint16_t subsystem, dll_characteristics;
	uint64_t size_of_stack_reserve, size_of_stack_commit;
	uint64_t size_of_heap_reserve, size_of_heap_commit;
	uint32_t loader_flags, number_of_rva_and_sizes;
} ps_optional_header;

enum {
	PS_DIR_EXPORT = 0, PS_DIR_IMPORT, PS_DIR_RESOURCE, PS_DIR_EXCEPTION, PS_DIR_SECURITY,
	PS_DIR_BASERELOC, PS_DIR_DEBUG, PS_DIR_ARCHITECTURE, PS_DIR_GLOBALPTR, PS_DIR_TLS,
	PS_DIR_LOAD_CONFIG, PS_DIR_BOUND_IMPORT, PS_DIR_IAT, PS_DIR_DELAY_IMPORT, PS_DIR_CLR,
	PS_DIR_RESERVED, PS_DIR_COUNT
};

typedef struct ps_data_directory {
	uint32_t rva; /* for PS_DIR_SECURITY this is a file offset, not an RVA */
	uint32_t size;
} ps_data_directory;

typedef struct ps_section {
	uint8_t name[8];   /* raw bytes; name_len excludes trailing NULs */
	unsigned name_len;
	uint32_t virtual_size, virtual_address;
	uint32_t raw_size, raw_offset; /* SizeOfRawData, PointerToRawData as stored */
	uint32_t pointer_to_relocations, pointer_to_linenumbers;
	uint16_t number_of_relocations, number_of_linenumbers;
	uint32_t characteristics;
	uint64_t header_offset; /* file offset of this section header */
	bool has_entropy;       /* false only when the entropy budget ran out (PE-LIMIT-REACHED);
	                           an empty raw range has entropy 0, as in pefile */
	double entropy;         /* Shannon entropy, bits per byte, of the raw data in the file */
} ps_section;

typedef struct ps_import {
	const char *name;         /* raw; NULL when imported by ordinal */
	const char *ordinal_name; /* by ordinal from ws2_32/wsock32/oleaut32: the export's
	                             well-known name (pefile's table), else NULL */
	uint16_t hint;
	uint16_t ordinal; /* valid when by_ordinal */
	bool by_ordinal;
	uint32_t thunk_rva; /* RVA of the lookup-table entry */
} ps_import;

typedef struct ps_import_dll {
	const char *name; /* raw */
	bool delay;       /* from the delay-load directory */
	uint32_t descriptor_rva;
	uint32_t timedatestamp;
	size_t n_imports;
	const ps_import *imports;
} ps_import_dll;

typedef struct ps_export {
	uint32_t ordinal;      /* biased: Base + index */
	uint32_t rva;
	const char *name;      /* raw; NULL for ordinal-only exports */
	const char *forwarder; /* raw "DLL.Func"; NULL unless the RVA points inside the directory */
} ps_export;

typedef struct ps_exports {
	bool present;
	const char *dll_name; /* raw; may be NULL */
	uint32_t timedatestamp;
	uint32_t ordinal_base;
	uint32_t number_of_functions, number_of_names;
	size_t n;
	const ps_export *v;
} ps_exports;

typedef struct ps_resource {
	uint32_t type_id;      /* when type_name is NULL */
	const char *type_name; /* utf8, or NULL when the type is an ID */
	uint32_t name_id;
	const char *name;      /* utf8, or NULL */
	uint32_t lang;
	uint32_t data_rva, size, codepage;
	uint64_t offset; /* file offset of the data, UINT64_MAX when it maps nowhere */
} ps_resource;

typedef struct ps_kv {
	const char *key, *value; /* utf8 */
} ps_kv;

typedef struct ps_version_info {
	bool present;
	bool has_fixed; /* VS_FIXEDFILEINFO was present and signed 0xFEEF04BD */
	uint32_t file_version_ms, file_version_ls;
	uint32_t product_version_ms, product_version_ls;
	uint32_t file_flags, file_os, file_type;
	size_t n_strings; /* StringFileInfo entries, all tables, in file order */
	const ps_kv *strings;
} ps_version_info;

typedef struct ps_debug_entry {
	uint32_t characteristics, timedatestamp;
	uint16_t major_version, minor_version;
	uint32_t type, size_of_data, address_of_raw_data, pointer_to_raw_data;
	/* CodeView (type 2): "RSDS" (GUID + age) or "NB10" (signature + age) */
	bool has_codeview;
	char cv_format[5];
	uint8_t guid[16];
	uint32_t age;
	uint32_t nb10_signature;
	const char *pdb_path; /* raw */
} ps_debug_entry;

typedef struct ps_tls {
	bool present;
	uint64_t start_va, end_va, index_va, callbacks_va;
	uint32_t size_of_zero_fill, characteristics;
	size_t n_callbacks;
	const uint64_t *callbacks; /* VAs as stored (the loader calls these before the entry point) */
} ps_tls;

typedef struct ps_rich_entry {
	uint16_t product_id, build;
	uint32_t count;
} ps_rich_entry;

typedef struct ps_rich {
	bool present;
	uint32_t offset;      /* file offset of the "DanS" marker */
	uint32_t end_offset;  /* just past the XOR key after "Rich" */
	uint32_t key;         /* XOR key = stored checksum */
	uint32_t computed_checksum;
	bool checksum_valid;
	size_t n_entries;
	const ps_rich_entry *entries;
	uint8_t hash_md5[16]; /* MD5 of the decoded bytes from DanS up to "Rich" (pefile) */
} ps_rich;

typedef struct ps_clr {
	bool present;
	uint16_t major_runtime_version, minor_runtime_version;
	uint32_t flags, entry_point_token;
	uint32_t metadata_rva, metadata_size;
	const char *metadata_version; /* raw, e.g. "v4.0.30319"; NULL when unreadable */
} ps_clr;

/* One point of a file's timeline (show, JSON `timeline[]`), in time order. */
typedef struct ps_time_point {
	int64_t time;
	const char *event;  /* static: "certificate valid from", "compiled", "signed", ... */
	const char *detail; /* utf8 or NULL */
} ps_time_point;

typedef struct ps_pe {
	uint32_t e_lfanew;
	uint64_t optional_header_offset;
	ps_coff_header coff;
	ps_optional_header opt;
	bool pe32plus;
	unsigned n_directories; /* min(NumberOfRvaAndSizes, 16), further clipped by the file */
	ps_data_directory dirs[PS_DIR_COUNT];

	size_t n_sections; /* parsed, in table order */
	const ps_section *sections;

	size_t n_import_dlls; /* normal imports first, then delay-load */
	const ps_import_dll *import_dlls;
	size_t n_imports_total;
	char imphash[33];   /* pefile convention; "" when there are no imports */

	ps_exports exports;

	size_t n_resources;
	const ps_resource *resources;
	uint32_t resource_timedatestamp;
	ps_version_info version;

	size_t n_debug;
	const ps_debug_entry *debug;
	bool has_repro; /* an IMAGE_DEBUG_TYPE_REPRO entry: header "timestamps" are hashes */

	ps_tls tls;
	ps_rich rich;
	ps_clr clr;

	uint32_t checksum_stored;
	uint32_t checksum_computed; /* Windows' CheckSumMappedFile algorithm */

	bool has_certificate_table;
	uint64_t certificate_table_offset, certificate_table_size;
	bool certificate_table_in_file;
	unsigned n_certificate_entries; /* WIN_CERTIFICATE entries walked */
	/* A copy of the table's bytes in the file (a fact that re-judgement parses again without
	 * the file); NULL when there is no table or it is larger than PS_MAX_KEPT_CERT_TABLE. */
	const uint8_t *certificate_table_data;
	size_t certificate_table_data_len;

	size_t n_signatures;
	const ps_signature *signatures;
	/* file.code_signature: Windows verifies the first entry's signature (WinVerifyTrust);
	 * `verify` checks every signature (signtool /pa /all). */
	const ps_signature *primary;  /* NULL when no signature could be parsed */
	const char *signature_status; /* "NotSigned", "Malformed", or primary->status */
	size_t n_timeline;
	const ps_time_point *timeline;
	/* Authenticode hashes of the file (linear method: what a signature or a catalog signs),
	 * for the algorithms the signatures use, or all three when asked (ps_options) */
	unsigned authentihash_computed; /* PS_HASH_* bits */
	uint8_t authentihash_md5[16], authentihash_sha1[20], authentihash_sha256[32];
	bool has_authentihash_sections;
	uint8_t authentihash_sections_sha256[32]; /* section-table method (pesign's) */

	bool has_overlay; /* bytes after the last section's raw data (or the headers) */
	uint64_t overlay_offset, overlay_size;
} ps_pe;

/* ---------------------------------------------------------------- report */

typedef enum ps_format {
	PS_FORMAT_UNKNOWN = 0, /* not an MZ executable: reported with hashes only */
	PS_FORMAT_MZ,          /* DOS executable without a PE header (or NE/LE/LX, see kind) */
	PS_FORMAT_PE
} ps_format;

typedef struct ps_report {
	const char *path; /* as given by the caller; may be NULL for buffers */
	uint64_t size;
	ps_hashes hashes;
	ps_format format;
	const char *format_detail; /* static: "PE32", "PE32+", "NE", "LE", "ZM", "DOS", "empty", ... */
	const ps_pe *pe;           /* NULL unless format == PS_FORMAT_PE */
	size_t n_findings;
	const ps_finding *findings;
	ps_severity worst; /* most severe finding (INFO when there are none) */
} ps_report;

#ifdef __cplusplus
}
#endif
#endif
