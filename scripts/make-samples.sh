#!/usr/bin/env bash
# make-samples.sh OUTDIR — builds the benign sample PE files the CLI tests read (tests/cli.sh)
# from the sources in tests/samples/, with mingw-w64, plus a few broken and non-PE inputs.
#
# Nothing here is ever executed: the samples exist to be parsed. The output is deterministic
# (same bytes on every run and every machine with the same Debian toolchain): the link time
# comes from SOURCE_DATE_EPOCH (honoured by binutils 2.40 for PE; checked below), symbols
# are stripped, and only relative paths reach the compiler.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$ROOT/tests/samples

# 2023-11-14T22:13:20Z: an ordinary, recent, non-zero link time, so compile_time is testable.
export SOURCE_DATE_EPOCH=1700000000
export LC_ALL=C TZ=UTC

CC64=x86_64-w64-mingw32-gcc
CC32=i686-w64-mingw32-gcc
RC64=x86_64-w64-mingw32-windres
RC32=i686-w64-mingw32-windres
DT64=x86_64-w64-mingw32-dlltool
for t in "$CC64" "$CC32" "$RC64" "$RC32" "$DT64"; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "make-samples: $t not found (run scripts/install-deps.sh)" >&2
		exit 1
	fi
done

mkdir -p "$1"
OUT=$(cd "$1" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pesleuth-samples.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$SRC"/*.c "$SRC"/*.rc "$SRC"/*.def "$WORK"/
cd "$WORK"

CFLAGS=(-std=c11 -O2 -Wall -Wextra -s -fno-asynchronous-unwind-tables)

LDFLAGS=()

# The COFF TimeDateStamp of a linked file.
link_time() {
	local lfanew
	lfanew=$(od -An -t u4 -j 60 -N 4 "$1" | tr -d ' ')
	od -An -t u4 -j $((lfanew + 8)) -N 4 "$1" | tr -d ' '
}

# A blank 16x16 32-bit icon (ICONDIR + one entry + BITMAPINFOHEADER + XOR and AND masks),
# so that the GUI sample has RT_ICON and RT_GROUP_ICON resources.
write_icon() {
	{
		printf '\x00\x00\x01\x00\x01\x00'                          # ICONDIR: type 1, 1 image
		printf '\x10\x10\x00\x00\x01\x00\x20\x00'                  # 16x16, 1 plane, 32 bpp
		printf '\x68\x04\x00\x00\x16\x00\x00\x00'                  # 1128 bytes at offset 22
		printf '\x28\x00\x00\x00\x10\x00\x00\x00\x20\x00\x00\x00'  # header 40, 16 x (2*16)
		printf '\x01\x00\x20\x00\x00\x00\x00\x00\x40\x04\x00\x00'  # planes, bpp, BI_RGB, 1088
		printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
		head -c 1088 /dev/zero                                     # pixels + AND mask
	} >"$1"
}

# hello-x64.exe: console, kernel32/user32 by name, ws2_32 by ordinal only.
"$DT64" -d ws2_32-ord.def -l libws2ord.a
"$CC64" "${CFLAGS[@]}" -o hello-x64.exe hello.c libws2ord.a -luser32
if [ "$(link_time hello-x64.exe)" != "$SOURCE_DATE_EPOCH" ]; then
	# A binutils older than 2.40 ignores SOURCE_DATE_EPOCH: fall back to a zero time, still
	# reproducible (patching the field afterwards would break the stored CheckSum).
	echo "make-samples: the linker ignores SOURCE_DATE_EPOCH; using --no-insert-timestamp" >&2
	LDFLAGS=("-Wl,--no-insert-timestamp")
	"$CC64" "${CFLAGS[@]}" "${LDFLAGS[@]}" -o hello-x64.exe hello.c libws2ord.a -luser32
fi

# gui-x86.exe: i686, GUI subsystem, VERSIONINFO + icon + RCDATA.
write_icon sample.ico
"$RC32" -O coff -i gui.rc -o gui-res.o
"$CC32" "${CFLAGS[@]}" "${LDFLAGS[@]}" -mwindows -o gui-x86.exe gui.c gui-res.o

# lib-x64.dll: named exports, one ordinal-only export, one forwarder.
"$CC64" "${CFLAGS[@]}" "${LDFLAGS[@]}" -shared -o lib-x64.dll lib.c lib.def

# tls-x64.exe: a TLS callback of its own.
"$CC64" "${CFLAGS[@]}" "${LDFLAGS[@]}" -o tls-x64.exe tls.c

# overlay-x86.exe: gui-x86.exe followed by 4096 bytes (256 lines of 16).
cp gui-x86.exe overlay-x86.exe
for i in $(seq 0 255); do printf 'PSOVERLAY %05d\n' "$i"; done >>overlay-x86.exe

# truncated.exe: the first 700 bytes of hello-x64.exe, cut inside the section table.
head -c 700 hello-x64.exe >truncated.exe

# dos-only.exe: a 256-byte DOS program: MZ header (e_lfanew = 0, so no PE header), a stub
# that prints a line and exits, padding.
{
	printf 'MZ\x00\x01\x01\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00'
	printf '\xb8\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00'
	head -c 32 /dev/zero
	printf '\x00\x00\x00\x00'                                        # e_lfanew = 0
	printf '\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x00\x4c\xcd\x21' # print, exit(0)
	printf 'pesleuth DOS-only sample\r\n$'
	head -c $((256 - 64 - 14 - 27)) /dev/zero
} >dos-only.exe

# lfanew-oob.exe: an MZ header whose e_lfanew points far past the end of the file.
{
	printf 'MZ'
	head -c 58 /dev/zero
	printf '\x00\x00\x00\x70'                                        # e_lfanew = 0x70000000
	head -c 64 /dev/zero
} >lfanew-oob.exe

printf 'This is a plain text file, not a PE.\nIt must be reported with its hashes and no PE model.\n' >notpe.txt
: >empty.bin

cat >EXPECTED.txt <<'EOF'
pesleuth sample set (scripts/make-samples.sh; sources in tests/samples/). Benign files, never executed.
Link time of every built file: 1700000000 = 2023-11-14T22:13:20Z (SOURCE_DATE_EPOCH).

hello-x64.exe    PE32+, machine 0x8664 (34404), console (subsystem 3), not a DLL.
                 Imports by name from kernel32.dll, user32.dll (MessageBoxA), msvcrt.dll; from
                 ws2_32.dll by ordinal only: 115 (WSAStartup), 116 (WSACleanup), 999 (unknown).
                 imphash must equal pefile's get_imphash(): ws2_32.wsastartup, ws2_32.wsacleanup,
                 ws2_32.ord999. mingw CRT TLS directory present. No Rich header (not MSVC).
gui-x86.exe      PE32, machine 0x14c (332), GUI (subsystem 2), not a DLL. Resources: RT_ICON,
                 RT_GROUP_ICON, RT_RCDATA 100, RT_VERSION with CompanyName "pesleuth samples",
                 ProductName "pesleuth", FileDescription "pesleuth GUI sample",
                 FileVersion "1.2.3.4", OriginalFilename "gui-x86.exe", ProductVersion "1.2";
                 fixed file version 1.2.3.4. No overlay.
lib-x64.dll      PE32+ DLL (is_dll true, characteristics 0x2000), export DLL name "lib-x64.dll".
                 Exports: ps_add @1, ps_mul @2, ps_version @3, PsTickCount @4 forwarded to
                 "kernel32.GetTickCount", and ordinal 7 without a name (ps_by_ordinal).
tls-x64.exe      PE32+ console program whose TLS directory lists one more callback than
                 hello-x64.exe's (its own, from .CRT$XLB; the mingw CRT contributes the others).
overlay-x86.exe  gui-x86.exe + 4096 bytes ("PSOVERLAY nnnnn" lines): overlay {offset = size of
                 gui-x86.exe, size 4096}.
truncated.exe    the first 700 bytes of hello-x64.exe: headers present, section table and all
                 data cut off. Must be reported (findings), never crash.
dos-only.exe     256-byte DOS MZ program, e_lfanew 0: file.type "mz", file.pe null.
lfanew-oob.exe   MZ header with e_lfanew 0x70000000, past the end of the file: not a PE, no crash.
notpe.txt        text: file.type "unknown", file.pe null, hashes reported.
empty.bin        0 bytes: hashes of the empty string, file.pe null.
EOF

for f in hello-x64.exe gui-x86.exe lib-x64.dll tls-x64.exe overlay-x86.exe truncated.exe \
	dos-only.exe lfanew-oob.exe notpe.txt empty.bin EXPECTED.txt; do
	chmod 0644 "$f" # data to be read, not programs to run
	mv -f "$f" "$OUT/$f"
done
