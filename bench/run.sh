#!/usr/bin/env bash
# make bench — pesleuth against the physical floor and the peers, measured in the same run.
#
# Corpus: ../shared/bench/make-bench-corpus.sh (848 real PE files from Debian packages, ~0.9 GB;
# built into $BENCH_CORPUS, default /tmp/pe-bench, once). Warm page cache; each command runs
# after one warm-up in $BENCH_RUNS rounds (default 5; every command once per round, in turn), and
# the median wall time is reported, with the targets' ratios taken within each round.
# Results: a Markdown table on stdout and in $BUILD/bench/results.md (copied by hand into
# docs/PERFORMANCE.md with the date). Ratios, not absolute times, are what we track.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
CORPUS=${BENCH_CORPUS:-/tmp/pe-bench}
SHARED=${PESLEUTH_SHARED:-$(cd .. && pwd)/shared}
RUNS=${BENCH_RUNS:-5}
PES=$ROOT/$BUILD/pesleuth
OUT=$ROOT/$BUILD/bench
mkdir -p "$OUT"

# Tools the benchmark needs beyond the build (the peers of peer-timings.md and GNU time;
# osslsigncode comes with make check).
missing=()
for p in yara time pesign pev python3-pefile; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing benchmark tools: ${missing[*]}"
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

${CC:-cc} -O2 -o "$OUT/floor" bench/floor.c -lcrypto -lpthread

if [ ! -f "$CORPUS/files.list" ]; then
	if [ -f "$SHARED/bench/make-bench-corpus.sh" ]; then
		bash "$SHARED/bench/make-bench-corpus.sh" "$CORPUS"
	else
		echo "bench: no corpus at $CORPUS and no $SHARED/bench/make-bench-corpus.sh; nothing to measure"
		exit 0
	fi
fi
cd "$CORPUS"
nfiles=$(wc -l < files.list)
nbytes=$(xargs -d '\n' -a files.list stat -c %s | awk '{s+=$1} END {print s}')
RULE=$SHARED/bench/pe-rule.yar
xargs -d '\n' -a files.list cat > /dev/null

time_once() { # seconds of one run of the command
	local s e
	s=$(date +%s.%N)
	bash -c "$1" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	awk -v a="$s" -v b="$e" 'BEGIN {printf "%.6f", b - a}'
}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
median_time() { # runs the command RUNS times after a warm-up, prints the median seconds
	local cmd=$1 t=() i
	bash -c "$cmd" >/dev/null 2>&1 || true
	for ((i = 0; i < RUNS; i++)); do t+=("$(time_once "$cmd")"); done
	printf '%s\n' "${t[@]}" | median
}
peak_rss_mib() { /usr/bin/time -f %M bash -c "$1" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1/1024}'; }

declare -A T TIMES
run() { # name, command (RUNS runs in a row: for the slow loop-per-file peers)
	T[$1]=$(median_time "$2")
	printf '  %-28s %8.3f s   %s\n' "$1" "${T[$1]}" "$2" >&2
}
# The fast commands are measured in rounds: each round runs every command once, in turn, so a
# slow spell of the host (this VM has them, lasting seconds to minutes) falls on all of them
# alike instead of on the few commands that happened to be running; the ratios of the targets
# are also taken within each round (pesleuth and its reference a few seconds apart) and their
# median reported.
rounds() { # name=command ...
	local kv name r
	for kv in "$@"; do bash -c "${kv#*=}" >/dev/null 2>&1 || true; done
	for ((r = 0; r < RUNS; r++)); do
		for kv in "$@"; do
			name=${kv%%=*}
			TIMES[$name]+="$(time_once "${kv#*=}") "
		done
	done
	for kv in "$@"; do
		name=${kv%%=*}
		T[$name]=$(printf '%s\n' ${TIMES[$name]} | median)
		printf '  %-28s %8.3f s  (runs: %s)  %s\n' "$name" "${T[$name]}" "${TIMES[$name]% }" "${kv#*=}" >&2
	done
}
paired_ratio() { # median over the rounds of a's time / b's time in the same round
	paste -d' ' <(printf '%s\n' ${TIMES[$1]}) <(printf '%s\n' ${TIMES[$2]}) | awk '{printf "%.6f\n", $1 / $2}' | median
}
echo "bench: $nfiles files, $nbytes bytes, $RUNS rounds (median), warm cache" >&2
rounds \
	"floor-1t=$OUT/floor -t 1 < files.list" \
	"floor-2t=$OUT/floor -t 2 < files.list" \
	"floor-seq-2t=$OUT/floor -q -t 2 < files.list" \
	"pesleuth-1t=$PES scan --jsonl --no-progress --threads 1 files" \
	"pesleuth-2t=$PES scan --jsonl --no-progress --threads 2 files" \
	"pesleuth-norules-2t=$PES scan --jsonl --no-progress --threads 2 --no-default-rules files" \
	"pesleuth-sha256-1t=$PES scan --jsonl --no-progress --threads 1 --hashes sha256 files" \
	"pesleuth-sha256-2t=$PES scan --jsonl --no-progress --threads 2 --hashes sha256 files" \
	"yara-p1=yara -p 1 -r $RULE files" \
	"yara-p2=yara -p 2 -r $RULE files" \
	"sha256sum=xargs -d '\n' -a files.list sha256sum"
# The peers of ../shared/bench/peer-timings.md, re-measured today (the slow ones fewer times).
CA=/etc/ssl/certs/ca-certificates.crt
PEER_RUNS=${BENCH_PEER_RUNS:-1}
if command -v osslsigncode >/dev/null; then
	RUNS=$PEER_RUNS run osslsigncode "while IFS= read -r f; do osslsigncode verify -ignore-crl -CAfile $CA -in \"\$f\" >/dev/null 2>&1 || true; done < files.list"
fi
if command -v pesign >/dev/null; then
	RUNS=$PEER_RUNS run pesign "while IFS= read -r f; do pesign -h -i \"\$f\" >/dev/null 2>&1 || true; done < files.list"
fi
if command -v pehash >/dev/null; then
	RUNS=$PEER_RUNS run pehash "while IFS= read -r f; do pehash \"\$f\" >/dev/null 2>&1 || true; done < files.list"
fi
if [ -f "$SHARED/bench/pefile-pass.py" ] && /usr/bin/python3 -c 'import pefile' 2>/dev/null; then
	RUNS=$PEER_RUNS run pefile "/usr/bin/python3 $SHARED/bench/pefile-pass.py files.list"
fi
rss=$(peak_rss_mib "$PES scan --jsonl --no-progress --threads 2 files")
# a 1 GiB file: the largest corpus PE with a zero overlay up to 1 GiB (mapped and released
# window by window, so resident memory stays flat)
BIG=$OUT/big-1g.exe
if [ ! -f "$BIG" ]; then
	big_src=$(xargs -d '\n' -a files.list stat -c '%s %n' | sort -n | tail -n 1 | cut -d' ' -f2-)
	cp "$big_src" "$BIG" && truncate -s 1G "$BIG"
fi
rss_big=$(peak_rss_mib "$PES show $BIG")
TINY=$SHARED/corpus/files/github/corkami__pocs/PE/bin
if [ -d "$TINY" ]; then
	ntiny=$(find "$TINY" -type f | wc -l)
	rounds "tiny-pesleuth-1t=$PES scan --jsonl --no-progress --threads 1 $TINY" \
		"tiny-pesleuth-2t=$PES scan --jsonl --no-progress --threads 2 $TINY" \
		"tiny-yara-p1=yara -p 1 -r $RULE $TINY" \
		"tiny-yara-p2=yara -p 2 -r $RULE $TINY"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
per_sec() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.0f", n / t}'; }
{
	echo "Bench corpus: $nfiles files, $nbytes bytes; median of $RUNS rounds (loop-per-file peers: $PEER_RUNS run(s) in a row); $(date -u +%Y-%m-%d); $(nproc) cores."
	echo
	echo "| command | median (s) | vs floor (same threads) | vs yara (same threads) |"
	echo "|---|---:|---:|---:|"
	echo "| floor: read + MD5+SHA-1+SHA-256 (64 bytes of each in turn), 1 thread | ${T[floor-1t]} | 1.000 | |"
	echo "| floor: read + MD5+SHA-1+SHA-256 (64 bytes of each in turn), 2 threads | ${T[floor-2t]} | 1.000 | |"
	echo "| floor -q: the digests one after the other over 1 MiB (the first floor), 2 threads | ${T[floor-seq-2t]} | $(ratio ${T[floor-seq-2t]} ${T[floor-2t]}) | |"
	echo "| pesleuth scan --jsonl --threads 1 | ${T[pesleuth-1t]} | $(ratio ${T[pesleuth-1t]} ${T[floor-1t]}) | |"
	echo "| pesleuth scan --jsonl --threads 2 | ${T[pesleuth-2t]} | $(ratio ${T[pesleuth-2t]} ${T[floor-2t]}) | |"
	echo "| pesleuth scan --jsonl --threads 2 --no-default-rules | ${T[pesleuth-norules-2t]} | $(ratio ${T[pesleuth-norules-2t]} ${T[floor-2t]}) | |"
	echo "| pesleuth scan --jsonl --hashes sha256 --threads 1 | ${T[pesleuth-sha256-1t]} | | $(ratio ${T[pesleuth-sha256-1t]} ${T[yara-p1]}) |"
	echo "| pesleuth scan --jsonl --hashes sha256 --threads 2 | ${T[pesleuth-sha256-2t]} | | $(ratio ${T[pesleuth-sha256-2t]} ${T[yara-p2]}) |"
	echo "| yara -p 1 -r pe-rule.yar | ${T[yara-p1]} | | 1.000 |"
	echo "| yara -p 2 -r pe-rule.yar | ${T[yara-p2]} | | 1.000 |"
	echo "| sha256sum (xargs) | ${T[sha256sum]} | | |"
	for p in osslsigncode pesign pehash pefile; do
		[ -n "${T[$p]:-}" ] && echo "| $p (peer-timings.md command) | ${T[$p]} | | |"
	done
	echo
	echo "Targets, median of the per-round ratios: full scan / floor, 2 threads $(paired_ratio pesleuth-2t floor-2t) (1 thread $(paired_ratio pesleuth-1t floor-1t)); \`--hashes sha256\` / yara, 2 threads $(paired_ratio pesleuth-sha256-2t yara-p2) (1 thread $(paired_ratio pesleuth-sha256-1t yara-p1))."
	echo
	echo "Peak RSS: \`scan --jsonl --threads 2\` over the corpus ${rss} MiB; \`show\` of a 1 GiB file ${rss_big} MiB."
	if [ -n "${T[tiny-pesleuth-1t]:-}" ]; then
		echo
		echo "Tiny files (corkami, $ntiny files): pesleuth $(per_sec $ntiny ${T[tiny-pesleuth-1t]}) files/s on 1 thread, $(per_sec $ntiny ${T[tiny-pesleuth-2t]}) on 2; yara -p 1 $(per_sec $ntiny ${T[tiny-yara-p1]}) files/s, -p 2 $(per_sec $ntiny ${T[tiny-yara-p2]})."
	fi
} | tee "$OUT/results.md"
