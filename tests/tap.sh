# Shared by the shell black-box tests (tests/cli.sh, signatures.sh, revocation.sh): TAP-like
# output ("ok N - ..." / "not ok N - ..."), the build to test, a temporary directory.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
#   tap_init NAME TOOL...     # cd to the repository, $PS (the program), $BUILD, $T (tmp dir)
#   pass/fail/skip/check/eq/todo DESC ...
#   jqv FILTER                # jq -r over $T/js.json
#   tap_summary               # the plan and the exit status
# shellcheck shell=bash

tap_init() {
	local name=$1 tool
	shift
	ROOT=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
	cd "$ROOT" || exit 2
	BUILD=${BUILD:-build}
	BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || {
		echo "Bail out! no build directory '${BUILD}' (run make)"
		exit 2
	}
	PS=$BUILD/pesleuth
	if [ ! -x "$PS" ]; then
		echo "Bail out! $PS not found (run make)"
		exit 2
	fi
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "Bail out! $tool is needed (scripts/install-deps.sh)"
			exit 2
		fi
	done
	T=$(mktemp -d "${TMPDIR:-/tmp}/pesleuth-$name.XXXXXX") || exit 2
	# shellcheck disable=SC2064
	trap "rm -rf '$T'" EXIT
	N=0
	FAILED=0
	FAILED_NAMES=()
	TODOS=()
}

pass() { N=$((N + 1)); echo "ok $N - $1"; }
fail() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("$N $1")
	echo "not ok $N - $1"
	shift
	local l
	for l in "$@"; do
		printf '#   %s\n' "$l" | head -c 3000
	done
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
# check DESC COMMAND...: passes when the command succeeds
check() {
	local d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
# eq DESC EXPECTED ACTUAL
eq() {
	if [ "$2" == "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "got:      $3"
	fi
}
# todo DESC EXPECTED ACTUAL WHY: an assertion of the specified behaviour that pesleuth is known
# to fail (TAP "# TODO": reported, not counted). Says so when it starts passing.
todo() {
	N=$((N + 1))
	if [ "$2" == "$3" ]; then
		echo "ok $N - $1 # TODO passes now: make it an ordinary assertion ($4)"
	else
		echo "not ok $N - $1 # TODO $4"
		printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"
		TODOS+=("$N $1: $4")
	fi
}
jqv() { jq -r "$@" "$T/js.json" 2>/dev/null || echo "ERROR(jq)"; }

tap_summary() {
	local l
	echo "1..$N"
	if [ ${#TODOS[@]} -gt 0 ]; then
		echo "# ${#TODOS[@]} known bug(s) (TODO, not counted):"
		for l in "${TODOS[@]}"; do
			echo "#   $l"
		done
	fi
	if [ "$FAILED" -ne 0 ]; then
		echo "# $FAILED of $N failed:"
		for l in "${FAILED_NAMES[@]}"; do
			echo "#   $l"
		done
		exit 1
	fi
	echo "# all $N passed"
	exit 0
}
