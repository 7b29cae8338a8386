#!/usr/bin/env bash
# Black-box tests of the trait findings (issue 5's acceptance test; TAP-like output: "ok N - ..."
# / "not ok N - ...").
#
#   BUILD=build tests/traits.sh
#
# Reads the benign fixtures of tests/fixtures/make-traits.sh ("$BUILD/traits", built when
# missing or older than their sources; OUTDIR/EXPECTED.txt describes them): one file per
# CAP-/PACK-/PE-/OVERLAY-/STR-/FILE- trait, named after its ID, and clean controls. First it
# checks that the fixtures are what they claim (imports, section flags, entry point, overlays,
# strings present and absent; python3-pefile is the independent reader), so that a failure
# below is pesleuth's and not the fixture's. Then, for every fixture, `pesleuth scan --jsonl`
# with the default rule pack must report the fixture's ID with the expected severity, evidence
# and ATT&CK technique, no other trait ID, and a verdict equal to the worst severity; every
# control must have nothing of medium or more. Then IOC feeds (hash, network indicator plain
# and XOR-decoded, signer certificate of a file signed here with a throwaway self-signed
# certificate, a malformed line), user YARA rules (meta severity, the default high,
# --no-default-rules) and --fail-on. No PE file is ever executed.
# jq filters are in single quotes on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -u

# shellcheck source=tests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
tap_init traits jq python3 openssl osslsigncode timeout sha1sum
FX=$BUILD/traits

# ------------------------------------------------------------------ the table
#
# file                              ID                            severity  ATT&CK     other trait IDs allowed
# (ATT&CK "-": DESIGN.md names none for it, not asserted; a technique also matches its
# sub-techniques: T1027 accepts T1027.002)
EXPECT=(
	"cap-process-hollowing.exe        CAP-PROCESS-HOLLOWING         high      T1055.012  -"
	"cap-remote-thread-injection.exe  CAP-REMOTE-THREAD-INJECTION   high      -          -"
	"cap-dynamic-api-resolution.exe   CAP-DYNAMIC-API-RESOLUTION    medium    -          -"
	"cap-keylogging.exe               CAP-KEYLOGGING                medium    T1056.001  -"
	"cap-privilege-escalation.exe     CAP-PRIVILEGE-ESCALATION      medium    T1134      -"
	"cap-run-key-persistence.exe      CAP-RUN-KEY-PERSISTENCE       high      T1547.001  -"
	"cap-motw-bypass.exe              CAP-MOTW-BYPASS               medium    T1553.005  -"
	"cap-svchost-hosting.exe          CAP-SVCHOST-HOSTING           medium    -          -"
	"cap-credential-theft.exe         CAP-CREDENTIAL-THEFT          high      T1003.001  -"
	"cap-remote-access.exe            CAP-REMOTE-ACCESS             medium    T1219      -"
	"cap-firewall-change.exe          CAP-FIREWALL-CHANGE           medium    T1562.004  -"
	"pack-high-entropy.exe            PACK-HIGH-ENTROPY             medium    T1027      -"
	"pack-wx-section.exe              PACK-WX-SECTION               medium    T1027      -"
	"pack-text-writable.exe           PACK-TEXT-WRITABLE            medium    T1027      PACK-WX-SECTION"
	"pack-packer-section-name.exe     PACK-PACKER-SECTION-NAME      medium    T1027      -"
	"pe-entry-point-anomaly.exe       PE-ENTRY-POINT-ANOMALY        medium    -          -"
	"overlay-embedded-pe.exe          OVERLAY-EMBEDDED-PE           medium    -          -"
	"overlay-high-entropy.exe         OVERLAY-HIGH-ENTROPY          medium    -          -"
	"str-network-indicators.exe       STR-NETWORK-INDICATORS        medium    -          -"
	"str-xor-encoded.exe              STR-XOR-ENCODED               high      T1027      -"
	"file-jpeg-appended-data.jpg      FILE-JPEG-APPENDED-DATA       medium    -          -"
)
# Controls: no finding of severity medium or more; verdict clean or low.
CONTROLS=(control-console.exe control-gui.exe control-dll.dll control-debugger.exe
	control-installer.exe control-urls.exe control.jpg)
# The IDs a fixture must not raise unless they are its own (IOC-/RULE-/SIG-/TIME-/other PE- IDs
# are not traits of these files: the default rule pack may match, the files are unsigned).
TRAIT_IDS='startswith("CAP-") or startswith("PACK-") or startswith("STR-") or startswith("OVERLAY-") or startswith("FILE-") or . == "PE-ENTRY-POINT-ANOMALY"'

# ------------------------------------------------------------------ build the fixtures

need=0
for e in "${EXPECT[@]}"; do
	read -r f _ <<<"$e"
	[ -e "$FX/$f" ] || need=1
done
for f in "${CONTROLS[@]}" EXPECTED.txt; do
	[ -e "$FX/$f" ] || need=1
done
# EXPECTED.txt is written last: it stamps the set as a whole.
if [ $need = 0 ] && [ -n "$(find tests/fixtures/traits tests/fixtures/make-traits.sh tests/fixtures/pe-patch.py \
	-newer "$FX/EXPECTED.txt" 2>/dev/null)" ]; then
	need=1
fi
if [ $need = 1 ]; then
	echo "# building trait fixtures into $FX"
	if ! tests/fixtures/make-traits.sh "$FX" >&2; then
		echo "Bail out! tests/fixtures/make-traits.sh failed"
		exit 2
	fi
fi

# sj FILE... [OPTIONS...]: `scan --jsonl` into $T/js.json (one object per line); JSTATUS holds
# the exit status, $T/js.err the standard error.
JSTATUS=0
sj() {
	timeout 60 "$PS" scan --jsonl "$@" >"$T/js.json" 2>"$T/js.err" </dev/null
	JSTATUS=$?
}
# The severity order, for jq.
SEV='{"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}'
# The worst severity of the findings as a verdict ("clean" when nothing is above info).
WORST='([.findings[].severity | $sev[.]] | max // 0) as $w | if $w == 0 then "clean" else ($sev | to_entries[] | select(.value == $w) | .key) end'

# ------------------------------------------------------------------ the fixtures themselves

HAVE_PEFILE=0
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import pefile' 2>/dev/null; then
	HAVE_PEFILE=1
else
	echo "# python3-pefile is not installed: the fixture self-checks by pefile are skipped"
fi
# What pefile says about every PE fixture: one JSON object per file name.
if [ $HAVE_PEFILE = 1 ]; then
	"$PY" - "$FX" >"$T/facts.json" <<'EOF'
import json, os, sys
import pefile

out = {}
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    if not name.endswith((".exe", ".dll")):
        continue
    pe = pefile.PE(os.path.join(d, name))
    ep = pe.OPTIONAL_HEADER.AddressOfEntryPoint
    imports = []
    for e in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []):
        imports += [i.name.decode() for i in e.imports if i.name]
    ov = pe.get_overlay_data_start_offset()
    out[name] = {
        "machine": pe.FILE_HEADER.Machine,
        "imports": sorted(imports),
        "n_imports": len(imports),
        "sections": [{"name": s.Name.rstrip(b"\0").decode("latin-1"), "ch": s.Characteristics,
                      "code": bool(s.Characteristics & 0x20), "x": bool(s.Characteristics & 0x20000000),
                      "r": bool(s.Characteristics & 0x40000000), "w": bool(s.Characteristics & 0x80000000),
                      "raw": s.SizeOfRawData, "entropy": s.get_entropy()} for s in pe.sections],
        "ep_section": next((s.Name.rstrip(b"\0").decode("latin-1") for s in pe.sections
                            if s.contains_rva(ep)), None),
        "overlay": ov,
        "checksum_ok": pe.OPTIONAL_HEADER.CheckSum == 0 or pe.verify_checksum(),
    }
print(json.dumps(out))
EOF
fi
# fact FILE FILTER: jq over pefile's facts of FILE.
fact() { jq -r --arg f "$1" ".[\$f] | $2" "$T/facts.json" 2>/dev/null || echo "ERROR(jq)"; }
# missing_imports FILE NAME...: the names FILE does not import (nothing when all are).
missing_imports() {
	local f=$1 n out=""
	shift
	for n in "$@"; do
		jq -e --arg f "$f" --arg n "$n" '.[$f].imports | index($n) != null' "$T/facts.json" >/dev/null 2>&1 ||
			out+=" $n"
	done
	echo "${out# }"
}
# missing_strings FILE STRING...: the STRINGs that are not a whole ASCII or UTF-16LE string (a
# run of 6+ printable characters) of FILE, each in brackets; nothing when all are.
missing_strings() {
	python3 - "$@" <<'EOF'
import re, sys
d = open(sys.argv[1], "rb").read()
have = {m.group().decode() for m in re.finditer(rb"[\x20-\x7e\t]{6,}", d)}
have |= {m.group().decode("utf-16le") for m in re.finditer(rb"(?:[\x20-\x7e\t]\x00){6,}", d)}
print(" ".join("[%s]" % s for s in sys.argv[2:] if s not in have))
EOF
}

if [ $HAVE_PEFILE = 1 ]; then
	# Imports each trait needs (the rest comes from the mingw-w64 runtime).
	for spec in \
		"cap-process-hollowing.exe CreateProcessA WriteProcessMemory SetThreadContext ResumeThread GetProcAddress" \
		"cap-remote-thread-injection.exe OpenProcess VirtualAllocEx WriteProcessMemory CreateRemoteThread" \
		"cap-keylogging.exe SetWindowsHookExA GetAsyncKeyState CallNextHookEx" \
		"cap-privilege-escalation.exe OpenProcessToken LookupPrivilegeValueA AdjustTokenPrivileges" \
		"cap-run-key-persistence.exe RegCreateKeyExA RegSetValueExA" \
		"cap-motw-bypass.exe DeleteFileW" \
		"cap-svchost-hosting.exe CreateProcessA" \
		"control-gui.exe GetKeyState GetForegroundWindow GetWindowTextA GetMessageA" \
		"control-debugger.exe CreateProcessA WriteProcessMemory ReadProcessMemory SetThreadContext GetThreadContext ResumeThread DebugActiveProcess WaitForDebugEvent" \
		"control-installer.exe RegSetValueExA AdjustTokenPrivileges LookupPrivilegeValueA"; do
		read -r f names <<<"$spec"
		# shellcheck disable=SC2086
		eq "fixture $f imports $names" "" "$(missing_imports "$f" $names)"
	done
	eq "fixture cap-dynamic-api-resolution.exe imports exactly ExitProcess, GetProcAddress, LoadLibraryA" \
		"ExitProcess,GetProcAddress,LoadLibraryA" "$(fact cap-dynamic-api-resolution.exe '.imports | join(",")')"
	# What the traits must not have, where a CRT or a control could trip another rule.
	eq "fixture cap-process-hollowing.exe: no OpenProcess, VirtualAllocEx, CreateRemoteThread imported" "0" \
		"$(fact cap-process-hollowing.exe '[.imports[] | select(. == "OpenProcess" or . == "VirtualAllocEx" or . == "CreateRemoteThread")] | length')"
	eq "fixture control-debugger.exe: no VirtualAllocEx, CreateRemoteThread imported" "0" \
		"$(fact control-debugger.exe '[.imports[] | select(. == "VirtualAllocEx" or . == "CreateRemoteThread")] | length')"
	eq "fixture control-gui.exe: no SetWindowsHookEx imported" "0" \
		"$(fact control-gui.exe '[.imports[] | select(startswith("SetWindowsHookEx"))] | length')"
	eq "fixtures cap-keylogging.exe, cap-remote-access.exe are PE32 (i386)" "332 332" \
		"$(fact cap-keylogging.exe .machine) $(fact cap-remote-access.exe .machine)"
	# Sections: code = CNT_CODE, x = MEM_EXECUTE, r = MEM_READ, w = MEM_WRITE.
	eq "fixture pack-high-entropy.exe: .pkcode code+execute+read, not writable, raw >= 512, entropy >= 7.0" "true" \
		"$(fact pack-high-entropy.exe '.sections[] | select(.name == ".pkcode") | .code and .x and .r and (.w | not) and .raw >= 512 and .entropy >= 7.0')"
	eq "fixture pack-high-entropy.exe: no other section has entropy >= 7.0" "1" \
		"$(fact pack-high-entropy.exe '[.sections[] | select(.entropy >= 7.0)] | length')"
	eq "fixture pack-wx-section.exe: .wxdat writable and executable, low entropy" "true" \
		"$(fact pack-wx-section.exe '.sections[] | select(.name == ".wxdat") | .x and .w and .entropy < 1')"
	eq "fixture pack-text-writable.exe: .text writable and executable" "true" \
		"$(fact pack-text-writable.exe '.sections[] | select(.name == ".text") | .x and .w')"
	for f in control-console.exe pack-high-entropy.exe pack-packer-section-name.exe pe-entry-point-anomaly.exe; do
		eq "fixture $f: no writable+executable section" "0" \
			"$(fact $f '[.sections[] | select(.x and .w)] | length')"
	done
	eq "fixture pack-packer-section-name.exe: a read-only data section named UPX0" "1073741888" \
		"$(fact pack-packer-section-name.exe '.sections[] | select(.name == "UPX0") | .ch')"
	eq "fixture pe-entry-point-anomaly.exe: the entry point is in .rdata (not code, not executable)" ".rdata false" \
		"$(fact pe-entry-point-anomaly.exe '"\(.ep_section) \(.sections[] | select(.name == ".rdata") | .code or .x)"')"
	eq "fixture overlay-embedded-pe.exe: overlay at the end of control-console.exe" \
		"$(stat -c %s "$FX/control-console.exe")" "$(fact overlay-embedded-pe.exe .overlay)"
	eq "fixture overlay-high-entropy.exe: overlay at the end of control-console.exe" \
		"$(stat -c %s "$FX/control-console.exe")" "$(fact overlay-high-entropy.exe .overlay)"
	eq "fixture: every PE fixture's CheckSum is right (patched ones restamped)" "" \
		"$(jq -r 'to_entries[] | select(.value.checksum_ok | not) | .key' "$T/facts.json")"
	eq "fixture: only the overlay fixtures have an overlay" "overlay-embedded-pe.exe overlay-high-entropy.exe" \
		"$(jq -r '[to_entries[] | select(.value.overlay != null) | .key] | join(" ")' "$T/facts.json")"
else
	skip "fixture imports and sections (pefile)" "python3-pefile not installed"
fi
# Overlays, bytes and strings (stdlib only).
cs=$(stat -c %s "$FX/control-console.exe")
# The patched copies of control-console.exe differ from it in one header field and the
# restamped CheckSum (at most 8 bytes).
for f in overlay-embedded-pe.exe overlay-high-entropy.exe pack-text-writable.exe pe-entry-point-anomaly.exe; do
	eq "fixture $f: control-console.exe but for one header field and the CheckSum" "true" \
		"$(cmp -l <(head -c "$cs" "$FX/$f") "$FX/control-console.exe" 2>/dev/null | wc -l | awk '{print ($1 <= 8) ? "true" : "false"}')"
done
check "fixture overlay-embedded-pe.exe: the overlay is control-dll.dll" \
	cmp -s <(tail -c +$((cs + 1)) "$FX/overlay-embedded-pe.exe") "$FX/control-dll.dll"
eq "fixture overlay-high-entropy.exe: 65536 bytes after control-console.exe, entropy >= 7.2" "65536 true" \
	"$(($(stat -c %s "$FX/overlay-high-entropy.exe") - cs)) $(python3 tests/fixtures/traits/gen.py entropy "$FX/overlay-high-entropy.exe" "$cs" 65536 | awk '{print ($1 >= 7.2) ? "true" : "false"}')"
js=$(stat -c %s "$FX/control.jpg")
eq "fixture control.jpg: SOI ... EOI, nothing after" "ffd8 ffd9" \
	"$(od -An -tx1 -N2 "$FX/control.jpg" | tr -d ' ') $(tail -c 2 "$FX/control.jpg" | od -An -tx1 | tr -d ' ')"
if command -v file >/dev/null 2>&1; then
	eq "fixture control.jpg: file(1) says baseline JPEG" "yes" \
		"$(file -b "$FX/control.jpg" | grep -q '^JPEG image data.*baseline' && echo yes)"
fi
check "fixture file-jpeg-appended-data.jpg = control.jpg + 4096 bytes" \
	cmp -s "$FX/control.jpg" <(head -c "$js" "$FX/file-jpeg-appended-data.jpg")
eq "fixture file-jpeg-appended-data.jpg: the 4096 trailing bytes hold no zero and no 0xff" "4096 0" \
	"$(($(stat -c %s "$FX/file-jpeg-appended-data.jpg") - js)) $(tail -c +$((js + 1)) "$FX/file-jpeg-appended-data.jpg" | od -An -v -tx1 | tr ' ' '\n' | grep -c -E '^(00|ff)$')"
# Strings each fixture holds (ASCII unless W: UTF-16LE) and must not hold.
for spec in \
	"cap-process-hollowing.exe|NtUnmapViewOfSection" \
	"cap-dynamic-api-resolution.exe|VirtualAllocEx|WriteProcessMemory|CreateRemoteThread|InternetOpenA|RegSetValueExA|URLDownloadToFileA" \
	"cap-keylogging.exe|[BACKSPACE]|[ENTER]" \
	"cap-privilege-escalation.exe|SeDebugPrivilege|SeRestorePrivilege|SeBackupPrivilege" \
	"cap-run-key-persistence.exe|Software\\Microsoft\\Windows\\CurrentVersion\\policies\\Explorer\\Run" \
	"cap-motw-bypass.exe|:Zone.Identifier" \
	"cap-svchost-hosting.exe|%SystemRoot%\\System32\\svchost.exe -k netsvc" \
	"cap-credential-theft.exe|sekurlsa::logonpasswords" \
	"cap-remote-access.exe|vnc.plug|RFB 003.008" \
	"cap-firewall-change.exe|netsh advfirewall firewall add rule name=x dir=in action=allow program=%s" \
	"str-network-indicators.exe|http://83.166.234.250/gate.php" \
	"control-installer.exe|Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Foo|SeShutdownPrivilege" \
	"control-urls.exe|http://schemas.microsoft.com/SMI/2005/WindowsSettings|https://www.example.com/help"; do
	IFS='|' read -r -a parts <<<"$spec"
	f=${parts[0]}
	eq "fixture $f holds its strings" "" "$(missing_strings "$FX/$f" "${parts[@]:1}")"
done
check "fixture cap-motw-bypass.exe: :Zone.Identifier is UTF-16LE, not ASCII" \
	bash -c '! grep -qaF ":Zone.Identifier" "$1" && grep -qaP ":\x00Z\x00o\x00n\x00e\x00" "$1"' _ "$FX/cap-motw-bypass.exe"
check "fixture cap-dynamic-api-resolution.exe: no OpenProcess string (injection stays incomplete)" \
	bash -c '! grep -qaF "OpenProcess" "$1"' _ "$FX/cap-dynamic-api-resolution.exe"
check "fixture cap-process-hollowing.exe: no svchost command line" \
	bash -c '! grep -qaiF "svchost" "$1"' _ "$FX/cap-process-hollowing.exe"
for s in 83.166.234.250 index.php "CurrentVersion\\Run"; do
	check "fixture str-xor-encoded.exe: no plain '$s' (ASCII or UTF-16LE)" \
		bash -c '! python3 -c "import sys; d = open(sys.argv[1], \"rb\").read(); s = sys.argv[2].encode(); sys.exit(0 if s in d or s.decode().encode(\"utf-16le\") in d else 1)" "$1" "$2"' _ "$FX/str-xor-encoded.exe" "$s"
done
check "fixture str-xor-encoded.exe: the URL XOR 0x5a and the Run path ADD 0x13 are there" \
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
u = bytes(b ^ 0x5A for b in b"http://83.166.234.250/index.php")
p = bytes((b + 0x13) & 0xFF for b in b"Software\\Microsoft\\Windows\\CurrentVersion\\Run")
sys.exit(0 if u in d and p in d else 1)' "$FX/str-xor-encoded.exe"
for f in control-console.exe control-gui.exe control-dll.dll control-debugger.exe control-installer.exe \
	control-urls.exe; do
	check "control $f: no key marker, privilege, Run key, svchost or public IP string" \
		bash -c '! grep -qaiE "\[backspace\]|\[enter\]|sedebugprivilege|currentversion\\\\run|svchost|83\.166\." "$1"' _ "$FX/$f"
done

# ------------------------------------------------------------------ each fixture raises its ID

for e in "${EXPECT[@]}"; do
	read -r f id sev att also <<<"$e"
	sj "$FX/$f"
	eq "$f: scan exits 0 with one JSON line" "0 1" "$JSTATUS $(jq -s length "$T/js.json" 2>/dev/null)"
	eq "$f: $id, severity $sev" "$sev" \
		"$(jqv --arg id "$id" '[.findings[] | select(.id == $id) | .severity] | join(",")')"
	eq "$f: $id carries evidence" "true" \
		"$(jqv --arg id "$id" '[.findings[] | select(.id == $id) | .evidence | type == "object" and length > 0] | all and length > 0')"
	if [ "$att" != - ]; then
		eq "$f: $id names ATT&CK $att" "true" \
			"$(jqv --arg id "$id" --arg a "$att" '[.findings[] | select(.id == $id) | .attack[] | select(. == $a or startswith($a + "."))] | length > 0')"
	fi
	eq "$f: no other trait ID$([ "$also" != - ] && echo " than $also")" "$([ "$also" != - ] && echo "$also")" \
		"$(jqv --arg id "$id" '[.findings[] | .id | select(('"$TRAIT_IDS"') and . != $id)] | unique | join(",")')"
	eq "$f: verdict = the worst severity" "true" \
		"$(jqv --argjson sev "$SEV" '.verdict == ('"$WORST"')')"
	if [ "$f" = str-xor-encoded.exe ]; then
		# Both hidden strings, each by its own method. The URL XOR 0x5a happens to be printable
		# ('2..*`uubitkll...'): that must not pass for plain text.
		eq "$f: STR-XOR-ENCODED decodes the URL (xor 0x5a) and the Run path (add 0x13)" "true true" \
			"$(jqv '[.findings[] | select(.id == "STR-XOR-ENCODED") | .evidence | tostring] | join(" ") as $e
				| "\($e | contains("http://83.166.234.250/index.php")) \($e | contains("CurrentVersion\\\\Run"))"')"
	fi
done

# ------------------------------------------------------------------ controls raise nothing

for f in "${CONTROLS[@]}"; do
	sj "$FX/$f"
	eq "$f: scan exits 0 with one JSON line" "0 1" "$JSTATUS $(jq -s length "$T/js.json" 2>/dev/null)"
	eq "$f: no finding of medium or more" "" \
		"$(jqv --argjson sev "$SEV" '[.findings[] | select($sev[.severity] >= 2) | "\(.id):\(.severity)"] | join(",")')"
	eq "$f: verdict clean or low (= the worst severity)" "true" \
		"$(jqv --argjson sev "$SEV" '(.verdict == "clean" or .verdict == "low") and .verdict == ('"$WORST"')')"
done

# ------------------------------------------------------------------ IOC feeds

# A throwaway self-signed code-signing certificate, and control-console.exe signed with it.
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ioc.key" -out "$T/ioc.pem" -days 3650 \
	-subj "/CN=pesleuth trait test signer" -addext "keyUsage=critical,digitalSignature" \
	-addext "extendedKeyUsage=codeSigning" >"$T/openssl.log" 2>&1 &&
	osslsigncode sign -certs "$T/ioc.pem" -key "$T/ioc.key" -h sha256 -n "pesleuth trait test" \
		-in "$FX/control-console.exe" -out "$T/signed-console.exe" >"$T/osslsigncode.log" 2>&1; then
	CERT_SHA1=$(openssl x509 -in "$T/ioc.pem" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')
	pass "a copy of control-console.exe signed with a throwaway self-signed certificate"
else
	CERT_SHA1=0000000000000000000000000000000000000000
	fail "a copy of control-console.exe signed with a throwaway self-signed certificate" \
		"$(cat "$T/openssl.log" "$T/osslsigncode.log" 2>/dev/null)"
fi
CONSOLE_SHA1=$(sha1sum "$FX/control-console.exe" | cut -d' ' -f1)
FEED=$T/feed.txt
{
	echo "# pesleuth trait test feed (Loki format: indicator;description)"
	echo "$CONSOLE_SHA1;control-console.exe (test)"
	echo "83.166.234.250;Carbanak C2 (seed 004)"
	echo "fa2a0639897a42932272d0f0be2ab456d99a402;a SHA-1 one digit short"
	echo "$CERT_SHA1;the test signer's certificate"
} >"$FEED"
# The IOC runs skip the shipped feeds and rules, so that every IOC finding is this feed's.
IOC=(--no-default-rules --ioc "$FEED")

sj "$FX/control-console.exe" "${IOC[@]}"
eq "IOC: a malformed line (39 hex digits) does not stop the scan: exit 0" "0" "$JSTATUS"
eq "IOC: the malformed line is reported once on stderr as FEED:4: why" "$FEED:4:" \
	"$(grep -o "^$FEED:[0-9]*:" "$T/js.err" | paste -sd'|')"
eq "IOC: ... with a reason after it" "1" "$(grep -c "^$FEED:4: [^ ]" "$T/js.err")"
eq "IOC: stderr names no other feed line" "0" "$(grep "^$FEED:" "$T/js.err" | grep -vc "^$FEED:4:")"
eq "IOC: control-console.exe's SHA-1 in the feed: IOC-HASH critical" "critical" \
	"$(jqv '[.findings[] | select(.id == "IOC-HASH") | .severity] | join(",")')"
eq "IOC: ... with evidence naming the hash" "true" \
	"$(jqv --arg h "$CONSOLE_SHA1" '[.findings[] | select(.id == "IOC-HASH") | .evidence | length > 0 and (tostring | ascii_downcase | contains($h))] | all and length > 0')"
eq "IOC: ... verdict critical" "critical" "$(jqv .verdict)"
sj "$FX/control-gui.exe" "${IOC[@]}"
eq "IOC: control-gui.exe matches nothing in the feed" "" \
	"$(jqv '[.findings[] | select(.id | startswith("IOC-")) | .id] | join(",")')"
sj "$FX/str-network-indicators.exe" "${IOC[@]}"
eq "IOC: the seed's address in the feed vs str-network-indicators.exe: IOC-NETWORK high" "high" \
	"$(jqv '[.findings[] | select(.id == "IOC-NETWORK") | .severity] | unique | join(",")')"
eq "IOC: ... the evidence names the address" "true" \
	"$(jqv '[.findings[] | select(.id == "IOC-NETWORK") | .evidence | tostring | contains("83.166.234.250")] | any')"
sj "$FX/str-xor-encoded.exe" "${IOC[@]}"
eq "IOC: ... and vs str-xor-encoded.exe, found among the decoded strings: IOC-NETWORK high" "high" \
	"$(jqv '[.findings[] | select(.id == "IOC-NETWORK") | .severity] | unique | join(",")')"
eq "IOC: ... the evidence names the address" "true" \
	"$(jqv '[.findings[] | select(.id == "IOC-NETWORK") | .evidence | tostring | contains("83.166.234.250")] | any')"
sj "$T/signed-console.exe" "${IOC[@]}"
eq "IOC: the signer certificate's SHA-1 thumbprint in the feed: IOC-CERT high" "high" \
	"$(jqv '[.findings[] | select(.id == "IOC-CERT") | .severity] | join(",")')"
eq "IOC: ... the evidence names the certificate" "true" \
	"$(jqv --arg h "$CERT_SHA1" '[.findings[] | select(.id == "IOC-CERT") | .evidence | tostring | ascii_downcase | contains($h)] | any')"
eq "IOC: ... the signed copy's own hash is not in the feed: no IOC-HASH" "" \
	"$(jqv '[.findings[] | select(.id == "IOC-HASH") | .id] | join(",")')"
sj "$T/signed-console.exe" --no-default-rules
eq "IOC: without the feed the signed copy raises no IOC-*" "" \
	"$(jqv '[.findings[] | select(.id | startswith("IOC-")) | .id] | join(",")')"

# ------------------------------------------------------------------ user rules

cat >"$T/x.yar" <<'EOF'
rule ps_trait_low
{
    meta:
        severity = "low"
        description = "traits.sh: an RFB banner, judged low"
    strings:
        $rfb = "RFB 003.008"
    condition:
        $rfb
}

rule ps_trait_unrated
{
    meta:
        description = "traits.sh: the VNC plugin name, no severity (so high)"
    strings:
        $vnc = "vnc.plug"
    condition:
        $vnc
}
EOF
RULES_MINE='[.findings[] | select(.id == "RULE-MATCH" and (.evidence.rule // "" | startswith("ps_trait_"))) | "\(.evidence.rule):\(.severity)"] | sort | join(",")'
sj "$FX/cap-remote-access.exe" --rules "$T/x.yar"
eq "rules: --rules x.yar with the default pack: exit 0" "0" "$JSTATUS"
eq "rules: RULE-MATCH per rule, severity from meta (low) or high without one" \
	"ps_trait_low:low,ps_trait_unrated:high" "$(jqv "$RULES_MINE")"
eq "rules: ... each with evidence" "true" \
	"$(jqv '[.findings[] | select(.id == "RULE-MATCH") | .evidence | length > 0] | all')"
eq "rules: ... the trait finding is still there" "medium" \
	"$(jqv '[.findings[] | select(.id == "CAP-REMOTE-ACCESS") | .severity] | join(",")')"
sj "$FX/cap-remote-access.exe" --no-default-rules --rules "$T/x.yar"
eq "rules: --no-default-rules is accepted (exit 0)" "0" "$JSTATUS"
eq "rules: ... and only the user's rules match" "ps_trait_low:low,ps_trait_unrated:high" \
	"$(jqv '[.findings[] | select(.id == "RULE-MATCH") | "\(.evidence.rule):\(.severity)"] | sort | join(",")')"
sj "$FX/control-console.exe" --rules "$T/x.yar"
eq "rules: the same rules match nothing in control-console.exe" "" "$(jqv "$RULES_MINE")"

# The shipped pack alone is compiled when a file first needs it (a file that passes its
# prefilter); rule files the user names, and the pack beside them, are compiled at start.
BADPACK=$T/badpack
mkdir -p "$BADPACK"
printf 'rule X {\n condition:\n  true and\n  foo bar\n}\n' >"$BADPACK/bad.yar"
PESLEUTH_RULES_DIR=$BADPACK sj "$FX/cap-remote-access.exe"
eq "deferred pack: a pack that does not compile fails the file that needs it (exit 2)" \
	"2 the YARA rules could not be compiled" "$JSTATUS $(jqv -r .error.code)"
eq "deferred pack: ... the compiler's error is on stderr with file and line" "1" \
	"$(grep -c "badpack/bad.yar:4: error: undefined identifier" "$T/js.err")"
printf '// pesleuth-prefilter: "qqzzyyxx"\n' | cat - "$BADPACK/bad.yar" >"$BADPACK/bad.tmp"
mv "$BADPACK/bad.tmp" "$BADPACK/bad.yar"
PESLEUTH_RULES_DIR=$BADPACK sj "$FX/control-console.exe"
eq "deferred pack: no file passes its prefilter, so it is never compiled (exit 0, no error)" \
	"0 false 0" "$JSTATUS $(jqv 'has("error")') $(wc -c <"$T/js.err")"
sj "$FX/control-console.exe" --no-default-rules --rules "$BADPACK/bad.yar"
eq "--rules: a file the user names is compiled at start (exit 2, nothing scanned)" "2 0" \
	"$JSTATUS $(wc -c <"$T/js.json")"
PESLEUTH_RULES_DIR=$BADPACK sj "$FX/control-console.exe" --rules "$T/x.yar"
eq "--rules: ... and the pack beside it too" "2 0" "$JSTATUS $(wc -c <"$T/js.json")"

# ------------------------------------------------------------------ --fail-on

# failon DESC EXPECTED-STATUS OPTIONS-AND-FILES...: the exit status of scan, and one line per
# fixture file named.
failon() {
	local d=$1 want=$2 n=0 a
	shift 2
	for a in "$@"; do [[ $a == "$FX"/* ]] && n=$((n + 1)); done
	timeout 60 "$PS" scan --jsonl "$@" >"$T/fo.json" 2>"$T/fo.err" </dev/null
	local rc=$?
	eq "--fail-on: $d: exit $want, one line per file" "$want $n" "$rc $(jq -s length "$T/fo.json" 2>/dev/null)"
}
failon "high, a high fixture (hollowing)" 1 --fail-on high "$FX/cap-process-hollowing.exe"
failon "critical, the same fixture without the default pack (worst: high)" 0 \
	--no-default-rules --fail-on critical "$FX/cap-process-hollowing.exe"
failon "medium, a medium fixture (keylogging)" 1 --fail-on medium "$FX/cap-keylogging.exe"
failon "high, the medium fixture without the default pack" 0 --no-default-rules --fail-on high "$FX/cap-keylogging.exe"
CTRL_PATHS=()
for f in "${CONTROLS[@]}"; do CTRL_PATHS+=("$FX/$f"); done
failon "medium, every control" 0 --fail-on medium "${CTRL_PATHS[@]}"
failon "medium, the controls and one medium fixture: some file matches" 1 \
	--fail-on medium "${CTRL_PATHS[@]}" "$FX/cap-motw-bypass.exe"
failon "high, control-console.exe whose hash is in a feed (IOC-HASH critical)" 1 \
	--no-default-rules --ioc "$FEED" --fail-on high "$FX/control-console.exe"
timeout 60 "$PS" scan --jsonl --fail-on severe "$FX/control-console.exe" >"$T/fo.json" 2>"$T/fo.err" </dev/null
eq "--fail-on with an unknown severity is a usage error (exit 2)" "2" "$?"

# ------------------------------------------------------------------ summary

tap_summary
