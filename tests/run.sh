#!/usr/bin/env bash
# Runs every test of `make check`: unit/integration programs (cmocka), the fuzz corpus and
# regression replays, and the CLI black-box tests. Tests that need ../shared (the peer-checked
# corpus) skip with a message when it is absent.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export PESLEUTH_SHARED=${PESLEUTH_SHARED:-$(cd .. && pwd)/shared}
export PESLEUTH_ROOT=$PWD
if [ ! -d "$PESLEUTH_SHARED/corpus" ]; then
	echo "note: $PESLEUTH_SHARED/corpus is absent: corpus conformance and corpus replays are skipped"
fi
failed=()
run() { # name, command...
	local name=$1; shift
	echo "== $name"
	if ! "$@"; then failed+=("$name"); fi
}
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done
for r in "$BUILD"/replay/fuzz_*; do
	[ -x "$r" ] || continue
	h=$(basename "$r")
	args=()
	for d in "fuzz/corpus/$h" "fuzz/regressions/$h"; do [ -d "$d" ] && args+=("$d"); done
	[ -d "$PESLEUTH_SHARED/corpus/files" ] && args+=("$PESLEUTH_SHARED/corpus/files")
	[ ${#args[@]} -gt 0 ] && run "replay $h" "$r" "${args[@]}"
done
if [ -x tests/cli.sh ]; then
	run "cli" env BUILD="$BUILD" tests/cli.sh
fi
run "signatures" env BUILD="$BUILD" tests/signatures.sh
run "revocation" env BUILD="$BUILD" tests/revocation.sh
run "traits" env BUILD="$BUILD" tests/traits.sh
run "scale" env BUILD="$BUILD" tests/scale.sh
[ -x tests/ecs.sh ] && run "ecs" env BUILD="$BUILD" tests/ecs.sh
echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all tests passed"
