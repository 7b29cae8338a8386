#!/usr/bin/env bash
# Installs the Debian 12 packages pesleuth needs to build and test, and only those that are
# missing: a machine that has them all is checked in a fraction of a second and nothing runs.
# `make check` (target `deps`) calls this first.
#
#   build:   build-essential libssl-dev libjansson-dev libyara-dev (YARA rules)
#            libsqlite3-dev (the corpus database)
#   rules:   yara (the peer that cross-checks the shipped rule pack's syntax and matches)
#   tests:   libcmocka-dev jq sqlite3 (the database tests query it) time (GNU time: peak RSS) python3 python3-pefile (python3-pefile: an independent peer whose
#            imphash and sections the CLI tests compare against)
#   fuzz:    clang libclang-rt-14-dev llvm (llvm-symbolizer for sanitizer reports)
#   samples: gcc/binutils mingw-w64 for i686 and x86_64 (scripts/make-samples.sh builds benign
#            PE files that are only read, never run)
#   signatures: openssl (the CLI builds the test PKI) and osslsigncode >= 2.6 (signs the
#            fixtures with its built-in TSA, and is the peer whose verdicts tests/signatures.sh
#            compares with). Debian 12 has 2.5, so on bookworm it comes from bookworm-backports,
#            whose apt source is added when no source names it.
set -euo pipefail

PACKAGES=(
	build-essential
	libssl-dev
	libjansson-dev
	libyara-dev
	libsqlite3-dev
	yara
	libcmocka-dev
	clang
	libclang-rt-14-dev
	llvm
	gcc-mingw-w64-x86-64
	gcc-mingw-w64-i686
	binutils-mingw-w64-x86-64
	binutils-mingw-w64-i686
	jq
	sqlite3
	time
	python3
	python3-pefile
	ca-certificates
	openssl
)
# Needs a minimum version: installed from bookworm-backports on Debian 12.
OSSLSIGNCODE_MIN=2.6
BACKPORTS_SUITE=bookworm-backports
BACKPORTS_LINE="deb http://deb.debian.org/debian $BACKPORTS_SUITE main"
BACKPORTS_FILE=/etc/apt/sources.list.d/$BACKPORTS_SUITE.list

missing=()
for p in "${PACKAGES[@]}"; do
	# "install ok installed" is the only state in which the package is usable; a removed
	# package whose config files remain reads "deinstall ok config-files".
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

# osslsigncode: missing, or older than the built-in TSA (-TSA-certs/-TSA-key/-TSA-time).
osslsigncode_ok() {
	local st
	st=$(dpkg-query -W -f='${Status} ${Version}' osslsigncode 2>/dev/null || true)
	case $st in
	"install ok installed "*) dpkg --compare-versions "${st##* }" ge "$OSSLSIGNCODE_MIN" ;;
	*) return 1 ;;
	esac
}
need_osslsigncode=0
osslsigncode_ok || need_osslsigncode=1

if [ ${#missing[@]} -eq 0 ] && [ $need_osslsigncode = 0 ]; then
	exit 0
fi
wanted=("${missing[@]}")
[ $need_osslsigncode = 1 ] && wanted+=("osslsigncode>=$OSSLSIGNCODE_MIN")

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "install-deps: missing packages: ${wanted[*]}" >&2
	echo "install-deps: not root and sudo is not available; install them as root:" >&2
	[ ${#missing[@]} -gt 0 ] &&
		echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	[ $need_osslsigncode = 1 ] &&
		echo "  osslsigncode >= $OSSLSIGNCODE_MIN (Debian 12: add '$BACKPORTS_LINE' to $BACKPORTS_FILE, then apt-get install -t $BACKPORTS_SUITE osslsigncode)" >&2
	exit 1
fi

# shellcheck disable=SC1091
codename=$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || true)
osslsigncode_target=()
if [ $need_osslsigncode = 1 ] && [ "$codename" = bookworm ]; then
	osslsigncode_target=(-t "$BACKPORTS_SUITE")
	# Only the sources apt reads (*.list, *.sources), not disabled or backup files.
	if ! grep -qs -- "$BACKPORTS_SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; then
		echo "install-deps: adding $BACKPORTS_FILE ($BACKPORTS_LINE)" >&2
		echo "$BACKPORTS_LINE" | "${SUDO[@]}" tee "$BACKPORTS_FILE" >/dev/null
	fi
fi

echo "install-deps: installing ${wanted[*]}" >&2
# update's exit status is deliberately ignored: an unreachable third-party source makes it
# fail or warn even when the Debian mirrors answered. Whether we got what we need is judged
# by the install below.
"${SUDO[@]}" apt-get update -qq >/dev/null 2>&1 || echo "install-deps: apt-get update reported problems (continuing)" >&2
if [ ${#missing[@]} -gt 0 ] && ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${missing[@]}" >/dev/null; then
	echo "install-deps: apt-get install failed for: ${missing[*]}" >&2
	exit 1
fi
# -t only raises the backports' priority for this one package; everything else stays stable.
if [ $need_osslsigncode = 1 ] && ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${osslsigncode_target[@]}" osslsigncode >/dev/null; then
	echo "install-deps: apt-get install ${osslsigncode_target[*]} osslsigncode failed" >&2
	exit 1
fi

rc=0
for p in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" = "install ok installed" ]; then
		echo "installed $p"
	else
		echo "install-deps: $p is still not installed" >&2
		rc=1
	fi
done
if [ $need_osslsigncode = 1 ]; then
	if osslsigncode_ok; then
		echo "installed osslsigncode $(dpkg-query -W -f='${Version}' osslsigncode)"
	else
		echo "install-deps: osslsigncode >= $OSSLSIGNCODE_MIN is still not installed" \
			"(on Debian 12 it comes from $BACKPORTS_SUITE)" >&2
		rc=1
	fi
fi
exit $rc
