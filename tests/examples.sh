#!/bin/bash
# examples.sh - every policy in conf/examples (and the shipped config)
# passes `replymilter -n`, and `replymilter --test` replays each example's
# transcript (NAME.test) to exactly the replies recorded in NAME.out.
# When a change in replymilter changes an answer, this test shows the diff;
# regenerate an .out file only after reading that diff.
set -u
. "${top_srcdir:-.}/tests/lib/tap.sh"
rm=${REPLYMILTER:-src/replymilter}
dir=${top_srcdir:-.}/conf/examples

out=$("$rm" -n -c "${top_srcdir:-.}/conf/replymilter.conf" 2>&1); rc=$?
check_eq "shipped config passes -n" 0 "$rc"
check_eq "shipped config has no warnings" "" "$out"

n=0
for conf in "$dir"/*.conf; do
	name=$(basename "$conf" .conf)
	n=$((n + 1))
	"$rm" -n -c "$conf" >/dev/null 2>&1; rc=$?
	check_eq "$name: -n" 0 "$rc"
	if [ ! -f "$dir/$name.test" ] || [ ! -f "$dir/$name.out" ]; then
		tap_result 1 "$name: has $name.test and $name.out"
		continue
	fi
	got=$("$rm" --test -c "$conf" "$dir/$name.test" 2>/dev/null); rc=$?
	check_eq "$name: --test exits 0" 0 "$rc"
	want=$(cat "$dir/$name.out")
	if [ "$got" = "$want" ]; then
		tap_result 0 "$name: --test replies as recorded"
	else
		tap_result 1 "$name: --test replies as recorded" \
			"$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got"))"
	fi
done
check_eq "there are a dozen examples or more" yes "$([ "$n" -ge 12 ] && echo yes || echo no)"
tap_done
