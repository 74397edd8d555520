# shellcheck shell=bash
# tap.sh - tiny assertion helpers for the shell tests, TAP-style output.
#
# Source it, call the check_* functions, end with `tap_done`, which exits 1
# when any check failed.  Every check prints "ok N - label" or
# "not ok N - label" followed by what was expected and what came.

tap_n=0
tap_failed=0

# tap_result OK LABEL [DETAIL] - record one check.
tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
		tap_failed=$((tap_failed + 1))
	fi
}

# check_eq LABEL WANT GOT - the two strings are equal.
check_eq() {
	if [ "$2" = "$3" ]; then tap_result 0 "$1"
	else tap_result 1 "$1" "want: $2
got:  $3"; fi
}

# check_match LABEL REGEX TEXT - TEXT has a line matching the extended REGEX.
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then tap_result 0 "$1"
	else tap_result 1 "$1" "want a line matching: $2
got:
$3"; fi
}

# check_no_match LABEL REGEX TEXT - no line of TEXT matches REGEX.
check_no_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then tap_result 1 "$1" "unwanted match for: $2
got:
$3"
	else tap_result 0 "$1"; fi
}

# tap_done - print the plan and exit 0 only when every check passed.
tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ] || { echo "# $tap_failed of $tap_n checks failed"; exit 1; }
	exit 0
}
