#!/bin/bash
# cli.sh - the command-line forms that tests and tools rely on:
# --codes, --codes --json, --explain (verdicts and exit statuses), -V, -h,
# -n's notes on regex patterns.
# Needs: python3 (to parse the JSON).
set -u
. "${top_srcdir:-.}/tests/lib/tap.sh"
rm=${REPLYMILTER:-src/replymilter}
tab=$(printf '\t')

codes=$("$rm" --codes); rc=$?
check_eq "--codes exits 0" 0 "$rc"
check_eq "--codes prints 81 codes" 81 "$(printf '%s\n' "$codes" | wc -l)"
check_match "--codes X.7.23" "^X\.7\.23${tab}550${tab}SPF validation failed${tab}RFC7372" "$codes"
check_match "--codes X.3.1" "^X\.3\.1${tab}452${tab}Mail system full${tab}RFC3463\$" "$codes"
check_match "--codes X.1.10" "^X\.1\.10${tab}556${tab}Recipient address has null MX${tab}" "$codes"
check_match "--codes any" "^X\.0\.0${tab}any${tab}" "$codes"
check_match "--codes none given" "^X\.7\.28${tab}-${tab}Mail flood detected${tab}" "$codes"
check_match "--codes list" "^X\.5\.0${tab}220,250,251,252,253,451,452,454,458,459,501,502,503,554${tab}" "$codes"
check_eq "--codes: four fields every line" 0 \
	"$(printf '%s\n' "$codes" | awk -F'\t' 'NF != 4' | wc -l)"

json=$("$rm" --codes --json); rc=$?
check_eq "--codes --json exits 0" 0 "$rc"
got=$(printf '%s' "$json" | python3 -c '
import json, sys
a = json.load(sys.stdin)
e = [x for x in a if x["code"] == "X.7.23"][0]
print(len(a), ",".join(e["basic_codes"]), e["summary"], e["reference"])' 2>&1)
check_eq "--codes --json parses, same content" \
	"81 550 SPF validation failed RFC7372; RFC7208" "$got"

# --explain: verdicts and exit statuses 0 / 1 / 2.
out=$("$rm" --explain 550 5.7.23); rc=$?
check_eq "--explain 550 5.7.23 exits 0" 0 "$rc"
check_match "--explain ok verdict" "^550 5\.7\.23: ok$" "$out"
check_match "--explain meaning" "SPF validation failed \[RFC7372; RFC7208\]" "$out"

out=$("$rm" --explain 5.7.23); rc=$?
check_eq "--explain 5.7.23 alone exits 0" 0 "$rc"
check_match "--explain picks 550" "^550 5\.7\.23: ok$" "$out"

out=$("$rm" --explain "452 4.3.1"); rc=$?
check_eq "--explain one word pair exits 0" 0 "$rc"

out=$("$rm" --explain 550 5.3.1); rc=$?
check_eq "--explain warning exits 1" 1 "$rc"
check_match "--explain names the registered pairing" "did you mean 452 4\.3\.1\?" "$out"

out=$("$rm" --explain 550 4.7.1); rc=$?
check_eq "--explain class mismatch exits 2" 2 "$rc"
check_match "--explain class mismatch suggestion" \
	"class 4 does not match reply 550; did you mean 450 4\.7\.1 or 550 5\.7\.1\?" "$out"

out=$("$rm" --explain 471 4.7.1); rc=$?
check_eq "--explain 471 exits 2" 2 "$rc"
out=$("$rm" --explain 550 4.16.55.1); rc=$?
check_eq "--explain bad xcode exits 2" 2 "$rc"
out=$("$rm" --explain 550 5.1.1 --stage mail); rc=$?
check_eq "--explain --stage mail warns on a recipient code" 1 "$rc"

out=$("$rm" -V); rc=$?
check_eq "-V exits 0" 0 "$rc"
check_match "-V prints the version" "^replymilter [0-9]+\.[0-9]+\.[0-9]+" "$out"
out=$("$rm" -h); rc=$?
check_eq "-h exits 0" 0 "$rc"
check_match "-h mentions --explain" "--explain" "$out"
# -n: a note for each pattern the one-pass engine leaves to regexec (a
# named list's once, though two rules use it); none for the others, and
# none at all when every pattern runs on regexec anyway.
scratch=$(mktemp -d)
cat >"$scratch/slow.conf" <<'CONF'
list "g" {
	type = regex
	entries = { "/\\bspam\\b/i", "/^ok$/" }
}
rule "a" {
	stage = helo
	helo = "list:g"
	action = reject
}
rule "b" {
	stage = mail
	sender = "/\\w+@x\\.example$/"
	action = reject
}
rule "c" {
	stage = rcpt
	rcpt = "list:g"
	action = reject
}
rule "d" {
	stage = rcpt
	rcpt = "/^[a-z]+@y\\.example$/"
	action = reject
}
CONF
out=$("$rm" -n -c "$scratch/slow.conf" 2>&1); rc=$?
check_eq "-n with regexec-only patterns exits 0" 0 "$rc"
if "$rm" -V | grep -q '^regex engine: regexec'; then
	check_eq "-n: no notes without a one-pass engine" "" "$out"
else
	check_eq "-n: one note per regexec pattern" 2 "$(printf '%s\n' "$out" | grep -c ': note: ')"
	check_match "-n: the list's pattern, named by its list" \
		"slow\.conf: note: list \"g\": /\\\\bspam\\\\b/i runs on regexec alone" "$out"
	check_match "-n: the rule's pattern, named by its rule" \
		"note: rule \"b\": /\\\\w\+@x" "$out"
	check_no_match "-n: no note for a pattern in the pass" "\^\[a-z\]" "$out"
fi
rm -rf "$scratch"

"$rm" --no-such-option >/dev/null 2>&1; rc=$?
check_eq "unknown option exits 64 (EX_USAGE)" 64 "$rc"

tap_done
