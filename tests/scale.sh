#!/usr/bin/env bash
# Black-box tests of corpus-scale scanning (issue 6's acceptance test; TAP-like output):
# the walker's edge cases through the CLI (symbolic-link loop, permission denied, FIFO, a path
# that vanished, excludes, size cap, --from), the worker pool (the same output in the same
# order on 1 and 2 threads), the corpus database (facts stored once per content, incremental
# rescans, a scan killed with SIGKILL and run again: integrity_check ok and no duplicates),
# `certs` counts against the scan's own JSON, and `pivot` by every key.
#
#   BUILD=build tests/scale.sh
#
# Uses the signed fixtures of tests/fixtures/make-signed.sh ($BUILD/fixtures; built when
# missing) and the trait fixtures ($BUILD/traits) when present. No PE file is ever executed.
# shellcheck disable=SC2016
set -u
[ -n "${SCALE_DEBUG:-}" ] && set -x

# shellcheck source=tests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
tap_init scale jq sqlite3 timeout setpriv mkfifo
FX=$BUILD/fixtures
if [ ! -e "$FX/SCENARIOS.txt" ] || [ ! -d "$FX/revocation" ]; then
	echo "# building signed fixtures into $FX"
	tests/fixtures/make-signed.sh "$FX" >&2 || { echo "Bail out! tests/fixtures/make-signed.sh failed"; exit 2; }
fi
ANCH=(--ca-file "$FX/pki/root.pem" --ca-file "$FX/pki/tsaroot.pem" --no-default-rules)
sql() { sqlite3 -batch -noheader "$1" "$2"; }

# ---------------------------------------------------------------- the walker, through scan
W=$T/tree
mkdir -p "$W/a/sub" "$W/b" "$W/locked" "$W/skipme"
cp "$FX/01-valid-ts.exe" "$W/a/one.exe"
cp "$FX/02-valid-nots.exe" "$W/a/sub/two.exe"
cp "$FX/05-untrusted-root.exe" "$W/b/three.exe"
cp "$FX/01-valid-ts.exe" "$W/skipme/excluded.exe"
cp "$FX/01-valid-ts.exe" "$W/locked/hidden.exe"
head -c 100 /dev/zero >"$W/b/small.bin"
ln -s .. "$W/a/sub/loop"     # a loop, when links are followed
ln -s ../b "$W/a/link-to-b"   # the same directory through a link
mkfifo "$W/b/pipe"

out=$(timeout 60 "$PS" scan --jsonl "${ANCH[@]}" "$W" 2>"$T/err"); st=$?
eq "walk: exit 0 (a FIFO is skipped, not an error)" 0 "$st"
eq "walk: every regular file once, links not followed, in sorted order" \
	"a/one.exe a/sub/two.exe b/small.bin b/three.exe locked/hidden.exe skipme/excluded.exe" \
	"$(jq -r '.path' <<<"$out" | sed "s|^$W/||" | tr '\n' ' ' | sed 's/ $//')"
check "walk: the FIFO is reported on stderr as skipped" grep -q "pipe: skipped: not a regular file" "$T/err"

out=$(timeout 60 "$PS" scan --jsonl "${ANCH[@]}" --follow-symlinks "$W" 2>"$T/err"); st=$?
eq "--follow-symlinks: the loop ends, each directory entered once (exit 0)" 0 "$st"
eq "--follow-symlinks: the linked directory is scanned once, under its first path" \
	"a/link-to-b/small.bin a/link-to-b/three.exe a/one.exe a/sub/two.exe locked/hidden.exe skipme/excluded.exe" \
	"$(jq -r '.path' <<<"$out" | sed "s|^$W/||" | tr '\n' ' ' | sed 's/ $//')"

out=$("$PS" scan --jsonl "${ANCH[@]}" --exclude skipme --exclude '*.bin' "$W" 2>/dev/null)
eq "--exclude: a directory name and a file glob" "a/one.exe a/sub/two.exe b/three.exe locked/hidden.exe" \
	"$(jq -r '.path' <<<"$out" | sed "s|^$W/||" | tr '\n' ' ' | sed 's/ $//')"
out=$("$PS" scan --jsonl "${ANCH[@]}" --max-size 1K "$W" 2>"$T/err")
eq "--max-size 1K: only the small file" "b/small.bin" "$(jq -r '.path' <<<"$out" | sed "s|^$W/||")"
check "--max-size: the skipped files are counted on stderr" grep -q "larger than --max-size skipped" "$T/err"

# permission denied: as an unprivileged user (root reads everything)
chmod 755 "$T" "$W"
chmod -R a+rX "$W"
chmod 000 "$W/locked"
if [ "$(id -u)" = 0 ]; then
	runas=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	runas=()
fi
if "${runas[@]}" test -x "$PS"; then
	out=$(timeout 60 "${runas[@]}" "$PS" scan --jsonl "${ANCH[@]}" "$W" 2>"$T/err"); st=$?
	eq "permission denied: exit 2 (a directory could not be read)" 2 "$st"
	check "permission denied: an error record for the directory, the rest scanned" \
		test "$(jq -r 'select(.error) | .path' <<<"$out")" = "$W/locked" -a \
		"$(jq -r 'select(.error | not) | .path' <<<"$out" | wc -l)" = 5
	check "permission denied: said on stderr" grep -q "locked: Permission denied" "$T/err"
else
	skip "permission denied" "the build is not readable by uid 65534"
	skip "permission denied: record" "the build is not readable by uid 65534"
	skip "permission denied: stderr" "the build is not readable by uid 65534"
fi
chmod 755 "$W/locked"
rm -f "$W/b/pipe"

printf '%s\n' "$W/a/one.exe" "$W/gone.exe" "$W/b" >"$T/list"
out=$("$PS" scan --jsonl "${ANCH[@]}" --from "$T/list" 2>"$T/err"); st=$?
eq "--from: a vanished path is an error (exit 2), the others are scanned" 2 "$st"
eq "--from: files in list order, directories walked" "a/one.exe gone.exe b/small.bin b/three.exe" \
	"$(jq -r '.path' <<<"$out" | sed "s|^$W/||" | tr '\n' ' ' | sed 's/ $//')"
out2=$("$PS" scan --jsonl "${ANCH[@]}" --from - <"$T/list" 2>/dev/null)
eq "--from -: the same from stdin" "$(jq -c '[.path, .file.hash.sha256]' <<<"$out")" "$(jq -c '[.path, .file.hash.sha256]' <<<"$out2")"

# --null: NUL-separated paths (find -print0), so a name may hold a newline
mkdir -p "$W/nl"
cp "$FX/02-valid-nots.exe" "$W/nl/new"$'\n'"line.exe"
out=$(printf '%s\0' "$W/a/one.exe" "$W/nl" | "$PS" scan --jsonl "${ANCH[@]}" --from - --null 2>/dev/null); st=$?
eq "--from - --null: exit 0, a path with a newline is one path" "0 a/one.exe|nl/new\nline.exe" \
	"$st $(jq -r '.path | gsub("\n"; "\\n")' <<<"$out" | sed "s|^$W/||" | paste -sd'|')"
"$PS" scan --jsonl "${ANCH[@]}" --null "$W/a" >/dev/null 2>&1; st=$?
eq "--null without --from is a usage error" 2 "$st"
rm -rf "$W/nl"

# A file swapped for a symbolic link between the walk and the analysis: the file is opened
# where the walker saw it (openat, O_NOFOLLOW) and checked to be the one it stat()ed, so a
# link planted in the tree never makes the scan read what it points to. The swap runs in a
# loop while the tree is scanned again and again; the outside file's hash must never appear.
R=$T/race
mkdir -p "$R/d"
for i in $(seq 1 40); do cp "$FX/02-valid-nots.exe" "$R/d/f$i.exe"; done
head -c 4096 /dev/urandom >"$T/secret.bin"
secret=$(sha256sum "$T/secret.bin" | cut -d' ' -f1)
cp "$FX/02-valid-nots.exe" "$R/d/victim.exe"
(
	while [ -e "$R/d" ]; do
		ln -sfn "$T/secret.bin" "$R/d/victim.tmp" && mv -Tf "$R/d/victim.tmp" "$R/d/victim.exe"
		cp "$FX/02-valid-nots.exe" "$R/d/victim.tmp" && mv -Tf "$R/d/victim.tmp" "$R/d/victim.exe"
	done
) 2>/dev/null &
swapper=$!
leaks=0 seen=0
for i in $(seq 1 25); do
	o=$("$PS" scan --jsonl "${ANCH[@]}" --threads 2 "$R/d" 2>/dev/null)
	grep -q "$secret" <<<"$o" && leaks=$((leaks + 1))
	grep -q '"victim.exe"' <<<"$o" && seen=$((seen + 1))
done
kill "$swapper" 2>/dev/null
wait "$swapper" 2>/dev/null
rm -rf "$R"
eq "a file swapped for a link during the scan: the link's target is never read (25 scans)" 0 "$leaks"
check "... while the file itself was analyzed in some of them ($seen)" test "$seen" -gt 0

# ---------------------------------------------------------------- the pool
S=$T/signed
mkdir -p "$S"
cp "$FX"/*.exe "$S/"
cp "$FX"/revocation/*.exe "$S/" 2>/dev/null
# (what depends on the clock -- "now", @timestamp -- aside)
summ='[.path, .file.hash.sha256, .verdict, [.findings[] | .id + ":" + .severity], [.signatures[]? | .status]]'
one=$("$PS" scan --jsonl "${ANCH[@]}" --threads 1 "$S" 2>/dev/null | jq -c "$summ")
two=$("$PS" scan --jsonl "${ANCH[@]}" --threads 2 "$S" 2>/dev/null | jq -c "$summ")
n=$(wc -l <<<"$one")
check "--threads 2: the same $n records in the same order as --threads 1" test "$one" = "$two" -a "$n" -gt 30
"$PS" scan --jsonl "${ANCH[@]}" --threads 0 "$S" >/dev/null 2>&1; st=$?
eq "--threads 0 is a usage error" 2 "$st"
st=0
"$PS" scan --no-progress "${ANCH[@]}" "$S" >/dev/null 2>"$T/err" || st=$?
check "no progress line when stderr is not a terminal" test ! -s "$T/err" -o "$(grep -c $'\r' "$T/err")" = 0

if command -v script >/dev/null; then
	script -qfec "$PS scan ${ANCH[*]} --threads 2 $S >/dev/null" /dev/null >"$T/tty" 2>&1
	check "progress on a terminal: files, bytes, rate, then a final line" \
		grep -aq "files .*B/s  done in" "$T/tty"
	check "progress on a terminal: the final line counts every file ($n)" grep -aq "$n/$n files" "$T/tty"
	script -qfec "$PS scan ${ANCH[*]} --no-progress $S >/dev/null" /dev/null >"$T/tty" 2>&1
	check "--no-progress: nothing on the terminal" test ! -s "$T/tty"
else
	skip "progress on a terminal" "script(1) is missing"
	skip "--no-progress" "script(1) is missing"
fi

# --csv: a header and one row per file, every row with the header's columns (Python's csv)
"$PS" scan --csv "${ANCH[@]}" "$S" >"$T/out.csv" 2>/dev/null
check "--csv: a header, then one row per file ($n), every row as wide as the header" \
	/usr/bin/python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
h = rows[0]
assert h[:3] == ["path", "verdict", "findings"], h
assert len(rows) == int(sys.argv[2]) + 1, len(rows)
assert all(len(r) == len(h) for r in rows), [len(r) for r in rows]
sig = {r[0].rsplit("/", 1)[-1]: r[h.index("verified")] for r in rows[1:]}
assert sig["01-valid-ts.exe"] == "Signed" and sig["03-modified-section.exe"] != "Signed", sig' "$T/out.csv" "$n"

# bounded memory: a 1 GiB file (a signed fixture with a sparse zero overlay) is mapped and
# released window by window, so the peak RSS stays far below its size
if ldd "$PS" 2>/dev/null | grep -q libasan; then
	skip "a 1 GiB file: peak RSS" "AddressSanitizer build (its shadow memory is not ours)"
elif [ -x /usr/bin/time ]; then
	cp "$FX/01-valid-ts.exe" "$T/big.exe" && truncate -s 1G "$T/big.exe"
	kb=$(/usr/bin/time -f %M "$PS" show "${ANCH[@]}" "$T/big.exe" 2>&1 >/dev/null | tail -n 1)
	check "a 1 GiB file: peak RSS ${kb} KiB, under 64 MiB" test "${kb:-999999}" -lt 65536
	rm -f "$T/big.exe"
else
	skip "a 1 GiB file: peak RSS" "GNU time is missing"
fi

# ---------------------------------------------------------------- the database
DB=$T/case.db
"$PS" scan --jsonl "${ANCH[@]}" --db "$DB" "$S" >"$T/scan1.jsonl" 2>/dev/null
nfiles=$(jq -r 'select(.error | not) | .path' "$T/scan1.jsonl" | wc -l)
ncontent=$(jq -r 'select(.error | not) | .file.hash.sha256' "$T/scan1.jsonl" | sort -u | wc -l)
eq "--db: one paths row per file" "$nfiles" "$(sql "$DB" 'select count(*) from paths')"
eq "--db: one files row per distinct SHA-256" "$ncontent" "$(sql "$DB" 'select count(*) from files')"
eq "--db: integrity_check" ok "$(sql "$DB" 'pragma integrity_check')"
eq "--db: WAL journal" wal "$(sql "$DB" 'pragma journal_mode')"

out=$("$PS" scan --jsonl "${ANCH[@]}" --db "$DB" "$S" 2>"$T/err")
eq "rescan: unchanged files are skipped" "" "$out"
check "rescan: ... and counted on stderr" grep -q "$nfiles unchanged files" "$T/err"
touch "$S/02-valid-nots.exe"
out=$("$PS" scan --jsonl "${ANCH[@]}" --db "$DB" "$S" 2>/dev/null)
eq "rescan: a touched file is analyzed again, alone" "$S/02-valid-nots.exe" "$(jq -r .path <<<"$out")"
out=$("$PS" scan --jsonl "${ANCH[@]}" --db "$DB" --rescan "$S" 2>/dev/null | wc -l)
eq "--rescan: every file again" "$nfiles" "$out"
eq "--rescan: still one row per path and per content" "$nfiles $ncontent" \
	"$(sql "$DB" 'select count(*) from paths') $(sql "$DB" 'select count(*) from files')"

# killed with SIGKILL mid-scan: paths come through a pipe, so the scan is provably in the
# middle (some batches committed, the next one open) when it is killed
K=$T/kill
mkdir -p "$K"
for i in $(seq 1 700); do
	ln "$FX/pki/root.pem" "$K/f$i.bin" 2>/dev/null || cp "$FX/pki/root.pem" "$K/f$i.bin"
done
find "$K" -type f | sort >"$T/klist"
KDB=$T/kill.db
mkfifo "$T/kfifo"
"$PS" scan --jsonl --no-default-rules --db "$KDB" --from "$T/kfifo" >/dev/null 2>&1 &
kpid=$!
exec 7>"$T/kfifo"
head -n 600 "$T/klist" >&7
committed=0
for _ in $(seq 1 200); do
	committed=$(sql "$KDB" 'select count(*) from paths' 2>/dev/null || echo 0)
	[ "${committed:-0}" -ge 256 ] && break
	sleep 0.1
done
kill -9 "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
exec 7>&-
check "SIGKILL: the scan had committed part of its work ($committed of 600 paths)" test "${committed:-0}" -ge 256 -a "${committed:-0}" -lt 700
eq "SIGKILL: the database passes integrity_check" ok "$(sql "$KDB" 'pragma integrity_check')"
"$PS" scan --jsonl --no-default-rules --db "$KDB" --from "$T/klist" >/dev/null 2>&1
eq "SIGKILL, then the scan again: every path exactly once" "700|700" \
	"$(sql "$KDB" 'select count(*), count(distinct path) from paths')"
eq "... one content row (the files are copies of one file)" 1 "$(sql "$KDB" 'select count(*) from files')"
eq "... integrity_check" ok "$(sql "$KDB" 'pragma integrity_check')"

# ---------------------------------------------------------------- certs and pivot
"$PS" certs --db "$DB" --jsonl "${ANCH[@]}" >"$T/certs.jsonl" 2>"$T/err"; st=$?
eq "certs: exit 0" 0 "$st"
# expected: per signer certificate, the distinct files (content) whose signatures name it
jq -r 'select(.error | not) | .file.hash.sha256 as $h | .signatures[]? | select(.signer) | "\(.signer.sha256) \($h)"' \
	"$T/scan1.jsonl" | sort -u | awk '{n[$1]++} END {for (k in n) print k, n[k]}' | sort >"$T/exp-certs"
jq -r 'select(.files > 0) | "\(.sha256) \(.files)"' "$T/certs.jsonl" | sort >"$T/got-certs"
check "certs: files per signer certificate as the scan's JSON says ($(wc -l <"$T/exp-certs") signers)" \
	diff "$T/exp-certs" "$T/got-certs"
leaf=$(sort -k2 -n -r "$T/exp-certs" | head -1 | cut -d' ' -f1)
check "certs: every record has subject, issuer, serial, sha1, validity, revocation status" \
	test "$(jq -c 'select(.subject and .issuer and .serial and (.sha1|length==40) and .not_before and .not_after and .revocation.status) | 1' "$T/certs.jsonl" | wc -l)" = "$(wc -l <"$T/certs.jsonl")"
check "certs: the most-used signer has first/last trusted signing times" \
	test "$(jq -r --arg s "$leaf" 'select(.sha256 == $s) | (.first_signed != null) and (.last_signed != null)' "$T/certs.jsonl")" = true
"$PS" certs --db "$DB" "${ANCH[@]}" >"$T/certs.txt" 2>/dev/null
check "certs: a text table too" grep -q "files" "$T/certs.txt"

# pivot: the same files the JSON names
lsha1=$(jq -r --arg s "$leaf" 'select(.sha256 == $s) | .sha1' "$T/certs.jsonl" | head -1)
exp=$(jq -r --arg s "$leaf" 'select(.error | not) | select([.signatures[]? | .signer.sha256] | index($s)) | .path' "$T/scan1.jsonl" | sort)
got=$("$PS" pivot --db "$DB" "cert:$(tr a-f A-F <<<"$lsha1")" | cut -d' ' -f3- | sort)
eq "pivot cert: (SHA-1, any case): the files signed by the certificate" "$exp" "$got"
got=$("$PS" pivot --db "$DB" "cert:$leaf" | cut -d' ' -f3- | sort)
eq "pivot cert: (SHA-256)" "$exp" "$got"
subj=$(jq -r --arg s "$leaf" 'select(.sha256 == $s) | .subject' "$T/certs.jsonl" | head -1)
cn=$(sed -n 's/.*CN=\([^,]*\).*/\1/p' <<<"$subj")
got=$("$PS" pivot --db "$DB" "signer:$(tr a-z A-Z <<<"$cn")" | cut -d' ' -f3- | sort)
check "pivot signer: (case-insensitive substring) includes the certificate's files" \
	test -n "$got" -a -z "$(comm -23 <(echo "$exp") <(echo "$got"))"
imp=$(jq -r 'select(.file.pe.imphash != null and .file.pe.imphash != "") | .file.pe.imphash' "$T/scan1.jsonl" | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
exp=$(jq -r --arg i "$imp" 'select(.file.pe.imphash == $i) | .path' "$T/scan1.jsonl" | sort)
got=$("$PS" pivot --db "$DB" "imphash:$imp" | cut -d' ' -f3- | sort)
eq "pivot imphash:" "$exp" "$got"
h=$(jq -r 'select(.error | not) | .file.hash.sha256' "$T/scan1.jsonl" | head -1)
exp=$(jq -r --arg h "$h" 'select(.file.hash.sha256 == $h) | .path' "$T/scan1.jsonl" | sort)
got=$("$PS" pivot --db "$DB" "sha256:$h" | cut -d' ' -f3- | sort)
eq "pivot sha256:" "$exp" "$got"
"$PS" pivot --db "$DB" "colour:red" >/dev/null 2>&1; st=$?
eq "pivot with an unknown key: usage error" 2 "$st"

# ---------------------------------------------------------------- rejudge
# scanned without CRLs, judged again when the CRLs arrive: the same judgement a scan with the
# CRLs gives, without reading the files (they are moved away first)
RDB=$T/rejudge.db
"$PS" scan --jsonl "${ANCH[@]}" --db "$RDB" "$S" >/dev/null 2>&1
mv "$S" "$S.away"
out=$("$PS" rejudge "${ANCH[@]}" --crl "$FX/pki/crls" --db "$RDB" 2>"$T/err"); st=$?
eq "rejudge: exit 0 (the files are gone: not needed)" 0 "$st"
check "rejudge: the Carbanak file signed after the revocation turns CERT-SIGNED-AFTER-REVOCATION" \
	grep -q "r09-carbanak-ts-2014-08-20.exe .*+CERT-SIGNED-AFTER-REVOCATION:critical" <<<"$out"
check "rejudge: Duqu's file signed before the revocation turns CERT-REVOKED-AFTER-SIGNING" \
	grep -q "r05-duqu-ts-2011-09-01.exe .*+CERT-REVOKED-AFTER-SIGNING" <<<"$out"
check "rejudge: a summary on stderr" grep -q "rejudged $nfiles files" "$T/err"
mv "$S.away" "$S"
norm='{path, verdict, findings: [.findings[] | {id, severity, title, evidence, attack}], sig: .signatures, cs: .file.code_signature, tl: [.timeline[] | select(.event != "now")]} | walk(if type == "object" then del(.evaluated_at, .now) else . end)'
sql "$RDB" 'select report from judgements order by path' | jq -S -c "$norm" >"$T/rj-stored"
"$PS" scan --jsonl "${ANCH[@]}" --crl "$FX/pki/crls" "$S" 2>/dev/null | jq -S -c "$norm" | sort >"$T/rj-fresh"
sort "$T/rj-stored" -o "$T/rj-stored"
check "rejudge: every stored judgement equals a scan with the CRLs (findings, signatures, revocation, timeline; $nfiles files)" \
	cmp -s "$T/rj-stored" "$T/rj-fresh"
eq "rejudge: the findings table follows" \
	"$(grep -c CERT-SIGNED-AFTER-REVOCATION "$T/rj-fresh")" \
	"$(sql "$RDB" "select count(distinct file_sha256) from findings where id = 'CERT-SIGNED-AFTER-REVOCATION'")"
out=$("$PS" rejudge "${ANCH[@]}" --crl "$FX/pki/crls" --db "$RDB" 2>"$T/err")
eq "rejudge again with the same context: nothing changed" "" "$out"
check "... and says so" grep -q "0 changed" "$T/err"
h=$(jq -r 'select(.path | endswith("/01-valid-ts.exe")) | .file.hash.sha256' "$T/scan1.jsonl")
printf '%s;test feed entry\n' "$h" >"$T/feed.txt"
out=$("$PS" rejudge --jsonl "${ANCH[@]}" --crl "$FX/pki/crls" --ioc "$T/feed.txt" --db "$RDB" 2>/dev/null)
eq "rejudge --ioc: the file whose hash a new feed lists turns IOC-HASH (critical)" \
	"01-valid-ts.exe critical IOC-HASH:critical" \
	"$(jq -r '"\(.path | split("/") | last) \(.verdict) \(.rejudge.findings_added | join(","))"' <<<"$out")"
"$PS" rejudge --db "$T/nothere.db" >/dev/null 2>&1; st=$?
eq "rejudge without a database: exit 2" 2 "$st"

tap_summary
