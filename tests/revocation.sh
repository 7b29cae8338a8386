#!/usr/bin/env bash
# Black-box tests of revocation, blocklists and the time findings (issue 4's acceptance test;
# TAP-like output: "ok N - ..." / "not ok N - ..."; "# TODO" lines are known pesleuth bugs,
# reported but not counted as failures).
#
#   BUILD=build tests/revocation.sh
#
# Reads the signed fixtures of tests/fixtures/make-signed.sh ("$BUILD/fixtures", built when
# missing or older than their sources): the revocation scenarios in revocation/rNN-*.exe, a few
# of tests/signatures.sh's files, the CRLs of pki/crls (written with `openssl ca -gencrl` from
# hand-written databases: fixed revocation dates, reasons and invalidity dates), a CRL signed
# with the wrong key, a stale CRL, and blocklists in every supported format (SCENARIOS.txt
# describes them all). For every scenario and for both revocation policies (--revocation-policy
# strict and date) and without CRLs, it asserts what `pesleuth show --json` says —
# file.code_signature, the signature's status and signing time, the exact set of SIG-/CERT-/
# TS-/TIME- findings with their severities, the revocation[] entries (certificate, state) and
# the signer's revocation facts — and that `pesleuth verify` exits 0 exactly for the trusted
# ones. Then: the timeline, the claimed signingTime deciding nothing, every blocklist format,
# malformed blocklist lines, ignored and stale CRLs, a CRL directory. The trust anchors are the
# fixture roots only (--ca-file), never the system. No PE file is ever executed.
# jq filters are in single quotes on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -u

# shellcheck source=tests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
tap_init rev jq openssl osslsigncode python3 timeout date
FX=$BUILD/fixtures

REV=(r01-superseded-ts-before.exe r02-superseded-ts-before-claim-late.exe r03-superseded-undated.exe
	r04-superseded-undated-claim-late.exe r05-duqu-ts-2011-09-01.exe r06-duqu-ts-2011-07-01.exe
	r07-duqu-ts-2012-09-01.exe r08-duqu-undated.exe r09-carbanak-ts-2014-08-20.exe
	r10-carbanak-ts-2014-11-27.exe r11-carbanak-ts-2014-07-20.exe r12-noreason-ts-before.exe
	r13-noreason-ts-after.exe r14-tsa-revoked-before-ts.exe r15-tsa-revoked-after-ts.exe
	r16-blocklisted-signer.exe r17-fresh-cert.exe r18-company-microsoft.exe r19-company-own.exe
	r20-company-other.exe r21-repro.exe r22-hash-stamp-no-repro.exe r23-noreason-ts-at-revocation.exe
	r24-affiliation-ts-after-invalidity.exe r25-affiliation-ts-before-invalidity.exe
	r26-aacompromise-ts-before.exe r27-cacompromise-ts-before.exe)
PKI_FILES=(root.pem tsaroot.pem crls/root.crl crls/inter.crl crls/tsaroot.crl inter-wrongkey.crl
	inter-stale.crl blocklist-sha1.txt blocklist-sha256.txt blocklist-abusech.csv blocklist.crb
	blocklist-anyserial.crb blocklist-malformed.txt)
need=0
for f in "${REV[@]/#/revocation/}" "${PKI_FILES[@]/#/pki/}" SCENARIOS.txt 01-valid-ts.exe; do
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
RV=$FX/revocation
ANCHORS=(--ca-file "$PKI/root.pem" --ca-file "$PKI/tsaroot.pem")
CRLS=(--crl "$PKI/crls/root.crl" --crl "$PKI/crls/inter.crl" --crl "$PKI/crls/tsaroot.crl")


# ------------------------------------------------------------------ what openssl says

iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
# NAME_OF[sha256] = the pki name; SHA[name] = its SHA-256; SUBJ[name] = its subject (RFC 2253)
declare -A NAME_OF SHA SUBJ
for c in root inter leaf expired tsaroot tsa utsaroot utsa duqu carbanak superseded noreason fresh \
	blocked affil aacomp cacomp rtsa; do
	p=$PKI/$c.pem
	h=$(openssl x509 -in "$p" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')
	SHA[$c]=$h
	NAME_OF[$h]=$c
	SUBJ[$c]=$(openssl x509 -in "$p" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
done
eq "fixture PKI: the Duqu-like leaf is valid 2010-08-03..2012-08-02 (Symantec's dates)" \
	"2010-08-03T00:00:00Z 2012-08-02T00:00:00Z" \
	"$(iso "$(openssl x509 -in "$PKI/duqu.pem" -noout -startdate | sed 's/^notBefore=//')") $(iso "$(openssl x509 -in "$PKI/duqu.pem" -noout -enddate | sed 's/^notAfter=//')")"
# The CRLs as openssl reads them: issuer, dates, and per serial the date, reason, invalidity.
crl_text() { openssl crl -in "$1" -inform "$2" -noout -text 2>/dev/null; }
# crl_verify CRL FORM CA: what openssl says of the CRL's signature with CA's key ("verify OK" or
# "verify failure"; its exit status is 0 either way).
crl_verify() { openssl crl -in "$1" -inform "$2" -CAfile "$3" -noout 2>&1 | grep -o 'verify [a-zA-Z]*'; }
eq "pki/crls/inter.crl: issued by the intermediate, 2024-06-01..2089-12-31, 7 entries" \
	"${SUBJ[inter]} Jun  1 00:00:00 2024 GMT|Dec 31 00:00:00 2089 GMT 7" \
	"$(openssl crl -in "$PKI/crls/inter.crl" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//') $(openssl crl -in "$PKI/crls/inter.crl" -noout -lastupdate -nextupdate | sed 's/^[a-zA-Z]*=//' | paste -sd'|') $(crl_text "$PKI/crls/inter.crl" PEM | grep -c 'Serial Number:')"
eq "pki/crls/inter.crl verifies with the intermediate's key" "verify OK" \
	"$(crl_verify "$PKI/crls/inter.crl" PEM "$PKI/inter.pem")"
eq "pki/crls/inter.crl: the Duqu-like leaf revoked 2011-10-14, keyCompromise, invalidityDate 2011-08-01" \
	"Revocation Date: Oct 14 00:00:00 2011 GMT|CRL entry extensions:|X509v3 CRL Reason Code:|Key Compromise|Invalidity Date:|Aug  1 00:00:00 2011 GMT" \
	"$(crl_text "$PKI/crls/inter.crl" PEM | grep -A6 'Serial Number: 31A1' | tail -n +2 | sed 's/^ *//; s/ *$//' | paste -sd'|')"
eq "pki/crls/inter.crl: the reasonless entry has no CRL entry extension" "" \
	"$(crl_text "$PKI/crls/inter.crl" PEM | grep -A2 'Serial Number: 34A1' | grep -i 'extensions')"
eq "pki/crls/inter.crl: rewritten reasons are affiliationChanged and aACompromise" "Affiliation Changed|AA Compromise" \
	"$(for s in 37A1 38A1; do crl_text "$PKI/crls/inter.crl" PEM | grep -A4 "Serial Number: $s" | sed -n '5p' | sed 's/^ *//'; done | paste -sd'|')"
eq "pki/crls/tsaroot.crl is DER and verifies with the TSA root's key" "verify OK" \
	"$(crl_verify "$PKI/crls/tsaroot.crl" DER "$PKI/tsaroot.pem")"
eq "pki/inter-wrongkey.crl names the intermediate as issuer but does not verify with its key" \
	"issuer=${SUBJ[inter]} verify failure" \
	"$(openssl crl -in "$PKI/inter-wrongkey.crl" -noout -issuer -nameopt RFC2253) $(crl_verify "$PKI/inter-wrongkey.crl" PEM "$PKI/inter.pem")"
eq "pki/inter-stale.crl verifies with the intermediate's key, 2011-11-01..2011-12-01" \
	"verify OK Nov  1 00:00:00 2011 GMT|Dec  1 00:00:00 2011 GMT" \
	"$(crl_verify "$PKI/inter-stale.crl" PEM "$PKI/inter.pem") $(openssl crl -in "$PKI/inter-stale.crl" -noout -lastupdate -nextupdate | sed 's/^[a-zA-Z]*=//' | paste -sd'|')"

# ------------------------------------------------------------------ running pesleuth

# opts MODE: the options of a mode. strict/date: the anchors, the three CRL files,
# --revocation-policy MODE; nocrl: the anchors only; dir: the anchors, --crl pki/crls (a
# directory), the default policy.
opts() {
	case $1 in
	strict | date) OPTS=("${ANCHORS[@]}" "${CRLS[@]}" --revocation-policy "$1") ;;
	nocrl) OPTS=("${ANCHORS[@]}") ;;
	dir) OPTS=("${ANCHORS[@]}" --crl "$PKI/crls") ;;
	*) echo "Bail out! unknown mode $1" && exit 2 ;;
	esac
}
# js FILE OPTIONS...: show --json into $T/js.json, stderr into $T/js.err; JSTATUS its exit.
JSTATUS=0
js() {
	local f=$1
	shift
	timeout 20 "$PS" show --json "$@" "$f" >"$T/js.json" 2>"$T/js.err" </dev/null
	JSTATUS=$?
}
# fjq FILE MODE FILTER...: FILTER on the saved output of FILE in MODE.
fjq() {
	local f=$1 m=$2
	shift 2
	jq -r "$@" "$T/$f.$m.json" 2>/dev/null || echo "ERROR(jq)"
}

# The fixed times of make-signed.sh.
TS=2024-01-15T12:00:00Z
OLD=2011-06-15T12:00:00Z
LATE=2015-01-01T12:00:00Z
DUQU=2011-09-01T12:00:00Z
DUQU_EARLY=2011-07-01T12:00:00Z
DUQU_LATE=2012-09-01T12:00:00Z
DUQU_REV=2011-10-14T00:00:00Z
DUQU_INV=2011-08-01T00:00:00Z
CARB1=2014-08-20T12:00:00Z
CARB2=2014-11-27T12:00:00Z
CARB_EARLY=2014-07-20T12:00:00Z
CARB_REV=2014-08-05T00:00:00Z
REV24=2024-06-01T00:00:00Z
AFTER24=2024-07-01T12:00:00Z
PRE_INV=2023-12-15T12:00:00Z
AFFIL_INV=2024-01-01T00:00:00Z
PRE_RTSA=2023-01-10T12:00:00Z
RTSA_REV=2023-06-01T00:00:00Z
COMPILED=2023-11-14T22:13:20Z
START=$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)

# The SIG-/CERT-/TS-/TIME- findings as sorted "ID:severity" (comma-separated).
FINDINGS='[.findings[] | select(.id | test("^(SIG|CERT|TS|TIME)-")) | "\(.id):\(.severity)"] | unique | join(",")'
# The revocation[] entries of the first signature as sorted "name[/tsa]:state".
REVSET='[.signatures[0].revocation[] | "\($names[.cert_sha256] // .subject)\(if .tsa then "/tsa" else "" end):\(.state)"] | sort | join(" ")'
NAMES_JSON=$(for h in "${!NAME_OF[@]}"; do printf '%s\t%s\n' "$h" "${NAME_OF[$h]}"; done |
	jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t") | {key: .[0], value: .[1]}) | from_entries')

# expect FILE MODE STATUS TRUSTED SIGNING_TIME FINDINGS REVSET
#   FILE          a name of revocation/ (rNN-...) or of the fixture directory (NN-...)
#   STATUS        file.code_signature.status and the signature's status; TRUSTED its trusted;
#                 valid is true in every scenario here
#   SIGNING_TIME  the trusted signing time (ISO) or null
#   FINDINGS      the exact sorted set of SIG-/CERT-/TS-/TIME- "ID:severity" ("" none)
#   REVSET        the revocation[] entries, sorted "name[/tsa]:state" (name: pki name)
# Also: no other finding of medium or above; CERT-REVOCATION-UNKNOWN (info) exactly when a CRL
# was given and an entry is unknown; without CRLs every entry unknown; verify's exit code.
expect() {
	local f=$1 m=$2 status=$3 trusted=$4 st=$5 findings=$6 revset=$7 path
	path=$RV/$f
	[ -e "$path" ] || path=$FX/$f
	opts "$m"
	js "$path" "${OPTS[@]}"
	if [ "$JSTATUS" != 0 ] || [ "$(jq -s length "$T/js.json" 2>/dev/null)" != 1 ]; then
		fail "$f [$m]: show --json exits 0 with one JSON object" "exit $JSTATUS" "$(head -c 500 "$T/js.err")"
		return
	fi
	cp "$T/js.json" "$T/$f.$m.json"
	eq "$f [$m]: code_signature status $status, trusted $trusted, valid true; signature 0 $status, signing time $st" \
		"true $status $trusted true $status $st" \
		"$(jqv '"\(.file.code_signature | "\(.exists) \(.status) \(.trusted) \(.valid)") \(.signatures[0].status) \(.signatures[0].signing_time)"')"
	eq "$f [$m]: findings are exactly {$findings}" "$findings" "$(jqv "$FINDINGS")"
	eq "$f [$m]: no other finding of severity medium or above" "" \
		"$(jqv '[.findings[] | select(.id | test("^(SIG|CERT|TS|TIME)-") | not)
		    | select(.severity == "medium" or .severity == "high" or .severity == "critical") | .id] | join(",")')"
	eq "$f [$m]: revocation[] entries {$revset}" "$revset" "$(jqv --argjson names "$NAMES_JSON" "$REVSET")"
	local crls=true
	[ "$m" = nocrl ] && crls=false
	eq "$f [$m]: CERT-REVOCATION-UNKNOWN (info) exactly when CRLs were given and an entry is unknown" \
		"$(jqv --argjson crls "$crls" 'if $crls and ([.signatures[0].revocation[] | select(.state == "unknown")] | length > 0) then "info" else "absent" end')" \
		"$(jqv '[.findings[] | select(.id == "CERT-REVOCATION-UNKNOWN") | .severity] | if length == 0 then "absent" else join(",") end')"
	if [ "$m" = nocrl ]; then
		eq "$f [$m]: without CRLs every entry is unknown and nothing is revoked" "" \
			"$(jqv '[.signatures[0].revocation[] | select(.state != "unknown" or .revoked or .voids_signature)] | map(.subject) | join(",")')"
	fi
	opts "$m"
	timeout 20 "$PS" verify "${OPTS[@]}" "$path" >"$T/verify.out" 2>&1 </dev/null
	local rc=$?
	eq "$f [$m]: verify exits $([ "$trusted" = true ] && echo 0 || echo 1)" \
		"$([ "$trusted" = true ] && echo 0 || echo 1)" "$rc"
}

# facts FILE MODE NAME "state|revocation_time|reason|reason_code_present|invalidity_date|judged_at|signed_after_revocation|voids_signature"
#   the revocation[] entry of certificate NAME (not of a TSA chain unless NAME is a TSA).
#   judged_at "now": no trusted time, judged at now — reported as null or as a time of this run.
facts() {
	local f=$1 m=$2 name=$3 want=$4 got
	got=$(fjq "$f" "$m" --arg h "${SHA[$name]}" --arg start "$START" --arg want "$want" \
		'[.signatures[0].revocation[] | select(.cert_sha256 == $h)
		  | "\(.state)|\(.revocation_time)|\(.reason)|\(.reason_code_present)|\(.invalidity_date)|\(
		      if ($want | split("|")[5]) == "now" and (.judged_at == null or .judged_at >= $start) then "now" else .judged_at end
		    )|\(.signed_after_revocation)|\(.voids_signature)"] | join(" ")')
	eq "$f [$m]: $name: state|revocation_time|reason|code_present|invalidity|judged_at|after|voids" "$want" "$got"
}

# ------------------------------------------------------------------ the scenarios

F_TIME=TIME-COMPILE-AFTER-SIGNING:high
TSA_G="tsa/tsa:good"
# r01/r02: superseded, revoked 2024-06-01; timestamped 2024-01-15: revoked after signing, not a
# compromise: a high finding, the signature stands under both policies.
for f in r01-superseded-ts-before.exe r02-superseded-ts-before-claim-late.exe; do
	for m in strict date; do
		expect "$f" "$m" Valid true "$TS" "CERT-REVOKED-AFTER-SIGNING:high" "inter:good superseded:revoked $TSA_G"
		facts "$f" "$m" superseded "revoked|$REV24|superseded|true|null|$TS|false|false"
	done
	expect "$f" nocrl Valid true "$TS" "" "inter:unknown superseded:unknown tsa/tsa:unknown"
done
# r03/r04: the same certificate without a timestamp: nothing dates the signature; the claim
# (before the revocation in r03, after it in r04) decides nothing.
for f in r03-superseded-undated.exe r04-superseded-undated-claim-late.exe; do
	for m in strict date; do
		expect "$f" "$m" Revoked false null "CERT-REVOKED-UNDATED:critical" "inter:good superseded:revoked"
		facts "$f" "$m" superseded "revoked|$REV24|superseded|true|null|now|false|true"
	done
	expect "$f" nocrl Valid true null "" "inter:unknown superseded:unknown"
done
# r05/r06: the Duqu case: keyCompromise on 2011-10-14, timestamped before it. strict voids the
# signature, date (Windows) keeps it valid; critical either way.
for m in strict date; do
	v=$([ $m = strict ] && echo true || echo false)
	s=$([ $m = strict ] && echo Revoked || echo Valid)
	t=$([ $m = strict ] && echo false || echo true)
	expect r05-duqu-ts-2011-09-01.exe $m "$s" "$t" "$DUQU" "CERT-REVOKED-AFTER-SIGNING:critical,$F_TIME" "duqu:revoked inter:good $TSA_G"
	facts r05-duqu-ts-2011-09-01.exe $m duqu "revoked|$DUQU_REV|keyCompromise|true|$DUQU_INV|$DUQU|false|$v"
	expect r06-duqu-ts-2011-07-01.exe $m "$s" "$t" "$DUQU_EARLY" "CERT-REVOKED-AFTER-SIGNING:critical,$F_TIME" "duqu:revoked inter:good $TSA_G"
	facts r06-duqu-ts-2011-07-01.exe $m duqu "revoked|$DUQU_REV|keyCompromise|true|$DUQU_INV|$DUQU_EARLY|false|$v"
	eq "r05 [$m]: CERT-REVOKED-AFTER-SIGNING evidence: voids $v, signed after the invalidityDate" \
		"$v true ${SUBJ[duqu]} 31a1 $DUQU" \
		"$(fjq r05-duqu-ts-2011-09-01.exe $m '.findings[] | select(.id == "CERT-REVOKED-AFTER-SIGNING") | .evidence | "\(.voids_signature) \(.signed_after_invalidity_date) \(.certificate) \(.serial) \(.signing_time)"')"
	eq "r06 [$m]: CERT-REVOKED-AFTER-SIGNING evidence: signed before the invalidityDate" "false" \
		"$(fjq r06-duqu-ts-2011-07-01.exe $m '.findings[] | select(.id == "CERT-REVOKED-AFTER-SIGNING") | .evidence.signed_after_invalidity_date')"
done
expect r05-duqu-ts-2011-09-01.exe nocrl Valid true "$DUQU" "$F_TIME" "duqu:unknown inter:unknown tsa/tsa:unknown"
# r07: stamped after the revocation and after the notAfter: revoked and expired; Revoked wins.
for m in strict date; do
	expect r07-duqu-ts-2012-09-01.exe $m Revoked false "$DUQU_LATE" \
		"CERT-EXPIRED-AT-SIGNING:high,CERT-SIGNED-AFTER-REVOCATION:critical,$F_TIME" "duqu:revoked inter:good $TSA_G"
	facts r07-duqu-ts-2012-09-01.exe $m duqu "revoked|$DUQU_REV|keyCompromise|true|$DUQU_INV|$DUQU_LATE|true|true"
done
expect r07-duqu-ts-2012-09-01.exe nocrl Expired false "$DUQU_LATE" "CERT-EXPIRED-AT-SIGNING:high,$F_TIME" \
	"duqu:unknown inter:unknown tsa/tsa:unknown"
# r08: no timestamp (the claim says 2011-09-01, before the revocation): undated, judged now
# (expired too).
for m in strict date; do
	expect r08-duqu-undated.exe $m Revoked false null "CERT-EXPIRED:low,CERT-REVOKED-UNDATED:critical" "duqu:revoked inter:good"
	facts r08-duqu-undated.exe $m duqu "revoked|$DUQU_REV|keyCompromise|true|$DUQU_INV|now|false|true"
done
expect r08-duqu-undated.exe nocrl Expired false null "CERT-EXPIRED:low" "duqu:unknown inter:unknown"
# r09/r10: the Carbanak case: revoked 2014-08-05 (unspecified), stamped after it (claiming
# 2014-08-01): signed after revocation under both policies.
for m in strict date; do
	expect r09-carbanak-ts-2014-08-20.exe $m Revoked false "$CARB1" "CERT-SIGNED-AFTER-REVOCATION:critical,$F_TIME" "carbanak:revoked inter:good $TSA_G"
	facts r09-carbanak-ts-2014-08-20.exe $m carbanak "revoked|$CARB_REV|unspecified|true|null|$CARB1|true|true"
	expect r10-carbanak-ts-2014-11-27.exe $m Revoked false "$CARB2" "CERT-SIGNED-AFTER-REVOCATION:critical,$F_TIME" "carbanak:revoked inter:good $TSA_G"
	facts r10-carbanak-ts-2014-11-27.exe $m carbanak "revoked|$CARB_REV|unspecified|true|null|$CARB2|true|true"
	# r11: the same certificate stamped before the revocation: unspecified is critical but no
	# compromise: the signature stands under both policies.
	expect r11-carbanak-ts-2014-07-20.exe $m Valid true "$CARB_EARLY" "CERT-REVOKED-AFTER-SIGNING:critical,$F_TIME" "carbanak:revoked inter:good $TSA_G"
	facts r11-carbanak-ts-2014-07-20.exe $m carbanak "revoked|$CARB_REV|unspecified|true|null|$CARB_EARLY|false|false"
	eq "r09 [$m]: CERT-SIGNED-AFTER-REVOCATION evidence: the certificate, revocation and signing time" \
		"${SUBJ[carbanak]} 32a1 $CARB_REV unspecified $CARB1" \
		"$(fjq r09-carbanak-ts-2014-08-20.exe $m '.findings[] | select(.id == "CERT-SIGNED-AFTER-REVOCATION") | .evidence | "\(.certificate) \(.serial) \(.revocation_time) \(.reason) \(.signing_time)"')"
done
expect r09-carbanak-ts-2014-08-20.exe nocrl Valid true "$CARB1" "$F_TIME" "carbanak:unknown inter:unknown tsa/tsa:unknown"
# r12/r13/r23: revoked 2024-06-01 without a reasonCode ("unspecified", reason_code_present false).
for m in strict date; do
	expect r12-noreason-ts-before.exe $m Valid true "$TS" "CERT-REVOKED-AFTER-SIGNING:critical" "inter:good noreason:revoked $TSA_G"
	facts r12-noreason-ts-before.exe $m noreason "revoked|$REV24|unspecified|false|null|$TS|false|false"
	expect r13-noreason-ts-after.exe $m Revoked false "$AFTER24" "CERT-SIGNED-AFTER-REVOCATION:critical" "inter:good noreason:revoked $TSA_G"
	facts r13-noreason-ts-after.exe $m noreason "revoked|$REV24|unspecified|false|null|$AFTER24|true|true"
	# signing time == revocation time: signed after revocation (S >= revocation_time)
	expect r23-noreason-ts-at-revocation.exe $m Revoked false "$REV24" "CERT-SIGNED-AFTER-REVOCATION:critical" "inter:good noreason:revoked $TSA_G"
	facts r23-noreason-ts-at-revocation.exe $m noreason "revoked|$REV24|unspecified|false|null|$REV24|true|true"
done
# r14: the TSA certificate was revoked (2023-06-01) before its timestamp (2024-01-15): the
# timestamp is no signing time, the signature is judged now, where the leaf is fine.
for m in strict date; do
	expect r14-tsa-revoked-before-ts.exe $m Valid true null "CERT-SIGNED-AFTER-REVOCATION:critical,TS-UNTRUSTED:low" \
		"inter:good leaf:good rtsa/tsa:revoked"
	facts r14-tsa-revoked-before-ts.exe $m rtsa "revoked|$RTSA_REV|keyCompromise|true|null|$TS|true|true"
	facts r14-tsa-revoked-before-ts.exe $m leaf "good|null|null|false|null|now|false|false"
	eq "r14 [$m]: the finding names the TSA and the timestamp's time; TS-UNTRUSTED says why" \
		"${SUBJ[rtsa]} $TS|a certificate of the TSA chain is revoked $TS false" \
		"$(fjq r14-tsa-revoked-before-ts.exe $m '"\(.findings[] | select(.id == "CERT-SIGNED-AFTER-REVOCATION") | .evidence | "\(.certificate) \(.timestamp_time)")|\(.findings[] | select(.id == "TS-UNTRUSTED") | .evidence | "\(.reason) \(.claimed_time)") \(.signatures[0].timestamp.verified)"')"
done
expect r14-tsa-revoked-before-ts.exe nocrl Valid true "$TS" "" "inter:unknown leaf:unknown rtsa/tsa:unknown"
# r15: the TSA certificate was revoked for keyCompromise after its timestamp: strict voids the
# timestamp (judged now), date keeps it (judged at 2023-01-10, before the link time).
expect r15-tsa-revoked-after-ts.exe strict Valid true null "CERT-REVOKED-AFTER-SIGNING:critical,TS-UNTRUSTED:low" \
	"inter:good leaf:good rtsa/tsa:revoked"
facts r15-tsa-revoked-after-ts.exe strict rtsa "revoked|$RTSA_REV|keyCompromise|true|null|$PRE_RTSA|false|true"
expect r15-tsa-revoked-after-ts.exe date Valid true "$PRE_RTSA" "CERT-REVOKED-AFTER-SIGNING:critical,$F_TIME" \
	"inter:good leaf:good rtsa/tsa:revoked"
facts r15-tsa-revoked-after-ts.exe date rtsa "revoked|$RTSA_REV|keyCompromise|true|null|$PRE_RTSA|false|false"
facts r15-tsa-revoked-after-ts.exe date leaf "good|null|null|false|null|$PRE_RTSA|false|false"
# r16: not revoked; blocklisted only with a blocklist (below).
for m in strict date; do
	expect r16-blocklisted-signer.exe $m Valid true "$TS" "" "blocked:good inter:good $TSA_G"
done
# r17: issued two days before the timestamp (validity two years).
for m in strict date; do
	expect r17-fresh-cert.exe $m Valid true "$TS" "CERT-FRESH-AT-SIGNING:low" "fresh:good inter:good $TSA_G"
done
eq "r17: CERT-FRESH-AT-SIGNING evidence: the certificate, its notBefore and the signing time" \
	"${SUBJ[fresh]} 2024-01-13T12:00:00Z $TS" \
	"$(fjq r17-fresh-cert.exe strict '.findings[] | select(.id == "CERT-FRESH-AT-SIGNING") | .evidence | "\(.certificate) \(.not_before) \(.signing_time)"')"
# r18-r20: VERSIONINFO CompanyName vs the signer's O ("pesleuth tests").
for m in strict date; do
	expect r18-company-microsoft.exe $m Valid true "$TS" "SIG-PUBLISHER-MISMATCH:high" "inter:good leaf:good $TSA_G"
	expect r19-company-own.exe $m Valid true "$TS" "" "inter:good leaf:good $TSA_G"
	expect r20-company-other.exe $m Valid true "$TS" "SIG-PUBLISHER-MISMATCH:low" "inter:good leaf:good $TSA_G"
done
eq "r18: SIG-PUBLISHER-MISMATCH evidence: the claimed company, the well-known publisher, the signer" \
	"Microsoft Corporation|microsoft|pesleuth tests" \
	"$(fjq r18-company-microsoft.exe strict '.findings[] | select(.id == "SIG-PUBLISHER-MISMATCH") | .evidence | "\(.company_name)|\(.claimed_publisher)|\(.signer)"')"
eq "r20: SIG-PUBLISHER-MISMATCH (low) names no well-known publisher" "Contoso Ltd|null" \
	"$(fjq r20-company-other.exe strict '.findings[] | select(.id == "SIG-PUBLISHER-MISMATCH") | .evidence | "\(.company_name)|\(.claimed_publisher)"')"
eq "r19: the VERSIONINFO CompanyName is read" "pesleuth tests" \
	"$(fjq r19-company-own.exe strict '.file.pe.company')"
# r21/r22: a REPRO debug entry makes the hash-like COFF stamp no time: no TIME- finding, no
# compile point in the timeline; the same stamp without it is a compile time after signing
# (and in the future).
for m in strict date; do
	expect r21-repro.exe $m Valid true "$TS" "" "inter:good leaf:good $TSA_G"
	expect r22-hash-stamp-no-repro.exe $m Valid true "$TS" "TIME-COMPILE-AFTER-SIGNING:high,TIME-COMPILE-FUTURE:low" "inter:good leaf:good $TSA_G"
done
eq "r21: reproducible, compile_time null, no compile point in the timeline" "true null 0" \
	"$(fjq r21-repro.exe strict '"\(.file.pe.reproducible) \(.file.pe.compile_time) \([.timeline[] | select(.event | startswith("compiled"))] | length)"')"
eq "r22: not reproducible, the stamp is the compile time and a timeline point" \
	"false 2091-01-19T02:36:50Z 2091-01-19T02:36:50Z" \
	"$(fjq r22-hash-stamp-no-repro.exe strict '"\(.file.pe.reproducible) \(.file.pe.compile_time) \(.timeline[] | select(.event | startswith("compiled")) | .time)"')"
# r24/r25: affiliationChanged (not a compromise) with invalidityDate 2024-01-01: critical when
# signed at or after the invalidityDate, high before it; never void.
for m in strict date; do
	expect r24-affiliation-ts-after-invalidity.exe $m Valid true "$TS" "CERT-REVOKED-AFTER-SIGNING:critical" "affil:revoked inter:good $TSA_G"
	facts r24-affiliation-ts-after-invalidity.exe $m affil "revoked|$REV24|affiliationChanged|true|$AFFIL_INV|$TS|false|false"
	expect r25-affiliation-ts-before-invalidity.exe $m Valid true "$PRE_INV" "CERT-REVOKED-AFTER-SIGNING:high" "affil:revoked inter:good $TSA_G"
	facts r25-affiliation-ts-before-invalidity.exe $m affil "revoked|$REV24|affiliationChanged|true|$AFFIL_INV|$PRE_INV|false|false"
	eq "r24/r25 [$m]: signed_after_invalidity_date true / false" "true false" \
		"$(fjq r24-affiliation-ts-after-invalidity.exe $m '.findings[] | select(.id == "CERT-REVOKED-AFTER-SIGNING") | .evidence.signed_after_invalidity_date') $(fjq r25-affiliation-ts-before-invalidity.exe $m '.findings[] | select(.id == "CERT-REVOKED-AFTER-SIGNING") | .evidence.signed_after_invalidity_date')"
done
# r26/r27: revoked for aACompromise / cACompromise after the timestamp: void under strict only.
for m in strict date; do
	v=$([ $m = strict ] && echo true || echo false)
	s=$([ $m = strict ] && echo Revoked || echo Valid)
	t=$([ $m = strict ] && echo false || echo true)
	expect r26-aacompromise-ts-before.exe $m "$s" "$t" "$TS" "CERT-REVOKED-AFTER-SIGNING:critical" "aacomp:revoked inter:good $TSA_G"
	facts r26-aacompromise-ts-before.exe $m aacomp "revoked|$REV24|aACompromise|true|null|$TS|false|$v"
	expect r27-cacompromise-ts-before.exe $m "$s" "$t" "$TS" "CERT-REVOKED-AFTER-SIGNING:critical" "cacomp:revoked inter:good $TSA_G"
	facts r27-cacompromise-ts-before.exe $m cacomp "revoked|$REV24|cACompromise|true|null|$TS|false|$v"
done
# tests/signatures.sh's scenarios with the CRLs: nothing revoked, every certificate "good"
# (judged at the trusted timestamp, or now); expired with a timestamp inside / outside the
# validity, not yet valid at signing, and an untrusted TSA (judged now; its certificate's
# issuer publishes no CRL here: unknown).
for m in strict date; do
	expect 01-valid-ts.exe $m Valid true "$TS" "" "inter:good leaf:good $TSA_G"
	facts 01-valid-ts.exe $m leaf "good|null|null|false|null|$TS|false|false"
	expect 02-valid-nots.exe $m Valid true null "" "inter:good leaf:good"
	facts 02-valid-nots.exe $m leaf "good|null|null|false|null|now|false|false"
	expect 16-expired-nots.exe $m Expired false null "CERT-EXPIRED:low" "expired:good inter:good"
	expect 17-expired-ts-inside.exe $m Valid true "$OLD" "$F_TIME" "expired:good inter:good $TSA_G"
	facts 17-expired-ts-inside.exe $m expired "good|null|null|false|null|$OLD|false|false"
	expect 18-ts-after-expiry.exe $m Expired false "$LATE" "CERT-EXPIRED-AT-SIGNING:high,$F_TIME" "expired:good inter:good $TSA_G"
	expect 19-ts-before-validity.exe $m Expired false "$LATE" "CERT-EXPIRED-AT-SIGNING:high,$F_TIME" "inter:good leaf:good $TSA_G"
	expect 20-ts-untrusted-tsa.exe $m Valid true null "CERT-REVOCATION-UNKNOWN:info,TS-UNTRUSTED:low" "inter:good leaf:good utsa/tsa:unknown"
done
expect 01-valid-ts.exe nocrl Valid true "$TS" "" "inter:unknown leaf:unknown tsa/tsa:unknown"
expect 02-valid-nots.exe nocrl Valid true null "" "inter:unknown leaf:unknown"

eq "every file of revocation/ is a tested scenario" "$(printf '%s\n' "${REV[@]}")" "$(cd "$RV" && ls -1 -- *.exe)"
eq "SCENARIOS.txt describes every revocation scenario" "" \
	"$(for f in "${REV[@]}"; do grep -q "^$f " "$FX/SCENARIOS.txt" || echo "$f"; done)"

# ------------------------------------------------------------------ the timeline

# tl FILE MODE EVENT-PREFIX: the time of the first timeline point whose event starts so.
tl() { fjq "$1" "$2" --arg e "$3" '[.timeline[] | select(.event | startswith($e)) | .time][0]'; }
for f in "${REV[@]}"; do
	for m in strict date; do
		eq "$f [$m]: the timeline is sorted by time and ends with its latest point" "true" \
			"$(fjq "$f" $m '[.timeline[].time] as $t | $t == ($t | sort)')"
	done
done
for m in strict date; do
	# Duqu: signed (trusted timestamp), then revoked; the key compromised before both.
	eq "r05 [$m]: timeline: valid from < key compromised since < signed < revoked < valid until < compiled" \
		"2010-08-03T00:00:00Z $DUQU_INV $DUQU $DUQU_REV 2012-08-02T00:00:00Z $COMPILED" \
		"$(for e in "certificate valid from" "key compromised since" "signed (trusted timestamp)" "certificate revoked" "certificate valid until" "compiled"; do tl r05-duqu-ts-2011-09-01.exe $m "$e"; done | paste -sd' ')"
	eq "r05 [$m]: the revocation point comes after the trusted signing point" "true" \
		"$(fjq r05-duqu-ts-2011-09-01.exe $m '[.timeline[].event] | (index("certificate revoked") > index("signed (trusted timestamp)"))')"
	# Carbanak: revoked, then signed.
	for f in r09-carbanak-ts-2014-08-20.exe r10-carbanak-ts-2014-11-27.exe; do
		eq "$f [$m]: the revocation point comes before the trusted signing point" "true" \
			"$(fjq "$f" $m '[.timeline[].event] | (index("certificate revoked") < index("signed (trusted timestamp)"))')"
	done
	eq "r09 [$m]: timeline: claimed 2014-08-01 < revoked (unspecified) < signed 2014-08-20" \
		"2014-08-01T12:00:00Z $CARB_REV:unspecified $CARB1" \
		"$(tl r09-carbanak-ts-2014-08-20.exe $m "signingTime claimed") $(fjq r09-carbanak-ts-2014-08-20.exe $m '.timeline[] | select(.event == "certificate revoked") | "\(.time):\(.detail)"') $(tl r09-carbanak-ts-2014-08-20.exe $m "signed (trusted timestamp)")"
	eq "r03 [$m]: undated: no signing point, the claim and the revocation are points, now is one" \
		"null 2024-03-09T16:00:00Z $REV24 true" \
		"$(tl r03-superseded-undated.exe $m "signed") $(tl r03-superseded-undated.exe $m "signingTime claimed") $(tl r03-superseded-undated.exe $m "certificate revoked") $(fjq r03-superseded-undated.exe $m --arg s "$START" '[.timeline[] | select(.event == "now") | .time >= $s] == [true]')"
	eq "r14 [$m]: the untrusted timestamp is a 'timestamp (not trusted)' point; the TSA revocation is a point" \
		"$TS $RTSA_REV" \
		"$(tl r14-tsa-revoked-before-ts.exe $m "timestamp (not trusted)") $(tl r14-tsa-revoked-before-ts.exe $m "TSA certificate revoked")"
done
eq "r01 [nocrl]: without CRLs no revocation point" "0" \
	"$(fjq r01-superseded-ts-before.exe nocrl '[.timeline[] | select(.event | test("revoked|compromised"))] | length')"

# ------------------------------------------------------------------ claims decide nothing

# The results of two files that differ only in their signingTime claim, per policy: status,
# trust, signing time, findings with their evidence, revocation[] and the timeline without the
# claim and now.
SAME='{cs: (.file.code_signature | {status, trusted, valid, timestamp}), sig: (.signatures[0] | {status, signing_time, revocation}),
       findings: [.findings[] | {id, severity, evidence: (.evidence | del(.evaluated_at, .now))}], timeline: [.timeline[] | select(.event != "now" and (.event | startswith("signingTime") | not))]}'
for pair in "r01-superseded-ts-before.exe r02-superseded-ts-before-claim-late.exe" \
	"r03-superseded-undated.exe r04-superseded-undated-claim-late.exe"; do
	read -r a b <<<"$pair"
	for m in strict date nocrl; do
		eq "${a%%-*}/${b%%-*} [$m]: the claims differ (before / after the revocation date)" \
			"2024-03-09T16:00:00Z 2025-01-01T12:00:00Z" \
			"$(fjq "$a" $m '.signatures[0].claimed_signing_time') $(fjq "$b" $m '.signatures[0].claimed_signing_time')"
		eq "${a%%-*}/${b%%-*} [$m]: ... and nothing else does" "$(fjq "$a" $m -S -c "$SAME")" "$(fjq "$b" $m -S -c "$SAME")"
	done
done

# ------------------------------------------------------------------ CRL variants

# crlrun FILE DESC EXPECTED CRL...: strict policy with these CRLs only; EXPECTED is
# "status findings revset".
crlrun() {
	local f=$1 d=$2 want=$3 path
	shift 3
	path=$RV/$f
	[ -e "$path" ] || path=$FX/$f
	local args=("${ANCHORS[@]}") c
	for c in "$@"; do args+=(--crl "$c"); done
	js "$path" "${args[@]}"
	eq "$f: $d" "$want" \
		"$(jqv --argjson names "$NAMES_JSON" '"\(.file.code_signature.status) \('"$FINDINGS"') \('"$REVSET"')"')"
}
C=$PKI/crls
crlrun 01-valid-ts.exe "a CRL in the issuer's name signed with another key is ignored: unknown, not revoked" \
	"Valid CERT-REVOCATION-UNKNOWN:info inter:good leaf:unknown tsa/tsa:good" \
	"$C/root.crl" "$PKI/inter-wrongkey.crl" "$C/tsaroot.crl"
eq "01: ... and the unknown entry names no CRL issuer" "null null" \
	"$(jqv --arg h "${SHA[leaf]}" '.signatures[0].revocation[] | select(.cert_sha256 == $h) | "\(.crl_issuer) \(.revocation_time)"')"
crlrun 01-valid-ts.exe "the wrong-key CRL next to the genuine one changes nothing: good" \
	"Valid  inter:good leaf:good tsa/tsa:good" \
	"$C/root.crl" "$PKI/inter-wrongkey.crl" "$C/inter.crl" "$C/tsaroot.crl"
crlrun 01-valid-ts.exe "a stale CRL (nextUpdate 2011-12-01 < the signing time) does not say good: unknown" \
	"Valid CERT-REVOCATION-UNKNOWN:info inter:good leaf:unknown tsa/tsa:good" \
	"$C/root.crl" "$PKI/inter-stale.crl" "$C/tsaroot.crl"
eq "01: ... the entry shows the stale CRL's dates" "2011-11-01T00:00:00Z 2011-12-01T00:00:00Z" \
	"$(jqv --arg h "${SHA[leaf]}" '.signatures[0].revocation[] | select(.cert_sha256 == $h) | "\(.crl_this_update) \(.crl_next_update)"')"
eq "01: CERT-REVOCATION-UNKNOWN evidence: the leaf, one certificate" "${SUBJ[leaf]} 1" \
	"$(jqv '.findings[] | select(.id == "CERT-REVOCATION-UNKNOWN") | .evidence | "\(.certificate) \(.certificates)"')"
crlrun 17-expired-ts-inside.exe "the same CRL is current for a certificate judged at 2011-06-15 (nextUpdate after it): good" \
	"Valid $F_TIME expired:good inter:good tsa/tsa:good" \
	"$C/root.crl" "$PKI/inter-stale.crl" "$C/tsaroot.crl"
crlrun r05-duqu-ts-2011-09-01.exe "a listed serial is revoked whatever the CRL's age (the stale CRL)" \
	"Revoked CERT-REVOKED-AFTER-SIGNING:critical,$F_TIME duqu:revoked inter:good tsa/tsa:good" \
	"$C/root.crl" "$PKI/inter-stale.crl" "$C/tsaroot.crl"
eq "r05: ... with the stale CRL's facts" "keyCompromise $DUQU_REV $DUQU_INV 2011-12-01T00:00:00Z" \
	"$(jqv --arg h "${SHA[duqu]}" '.signatures[0].revocation[] | select(.cert_sha256 == $h) | "\(.reason) \(.revocation_time) \(.invalidity_date) \(.crl_next_update)"')"
crlrun 01-valid-ts.exe "only the root's CRL: the issuers of the leaf and of the TSA publish none here: unknown" \
	"Valid CERT-REVOCATION-UNKNOWN:info inter:good leaf:unknown tsa/tsa:unknown" \
	"$C/root.crl"
eq "01: ... one CERT-REVOCATION-UNKNOWN per chain: the TSA's and the signer's, one certificate each" \
	"${SUBJ[leaf]}:1|${SUBJ[tsa]}:1" \
	"$(jqv '[.findings[] | select(.id == "CERT-REVOCATION-UNKNOWN") | "\(.evidence.certificate):\(.evidence.certificates)"] | sort | join("|")')"
crlrun r09-carbanak-ts-2014-08-20.exe "the DER CRL alone is read (TSA good), the leaf unknown" \
	"Valid CERT-REVOCATION-UNKNOWN:info,$F_TIME carbanak:unknown inter:unknown tsa/tsa:good" \
	"$C/tsaroot.crl"
# The revocation facts name the CRL they came from.
eq "r09 [strict]: crl_issuer / thisUpdate / nextUpdate of the signer's entry" \
	"${SUBJ[inter]} 2024-06-01T00:00:00Z 2089-12-31T00:00:00Z" \
	"$(fjq r09-carbanak-ts-2014-08-20.exe strict --arg h "${SHA[carbanak]}" '.signatures[0].revocation[] | select(.cert_sha256 == $h) | "\(.crl_issuer) \(.crl_this_update) \(.crl_next_update)"')"
eq "r09 [strict]: the intermediate's entry comes from the root's CRL" "${SUBJ[root]}" \
	"$(fjq r09-carbanak-ts-2014-08-20.exe strict --arg h "${SHA[inter]}" '.signatures[0].revocation[] | select(.cert_sha256 == $h) | .crl_issuer')"
# The untrusted timestamp's time never dates a revocation: r01 without the TSA root is undated.
js "$RV/r01-superseded-ts-before.exe" --ca-file "$PKI/root.pem" "${CRLS[@]}"
eq "r01 without the TSA root: the timestamp is a claim: CERT-REVOKED-UNDATED, Revoked" \
	"Revoked null CERT-REVOKED-UNDATED:critical,TS-UNTRUSTED:low" \
	"$(jqv '"\(.file.code_signature.status) \(.signatures[0].signing_time) \('"$FINDINGS"')"')"

# --crl DIR: the same results as the three files, for every scenario (default policy: strict).
for f in "${REV[@]}"; do
	js "$RV/$f" "${ANCHORS[@]}" --crl "$PKI/crls"
	eq "$f: --crl pki/crls (a directory) = the three CRL files under strict" \
		"$(fjq "$f" strict -S -c '{s: .file.code_signature.status, t: .file.code_signature.trusted, f: [.findings[] | {id, severity, evidence: (.evidence | del(.evaluated_at, .now))}], r: .signatures[0].revocation}')" \
		"$(jqv -S -c '{s: .file.code_signature.status, t: .file.code_signature.trusted, f: [.findings[] | {id, severity, evidence: (.evidence | del(.evaluated_at, .now))}], r: .signatures[0].revocation}')"
done
js "$RV/r05-duqu-ts-2011-09-01.exe" "${ANCHORS[@]}" --crl "$PKI/crls"
eq "the default policy is strict (r05 Revoked)" "Revoked" "$(jqv '.file.code_signature.status')"

# ------------------------------------------------------------------ blocklists

# blk FILE DESC "STATUS TRUSTED FINDINGS MATCH" BLOCKLIST... (+ CRLs and strict / date)
blk() {
	local f=$1 d=$2 want=$3 path m
	shift 3
	path=$RV/$f
	[ -e "$path" ] || path=$FX/$f
	local args=() b
	for b in "$@"; do args+=(--blocklist "$b"); done
	for m in strict date; do
		js "$path" "${ANCHORS[@]}" "${CRLS[@]}" --revocation-policy $m "${args[@]}"
		eq "$f [$m]: $d" "$want" \
			"$(jqv '"\(.file.code_signature.status) \(.file.code_signature.trusted) \('"$FINDINGS"') \([.findings[] | select(.id == "CERT-BLOCKLISTED") | .evidence.match] | join(","))"')"
		timeout 20 "$PS" verify "${ANCHORS[@]}" "${CRLS[@]}" --revocation-policy $m "${args[@]}" "$path" >"$T/verify.out" 2>"$T/verify.err" </dev/null
		local rc=$?
		eq "$f [$m]: $d: verify exits $([[ $want == *" true "* ]] && echo 0 || echo 1)" \
			"$([[ $want == *" true "* ]] && echo 0 || echo 1)" "$rc"
	done
}
R16=r16-blocklisted-signer.exe
blk $R16 "SHA-1 thumbprint list (AB:CD:... notation)" \
	"Blocklisted false CERT-BLOCKLISTED:critical SHA-1 thumbprint" "$PKI/blocklist-sha1.txt"
eq "r16: CERT-BLOCKLISTED names the signer and its SHA-256; signatures[0].blocklisted" \
	"${SUBJ[blocked]} ${SHA[blocked]} true Blocklisted" \
	"$(jqv '"\(.findings[] | select(.id == "CERT-BLOCKLISTED") | .evidence | "\(.certificate) \(.sha256)") \(.signatures[0].blocklisted) \(.signatures[0].status)"')"
blk $R16 "SHA-256 thumbprint list (spaced bytes, # comment)" \
	"Blocklisted false CERT-BLOCKLISTED:critical SHA-256 thumbprint" "$PKI/blocklist-sha256.txt"
blk $R16 "abuse.ch SSLBL-style CSV" \
	"Blocklisted false CERT-BLOCKLISTED:critical SHA-1 thumbprint" "$PKI/blocklist-abusech.csv"
blk $R16 "ClamAV .crb (subject SHA-1 and serial)" \
	"Blocklisted false CERT-BLOCKLISTED:critical ClamAV .crb subject and serial" "$PKI/blocklist.crb"
for b in blocklist-sha1.txt blocklist-sha256.txt blocklist-abusech.csv blocklist.crb; do
	blk 01-valid-ts.exe "$b blocks nothing else (a .crb Trusted=1 line allows)" "Valid true  " "$PKI/$b"
done
# A ClamAV line with an empty Serial names every certificate of that subject.
js "$RV/$R16" "${ANCHORS[@]}" --blocklist "$PKI/blocklist-anyserial.crb"
eq "$R16: ClamAV .crb line with an empty Serial field blocks the subject" \
	"Blocklisted CERT-BLOCKLISTED:critical|" \
	"$(jqv '"\(.file.code_signature.status) \('"$FINDINGS"')"')|$(cat "$T/js.err")"
# Malformed lines: FILE:LINE: why on stderr, skipped, the run goes on.
js "$RV/$R16" "${ANCHORS[@]}" --blocklist "$PKI/blocklist-malformed.txt"
eq "malformed blocklist lines: exit 0, the valid line still blocks" \
	"0 Blocklisted CERT-BLOCKLISTED:critical" "$JSTATUS $(jqv '"\(.file.code_signature.status) \('"$FINDINGS"')"')"
eq "malformed blocklist lines: one 'FILE:LINE: why' line each on stderr (lines 3 and 5)" \
	"$PKI/blocklist-malformed.txt:3:|$PKI/blocklist-malformed.txt:5:" \
	"$(sed -n 's/^\([^ ]*:[0-9]*:\) .*/\1/p' "$T/js.err" | paste -sd'|')"
eq "malformed blocklist lines: stderr holds nothing else" "2" "$(wc -l <"$T/js.err" | tr -d ' ')"
timeout 20 "$PS" verify "${ANCHORS[@]}" --blocklist "$PKI/blocklist-malformed.txt" "$FX/01-valid-ts.exe" \
	>"$T/verify.out" 2>"$T/verify.err" </dev/null
rc=$?
eq "malformed blocklist lines: verify of an unlisted file still exits 0 (and warns)" "0 2" \
	"$rc $(grep -c '^.*blocklist-malformed.txt:[35]: ' "$T/verify.err")"
# Every certificate of a chain counts: the intermediate (every leaf under it), the TSA's, and a
# revoked leaf (Blocklisted is the first reason).
openssl x509 -in "$PKI/inter.pem" -noout -fingerprint -sha256 | sed 's/^.*=//' >"$T/bl-inter.txt"
blk 01-valid-ts.exe "the intermediate's SHA-256 blocklisted: the leaf's signature is Blocklisted" \
	"Blocklisted false CERT-BLOCKLISTED:critical SHA-256 thumbprint" "$T/bl-inter.txt"
eq "01: ... CERT-BLOCKLISTED names the intermediate" "${SUBJ[inter]}" \
	"$(jqv '.findings[] | select(.id == "CERT-BLOCKLISTED") | .evidence.certificate')"
openssl x509 -in "$PKI/tsa.pem" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g' >"$T/bl-tsa.txt"
blk 01-valid-ts.exe "the TSA certificate blocklisted: the timestamp is untrusted, the signature judged at now" \
	"Valid true CERT-BLOCKLISTED:critical,TS-UNTRUSTED:low SHA-1 thumbprint" "$T/bl-tsa.txt"
openssl x509 -in "$PKI/carbanak.pem" -noout -fingerprint -sha1 | sed 's/^.*=//' >"$T/bl-carb.txt"
blk r09-carbanak-ts-2014-08-20.exe "revoked and blocklisted: Blocklisted first, both findings" \
	"Blocklisted false CERT-BLOCKLISTED:critical,CERT-SIGNED-AFTER-REVOCATION:critical,$F_TIME SHA-1 thumbprint" "$T/bl-carb.txt"
# Several lists at once, and a list that does not exist.
blk $R16 "four lists at once: one finding" \
	"Blocklisted false CERT-BLOCKLISTED:critical SHA-1 thumbprint" \
	"$PKI/blocklist-sha1.txt" "$PKI/blocklist-sha256.txt" "$PKI/blocklist-abusech.csv" "$PKI/blocklist.crb"
js "$RV/$R16" "${ANCHORS[@]}" --blocklist "$T/no-such-list.txt"
eq "a missing blocklist file is a usage error (exit 2) that names it" "2 1" \
	"$JSTATUS $(grep -c 'no-such-list.txt' "$T/js.err")"

# ------------------------------------------------------------------ summary

tap_summary
