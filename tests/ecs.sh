#!/usr/bin/env bash
# `scan --jsonl` as Elasticsearch/OpenSearch input (TAP output: "ok N - ..." / "not ok N - ...").
#
#   BUILD=build tests/ecs.sh
#
# There is no Elasticsearch here: what it would do is checked on the documents themselves.
# Every line is one JSON object with @timestamp, ecs.version and event.*; the ECS fields have
# their ECS types; no dotted field path has two JSON types across all documents (dynamic
# mapping would reject the later one), outside the two exceptions docs/ECS.md maps; every
# document fits the index template of docs/ECS.md field by field; and the ingest commands of
# docs/ECS.md, run with a stand-in for curl, send a well-formed template and _bulk body.
#
# Documents: $BUILD/fixtures (signatures.sh and revocation.sh fixtures, scanned without trust
# options and with their PKI and CRLs, so that chains, timestamps and revocations are filled
# in), $BUILD/traits and $BUILD/samples when built, a missing path (the error line), and
# $PESLEUTH_SHARED/corpus/files (../shared/corpus: skipped, with a message, when absent). The
# files are only read, never executed.
# shellcheck disable=SC2016,SC2317  # jq programs in single quotes; functions run through check
set -u

# shellcheck source=tests/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
tap_init ecs jq python3 awk split
SHARED=${PESLEUTH_SHARED:-$(cd .. && pwd)/shared}
FX=$BUILD/fixtures
PKI=$FX/pki
DOC=docs/ECS.md

# ------------------------------------------------------------------ the checker

cat >"$T/check.py" <<'EOF'
"""Checks JSON lines against docs/ECS.md's rules. Usage:
  check.py types TEMPLATE FILE...     dotted paths with two JSON types (outside the exceptions)
  check.py template TEMPLATE FILE...  values that the template's mapping would not take
  check.py ecs START END FILE...      ECS fields without their ECS types
Prints one line per problem (at most 40), nothing when all is well."""
import json, re, sys

ISO = re.compile(r'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$')
DIGITS = re.compile(r'^[0-9]+$')
problems = []


def say(msg):
    if len(problems) < 40:
        problems.append(msg)


def docs(files):
    for fn in files:
        with open(fn, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                yield '%s:%d' % (fn, n), json.loads(line)


def jtype(v):
    if v is None: return 'null'
    if isinstance(v, bool): return 'boolean'
    if isinstance(v, int): return 'integer'
    if isinstance(v, float): return 'float'
    if isinstance(v, str): return 'string'
    if isinstance(v, list): return 'array'
    return 'object'


def mapping_index(template):
    """dotted path -> mapping node, for every mapped field."""
    idx = {}
    def walk(props, prefix):
        for k, node in props.items():
            p = prefix + k
            idx[p] = node
            if 'properties' in node:
                walk(node['properties'], p + '.')
    walk(template['template']['mappings']['properties'], '')
    return idx


def scalars(v):
    if isinstance(v, list):
        for e in v:
            yield from scalars(e)
    else:
        yield v


def leaves(v, path):
    """(path, value) for every value, arrays flattened, objects included."""
    if isinstance(v, list):
        for e in v:
            yield from leaves(e, path)
        return
    yield path, v
    if isinstance(v, dict):
        for k, e in v.items():
            yield from leaves(e, path + '.' + k if path else k)


def under(path, prefixes):
    return any(path == p or path.startswith(p + '.') for p in prefixes)


def cmd_types(template, files):
    idx = mapping_index(template)
    flat = [p for p, n in idx.items() if n.get('type') == 'flattened']
    ulong = {p for p, n in idx.items() if n.get('type') == 'unsigned_long'}
    seen = {}
    for where, d in docs(files):
        for p, v in leaves(d, ''):
            if p == '' or under(p, flat) and p not in flat:
                continue
            t = jtype(v)
            if t == 'null':
                continue
            if p in ulong and t == 'string' and DIGITS.match(v):
                t = 'integer'  # unsigned_long takes a decimal string as well
            seen.setdefault(p, {}).setdefault(t, where)
    for p in sorted(seen):
        if len(seen[p]) > 1:
            say('%s: %s' % (p, ', '.join('%s (%s)' % kv for kv in sorted(seen[p].items()))))


def fits(kind, v):
    t = jtype(v)
    if kind in ('keyword', 'text'):
        return t in ('string', 'integer', 'float', 'boolean')
    if kind == 'long':
        return t == 'integer' and -2**63 <= v < 2**63
    if kind == 'unsigned_long':
        if t == 'string' and DIGITS.match(v):
            v, t = int(v), 'integer'  # Elasticsearch takes the decimal string form too
        return t == 'integer' and 0 <= v < 2**64
    if kind == 'float':
        return t in ('integer', 'float')
    if kind == 'boolean':
        return t == 'boolean'
    if kind == 'date':
        return t == 'string' and ISO.match(v) is not None
    return False


def cmd_template(template, files):
    m = template['template']['mappings']
    if m.get('date_detection') is not False:
        say('template: date_detection is not false')
    dyn = {}

    def walk(v, props, path, where):
        # v is an object; props the mapping of its fields (None: dynamic)
        for k, e in v.items():
            p = path + '.' + k if path else k
            node = props.get(k) if props is not None else None
            for s in scalars(e):
                if s is None:
                    continue
                if node is None:
                    t = {'string': 'keyword', 'integer': 'long', 'float': 'float',
                         'boolean': 'boolean', 'object': 'object'}[jtype(s)]
                    dyn.setdefault(p, {}).setdefault(t, where)
                    if t == 'object':
                        walk(s, None, p, where)
                    continue
                kind = node.get('type', 'object')
                if kind == 'flattened':
                    if not isinstance(s, dict):
                        say('%s: %s for a flattened field (%s)' % (p, jtype(s), where))
                elif kind in ('object', 'nested'):
                    if isinstance(s, dict):
                        walk(s, node.get('properties', {}), p, where)
                    else:
                        say('%s: %s for an object field (%s)' % (p, jtype(s), where))
                elif not fits(kind, s):
                    say('%s: %r is not a %s (%s)' % (p, s, kind, where))

    for where, d in docs(files):
        walk(d, m['properties'], '', where)
    for p in sorted(dyn):
        if len(dyn[p]) > 1:
            say('%s: dynamic mapping sees %s' % (p, ', '.join('%s (%s)' % kv for kv in sorted(dyn[p].items()))))


def get(d, path):
    for k in path.split('.'):
        if not isinstance(d, dict) or k not in d:
            return KeyError
        d = d[k]
    return d


def cmd_ecs(start, end, files):
    from datetime import datetime, timezone
    hexlen = {'md5': 32, 'sha1': 40, 'sha256': 64}
    n = 0
    for where, d in docs(files):
        n += 1
        def need(path, ok, what):
            v = get(d, path)
            if v is KeyError or not ok(v):
                say('%s: %s is %s, not %s' % (where, path, 'missing' if v is KeyError else repr(v), what))
        iso = lambda v: isinstance(v, str) and ISO.match(v) is not None
        opt_iso = lambda v: v is None or iso(v)
        need('@timestamp', iso, 'an ISO 8601 UTC time')
        ts = get(d, '@timestamp')
        if iso(ts):
            t = datetime.strptime(ts, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc).timestamp()
            if not start <= t <= end:
                say('%s: @timestamp %s is not the time of the run' % (where, ts))
        need('ecs.version', lambda v: isinstance(v, str) and re.match(r'^[0-9]+\.[0-9]+\.[0-9]+$', v), 'a version')
        need('event.module', lambda v: v == 'pesleuth', '"pesleuth"')
        need('event.dataset', lambda v: v == 'pesleuth.file', '"pesleuth.file"')
        need('event.category', lambda v: v == ['file'], '["file"]')
        need('event.type', lambda v: v == ['info'], '["info"]')
        if 'error' in d:
            need('event.outcome', lambda v: v == 'failure', '"failure"')
            need('event.kind', lambda v: v == 'event', '"event"')
            if 'file' in d:
                say('%s: an error record has a "file" object' % where)
            continue
        need('file.path', lambda v: v == d.get('path'), 'the path')
        need('file.name', lambda v: isinstance(v, str) and '/' not in v, 'a file name')
        need('event.outcome', lambda v: v == 'success', '"success"')
        alert = d.get('verdict') in ('high', 'critical')
        need('event.kind', lambda v: v == ('alert' if alert else 'event'),
             '"alert" for a high or critical verdict, else "event"')
        need('file.size', lambda v: type(v) is int and v >= 0, 'a non-negative integer')
        for h, l in hexlen.items():
            need('file.hash.' + h, lambda v, l=l: v is None or (isinstance(v, str) and re.match('^[0-9a-f]{%d}$' % l, v)),
                 '%d lowercase hex digits or null' % l)
        for b in ('exists', 'valid', 'trusted'):
            need('file.code_signature.' + b, lambda v: type(v) is bool, 'a boolean')
        need('file.code_signature.status', lambda v: isinstance(v, str) and v, 'a status word')
        need('file.code_signature.subject_name', lambda v: v is None or isinstance(v, str), 'a string or null')
        need('file.code_signature.timestamp', opt_iso, 'an ISO 8601 UTC time or null')
        pe = get(d, 'file.pe')
        if isinstance(pe, dict):
            need('file.pe.compile_time', opt_iso, 'an ISO 8601 UTC time or null')
            need('file.pe.imphash', lambda v: isinstance(v, str) and re.match('^([0-9a-f]{32})?$', v), '32 hex digits or ""')
            need('file.pe.architecture', lambda v: isinstance(v, str) and v, 'a name')
            for k in ('company', 'description', 'file_version', 'original_file_name', 'product'):
                need('file.pe.' + k, lambda v: v is None or isinstance(v, str), 'a string or null')
            for i, s in enumerate(pe.get('sections', [])):
                e = s.get('entropy')
                if e is not None and not isinstance(e, float):
                    say('%s: file.pe.sections[%d].entropy is %r, not a float' % (where, i, e))
    if n == 0:
        say('no documents')


cmd = sys.argv[1]
if cmd == 'types':
    cmd_types(json.load(open(sys.argv[2])), sys.argv[3:])
elif cmd == 'template':
    cmd_template(json.load(open(sys.argv[2])), sys.argv[3:])
elif cmd == 'ecs':
    cmd_ecs(float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:])
print('\n'.join(problems))
EOF
chk() { python3 "$T/check.py" "$@" 2>&1; }

# ------------------------------------------------------------------ the template

awk '/^<!-- index-template:end -->/{f=0} f&&!/^```/; /^<!-- index-template:begin -->/{f=1}' "$DOC" >"$T/template.json"
TPL=$T/template.json
eq "$DOC: the index template is one valid JSON object" "object" "$(jq -r type "$TPL" 2>&1)"
eq "template: findings nested (in root too), evidence flattened, date_detection off" \
	"nested true flattened false" \
	"$(jq -r '.template.mappings | "\(.properties.findings.type) \(.properties.findings.include_in_root) \(.properties.findings.properties.evidence.type) \(.date_detection)"' "$TPL" 2>&1)"

# ------------------------------------------------------------------ the documents

START=$(date +%s)
SETS=() # the JSONL files every check reads
# scan NAME [ARGS...]: scan --jsonl into $T/NAME.jsonl; adds it to SETS; RC is the exit status
RC=0
scan() {
	local name=$1
	shift
	timeout 300 "$PS" scan --jsonl "$@" >"$T/$name.jsonl" 2>"$T/$name.err" </dev/null
	RC=$?
	SETS+=("$T/$name.jsonl")
}
# lines_ok NAME: every line of $T/NAME.jsonl is one JSON object, and there is no
# other line
lines_ok() {
	local f=$T/$1.jsonl lines objects
	lines=$(wc -l <"$f")
	objects=$(jq -c 'select(type == "object")' "$f" 2>/dev/null | wc -l)
	[ "$lines" -gt 0 ] && [ "$lines" = "$objects" ] && [ "$(jq -s length "$f" 2>/dev/null)" = "$lines" ]
}

if [ -d "$FX" ]; then
	scan fixtures "$FX"
	eq "scan --jsonl of the signature/revocation fixtures: exit 0" 0 "$RC"
	check "fixtures: every line is one JSON object" lines_ok fixtures
	scan fixtures-pki --ca-file "$PKI/root.pem" --ca-file "$PKI/tsaroot.pem" --crl "$PKI/crls" "$FX"
	eq "scan --jsonl of the fixtures with their PKI and CRLs: exit 0" 0 "$RC"
	check "fixtures with PKI: every line is one JSON object" lines_ok fixtures-pki
	eq "fixtures with PKI: trusted, timestamped and revoked signatures are among them" "true true true" \
		"$(jq -s -r '"\(any(.[]; .file.code_signature.trusted == true)) \(any(.[]; .file.code_signature.timestamp != null)) \(any(.[]; any(.signatures[]?.revocation[]?; .revoked)))"' \
			"$T/fixtures-pki.jsonl" 2>&1)"
else
	skip "signature and revocation fixtures" "$FX is absent (tests/signatures.sh builds it)"
fi
for d in traits samples; do
	if [ -d "$BUILD/$d" ]; then
		scan "$d" "$BUILD/$d"
		eq "scan --jsonl $BUILD/$d: exit 0" 0 "$RC"
		check "$d: every line is one JSON object" lines_ok "$d"
	else
		skip "$d" "$BUILD/$d is absent"
	fi
done
scan missing "$T/no-such-file.exe"
eq "a missing path: exit 2 and one error line" "2 1" "$RC $(jq -c 'select(.error)' "$T/missing.jsonl" 2>/dev/null | wc -l)"
FIXTURE_SETS=("${SETS[@]}")
HAVE_CORPUS=0
if [ -d "$SHARED/corpus/files" ]; then
	HAVE_CORPUS=1
	scan corpus "$SHARED/corpus/files"
	eq "scan --jsonl of the corpus: exit 0" 0 "$RC"
	check "corpus: every line is one JSON object" lines_ok corpus
	eq "corpus: one line per file" "$(find "$SHARED/corpus/files" -type f | wc -l)" "$(wc -l <"$T/corpus.jsonl")"
else
	echo "# $SHARED/corpus is absent: the corpus checks are skipped"
	skip "scan --jsonl of the corpus" "$SHARED/corpus is absent"
fi
END=$(date +%s)
N_DOCS=$(cat "${SETS[@]}" | wc -l)
check "documents to check: $N_DOCS" test "$N_DOCS" -gt 1

# ------------------------------------------------------------------ ECS fields and types

eq "every document: @timestamp (this run), ecs.version, event.*, file.path/name; ECS fields with ECS types" \
	"" "$(chk ecs "$START" "$((END + 1))" "${SETS[@]}")"
eq "event.kind is alert exactly for high and critical verdicts, and both kinds occur" "alert event" \
	"$(cat "${SETS[@]}" | jq -r 'select(.error == null) | .event.kind' 2>&1 | sort -u | tr '\n' ' ' | sed 's/ $//')"

# ------------------------------------------------------------------ one JSON type per path

eq "fixtures: no dotted path has two JSON types (findings.evidence flattened, unsigned_long aside)" \
	"" "$(chk types "$TPL" "${FIXTURE_SETS[@]}")"
if [ $HAVE_CORPUS = 1 ]; then
	eq "corpus and fixtures together: no dotted path has two JSON types" "" "$(chk types "$TPL" "${SETS[@]}")"
	# The exceptions are real: without the template, these would conflict.
	eq "corpus: a PE32+ ImageBase above 2^63-1 is a decimal string (unsigned_long in the template)" \
		"true" "$(jq -s -r 'any(.[]; (.file.pe.image_base? | type) == "string")' "$T/corpus.jsonl" 2>&1)"
else
	skip "corpus and fixtures together: no dotted path has two JSON types" "$SHARED/corpus is absent"
	skip "corpus: ImageBase above 2^63-1" "$SHARED/corpus is absent"
fi
eq "resources: type and name always strings, type_id/name_id integers or null" "true" \
	"$(cat "${SETS[@]}" | jq -s -r '[.[] | .file.pe.resources.entries[]?] | length > 0 and all(.[];
	   (.type | type) == "string" and (.name | type) == "string"
	   and ((.type_id | type) as $t | $t == "number" or $t == "null")
	   and ((.name_id | type) as $t | $t == "number" or $t == "null"))' 2>&1)"

# ------------------------------------------------------------------ against the template

eq "every document fits the index template of $DOC (mapped types, one dynamic type each)" \
	"" "$(chk template "$TPL" "${SETS[@]}")"

# ------------------------------------------------------------------ the ingest commands of docs/ECS.md

# They run as written, with pesleuth and curl replaced by stand-ins on PATH: curl records its
# arguments and the body it would send (stdin for @-, the file for @FILE) in $T/curl/N.*.
mkdir -p "$T/bin" "$T/curl" "$T/run/docs"
cp "$DOC" "$T/run/docs/ECS.md"
cat >"$T/bin/curl" <<EOF
#!/usr/bin/env bash
n=\$(ls "$T/curl" | grep -c '\.args\$')
printf '%s\n' "\$@" >"$T/curl/\$n.args"
prev=
for a in "\$@"; do
	if [ "\$prev" = --data-binary ]; then
		case \$a in
		@-) cat >"$T/curl/\$n.body" ;;
		@*) cat "\${a#@}" >"$T/curl/\$n.body" ;;
		esac
	fi
	prev=\$a
done
echo '{"errors":false}'
EOF
printf '#!/bin/sh\nexec "%s" "$@"\n' "$PS" >"$T/bin/pesleuth"
chmod +x "$T/bin/curl" "$T/bin/pesleuth"
# doc_line PREFIX [PART]: the first line of $DOC that starts with PREFIX (and holds PART)
doc_line() { awk -v p="$1" -v q="${2:-}" 'index($0, p) == 1 && index($0, q) { print; exit }' "$DOC"; }
# run_doc LINE: runs LINE in $T/run with the stand-ins, /evidence replaced by a real directory;
# DOC_RC is its exit status (an empty LINE, not found in the doc, fails)
EVIDENCE=$BUILD/samples
[ -d "$EVIDENCE" ] || EVIDENCE=$FX
DOC_RC=0
run_doc() {
	local line=${1//\/evidence/$EVIDENCE}
	if [ -z "$line" ]; then
		DOC_RC=127
		return
	fi
	(cd "$T/run" && PATH="$T/bin:$PATH" OPENSEARCH_PASSWORD=x SHELL=/bin/bash bash -c "$line") >"$T/doc.out" 2>"$T/doc.err"
	DOC_RC=$?
}
# bulk_ok N: the body curl N sent is a _bulk body of the scan of $EVIDENCE: an action line
# before each document, newline-terminated, and the documents byte for byte what scan --jsonl
# prints (but for the times that are "now": @timestamp and the timeline's "now" point)
untimed() { sed -e 's/"@timestamp":"[^"]*"//' -e 's/{"time":"[^"]*","event":"now"/{"event":"now"/g'; }
"$PS" scan --jsonl "$EVIDENCE" 2>/dev/null | untimed >"$T/evidence.jsonl"
bulk_ok() {
	local b=$T/curl/$1.body docs
	docs=$(find "$EVIDENCE/" -type f | wc -l)
	[ -s "$b" ] && [ "$(tail -c1 "$b" | od -An -c | tr -d ' ')" = '\n' ] &&
		[ "$(wc -l <"$b")" = $((2 * docs)) ] &&
		[ "$(awk 'NR % 2 == 1' "$b" | sort -u)" = '{"index":{}}' ] &&
		awk 'NR % 2 == 0' "$b" | untimed | cmp -s - "$T/evidence.jsonl"
}
args() { tr '\n' ' ' <"$T/curl/$1.args" | sed 's/ $//'; }

L=$(doc_line "awk '/^<!-- index-template:end -->/")
run_doc "$L"
eq "$DOC: the awk command writes the same template" "$(jq -c . "$TPL" 2>&1)" \
	"$(jq -c . "$T/run/pesleuth-template.json" 2>&1)"
L=$(doc_line "curl -s -H 'Content-Type: application/json' -XPUT")
run_doc "$L"
eq "$DOC: Elasticsearch template command: PUT _index_template/pesleuth with the template" \
	"-s -H Content-Type: application/json -XPUT http://localhost:9200/_index_template/pesleuth --data-binary @pesleuth-template.json|$(jq -c . "$TPL" 2>&1)" \
	"$(args 0)|$(jq -c . "$T/curl/0.body" 2>&1)"
L=$(doc_line "sed 's/\"flattened\"/\"flat_object\"/' pesleuth-template.json | curl")
run_doc "$L"
eq "$DOC: OpenSearch template command sends the template with flat_object for flattened" \
	"$(jq -c '.template.mappings.properties.findings.properties.evidence.type = "flat_object"' "$TPL" 2>&1)" \
	"$(jq -c . "$T/curl/1.body" 2>&1)"
L=$(doc_line "pesleuth scan --jsonl /evidence | awk " "| curl -s -H")
run_doc "$L"
eq "$DOC: Elasticsearch bulk command: exit 0, POST pesleuth/_bulk as application/x-ndjson from stdin" \
	"0|-s -H Content-Type: application/x-ndjson -XPOST http://localhost:9200/pesleuth/_bulk?filter_path=errors,items.*.error --data-binary @-" \
	"$DOC_RC|$(args 2)"
check "$DOC: Elasticsearch bulk body: an action line before each document, the documents unchanged" bulk_ok 2
L=$(doc_line "pesleuth scan --jsonl /evidence | awk " "| curl -s -k")
run_doc "$L"
eq "$DOC: OpenSearch bulk command: exit 0, POST pesleuth/_bulk over https with a user" \
	"0|-s -k -u admin:x -H Content-Type: application/x-ndjson -XPOST https://localhost:9200/pesleuth/_bulk?filter_path=errors,items.*.error --data-binary @-" \
	"$DOC_RC|$(args 3)"
check "$DOC: OpenSearch bulk body: an action line before each document, the documents unchanged" bulk_ok 3
L=$(doc_line "pesleuth scan --jsonl /evidence | awk " "| split")
run_doc "$L"
eq "$DOC: the split command posts the same body, in one request for a small tree" \
	"0|$(untimed <"$T/curl/2.body" | md5sum)" "$DOC_RC|$(untimed <"$T/curl/4.body" 2>&1 | md5sum)"

tap_summary
