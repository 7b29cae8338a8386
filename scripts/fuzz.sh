#!/usr/bin/env bash
# libFuzzer builds and runs of every fuzz/fuzz_*.c harness (see fuzz/README.md).
#
#   scripts/fuzz.sh build                 build-fuzz/fuzz_X for every harness
#   scripts/fuzz.sh run SECONDS [H...]    build if needed, fuzz each harness (or the ones
#                                         named) for SECONDS; exit 1 when any input crashed,
#                                         leaked, timed out or ran out of memory
#   scripts/fuzz.sh repro H FILE...       run harness H once on each FILE (full report)
#   scripts/fuzz.sh minimize H FILE       shrink a crashing FILE (-minimize_crash=1) into
#                                         fuzz/regressions/H/<name>.min
#
# The working corpus lives in build-fuzz/corpus/H/ (kept between runs); it is seeded from
# fuzz/corpus/H/ and, when present, ../shared/corpus/files (read, never written). Crash
# artifacts go to fuzz/regressions/H/, where make check replays them forever after.
#
# Environment: FUZZ_CC (clang), FUZZ_OUT (build-fuzz), FUZZ_MAX_LEN (262144: longer seeds are
# cut there; 1 MiB inputs run 4x slower for the same coverage, measured on ../shared),
# FUZZ_SHARED (../shared/corpus/files), FUZZ_FLAGS (extra libFuzzer flags), FUZZ_CFLAGS
# (extra compiler flags, e.g. -fno-sanitize=... to fuzz past a known bug: use a separate
# FUZZ_OUT, since a change of flags alone does not trigger a rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${FUZZ_CC:-clang}
OUT=${FUZZ_OUT:-build-fuzz}
MAX_LEN=${FUZZ_MAX_LEN:-262144}
SHARED=${FUZZ_SHARED:-../shared/corpus/files}
EXTRA=${FUZZ_FLAGS:-}

CPPFLAGS=(-Iinclude -iquote lib -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64)
CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
	-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wno-missing-field-initializers)
read -r -a XCFLAGS <<<"${FUZZ_CFLAGS:-}"
CFLAGS+=("${XCFLAGS[@]}")
LIB_SAN=(-fsanitize=fuzzer-no-link,address,undefined)
BIN_SAN=(-fsanitize=fuzzer,address,undefined)
LIBS=(-lyara -lsqlite3 -lcrypto -ljansson -lm -pthread)

# Sanitizer behaviour for runs: full UBSan stacks; leaks are bugs (libFuzzer reports them).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}

die() { echo "fuzz.sh: $*" >&2; exit 2; }

harnesses() {
	local f
	for f in fuzz/fuzz_*.c; do
		[ -e "$f" ] || continue
		f=${f#fuzz/}
		echo "${f%.c}"
	done
}

# True when $1 is missing or older than any of the remaining files.
stale() {
	local target=$1; shift
	[ -e "$target" ] || return 0
	local dep
	for dep in "$@"; do
		[ "$dep" -nt "$target" ] && return 0
	done
	return 1
}

compile() { # src obj
	local log=$OUT/log/$(basename "$2").log
	if ! "$CC" "${CPPFLAGS[@]}" "${CFLAGS[@]}" "${LIB_SAN[@]}" -c "$1" -o "$2" 2>"$log"; then
		cat "$log" >&2
		return 1
	fi
	# Warnings are shown, not hidden: the tree builds warning-free.
	[ -s "$log" ] && cat "$log" >&2
	return 0
}

build() {
	command -v "$CC" >/dev/null || die "$CC not found (libFuzzer needs clang)"
	mkdir -p "$OUT/lib" "$OUT/log"
	local headers=(lib/*.h include/pesleuth/*.h "$0")
	[ -e include/pesleuth.h ] && headers+=(include/pesleuth.h)
	local src obj objs=() pids=() failed=0 jobs
	jobs=$(nproc 2>/dev/null || echo 2)
	for src in lib/*.c; do
		obj=$OUT/lib/$(basename "${src%.c}").o
		objs+=("$obj")
		if stale "$obj" "$src" "${headers[@]}"; then
			compile "$src" "$obj" &
			pids+=($!)
			if [ ${#pids[@]} -ge "$jobs" ]; then
				wait "${pids[0]}" || failed=1
				pids=("${pids[@]:1}")
			fi
		fi
	done
	local p
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	[ $failed -eq 0 ] || die "library build failed"
	# A library file that was deleted must not linger in the link.
	for obj in "$OUT"/lib/*.o; do
		[ -e "lib/$(basename "${obj%.o}").c" ] || rm -f "$obj"
	done
	local h bin
	for h in $(harnesses); do
		bin=$OUT/$h
		if stale "$bin" "fuzz/$h.c" fuzz/*.h "${objs[@]}" "$0"; then
			local log=$OUT/log/$h.link.log
			if ! "$CC" "${CPPFLAGS[@]}" "${CFLAGS[@]}" "${BIN_SAN[@]}" "fuzz/$h.c" "${objs[@]}" \
				"${LIBS[@]}" -o "$bin" 2>"$log"; then
				cat "$log" >&2
				die "building $h failed"
			fi
			[ -s "$log" ] && cat "$log" >&2
			echo "built $bin"
		fi
	done
}

# Reads libFuzzer's log and prints the one summary line; echoes the artifact path if any.
summarize() { # harness log rc seconds
	local h=$1 log=$2 rc=$3 secs=$4
	local execs eps cov ft corp artifact kind
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	# The last status line: "#123 REDUCE cov: 456 ft: 789 corp: 12/34Kb ..."
	local status
	status=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
	if [ -z "$execs" ]; then
		execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
	fi
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	local crashes=0
	[ "$rc" -ne 0 ] && crashes=1
	printf '%s: %s execs in %ss (%s/s), cov %s, ft %s, corpus %s, crashes %s\n' \
		"$h" "${execs:-?}" "$secs" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
	if [ "$rc" -ne 0 ]; then
		kind=$(grep -m1 -E '^SUMMARY: |ERROR: libFuzzer: |fuzz invariant broken|ps_report_json failed|ps_analyze_buffer failed' "$log" || true)
		echo "  ${kind:-libFuzzer exited with status $rc}"
		if [ -n "$artifact" ]; then
			echo "  reproducer: $artifact"
			echo "  reproduce:  scripts/fuzz.sh repro $h $artifact"
		fi
		echo "  full log:   $log"
		if [ -n "${CI:-}" ]; then
			# CI's clone is thrown away: put the report and the input itself in the CI log.
			echo "  ---- report"
			sed -n '/ERROR: \|fuzz invariant broken\|failed: \|runtime error: /,/^SUMMARY: /p' "$log" | head -120 | sed 's/^/  /'
			if [ -n "$artifact" ] && [ -f "$artifact" ] && [ "$(wc -c <"$artifact")" -le 65536 ]; then
				echo "  ---- reproducer, base64 (base64 -d > $(basename "$artifact"))"
				base64 -w 76 "$artifact" | sed 's/^/  /'
			fi
		fi
	fi
}

run() {
	local secs=${1:-}
	shift || true
	[[ "$secs" =~ ^[0-9]+$ ]] || die "usage: fuzz.sh run SECONDS [HARNESS...]"
	build >/dev/null
	local list=("$@")
	[ ${#list[@]} -gt 0 ] || mapfile -t list < <(harnesses)
	mkdir -p "$OUT/log"
	local h any=0
	for h in "${list[@]}"; do
		[ -x "$OUT/$h" ] || die "no harness $h"
		local work=$OUT/corpus/$h art=fuzz/regressions/$h/ log=$OUT/log/$h.run.log
		mkdir -p "$work" "$art"
		local seeds=()
		[ -d "fuzz/corpus/$h" ] && seeds+=("fuzz/corpus/$h")
		[ -d "$SHARED" ] && seeds+=("$SHARED")
		local rc=0
		# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
		"$OUT/$h" -max_total_time="$secs" -max_len="$MAX_LEN" -rss_limit_mb=2048 -timeout=10 \
			-artifact_prefix="$art" -print_final_stats=1 $EXTRA \
			"$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
		summarize "$h" "$log" "$rc" "$secs"
		[ $rc -eq 0 ] || any=1
	done
	return $any
}

repro() {
	local h=${1:-}
	shift || true
	[ -n "$h" ] && [ $# -gt 0 ] || die "usage: fuzz.sh repro HARNESS FILE..."
	build >/dev/null
	"$OUT/$h" -rss_limit_mb=2048 -timeout=10 "$@"
}

minimize() {
	local h=${1:-} file=${2:-}
	[ -n "$h" ] && [ -f "$file" ] || die "usage: fuzz.sh minimize HARNESS FILE"
	build >/dev/null
	mkdir -p "fuzz/regressions/$h"
	local out
	out=fuzz/regressions/$h/$(basename "$file").min
	local log=$OUT/log/$h.minimize.log
	"$OUT/$h" -minimize_crash=1 -max_total_time="${FUZZ_MIN_SECONDS:-120}" -rss_limit_mb=2048 \
		-timeout=10 -exact_artifact_path="$out" "$file" >"$log" 2>&1 || true
	if [ -f "$out" ]; then
		echo "minimized $file ($(wc -c <"$file") bytes) -> $out ($(wc -c <"$out") bytes)"
	else
		echo "fuzz.sh: minimizing $file produced nothing (does it still crash?); log: $log" >&2
		return 1
	fi
}

case ${1:-} in
build) build ;;
run) shift; run "$@" ;;
repro) shift; repro "$@" ;;
minimize) shift; minimize "$@" ;;
*) die "usage: fuzz.sh build | run SECONDS [HARNESS...] | repro HARNESS FILE... | minimize HARNESS FILE" ;;
esac
