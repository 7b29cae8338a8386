#!/usr/bin/env bash
# Black-box tests of Authenticode verification (issue 3's acceptance test; TAP-like output:
# "ok N - ..." / "not ok N - ...").
#
#   BUILD=build tests/signatures.sh
#
# Reads the signed fixtures of tests/fixtures/make-signed.sh ("$BUILD/fixtures", built when
# missing or older than their sources): a test PKI made with openssl, a benign mingw-w64
# program signed with osslsigncode in 24 ways (OUTDIR/SCENARIOS.txt). For every scenario it
# asserts what `pesleuth show --json` says — file.code_signature, each signature's status,
# digest, signing time, timestamp, claimed signing time, signer (against what `openssl x509`
# says about the certificate used), nesting — and the exact set of SIG-/CERT-/TS- findings,
# that `pesleuth verify` exits 0 exactly for the trusted ones, and that osslsigncode's own
# verdict agrees. The trust anchors are the fixture roots only (--ca-file), never the system.
# No PE file is ever executed.
# jq filters are in single quotes on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -u

# shellcheck source=tests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
tap_init sig jq openssl osslsigncode python3 timeout date
FX=$BUILD/fixtures

# The fixture files (SCENARIOS.txt is written last: it stamps the set as a whole).
SCENARIOS=(01-valid-ts.exe 02-valid-nots.exe 03-modified-section.exe 04-checksum-only.exe
	05-untrusted-root.exe 06-self-signed.exe 07-wrong-eku.exe 08-sha1-only.exe
	09-dual-sha1-sha256.exe 10-cert-padding.exe 11-data-after-table.exe 12-overlay-signed.exe
	13-truncated-table.exe 14-table-past-eof.exe 15-garbage-table.exe 16-expired-nots.exe
	17-expired-ts-inside.exe 18-ts-after-expiry.exe 19-ts-before-validity.exe
	20-ts-untrusted-tsa.exe 21-valid-ts-x86.exe 22-page-hashes.exe 23-page-hashes-modified.exe
	24-bad-signature.exe)
need=0
for f in "${SCENARIOS[@]}" SCENARIOS.txt pki/root.pem pki/tsaroot.pem; do
	[ -e "$FX/$f" ] || need=1
done
if [ $need = 0 ] && [ -n "$(find tests/fixtures -newer "$FX/SCENARIOS.txt" 2>/dev/null)" ]; then
	need=1
fi
if [ $need = 1 ]; then
	echo "# building signed fixtures into $FX"
	if ! tests/fixtures/make-signed.sh "$FX" >&2; then
		echo "Bail out! tests/fixtures/make-signed.sh failed"
		exit 2
	fi
fi
PKI=$FX/pki
ANCHORS=(--ca-file "$PKI/root.pem" --ca-file "$PKI/tsaroot.pem")

# The fixture program is compiled in 2023 (SOURCE_DATE_EPOCH) but these are stamped in 2011 or
# 2015: a compile time after the trusted signing time is itself a finding (issue 4).
declare -A EXTRA_OK=([17-expired-ts-inside.exe]=TIME-COMPILE-AFTER-SIGNING
	[18-ts-after-expiry.exe]=TIME-COMPILE-AFTER-SIGNING [19-ts-before-validity.exe]=TIME-COMPILE-AFTER-SIGNING
	# the security directory points past the end, so the signature blob left at the end of the
	# file is an unreferenced overlay of DER (entropy about 7.5 bits per byte)
	[14-table-past-eof.exe]=OVERLAY-HIGH-ENTROPY)


# js FILE [OPTIONS...]: `show --json OPTIONS FILE` into $T/js.json (the fixture anchors unless
# OPTIONS are given); JSTATUS holds the exit status.
JSTATUS=0
js() {
	local f=$1
	shift
	local opts=("$@")
	[ ${#opts[@]} -eq 0 ] && opts=("${ANCHORS[@]}")
	timeout 20 "$PS" show --json "${opts[@]}" "$f" >"$T/js.json" 2>"$T/js.err" </dev/null
	JSTATUS=$?
}
# jqv FILTER...: the raw value of FILTER on the last js output (ERROR when jq fails).

# ------------------------------------------------------------------ what openssl says

# The fixed times of make-signed.sh, in pesleuth's notation.
TS=2024-01-15T12:00:00Z    # the ordinary timestamp
TS2=2024-01-15T13:00:00Z   # the nested signature's timestamp
OLD=2011-06-15T12:00:00Z   # inside the expired leaf's validity
LATE=2015-01-01T12:00:00Z  # after the expired leaf's notAfter, before the leaves' notBefore
CLAIM=2024-03-09T16:00:00Z # the signingTime attribute (a claim)

iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
# certinfo NAME: "subject|issuer|serial|sha1|sha256|not_before|not_after" of pki/NAME.pem.
declare -A CERT CN
for c in root inter leaf wrongeku expired selfsigned uroot uleaf tsaroot tsa utsaroot utsa; do
	p=$PKI/$c.pem
	subj=$(openssl x509 -in "$p" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
	iss=$(openssl x509 -in "$p" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
	ser=$(openssl x509 -in "$p" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
	s1=$(openssl x509 -in "$p" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')
	s256=$(openssl x509 -in "$p" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')
	nb=$(iso "$(openssl x509 -in "$p" -noout -startdate | sed 's/^notBefore=//')")
	na=$(iso "$(openssl x509 -in "$p" -noout -enddate | sed 's/^notAfter=//')")
	CERT[$c]="$subj|$iss|$ser|$s1|$s256|$nb|$na"
	CN[$c]=$(sed -n 's/^CN=\([^,]*\),.*/\1/p' <<<"$subj")
done
eq "fixture PKI: the leaf is issued by the intermediate, which is issued by the root" \
	"${CN[inter]} ${CN[root]}" \
	"$(sed -n 's/^CN=\([^,]*\),.*/\1/p' <<<"$(cut -d'|' -f2 <<<"${CERT[leaf]}")") $(sed -n 's/^CN=\([^,]*\),.*/\1/p' <<<"$(cut -d'|' -f2 <<<"${CERT[inter]}")")"
eq "fixture PKI: the expired leaf's validity is 2010-01-01..2012-01-01" \
	"2010-01-01T00:00:00Z 2012-01-01T00:00:00Z" "$(cut -d'|' -f6,7 <<<"${CERT[expired]}" | tr '|' ' ')"
check "fixture PKI: the TSA certificate has a critical timeStamping EKU" \
	grep -q -A1 'Extended Key Usage: critical' <(openssl x509 -in "$PKI/tsa.pem" -noout -text)
check "fixture PKI: the wrong-EKU leaf allows serverAuth only" \
	test "$(openssl x509 -in "$PKI/wrongeku.pem" -noout -ext extendedKeyUsage | tail -n +2 | tr -d ' ')" = "TLSWebServerAuthentication"

# The certificate fields pesleuth prints, as one line, for a jq path to a certificate object.
CERT_FIELDS='"\(.subject)|\(.issuer)|\(.serial)|\(.sha1)|\(.sha256)|\(.not_before)|\(.not_after)"'

# ------------------------------------------------------------------ the scenarios

# expect FILE STATUS TRUSTED VALID SIGNER FINDINGS SIG...
#   SIGNER    the pki name of every signature's signer ("-": no parsed signature)
#   FINDINGS  the exact set of SIG-/CERT-/TS- finding IDs, comma-separated, sorted ("" none)
#   SIG       one per signature, in order: "status digest_ok digest_algorithm signing_time
#             timestamp.time timestamp.verified claimed_signing_time depth parent"
# Every other finding must be below medium.
START=$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)
declare -A TRUSTED_OF
expect() {
	local f=$1 status=$2 trusted=$3 valid=$4 signer=$5 findings=$6
	shift 6
	local sigs=("$@") want
	TRUSTED_OF[$f]=$trusted
	js "$FX/$f"
	if [ "$JSTATUS" != 0 ] || [ "$(jq -s length "$T/js.json" 2>/dev/null)" != 1 ]; then
		fail "$f: show --json exits 0 with one JSON object" "exit $JSTATUS" "$(head -c 500 "$T/js.err")"
		return
	fi
	cp "$T/js.json" "$T/$f.json"
	eq "$f: code_signature exists, status $status, trusted $trusted, valid $valid" \
		"true $status $trusted $valid" \
		"$(jqv '.file.code_signature | "\(.exists) \(.status) \(.trusted) \(.valid)"')"
	eq "$f: ${#sigs[@]} signature(s)" "${#sigs[@]}" "$(jqv '.signatures | length')"
	want=$(printf '%s\n' "${sigs[@]}")
	[ ${#sigs[@]} -eq 0 ] && want=""
	eq "$f: per signature: status digest_ok algorithm signing_time ts.time ts.verified claimed depth parent" \
		"$want" \
		"$(jqv '.signatures[] | "\(.status) \(.digest_ok) \(.digest_algorithm) \(.signing_time) \(.timestamp.time) \(.timestamp.verified) \(.claimed_signing_time) \(.depth) \(.parent)"')"
	eq "$f: SIG-/CERT-/TS- findings are exactly {$findings}" "$findings" \
		"$(jqv '[.findings[].id | select(test("^(SIG|CERT|TS)-"))] | unique | join(",")')"
	eq "$f: no other finding of severity medium or above" "" \
		"$(jqv --arg e "$findings,${EXTRA_OK[$f]:-}" '($e | split(",")) as $ok
		    | [.findings[] | select(.severity == "medium" or .severity == "high" or .severity == "critical")
		       | select(.id as $i | $ok | index($i) | not) | "\(.id):\(.severity)"] | join(",")')"
	# ECS: code_signature.timestamp is the trusted signing time of the primary signature.
	eq "$f: code_signature.timestamp is the primary signature's trusted signing time" \
		"$(jqv '.signatures[0].signing_time // null')" "$(jqv '.file.code_signature.timestamp')"
	# A signature is judged at its trusted signing time, else now.
	eq "$f: evaluated_at is the signing time when there is one, else now" "" \
		"$(jqv --arg start "$START" '.signatures[] | select(.parsed)
		    | select(if .signing_time then .evaluated_at != .signing_time else (.evaluated_at // "") < $start end)
		    | "signature \(.index): evaluated_at \(.evaluated_at), signing_time \(.signing_time)"')"
	if [ "$signer" = - ]; then
		eq "$f: no signer, code_signature.subject_name null" "null" "$(jqv '.file.code_signature.subject_name')"
	else
		local line
		line=$(printf '%s\n' "${sigs[@]}" | while read -r _; do echo "${CERT[$signer]}"; done)
		eq "$f: every signer's subject, issuer, serial, sha1, sha256, validity equal openssl's for pki/$signer.pem" \
			"$line" "$(jqv ".signatures[].signer | $CERT_FIELDS")"
		eq "$f: code_signature.subject_name is the signer's CN" "${CN[$signer]}" \
			"$(jqv '.file.code_signature.subject_name')"
		eq "$f: the chain starts with the signer" "$line" "$(jqv ".signatures[].chain[0] | $CERT_FIELDS")"
	fi
	# verify: exit 0 exactly when every signature is trusted.
	timeout 20 "$PS" verify "${ANCHORS[@]}" "$FX/$f" >"$T/verify.out" 2>&1 </dev/null
	local rc=$?
	eq "$f: verify exits $([ "$trusted" = true ] && echo 0 || echo 1)" \
		"$([ "$trusted" = true ] && echo 0 || echo 1)" "$rc"
}

SIG_TS="true sha256 $TS $TS true $CLAIM 0 null"
expect 01-valid-ts.exe Valid true true leaf "" "Valid $SIG_TS"
expect 02-valid-nots.exe Valid true true leaf "" "Valid true sha256 null null null $CLAIM 0 null"
expect 03-modified-section.exe HashMismatch false false leaf "SIG-DIGEST-MISMATCH" \
	"HashMismatch false sha256 $TS $TS true $CLAIM 0 null"
expect 04-checksum-only.exe Valid true true leaf "" "Valid $SIG_TS"
expect 05-untrusted-root.exe NotTrusted false true uleaf "SIG-UNTRUSTED-ROOT" "NotTrusted $SIG_TS"
expect 06-self-signed.exe NotTrusted false true selfsigned "SIG-UNTRUSTED-ROOT" "NotTrusted $SIG_TS"
expect 07-wrong-eku.exe WrongUsage false true wrongeku "SIG-WRONG-EKU" "WrongUsage $SIG_TS"
expect 08-sha1-only.exe Valid true true leaf "SIG-WEAK-DIGEST" "Valid true sha1 $TS $TS true $CLAIM 0 null"
expect 09-dual-sha1-sha256.exe Valid true true leaf "" \
	"Valid true sha1 $TS $TS true $CLAIM 0 null" "Valid true sha256 $TS2 $TS2 true $CLAIM 1 0"
# CVE-2013-3900: the hidden bytes are outside every digest, so Windows (without
# EnableCertPaddingCheck) and osslsigncode accept the signature; the finding says why not to.
expect 10-cert-padding.exe Valid true true leaf "SIG-CERT-PADDING" "Valid $SIG_TS"
# Bytes after the table are covered by the linear digest (DESIGN.md): the file changed.
expect 11-data-after-table.exe HashMismatch false false leaf "SIG-DATA-AFTER-TABLE,SIG-DIGEST-MISMATCH" \
	"HashMismatch false sha256 $TS $TS true $CLAIM 0 null"
expect 12-overlay-signed.exe Valid true true leaf "" "Valid $SIG_TS"
expect 13-truncated-table.exe Malformed false false - "SIG-MALFORMED"
expect 14-table-past-eof.exe Malformed false false - "SIG-MALFORMED"
# Random bytes hold no PKCS#7, so nothing can be hidden "after the PKCS#7": SIG-MALFORMED only.
expect 15-garbage-table.exe Malformed false false - "SIG-MALFORMED" \
	"Malformed false null null null null null 0 null"
# The signingTime attribute claims OLD, inside the validity: a claim decides nothing.
expect 16-expired-nots.exe Expired false true expired "CERT-EXPIRED" \
	"Expired true sha256 null null null $OLD 0 null"
expect 17-expired-ts-inside.exe Valid true true expired "" "Valid true sha256 $OLD $OLD true $OLD 0 null"
expect 18-ts-after-expiry.exe Expired false true expired "CERT-EXPIRED-AT-SIGNING" \
	"Expired true sha256 $LATE $LATE true $OLD 0 null"
expect 19-ts-before-validity.exe Expired false true leaf "CERT-EXPIRED-AT-SIGNING" \
	"Expired true sha256 $LATE $LATE true $CLAIM 0 null"
# The untrusted timestamp's time is only a claim: judged at now, when the leaf is valid.
expect 20-ts-untrusted-tsa.exe Valid true true leaf "TS-UNTRUSTED" \
	"Valid true sha256 null $TS false $CLAIM 0 null"
expect 21-valid-ts-x86.exe Valid true true leaf "" "Valid $SIG_TS"
expect 22-page-hashes.exe Valid true true leaf "" "Valid $SIG_TS"
expect 23-page-hashes-modified.exe HashMismatch false false leaf "SIG-DIGEST-MISMATCH,SIG-PAGE-HASH-MISMATCH" \
	"HashMismatch false sha256 $TS $TS true $CLAIM 0 null"
# The timestamp countersigns the signature value, which is intact: it still verifies.
expect 24-bad-signature.exe BadSignature false false leaf "SIG-SIGNATURE-INVALID" "BadSignature $SIG_TS"

eq "every file of the fixture directory is a tested scenario" "$(printf '%s\n' "${SCENARIOS[@]}")" \
	"$(cd "$FX" && ls -1 -- *.exe)"
eq "SCENARIOS.txt describes every scenario" "" \
	"$(for f in "${SCENARIOS[@]}"; do grep -q "^$f " "$FX/SCENARIOS.txt" || echo "$f"; done)"

# ------------------------------------------------------------------ details per scenario

# fjq FILE FILTER...: FILTER on the saved show --json output of scenario FILE.
fjq() {
	local f=$1
	shift
	jq -r "$@" "$T/$f.json" 2>/dev/null || echo "ERROR(jq)"
}

eq "01: the chain is leaf, intermediate, root (openssl's fields)" \
	"$(printf '%s\n' "${CERT[leaf]}" "${CERT[inter]}" "${CERT[root]}")" \
	"$(fjq 01-valid-ts.exe ".signatures[0].chain[] | $CERT_FIELDS")"
eq "01: the embedded certificates are the leaf and the intermediate" \
	"$(printf '%s\n' "${CERT[leaf]}" "${CERT[inter]}" | cut -d'|' -f5 | sort)" \
	"$(fjq 01-valid-ts.exe '.signatures[0].certificates[].sha256' | sort)"
eq "01: RFC 3161 timestamp by the fixture TSA, imprint and countersignature verified" \
	"rfc3161 $(cut -d'|' -f1 <<<"${CERT[tsa]}") true true true" \
	"$(fjq 01-valid-ts.exe '.signatures[0].timestamp | "\(.kind) \(.tsa_subject) \(.imprint_ok) \(.signature_ok) \(.chain_trusted)"')"
eq "01: signer EKU codeSigning, program name from the signed attributes" \
	'["codeSigning"] pesleuth fixture program' \
	"$(fjq 01-valid-ts.exe -c '.signatures[0] | "\(.signer.eku) \(.program_name)"')"
eq "01: signed digest = linear digest = section digest" "true true" \
	"$(fjq 01-valid-ts.exe '.signatures[0] | "\(.signed_digest == .computed_digest) \(.section_digest_ok)"')"
eq "03: the computed digest differs from the signed one, by both methods" "false false" \
	"$(fjq 03-modified-section.exe '.signatures[0] | "\(.signed_digest == .computed_digest) \(.section_digest_ok)"')"
eq "04: CheckSum excluded from the digest: only PE-CHECKSUM-MISMATCH (low) besides" \
	"PE-CHECKSUM-MISMATCH:low" "$(fjq 04-checksum-only.exe '[.findings[] | "\(.id):\(.severity)"] | join(",")')"
eq "05: SIG-UNTRUSTED-ROOT names the untrusted root, the leaf is not self-signed" \
	"$(cut -d'|' -f1 <<<"${CERT[uroot]}") false" \
	"$(fjq 05-untrusted-root.exe '.findings[] | select(.id == "SIG-UNTRUSTED-ROOT") | "\(.evidence.root) \(.evidence.self_signed_leaf)"')"
eq "05: the chain is the untrusted leaf and its embedded root" \
	"$(printf '%s\n' "${CERT[uleaf]}" "${CERT[uroot]}" | cut -d'|' -f5)" \
	"$(fjq 05-untrusted-root.exe '.signatures[0].chain[].sha256')"
eq "06: SIG-UNTRUSTED-ROOT with self_signed_leaf" "true 1" \
	"$(fjq 06-self-signed.exe '"\(.findings[] | select(.id == "SIG-UNTRUSTED-ROOT") | .evidence.self_signed_leaf) \(.signatures[0].chain | length)"')"
eq "07: SIG-WRONG-EKU names the serverAuth certificate" "$(cut -d'|' -f1 <<<"${CERT[wrongeku]}")" \
	"$(fjq 07-wrong-eku.exe '.findings[] | select(.id == "SIG-WRONG-EKU") | .evidence.certificate')"
eq "08: SIG-WEAK-DIGEST says sha1" "sha1" \
	"$(fjq 08-sha1-only.exe '.findings[] | select(.id == "SIG-WEAK-DIGEST") | .evidence.algorithm')"
eq "09: both signatures in the same WIN_CERTIFICATE entry (nested), each with its own timestamp" \
	"0 0 $TS $TS2" \
	"$(fjq 09-dual-sha1-sha256.exe '"\(.signatures[0].entry) \(.signatures[1].entry) \(.signatures[0].timestamp.time) \(.signatures[1].timestamp.time)"')"
read -r _ _ fsz9 _ < <(python3 tests/fixtures/pe-surgery.py info "$FX/10-cert-padding.exe")
eq "10: SIG-CERT-PADDING: the 64 hidden non-zero bytes, inside entry 0, ending the table" \
	"0 64 $fsz9" \
	"$(fjq 10-cert-padding.exe '.findings[] | select(.id == "SIG-CERT-PADDING") | "\(.evidence.entry) \(.evidence.nonzero_bytes) \(.evidence.offset + .evidence.size)"')"
read -r toff11 tsz11 fsz11 _ < <(python3 tests/fixtures/pe-surgery.py info "$FX/11-data-after-table.exe")
eq "11: SIG-DATA-AFTER-TABLE: offset and size of the appended bytes" "$((toff11 + tsz11)) $((fsz11 - toff11 - tsz11))" \
	"$(fjq 11-data-after-table.exe '.findings[] | select(.id == "SIG-DATA-AFTER-TABLE") | "\(.evidence.offset) \(.evidence.size)"')"
read -r toff12 _ < <(python3 tests/fixtures/pe-surgery.py info "$FX/12-overlay-signed.exe")
eq "12: the 4096-byte overlay lies between the sections and the table, covered by the digest" \
	"$(fjq 01-valid-ts.exe '.file.pe.overlay.offset') 4096 true" \
	"$(fjq 12-overlay-signed.exe --argjson t "$toff12" '"\(.file.pe.overlay.offset) \($t - .file.pe.overlay.offset) \(.signatures[0].digest_ok)"')"
eq "14: SIG-MALFORMED evidence: the table offset is past the file size" "true" \
	"$(fjq 14-table-past-eof.exe '[.findings[] | select(.id == "SIG-MALFORMED") | .evidence.offset >= .evidence.file_size] | any')"
eq "15: the entry is reported as a signature that did not parse" "false true" \
	"$(fjq 15-garbage-table.exe '.signatures[0] | "\(.parsed) \(.parse_error != null)"')"
eq "16: CERT-EXPIRED names the expired leaf and its validity, evaluated now" \
	"$(cut -d'|' -f1,6,7 <<<"${CERT[expired]}") true" \
	"$(fjq 16-expired-nots.exe --arg start "$START" '.findings[] | select(.id == "CERT-EXPIRED") | "\(.evidence.certificate)|\(.evidence.not_before)|\(.evidence.not_after) \(.evidence.evaluated_at >= $start)"')"
eq "18: CERT-EXPIRED-AT-SIGNING evaluated at the trusted timestamp" \
	"$(cut -d'|' -f1 <<<"${CERT[expired]}") $LATE" \
	"$(fjq 18-ts-after-expiry.exe '.findings[] | select(.id == "CERT-EXPIRED-AT-SIGNING") | "\(.evidence.certificate) \(.evidence.evaluated_at)"')"
eq "19: CERT-EXPIRED-AT-SIGNING: not yet valid at the timestamp" \
	"$(cut -d'|' -f1,6 <<<"${CERT[leaf]}") $LATE" \
	"$(fjq 19-ts-before-validity.exe '.findings[] | select(.id == "CERT-EXPIRED-AT-SIGNING") | "\(.evidence.certificate)|\(.evidence.not_before) \(.evidence.evaluated_at)"')"
eq "20: TS-UNTRUSTED names the untrusted TSA and its claimed time; the imprint still binds" \
	"$(cut -d'|' -f1 <<<"${CERT[utsa]}") $TS true true false" \
	"$(fjq 20-ts-untrusted-tsa.exe '"\(.findings[] | select(.id == "TS-UNTRUSTED") | "\(.evidence.tsa) \(.evidence.claimed_time)") \(.signatures[0].timestamp | "\(.imprint_ok) \(.signature_ok) \(.chain_trusted)")"')"
eq "21: PE32 (i686) signed file" "332 Valid" "$(fjq 21-valid-ts-x86.exe '"\(.file.pe.machine) \(.signatures[0].status)"')"
eq "23: page hashes present and checked" "true" \
	"$(fjq 23-page-hashes-modified.exe '.signatures[0].page_hashes != null')"
eq "24: the digest still matches; the signer's signature does not verify" "true false" \
	"$(fjq 24-bad-signature.exe '.signatures[0] | "\(.digest_ok) \(.signature_ok)"')"

# ------------------------------------------------------------------ trust context

js "$FX/01-valid-ts.exe" --ca-file "$PKI/root.pem"
eq "01 without the TSA root: the timestamp is a claim (TS-UNTRUSTED), judged now: still Valid" \
	"Valid true null false TS-UNTRUSTED" \
	"$(jqv '"\(.file.code_signature.status) \(.file.code_signature.trusted) \(.signatures[0].signing_time) \(.signatures[0].timestamp.verified) \([.findings[].id | select(test("^(SIG|CERT|TS)-"))] | unique | join(","))"')"
js "$FX/17-expired-ts-inside.exe" --ca-file "$PKI/root.pem"
eq "17 without the TSA root: the untrusted time does not rescue the expired leaf" \
	"Expired false null CERT-EXPIRED,TS-UNTRUSTED" \
	"$(jqv '"\(.file.code_signature.status) \(.file.code_signature.trusted) \(.signatures[0].signing_time) \([.findings[].id | select(test("^(SIG|CERT|TS)-"))] | unique | join(","))"')"
js "$FX/01-valid-ts.exe" --ca-file "$PKI/tsaroot.pem"
eq "01 without the code-signing root: NotTrusted, SIG-CHAIN-INCOMPLETE names the missing root" \
	"NotTrusted false SIG-CHAIN-INCOMPLETE $(cut -d'|' -f1 <<<"${CERT[root]}")" \
	"$(jqv '"\(.file.code_signature.status) \(.file.code_signature.trusted) \([.findings[].id | select(test("^(SIG|CERT|TS)-"))] | unique | join(",")) \(.findings[] | select(.id == "SIG-CHAIN-INCOMPLETE") | .evidence.missing_issuer)"')"
js "$FX/05-untrusted-root.exe" "${ANCHORS[@]}" --ca-file "$PKI/uroot.pem"
eq "05 with its root added as an anchor: Valid, no signature finding" "Valid true " \
	"$(jqv '"\(.file.code_signature.status) \(.file.code_signature.trusted) \([.findings[].id | select(test("^(SIG|CERT|TS)-"))] | join(","))"')"
js "$FX/20-ts-untrusted-tsa.exe" "${ANCHORS[@]}" --ca-file "$PKI/utsaroot.pem"
eq "20 with the untrusted TSA's root added: the timestamp is the signing time" "Valid $TS true " \
	"$(jqv '"\(.file.code_signature.status) \(.signatures[0].signing_time) \(.signatures[0].timestamp.verified) \([.findings[].id | select(test("^(SIG|CERT|TS)-"))] | join(","))"')"

timeout 20 "$PS" verify "${ANCHORS[@]}" "$FX/01-valid-ts.exe" "$FX/09-dual-sha1-sha256.exe" "$FX/17-expired-ts-inside.exe" \
	>"$T/v.out" 2>&1 </dev/null
rc=$?
eq "verify of three trusted files: exit 0, one line per file" "0 3" "$rc $(grep -c '^Valid ' "$T/v.out")"
timeout 20 "$PS" verify "${ANCHORS[@]}" "$FX/01-valid-ts.exe" "$FX/03-modified-section.exe" >"$T/v.out" 2>&1 </dev/null
rc=$?
eq "verify of a trusted and a tampered file: exit 1" 1 "$rc"
timeout 20 "$PS" verify "${ANCHORS[@]}" "$FX/01-valid-ts.exe" "$T/does-not-exist.exe" >"$T/v.out" 2>&1 </dev/null
rc=$?
eq "verify with a missing file: exit 2" 2 "$rc"

# ------------------------------------------------------------------ osslsigncode agrees

# osslsigncode verify with the same anchors must reach the same trusted/untrusted verdict on
# every scenario. No scenario is excluded, but on 11 and 14 osslsigncode's "no" is not about
# the signature: it ignores a certificate table that does not end the file ("No signature
# found"); on 13 and 15 it cannot parse the PKCS#7. -ignore-cdp: never go to the network.
for f in "${SCENARIOS[@]}"; do
	timeout 30 osslsigncode verify -CAfile "$PKI/root.pem" -TSA-CAfile "$PKI/tsaroot.pem" -ignore-cdp \
		-in "$FX/$f" >"$T/ossl.out" 2>&1 </dev/null
	orc=$?
	ov=$([ $orc = 0 ] && echo trusted || echo untrusted)
	pv=$([ "${TRUSTED_OF[$f]:-}" = true ] && echo trusted || echo untrusted)
	if [ "$ov" = "$pv" ]; then
		pass "$f: osslsigncode agrees: $pv"
	else
		fail "$f: osslsigncode agrees ($pv)" "osslsigncode exit $orc:" "$(grep -iE 'error|fail|mismatch' "$T/ossl.out" | head -5)"
	fi
done
# ... and computes the same digests.
for f in 01-valid-ts.exe 03-modified-section.exe 21-valid-ts-x86.exe; do
	osslsigncode verify -CAfile "$PKI/root.pem" -TSA-CAfile "$PKI/tsaroot.pem" -ignore-cdp -in "$FX/$f" >"$T/ossl.out" 2>&1 </dev/null
	eq "$f: signed and computed digests equal osslsigncode's" \
		"$(sed -n 's/^Current message digest *: *\([0-9A-Fa-f]*\).*/\1/p' "$T/ossl.out" | head -n1 | tr 'A-F' 'a-f') $(sed -n 's/^Calculated message digest *: *\([0-9A-Fa-f]*\).*/\1/p' "$T/ossl.out" | head -n1 | tr 'A-F' 'a-f')" \
		"$(fjq "$f" '.signatures[0] | "\(.signed_digest) \(.computed_digest)"')"
done

# Compile-time forensics on the fixtures whose timestamp precedes the build (see EXTRA_OK).
for f in 17-expired-ts-inside.exe 18-ts-after-expiry.exe 19-ts-before-validity.exe; do
	eq "$f: TIME-COMPILE-AFTER-SIGNING (high), compile time after the trusted signing time" "high true" \
		"$(fjq "$f" '[.findings[] | select(.id == "TIME-COMPILE-AFTER-SIGNING")][0]
		    | "\(.severity) \(.evidence.compile_time > .evidence.signing_time)"')"
done
eq "01-valid-ts.exe: no compile-time finding when the build precedes the timestamp" "" \
	"$(fjq 01-valid-ts.exe '[.findings[].id | select(startswith("TIME-"))] | join(",")')"

# ------------------------------------------------------------------ summary

tap_summary
