#!/usr/bin/env bash
# Installs the Debian 12 packages pesleuth needs to build and test, and only those that are
# missing: a machine that has them all is checked in a fraction of a second and nothing runs.
# `make check` (target `deps`) calls this first.
#
#   build:   build-essential libssl-dev libjansson-dev
#   tests:   libcmocka-dev jq python3 python3-pefile (python3-pefile: an independent peer whose
#            imphash and sections the CLI tests compare against)
#   fuzz:    clang libclang-rt-14-dev llvm (llvm-symbolizer for sanitizer reports)
#   samples: gcc/binutils mingw-w64 for i686 and x86_64 (scripts/make-samples.sh builds benign
#            PE files that are only read, never run)
set -euo pipefail

PACKAGES=(
	build-essential
	libssl-dev
	libjansson-dev
	libcmocka-dev
	clang
	libclang-rt-14-dev
	llvm
	gcc-mingw-w64-x86-64
	gcc-mingw-w64-i686
	binutils-mingw-w64-x86-64
	binutils-mingw-w64-i686
	jq
	python3
	python3-pefile
	ca-certificates
)

missing=()
for p in "${PACKAGES[@]}"; do
	# "install ok installed" is the only state in which the package is usable; a removed
	# package whose config files remain reads "deinstall ok config-files".
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: not root and sudo is not available; install them as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
# update's exit status is deliberately ignored: an unreachable third-party source makes it
# fail or warn even when the Debian mirrors answered. Whether we got what we need is judged
# by the install below.
"${SUDO[@]}" apt-get update -qq >/dev/null 2>&1 || echo "install-deps: apt-get update reported problems (continuing)" >&2
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >/dev/null; then
	echo "install-deps: apt-get install failed for: ${missing[*]}" >&2
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
exit $rc
