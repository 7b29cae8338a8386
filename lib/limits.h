/* Every cap on an attacker-controlled count or size, in one place.
 *
 * Hitting a cap is never a crash or an error: the parser stops walking that structure, keeps
 * what it has, and records a PE-LIMIT-REACHED finding naming the cap. Values are chosen to be
 * far above anything a real compiler emits (cited where a peer or Windows sets the bar) and
 * low enough that a hostile file cannot make one analysis allocate more than a few MiB.
 */
#ifndef PS_LIMITS_H
#define PS_LIMITS_H

/* Section headers parsed into the model. pefile stops at 0x800; Windows 7+ loads up to
 * 65535 (corkami 65535sects.exe); beyond 2048 nothing real exists. */
#define PS_MAX_SECTIONS 2048u

/* Work budget for per-section entropy when raw ranges overlap: the number of
 * (segment, covering section) histogram merges. Each merge is 256 additions. */
#define PS_MAX_ENTROPY_MERGES 65536u

/* Import descriptors (DLLs), and imported functions over all DLLs. pefile caps symbols at
 * 0x2000 (its MAX_IMPORT_SYMBOLS); corkami manyimportsW7.exe has 16384. */
#define PS_MAX_IMPORT_DLLS 4096u
#define PS_MAX_IMPORT_SYMBOLS 0x2000u
#define PS_MAX_IMPORT_NAME 0x200u /* pefile MAX_IMPORT_NAME_LENGTH / MAX_DLL_LENGTH */

/* Export directory: named and by-ordinal entries (pefile MAX_SYMBOL_EXPORT_COUNT). */
#define PS_MAX_EXPORTS 0x2000u
#define PS_MAX_EXPORT_NAME 0x200u

/* Resource tree: total entries visited, depth, and leaves kept (pefile: 0x8000 entries,
 * depth 32; Windows uses exactly 3 levels, deeper is hostile). */
#define PS_MAX_RESOURCE_ENTRIES 0x8000u
#define PS_MAX_RESOURCE_DEPTH 32u
#define PS_MAX_RESOURCE_LEAVES 4096u
#define PS_MAX_RESOURCE_NAME 256u /* UTF-16 code units of a resource name */

/* VS_VERSIONINFO: nesting depth, nodes walked, strings kept, string length (code units). */
#define PS_MAX_VERSION_DEPTH 8u
#define PS_MAX_VERSION_NODES 1024u
#define PS_MAX_VERSION_STRINGS 64u
#define PS_MAX_VERSION_STRING 1024u

/* Debug directory entries, CodeView path length. */
#define PS_MAX_DEBUG_ENTRIES 64u
#define PS_MAX_PDB_PATH 1024u

/* TLS callbacks listed (the loader walks until a NULL pointer). */
#define PS_MAX_TLS_CALLBACKS 64u

/* Rich header entries (each 8 bytes between DanS and Rich, all before e_lfanew). */
#define PS_MAX_RICH_ENTRIES 512u

/* Findings per file; the last slot is taken by a PE-LIMIT-REACHED finding. */
#define PS_MAX_FINDINGS 256u

/* Memory owned by one report (model, strings, findings). A backstop: the count caps above
 * keep real reports far below it. */
#define PS_MAX_REPORT_BYTES (32u << 20)

/* Files up to this size are read into one buffer (kept per thread: threads x 8 MiB at most);
 * larger ones are memory-mapped and their pages released window by window as the single
 * hashing pass goes, so resident memory stays bounded whatever the file size. Reading beats
 * mapping on time (measured 2026-12-04: 2 MiB -> 8 MiB cut the bench scan by 8%; page faults
 * and TLB misses on the mapping); 16 MiB was faster still but took the 2-thread scan's peak
 * RSS to 70 MiB, over issue 6's 64 MiB. */
#define PS_READ_WHOLE_MAX (8u << 20)
#define PS_PASS_WINDOW (256u << 10)

/* Directory recursion depth for scan. */
#define PS_MAX_WALK_DEPTH 256u

/* Strings (strscan.c): the shortest run reported, and the longest kept (longer runs are
 * reported truncated to this many characters, then skipped to their end). */
#define PS_STR_MIN_LEN 6u
#define PS_STR_MAX_LEN 1024u
/* Network indicators and capability strings kept per file (evidence). */
#define PS_MAX_NET_INDICATORS 64u
/* XOR/ADD/ROL search (xorscan.c): bytes of a file searched, and decoded strings kept. */
#define PS_XOR_SCAN_BUDGET (16u << 20)
#define PS_MAX_XOR_HITS 32u
#define PS_XOR_MAX_DECODED 256u
/* YARA: seconds of scanning per file unless the caller sets another; matches kept per file. */
#define PS_RULES_TIMEOUT_DEFAULT 10u
#define PS_MAX_RULE_MATCHES 64u
/* IOC feeds: longest line read, indicators kept over all feeds. */
#define PS_IOC_MAX_LINE 4096u
#define PS_MAX_IOCS (1u << 22)

/* Directory walker (walk.c). The depth cap is PS_MAX_WALK_DEPTH above: a directory that deep
 * is not entered, so recursion and the descriptors held (one per level) stay bounded.
 * Entries read from one directory (ext4 holds millions in one; beyond this the first ones
 * readdir returns are visited), bytes of names held over the whole current path (names are
 * read in full and sorted before any is visited), and directories remembered by device and
 * inode when links are followed (a 16-byte key each; past it, directories reached through
 * a link are skipped rather than risk entering one twice). */
#define PS_MAX_WALK_DIR_ENTRIES (1u << 20)
#define PS_MAX_WALK_NAME_BYTES (64u << 20)
#define PS_MAX_WALK_DIRS (1u << 20)

/* Certificate tables up to this size are kept in the report (and the database) so that a
 * re-judgement can parse them again without the file; real ones are a few KiB. */
#define PS_MAX_KEPT_CERT_TABLE (1u << 20)

/* Per-file time budget of the scanners beyond hashing (ps_options.time_budget_ms). */
#define PS_TIME_BUDGET_DEFAULT_MS 60000u

/* YARA prefilter ("// pesleuth-prefilter:" lines of a rule file): literals at most, and their
 * length range. A literal must lie inside a printable run of at least PS_STR_MIN_LEN characters
 * whenever a rule of its file matches (the string scanner sees only such runs). */
#define PS_MAX_PREFILTER 32
/* Rule files a deferred pack keeps open until it is compiled; past this it compiles as added. */
#define PS_MAX_DEFERRED_RULE_FILES 64
#define PS_PREFILTER_MIN_LEN 3
#define PS_PREFILTER_MAX_LEN 64

/* Corpus database (db.c). Operational bounds, not input caps: puts per transaction (a process
 * killed mid-scan loses at most the batch not yet committed; larger batches are faster, each
 * commit is one WAL sync) and how long a connection waits for another connection's lock. */
#define PS_DB_BATCH_FILES 256u
#define PS_DB_BUSY_TIMEOUT_MS 10000

#endif
