#!/usr/bin/env bash
# Black-box tests of the pesleuth program (TAP output: "ok N - ..." / "not ok N - ...").
#
#   BUILD=build tests/cli.sh
#
# Reads the samples of scripts/make-samples.sh ("$BUILD/samples", built when missing or older
# than their sources) and files it makes in a temporary directory. python3-pefile, when
# installed, is the independent reference for imphash, sections, exports, TLS and overlay.
# No PE file is ever executed: the samples are only read.
# jq filters are in single quotes on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -u

# shellcheck source=tests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
tap_init cli jq iconv od timeout mkfifo md5sum sha1sum sha256sum
S=$BUILD/samples

SAMPLE_FILES=(hello-x64.exe gui-x86.exe lib-x64.dll tls-x64.exe overlay-x86.exe truncated.exe
	dos-only.exe lfanew-oob.exe notpe.txt empty.bin EXPECTED.txt)
need_samples=0
for f in "${SAMPLE_FILES[@]}"; do
	[ -e "$S/$f" ] || need_samples=1
done
# EXPECTED.txt is written last: it stamps the set as a whole.
if [ $need_samples = 0 ] && [ -n "$(find tests/samples scripts/make-samples.sh -newer "$S/EXPECTED.txt" 2>/dev/null)" ]; then
	need_samples=1
fi
if [ $need_samples = 1 ]; then
	echo "# building samples into $S"
	if ! scripts/make-samples.sh "$S" >&2; then
		echo "Bail out! scripts/make-samples.sh failed"
		exit 2
	fi
fi


# run OUT CMD...: stdout to $T/OUT.out, stderr to $T/OUT.err, exit status in RC. Everything
# runs under timeout: a hang is a failure (status 124), not a stuck test run.
RC=0
run() {
	local o=$1
	shift
	timeout 20 "$@" >"$T/$o.out" 2>"$T/$o.err" </dev/null
	RC=$?
}

# js FILE [OPTIONS...]: `show --json` of FILE into $T/js.json; prints nothing. JSTATUS holds
# the exit status.
JSTATUS=0
js() {
	local f=$1
	shift
	timeout 20 "$PS" show --json "$@" "$f" >"$T/js.json" 2>"$T/js.err" </dev/null
	JSTATUS=$?
}
# jqv FILTER: the raw value of FILTER on the last js output (ERROR when jq fails).

HAVE_PEFILE=0
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import pefile' 2>/dev/null; then
	HAVE_PEFILE=1
else
	echo "# python3-pefile is not installed: the cross-checks against pefile are skipped"
fi
# pefile_json FILE: what pefile (the peer) says about FILE, as one JSON object.
pefile_json() {
	"$PY" - "$1" <<'EOF'
import json, sys
import pefile

pe = pefile.PE(sys.argv[1])
out = {
    "imphash": pe.get_imphash(),
    "machine": pe.FILE_HEADER.Machine,
    "timedatestamp": pe.FILE_HEADER.TimeDateStamp,
    "entry_point": pe.OPTIONAL_HEADER.AddressOfEntryPoint,
    "subsystem": pe.OPTIONAL_HEADER.Subsystem,
    "overlay_offset": pe.get_overlay_data_start_offset(),
    "sections": sorted(
        [
            {
                "name": s.Name.rstrip(b"\0").decode("latin-1"),
                "virtual_address": s.VirtualAddress,
                "virtual_size": s.Misc_VirtualSize,
                "raw_offset": s.PointerToRawData,
                "raw_size": s.SizeOfRawData,
                "characteristics": s.Characteristics,
                "entropy": round(s.get_entropy(), 6),
            }
            for s in pe.sections
        ],
        key=lambda s: s["virtual_address"],
    ),
    "exports": None,
    "tls_callbacks": None,
    "resources": 0,
}
if hasattr(pe, "DIRECTORY_ENTRY_EXPORT"):
    out["exports"] = sorted(
        [
            {
                "ordinal": e.ordinal,
                "name": e.name.decode("latin-1") if e.name else None,
                "forwarder": e.forwarder.decode("latin-1") if e.forwarder else None,
            }
            for e in pe.DIRECTORY_ENTRY_EXPORT.symbols
        ],
        key=lambda e: e["ordinal"],
    )
if hasattr(pe, "DIRECTORY_ENTRY_TLS"):
    t = pe.DIRECTORY_ENTRY_TLS.struct
    wide = pe.PE_TYPE == pefile.OPTIONAL_HEADER_MAGIC_PE_PLUS
    rva = t.AddressOfCallBacks - pe.OPTIONAL_HEADER.ImageBase
    cbs = []
    while t.AddressOfCallBacks and len(cbs) < 64:
        v = pe.get_qword_at_rva(rva) if wide else pe.get_dword_at_rva(rva)
        if not v:
            break
        cbs.append(v)
        rva += 8 if wide else 4
    out["tls_callbacks"] = cbs


def leaves(d):
    n = 0
    for e in d.entries:
        if hasattr(e, "directory"):
            n += leaves(e.directory)
        else:
            n += 1
    return n


if hasattr(pe, "DIRECTORY_ENTRY_RESOURCE"):
    out["resources"] = leaves(pe.DIRECTORY_ENTRY_RESOURCE)
print(json.dumps(out))
EOF
}

PE_SAMPLES=(hello-x64.exe gui-x86.exe lib-x64.dll tls-x64.exe overlay-x86.exe)

# ------------------------------------------------------------------ command line

run v "$PS" version
check "version exits 0 and prints 'pesleuth X.Y'" \
	test "$RC" = 0 -a -n "$(grep -E '^pesleuth [0-9]+\.[0-9]+' "$T/v.out")"

run noargs "$PS"
check "no arguments: exit 2 and usage on stderr" test "$RC" = 2 -a -n "$(grep -i usage "$T/noargs.err")"

run unk "$PS" frobnicate "$S/hello-x64.exe"
check "unknown command: exit 2, named on stderr" test "$RC" = 2 -a -n "$(grep frobnicate "$T/unk.err")"

run noarg "$PS" show
eq "show without a path: exit 2" 2 "$RC"

run badopt "$PS" show --no-such-option "$S/hello-x64.exe"
eq "unknown option: exit 2" 2 "$RC"

run badhash "$PS" show --hashes md5,crc32 "$S/hello-x64.exe"
eq "--hashes with an unknown algorithm: exit 2" 2 "$RC"

run missing "$PS" show "$T/does-not-exist.exe"
check "show of a missing file: exit 2, error naming the file on stderr" \
	test "$RC" = 2 -a -n "$(grep 'does-not-exist.exe' "$T/missing.err")"

run missingj "$PS" show --json "$T/does-not-exist.exe"
check "show --json of a missing file: exit 2, error on stderr" test "$RC" = 2 -a -s "$T/missingj.err"
# stdout, when there is any, must still be parseable JSON that says what went wrong.
if [ -s "$T/missingj.out" ]; then
	eq "show --json of a missing file: stdout is JSON with error and path" \
		"$T/does-not-exist.exe true" "$(jq -r '"\(.path) \(.error != null)"' "$T/missingj.out" 2>&1)"
fi

run twofiles "$PS" show --json "$S/hello-x64.exe" "$T/does-not-exist.exe"
check "show of a good and a missing file: the good one is reported, exit 2" \
	test "$RC" = 2 -a -n "$(grep -F '"imphash"' "$T/twofiles.out")"

run dir "$PS" show "$S"
eq "show of a directory: exit 2 (not a regular file)" 2 "$RC"

mkfifo "$T/fifo"
run fifo "$PS" show "$T/fifo"
check "show of a FIFO: exit 2 without hanging (status $RC)" test "$RC" = 2 -a -s "$T/fifo.err"
run fifoj "$PS" show --json "$T/fifo"
eq "show --json of a FIFO: exit 2 without hanging" 2 "$RC"
run fifos "$PS" scan --jsonl "$T/fifo"
eq "scan of a FIFO given on the command line: exit 2 without hanging" 2 "$RC"

# ------------------------------------------------------------------ output contract

CONTRACT_KEYS='[["path"],["file"],["file","size"],["file","hash"],["file","hash","md5"],
 ["file","hash","sha1"],["file","hash","sha256"],["file","type"],["file","pe"],
 ["file","code_signature"],["file","code_signature","exists"],["file","code_signature","status"],
 ["file","code_signature","trusted"],["file","code_signature","valid"],
 ["file","code_signature","subject_name"],["file","code_signature","timestamp"],
 ["signatures"],["findings"],["verdict"]]'
PE_KEYS='[["machine"],["architecture"],["is_dll"],["subsystem"],["timedatestamp"],["compile_time"],
 ["entry_point"],["imphash"],["rich_hash"],["original_file_name"],["company"],["product"],
 ["file_version"],["description"],["overlay"],["sections"]]'
SECTION_KEYS='["name","virtual_address","virtual_size","raw_offset","raw_size","characteristics","entropy"]'
# The contract paths missing from the last js output, one per line (empty: all there).
missing_keys() {
	jq -r --argjson top "$CONTRACT_KEYS" --argjson pe "$PE_KEYS" --argjson sk "$SECTION_KEYS" '
	  def has_path($d; $p): $d | try (getpath($p[:-1]) | type == "object" and has($p[-1])) catch false;
	  . as $d
	  | ([$top[] | select(has_path($d; .) | not) | join(".")]
	     + (if (.file.pe | type) == "object" then
	          [$pe[] | select(has_path($d.file.pe; .) | not) | "file.pe." + join(".")]
	          + [.file.pe.sections | to_entries[] | .key as $i | .value as $s
	             | $sk[] as $k | select(($s | type == "object" and has($k)) | not)
	             | "file.pe.sections[\($i)].\($k)"]
	        else [] end))
	  | .[]' "$T/js.json" 2>&1
}

for f in "${PE_SAMPLES[@]}" truncated.exe; do
	js "$S/$f"
	check "show --json $f: exit 0, exactly one JSON object" \
		test "$JSTATUS" = 0 -a "$(jq -s 'length' "$T/js.json" 2>/dev/null)" = 1 -a "$(jqv type)" = object
	eq "show --json $f: every contract key present (null when absent)" "" "$(missing_keys | tr '\n' ' ')"
	eq "show --json $f: file.type is pe, signatures/findings arrays, verdict a string" \
		"pe array array string" "$(jqv '"\(.file.type) \(.signatures|type) \(.findings|type) \(.verdict|type)"')"
done
js "$S/hello-x64.exe"
eq "hello-x64.exe: unsigned, code_signature says so" "false NotSigned false false null null" \
	"$(jqv '.file.code_signature | "\(.exists) \(.status) \(.trusted) \(.valid) \(.subject_name) \(.timestamp)"')"
eq "hello-x64.exe: only the info finding SIG-NOT-SIGNED, verdict clean" "SIG-NOT-SIGNED:info clean" "$(jqv '"\([.findings[] | "\(.id):\(.severity)"] | join(",")) \(.verdict)"')"
eq "hello-x64.exe: path is the path given" "$S/hello-x64.exe" "$(jqv .path)"

for f in notpe.txt empty.bin dos-only.exe; do
	js "$S/$f"
	eq "show --json $f: exit 0, contract keys present" "0:" "$JSTATUS:$(missing_keys | tr '\n' ' ')"
done

# show --json (pretty) and scan --jsonl (compact) describe a file identically.
js "$S/lib-x64.dll"
run scan1 "$PS" scan --jsonl "$S/lib-x64.dll"
# (what depends on the clock aside: @timestamp and the timeline's "now")
noclock='del(."@timestamp") | .timeline |= map(select(.event != "now")) | .signatures |= map(del(.evaluated_at))'
eq "scan --jsonl and show --json give the same object" "$(jq -S -c "$noclock" "$T/js.json" 2>&1)" \
	"$(jq -S -c "$noclock" "$T/scan1.out" 2>&1)"

# ------------------------------------------------------------------ hashes and size

for f in hello-x64.exe notpe.txt empty.bin truncated.exe; do
	js "$S/$f"
	want="$(stat -c %s "$S/$f") $(md5sum <"$S/$f" | cut -d' ' -f1) $(sha1sum <"$S/$f" | cut -d' ' -f1) $(sha256sum <"$S/$f" | cut -d' ' -f1)"
	eq "$f: size, md5, sha1, sha256 equal stat/md5sum/sha1sum/sha256sum" "$want" \
		"$(jqv '"\(.file.size) \(.file.hash.md5) \(.file.hash.sha1) \(.file.hash.sha256)"')"
done
js "$S/notpe.txt"
eq "notpe.txt: file.type unknown, file.pe null, code_signature.exists false, verdict clean" \
	"unknown null false clean" "$(jqv '"\(.file.type) \(.file.pe) \(.file.code_signature.exists) \(.verdict)"')"
js "$S/empty.bin"
eq "empty.bin: size 0, file.pe null, md5 of nothing" "0 null d41d8cd98f00b204e9800998ecf8427e" \
	"$(jqv '"\(.file.size) \(.file.pe) \(.file.hash.md5)"')"

js "$S/hello-x64.exe" --hashes sha256
eq "--hashes sha256: md5 and sha1 null, sha256 computed" \
	"null null $(sha256sum <"$S/hello-x64.exe" | cut -d' ' -f1)" \
	"$(jqv '"\(.file.hash.md5) \(.file.hash.sha1) \(.file.hash.sha256)"')"
js "$S/hello-x64.exe" --hashes md5,sha1
eq "--hashes md5,sha1: sha256 null" \
	"$(md5sum <"$S/hello-x64.exe" | cut -d' ' -f1) $(sha1sum <"$S/hello-x64.exe" | cut -d' ' -f1) null" \
	"$(jqv '"\(.file.hash.md5) \(.file.hash.sha1) \(.file.hash.sha256)"')"
js "$S/hello-x64.exe" --hashes sha256
eq "--hashes sha256: imphash still computed" "$(jq -r .file.pe.imphash <<<"$(
	"$PS" show --json "$S/hello-x64.exe"
)")" "$(jqv .file.pe.imphash)"

# ------------------------------------------------------------------ headers

declare -A MACHINE=([hello-x64.exe]="34404 x64" [tls-x64.exe]="34404 x64" [lib-x64.dll]="34404 x64"
	[gui-x86.exe]="332 x86" [overlay-x86.exe]="332 x86")
declare -A ISDLL=([hello-x64.exe]=false [tls-x64.exe]=false [lib-x64.dll]=true [gui-x86.exe]=false
	[overlay-x86.exe]=false)
declare -A SUBSYS=([hello-x64.exe]=3 [tls-x64.exe]=3 [lib-x64.dll]=3 [gui-x86.exe]=2 [overlay-x86.exe]=2)
for f in "${PE_SAMPLES[@]}"; do
	js "$S/$f"
	eq "$f: machine, architecture, is_dll, subsystem" "${MACHINE[$f]} ${ISDLL[$f]} ${SUBSYS[$f]}" \
		"$(jqv '.file.pe | "\(.machine) \(.architecture) \(.is_dll) \(.subsystem)"')"
	ts=$(jqv .file.pe.timedatestamp)
	# make-samples.sh links at SOURCE_DATE_EPOCH=1700000000 (or 0 with an older binutils).
	case $ts in
	1700000000) want_ct=2023-11-14T22:13:20Z ;;
	0) want_ct=null ;;
	*) want_ct="(a link time of 1700000000 or 0)" ;;
	esac
	eq "$f: timedatestamp and compile_time (ISO 8601 UTC)" "$ts $want_ct" "$(jqv '.file.pe | "\(.timedatestamp) \(.compile_time)"')"
done

# ------------------------------------------------------------------ cross-check with pefile

if [ $HAVE_PEFILE = 1 ]; then
	for f in "${PE_SAMPLES[@]}"; do
		if ! pefile_json "$S/$f" >"$T/pefile.json" 2>"$T/pefile.err"; then
			fail "pefile parses $f" "$(cat "$T/pefile.err")"
			continue
		fi
		js "$S/$f"
		eq "$f: imphash equals pefile's" "$(jq -r .imphash "$T/pefile.json")" "$(jqv .file.pe.imphash)"
		eq "$f: machine, subsystem, entry point, timedatestamp equal pefile's" \
			"$(jq -r '"\(.machine) \(.subsystem) \(.entry_point) \(.timedatestamp)"' "$T/pefile.json")" \
			"$(jqv '.file.pe | "\(.machine) \(.subsystem) \(.entry_point) \(.timedatestamp)"')"
		eq "$f: sections (name, addresses, sizes, characteristics) equal pefile's" \
			"$(jq -c '.sections | map(del(.entropy))' "$T/pefile.json")" \
			"$(jqv -c '.file.pe.sections | sort_by(.virtual_address)
			        | map({name, virtual_address, virtual_size, raw_offset, raw_size, characteristics})')"
		eq "$f: section entropies equal pefile's (within 1e-5)" "true" \
			"$(jq -r --slurpfile p "$T/pefile.json" '
			    [.file.pe.sections | sort_by(.virtual_address)[] | .entropy] as $mine
			    | [$p[0].sections[].entropy] as $ref
			    | ($mine | length) == ($ref | length)
			      and ([range(0; $ref | length)] | all(($mine[.] // -1) - $ref[.] | fabs < 0.00001))' \
				"$T/js.json" 2>&1)"
	done
	pefile_json "$S/hello-x64.exe" >"$T/pefile.json" 2>/dev/null
	eq "hello-x64.exe: TLS callbacks (mingw CRT) equal pefile's" \
		"$(jq -c .tls_callbacks "$T/pefile.json")" "$(js "$S/hello-x64.exe"; jqv -c '.file.pe.tls.callbacks')"
	pefile_json "$S/tls-x64.exe" >"$T/pefile.json" 2>/dev/null
	eq "tls-x64.exe: TLS callbacks equal pefile's" \
		"$(jq -c .tls_callbacks "$T/pefile.json")" "$(js "$S/tls-x64.exe"; jqv -c '.file.pe.tls.callbacks')"
	pefile_json "$S/lib-x64.dll" >"$T/pefile.json" 2>/dev/null
	eq "lib-x64.dll: exports (ordinal, name, forwarder) equal pefile's" \
		"$(jq -c .exports "$T/pefile.json")" \
		"$(js "$S/lib-x64.dll"; jqv -c '.file.pe.exports.entries | sort_by(.ordinal) | map({ordinal, name, forwarder})')"
	pefile_json "$S/gui-x86.exe" >"$T/pefile.json" 2>/dev/null
	eq "gui-x86.exe: resource count equals pefile's leaf count" \
		"$(jq -r .resources "$T/pefile.json")" "$(js "$S/gui-x86.exe"; jqv .file.pe.resources.count)"
	pefile_json "$S/overlay-x86.exe" >"$T/pefile.json" 2>/dev/null
	eq "overlay-x86.exe: overlay offset equals pefile's" \
		"$(jq -r .overlay_offset "$T/pefile.json")" "$(js "$S/overlay-x86.exe"; jqv .file.pe.overlay.offset)"
else
	skip "imphash, sections, exports, TLS, resources, overlay against pefile" "python3-pefile not installed"
fi

# ------------------------------------------------------------------ imports

js "$S/hello-x64.exe"
eq "hello-x64.exe: ws2_32 imported by ordinal only: 115, 116, 999 (ordinal set, no hint)" \
	'[{"hint":null,"ordinal":115},{"hint":null,"ordinal":116},{"hint":null,"ordinal":999}]' \
	"$(jqv -c '[.file.pe.imports.dlls[] | select(.name | ascii_downcase == "ws2_32.dll") | .functions[]
	          | {hint, ordinal}] | sort_by(.ordinal)')"
# model.h: ps_import.name is "raw; NULL when imported by ordinal": the file holds no name, so
# none is reported (the pefile-style resolution to wsastartup is for imphash only).
eq "hello-x64.exe: ws2_32 ordinal imports carry no name (the file has none)" 'null,null,null' \
	"$(jqv '[.file.pe.imports.dlls[] | select(.name | ascii_downcase == "ws2_32.dll") | .functions[]
	        | .name] | map(tostring) | join(",")')"
eq "hello-x64.exe: kernel32 and user32 imported by name (GetCurrentProcessId, MessageBoxA)" \
	"GetCurrentProcessId MessageBoxA" \
	"$(jqv '[.file.pe.imports.dlls[] | .functions[] | select(.name == "GetCurrentProcessId" or .name == "MessageBoxA")
	        | .name] | sort | join(" ")')"
eq "hello-x64.exe: 4 import DLLs, no delay-load" "4 0" \
	"$(jqv '.file.pe.imports | "\(.dll_count) \(.delay_dll_count)"')"
# imphash of the ws2_32 ordinals, resolved the pefile way (a change of resolution changes this).
eq "hello-x64.exe: imphash is the md5 of pefile's joined, resolved import list" \
	"$(jqv -r '[.file.pe.imports.dlls[] | select(.delay | not) | (.name | ascii_downcase | sub("\\.(dll|ocx|sys)$"; "")) as $d
	           | .functions[] | "\($d).\(if .name then (.name | ascii_downcase)
	                                   elif .ordinal == 115 then "wsastartup"
	                                   elif .ordinal == 116 then "wsacleanup"
	                                   else "ord\(.ordinal)" end)"] | join(",")' | tr -d '\n' | md5sum | cut -d' ' -f1)" \
	"$(jqv .file.pe.imphash)"
js "$S/truncated.exe"
eq "truncated.exe: no import can be read, imphash \"\"" "" "$(jqv .file.pe.imphash)"

# ------------------------------------------------------------------ overlay

js "$S/overlay-x86.exe"
eq "overlay-x86.exe: overlay of 4096 bytes right after gui-x86.exe's bytes" \
	"$(stat -c %s "$S/gui-x86.exe") 4096" "$(jqv '.file.pe.overlay | "\(.offset) \(.size)"')"
js "$S/gui-x86.exe"
eq "gui-x86.exe: no overlay" "null" "$(jqv -c .file.pe.overlay)"
js "$S/hello-x64.exe"
eq "hello-x64.exe: no overlay" "null" "$(jqv -c .file.pe.overlay)"

# ------------------------------------------------------------------ broken and non-PE inputs

for f in truncated.exe dos-only.exe lfanew-oob.exe notpe.txt empty.bin; do
	js "$S/$f"
	check "show --json $f: exit 0 and valid JSON (status $JSTATUS)" \
		test "$JSTATUS" = 0 -a "$(jq -s length "$T/js.json" 2>/dev/null)" = 1
	run txt "$PS" show "$S/$f"
	check "show $f (text): exit 0, output names the file" test "$RC" = 0 -a -n "$(grep -F "$f" "$T/txt.out")"
done
js "$S/truncated.exe"
eq "truncated.exe: a PE with findings (the cut section table), verdict not clean" "pe true true" \
	"$(jqv '"\(.file.type) \(.findings | length > 0) \(.verdict != "clean")"')"
check "truncated.exe: every finding has an id, a severity and a title" \
	test "$(jqv '[.findings[] | select((.id|type) == "string" and (.severity|IN("info","low","medium","high","critical"))
	              and (.title|type) == "string" and (.attack|type) == "array")] | length')" = "$(jqv '.findings|length')"
js "$S/dos-only.exe"
eq "dos-only.exe: file.type mz, file.pe null, 256 bytes" "mz null 256" \
	"$(jqv '"\(.file.type) \(.file.pe) \(.file.size)"')"
js "$S/lfanew-oob.exe"
eq "lfanew-oob.exe: not a PE (e_lfanew past the end), file.pe null" "mz null" \
	"$(jqv '"\(.file.type) \(.file.pe)"')"

# ------------------------------------------------------------------ version info, exports, TLS
# (features that may be in progress: these fail until they land)

js "$S/gui-x86.exe"
eq "gui-x86.exe: version info strings" \
	"gui-x86.exe|pesleuth samples|pesleuth|1.2.3.4|pesleuth GUI sample" \
	"$(jqv '.file.pe | "\(.original_file_name)|\(.company)|\(.product)|\(.file_version)|\(.description)"')"
eq "gui-x86.exe: VS_FIXEDFILEINFO file version 1.2.3.4" "1.2.3.4" "$(jqv .file.pe.version_info.fixed_file_version)"
eq "gui-x86.exe: resources RT_GROUP_ICON, RT_ICON, RT_RCDATA (100), RT_VERSION" \
	"RT_GROUP_ICON:1 RT_ICON:1 RT_RCDATA:100 RT_VERSION:1" \
	"$(jqv '[.file.pe.resources.entries[] | "\(.type):\(.name)"] | sort | join(" ")')"
js "$S/overlay-x86.exe"
eq "overlay-x86.exe: same version info as gui-x86.exe" "gui-x86.exe|pesleuth samples" \
	"$(jqv '.file.pe | "\(.original_file_name)|\(.company)"')"
js "$S/hello-x64.exe"
eq "hello-x64.exe: no version info: the fields are null" "null null null null null" \
	"$(jqv '.file.pe | "\(.original_file_name) \(.company) \(.product) \(.file_version) \(.description)"')"

js "$S/lib-x64.dll"
eq "lib-x64.dll: export DLL name, ordinal base, 5 exports, 1 forwarder" "lib-x64.dll 1 5 1" \
	"$(jqv '.file.pe.exports | "\(.dll_name) \(.ordinal_base) \(.count) \(.forwarder_count)"')"
eq "lib-x64.dll: named exports" "PsTickCount ps_add ps_mul ps_version" \
	"$(jqv '[.file.pe.exports.entries[] | .name | select(. != null)] | sort | join(" ")')"
eq "lib-x64.dll: PsTickCount (ordinal 4) forwards to kernel32.GetTickCount" "4 kernel32.GetTickCount" \
	"$(jqv '.file.pe.exports.entries[] | select(.name == "PsTickCount") | "\(.ordinal) \(.forwarder)"')"
eq "lib-x64.dll: ordinal 7 exported without a name, not forwarded, RVA in .text" "null null true" \
	"$(jqv '(.file.pe.sections[] | select(.name == ".text")) as $t | .file.pe.exports.entries[] | select(.ordinal == 7)
	        | "\(.name) \(.forwarder) \(.rva >= $t.virtual_address and .rva < $t.virtual_address + $t.virtual_size)"')"
js "$S/hello-x64.exe"
eq "hello-x64.exe: no export directory (exports null)" "null" "$(jqv -c .file.pe.exports)"

js "$S/tls-x64.exe"
tls_n=$(jqv '.file.pe.tls.callbacks | length')
check "tls-x64.exe: file.pe.tls.callbacks | length >= 1 (got $tls_n)" test "$tls_n" -ge 1 2>/dev/null
js "$S/hello-x64.exe"
hello_n=$(jqv '.file.pe.tls.callbacks | length')
check "tls-x64.exe has one TLS callback more than hello-x64.exe (its own; $tls_n vs $hello_n)" \
	test "$tls_n" -ge 1 -a "$tls_n" = "$((hello_n + 1))" 2>/dev/null
js "$S/tls-x64.exe"
eq "tls-x64.exe: every TLS callback points into .text" "true" \
	"$(jqv '(.file.pe.image_base) as $b | (.file.pe.sections[] | select(.name == ".text")) as $t
	        | .file.pe.tls.callbacks | length > 0 and all(. - $b >= $t.virtual_address and . - $b < $t.virtual_address + $t.virtual_size)')"

# ------------------------------------------------------------------ scan

TREE=$T/tree
mkdir -p "$TREE/a/b/c" "$TREE/d"
cp "$S/hello-x64.exe" "$TREE/a/b/c/hello.exe"
cp "$S/notpe.txt" "$TREE/a/notes.txt"
cp "$S/lib-x64.dll" "$TREE/top.dll"
cp "$S/empty.bin" "$TREE/a/b/empty.bin"
cp "$S/gui-x86.exe" "$TREE/d/gui.exe"
ln -s ../top.dll "$TREE/a/link-to-top.dll"    # a symlink to a sample inside the tree
ln -s "$S/tls-x64.exe" "$TREE/link-out.exe"   # a symlink to a sample outside it
ln -s .. "$TREE/a/b/c/loop-up"                # a directory cycle
ln -s self-loop "$TREE/self-loop"             # a symlink to itself (ELOOP)
ln -s a "$TREE/dirlink"                       # a symlink to a directory
mkfifo "$TREE/d/pipe"                         # must not be opened (it would block)
EXPECT_PATHS=$(printf '%s\n' "$TREE/a/b/c/hello.exe" "$TREE/a/b/empty.bin" "$TREE/a/notes.txt" \
	"$TREE/d/gui.exe" "$TREE/top.dll" | sort)

run scanj "$PS" scan --jsonl "$TREE"
eq "scan --jsonl of a tree with symlinks, loops and a FIFO: terminates, exit 0" 0 "$RC"
eq "scan --jsonl: one line per regular file (5)" 5 "$(wc -l <"$T/scanj.out")"
eq "scan --jsonl: every line is one valid JSON object" 5 "$(jq -c 'select(type == "object")' "$T/scanj.out" 2>/dev/null | wc -l)"
eq "scan --jsonl: exactly the regular files, no symlink followed" "$EXPECT_PATHS" \
	"$(jq -r .path "$T/scanj.out" 2>/dev/null | sort)"
eq "scan --jsonl: per-file facts (the DLL in the tree is a DLL)" "true" \
	"$(jq -r --arg p "$TREE/top.dll" 'select(.path == $p) | .file.pe.is_dll' "$T/scanj.out" 2>/dev/null)"
eq "scan: stderr only says the FIFO was skipped (special files are reported, never opened)" \
	"pesleuth: $TREE/d/pipe: skipped: not a regular file (FIFO)" "$(head -c 300 "$T/scanj.err")"

run scant "$PS" scan "$TREE"
eq "scan (text): exit 0" 0 "$RC"
eq "scan (text): one line per regular file (5)" 5 "$(wc -l <"$T/scant.out")"
eq "scan (text): each line ends with its file's path" "$EXPECT_PATHS" \
	"$(grep -oE "$TREE/[^ ]+\$" "$T/scant.out" | sort)"
check "scan (text): the line of top.dll carries its sha256" \
	grep -q "$(sha256sum <"$S/lib-x64.dll" | cut -d' ' -f1).*$TREE/top.dll\$" "$T/scant.out"

run scans "$PS" scan --jsonl "$S"
eq "scan --jsonl of the sample directory: one object per file, exit 0" "0 ${#SAMPLE_FILES[@]}" \
	"$RC $(jq -c . "$T/scans.out" 2>/dev/null | wc -l)"

run scanm "$PS" scan --jsonl "$S/hello-x64.exe" "$T/missing-dir"
eq "scan with a missing path: the other path is scanned, exit 2" "2 1" \
	"$RC $(jq -r 'select(.file != null) | .path' "$T/scanm.out" 2>/dev/null | wc -l)"

# ------------------------------------------------------------------ terminal safety

ESCDIR=$T/esc
mkdir -p "$ESCDIR"
EVIL=$'\e[31mred\nline.exe'
cp "$S/hello-x64.exe" "$ESCDIR/$EVIL"
nesc() { LC_ALL=C grep -c $'\e' "$1"; }
run eshow "$PS" show "$ESCDIR/$EVIL"
eq "show: a file name with ESC and newline: exit 0, no raw ESC byte in the output" "0 0" "$RC $(nesc "$T/eshow.out")"
eq "show: the escaped name stays on one line" 1 "$(LC_ALL=C grep -a 'red' "$T/eshow.out" | grep -c 'line\.exe')"
run escan "$PS" scan "$ESCDIR"
eq "scan: a file name with ESC and newline: one line, no raw ESC byte" "0 1 0" \
	"$RC $(wc -l <"$T/escan.out") $(nesc "$T/escan.out")"
run ejsonl "$PS" scan --jsonl "$ESCDIR"
eq "scan --jsonl: a file name with ESC and newline gives one valid JSON line" "1 1" \
	"$(wc -l <"$T/ejsonl.out") $(jq -c . "$T/ejsonl.out" 2>/dev/null | wc -l)"
eq "scan --jsonl: the path with ESC and newline round-trips exactly" "$ESCDIR/$EVIL|" \
	"$(jq -j .path "$T/ejsonl.out" 2>/dev/null)|"
eq "scan --jsonl: no raw ESC byte in JSON (escaped as \\u001b)" 0 "$(nesc "$T/ejsonl.out")"
js "$ESCDIR/$EVIL"
eq "show --json: the path with ESC and newline round-trips exactly" "$ESCDIR/$EVIL|" "$(jq -j .path "$T/js.json" 2>/dev/null)|"
run emiss "$PS" show "$ESCDIR/$EVIL.missing"
eq "an error about a missing file whose name has ESC: exit 2, no raw ESC on stderr" "2 0" \
	"$RC $(nesc "$T/emiss.err")"

BIDI=$'invoice\u202Eexe.scr'
BIDIDIR=$T/bidi
mkdir -p "$BIDIDIR"
cp "$S/notpe.txt" "$BIDIDIR/$BIDI"
run bidi "$PS" scan "$BIDIDIR"
eq "scan: a bidi override (U+202E) in a file name is not printed raw" "0 0" \
	"$RC $(LC_ALL=C grep -c $'\xe2\x80\xae' "$T/bidi.out")"

BADDIR=$T/bad
mkdir -p "$BADDIR"
BAD=$'\xff\xfe.exe'
cp "$S/gui-x86.exe" "$BADDIR/$BAD"
run badj "$PS" scan --jsonl "$BADDIR"
eq "scan --jsonl: a file name with invalid UTF-8: exit 0, one valid JSON line" "0 1" \
	"$RC $(jq -c . "$T/badj.out" 2>/dev/null | wc -l)"
check "scan --jsonl: the output is valid UTF-8 (iconv)" iconv -f UTF-8 -t UTF-8 "$T/badj.out" -o /dev/null
eq "scan --jsonl: the invalid bytes are replaced, the rest of the path kept" "true true" \
	"$(jq -r --arg d "$BADDIR/" '"\(.path | startswith($d)) \(.path | endswith(".exe"))"' "$T/badj.out" 2>/dev/null)"
eq "scan --jsonl: a file with an invalid UTF-8 name is still analyzed" "332" \
	"$(jq -r .file.pe.machine "$T/badj.out" 2>/dev/null)"
js "$BADDIR/$BAD"
check "show --json: a file name with invalid UTF-8 gives valid UTF-8 JSON" \
	test "$JSTATUS" = 0 -a "$(jq -s length "$T/js.json" 2>/dev/null)" = 1
check "show --json: valid UTF-8 (iconv)" iconv -f UTF-8 -t UTF-8 "$T/js.json" -o /dev/null
run badt "$PS" scan "$BADDIR"
eq "scan (text): the invalid UTF-8 bytes are not printed raw" "0 0" \
	"$RC $(LC_ALL=C grep -c $'\xff' "$T/badt.out")"
run badshow "$PS" show "$BADDIR/$BAD"
eq "show (text): the invalid UTF-8 bytes are not printed raw" "0 0" \
	"$RC $(LC_ALL=C grep -c $'\xff' "$T/badshow.out")"

# ------------------------------------------------------------------ summary

tap_summary
