#!/usr/bin/env bash
# calibrate.sh — false-positive calibration of the trait findings (issue 5) on clean real corpora:
#
#   1. the bench corpus (../shared/bench/make-bench-corpus.sh: Wine, mingw-w64, NSIS, Mono — 848
#      benign PE files), at $PE_BENCH (default /tmp/pe-bench; built when missing);
#   2. the Microsoft-signed files of ../shared/corpus (primary signer's subject names Microsoft,
#      per expected.jsonl), judged with the system roots plus the Microsoft legacy roots.
#
# For each set: how many files have a finding at high or above, at critical, and the count of
# files per (ID, severity) for the trait IDs (CAP-, PACK-, PE-ENTRY-POINT-ANOMALY, OVERLAY-, STR-,
# IOC-, RULE-, FILE-). The gate (exit 1 when it fails): at most 1% of files with a high trait
# finding and none critical. Signature judgements (SIG-, CERT-, TS-, TIME-) are listed apart:
# they are verdicts on real signatures (expired, untrusted roots), not trait false positives.
#
#   bench/calibrate.sh            (BUILD=build; writes build/calibration.txt too)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
PS=$ROOT/$BUILD/pesleuth
SHARED=${PESLEUTH_SHARED:-$(cd .. && pwd)/shared}
PE_BENCH=${PE_BENCH:-/tmp/pe-bench}
OUT=$ROOT/$BUILD/calibration.txt
command -v jq >/dev/null || { echo "calibrate: jq is needed" >&2; exit 2; }
[ -x "$PS" ] || make -s
if [ ! -f "$PE_BENCH/files.list" ]; then
	echo "calibrate: building the bench corpus in $PE_BENCH" >&2
	"$SHARED/bench/make-bench-corpus.sh" "$PE_BENCH" >&2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/pesleuth-cal.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Microsoft-signed corpus files
jq -r 'select(.osslsigncode.signatures[0].signer_subject // "" | test("Microsoft")) | .path' \
	"$SHARED/corpus/expected.jsonl" | sed "s|^|$SHARED/corpus/|" >"$T/ms.list"
cat /etc/ssl/certs/ca-certificates.crt "$SHARED/corpus/extras/ralphje__signify/legacy-certs.pem" >"$T/ms-roots.pem"

(cd "$PE_BENCH" && xargs -d '\n' "$PS" scan --jsonl <files.list) >"$T/bench.jsonl" || true
xargs -d '\n' "$PS" scan --jsonl --ca-file "$T/ms-roots.pem" <"$T/ms.list" >"$T/ms.jsonl" || true

TRAIT='^(CAP-|PACK-|PE-ENTRY-POINT-ANOMALY|OVERLAY-|STR-|IOC-|RULE-|FILE-)'
SIGN='^(SIG-|CERT-|TS-|TIME-)'
{
	echo "# pesleuth trait calibration, $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$PS" version)"
	for set in bench ms; do
		f=$T/$set.jsonl
		n=$(wc -l <"$f")
		th=$(jq -r --arg re "$TRAIT" '[.findings[] | select((.id | test($re)) and (.severity == "high" or .severity == "critical"))] | length' "$f" | awk '$1>0' | wc -l)
		tc=$(jq -r --arg re "$TRAIT" '[.findings[] | select((.id | test($re)) and .severity == "critical")] | length' "$f" | awk '$1>0' | wc -l)
		sh=$(jq -r --arg re "$SIGN" '[.findings[] | select((.id | test($re)) and (.severity == "high" or .severity == "critical"))] | length' "$f" | awk '$1>0' | wc -l)
		echo
		echo "## $set: $n files"
		echo "trait findings: $th files with high or critical ($(awk -v a="$th" -v b="$n" 'BEGIN{printf "%.2f", b ? 100*a/b : 0}')%), $tc with critical"
		echo "signature judgements (not gated): $sh files with high or critical"
		echo
		echo "| ID | severity | files |"
		echo "|---|---|---:|"
		jq -r --arg re "$TRAIT" '[.findings[] | select(.id | test($re)) | "\(.id) \(.severity)"] | unique[]' "$f" |
			sort | uniq -c | sort -k2,2 -k3,3 | awk '{printf "| %s | %s | %d |\n", $2, $3, $1}'
		echo
		echo "files with a high or critical trait finding:"
		jq -r --arg re "$TRAIT" 'select([.findings[] | select((.id | test($re)) and (.severity == "high" or .severity == "critical"))] | length > 0) |
			"  \(.path): \([.findings[] | select((.id | test($re)) and (.severity == "high" or .severity == "critical")) | .id] | unique | join(", "))"' "$f" | head -40
		if [ "$tc" -gt 0 ] || [ $((th * 100)) -gt "$n" ]; then
			echo "GATE FAILED for $set: more than 1% high, or a critical"
		fi
	done
} >"$OUT"
cat "$OUT"
! grep -q "GATE FAILED" "$OUT"
