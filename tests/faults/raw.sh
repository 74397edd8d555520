#!/bin/bash
#
# tests/faults/raw.sh - malformed milter packets on replymilter's unix
# socket, from tests/faults/rawmilter (see its cases): a length of 0,
# 0xFFFFFFFF and 0x7FFFFFFF, an option negotiation too short for its data,
# unknown command bytes (first, and after a valid negotiation), a connect
# too short for its fields, frames cut off by a hang-up, bytes that are no
# packet before the negotiation, and 1 MiB of macros (8 KiB values, and
# 50,000 tiny ones) after a valid negotiation.
#
# The cases run three rounds; meanwhile a connection that sent half a
# length field and then nothing is held (case stall: libmilter waits for
# the rest; rawmilter checks for 5 s that it stays open).  After each
# case: replymilter is the same process, the bad connection was closed
# by the milter (or by rawmilter, for the cut-off frames), and a normal
# miltertest session (tests/faults/probe.lua) gets the policy's reply.
# At the end the log shows no crash or sanitizer report, and VmRSS grew
# by less than 16 MiB from the end of the first round to the end of the
# third (64 MiB under a sanitizer build, whose allocator keeps freed
# memory in quarantine): a leak per bad packet would show.
#
# Debian packages: bash, coreutils, grep, miltertest; rawmilter is built by
#   make check.
# Needs: nothing special.  Takes about 6 s.

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/e2e/lib/common.sh"
. "$top/tests/e2e/lib/replymilter.sh"

started=$SECONDS
e2e_require miltertest miltertest
e2e_require timeout coreutils
e2e_init replymilter-faults-raw

rawmilter=${abs_top_builddir:-$top}/tests/faults/rawmilter
[ -x "$rawmilter" ] || e2e_bail "no $rawmilter (make check builds it)"
bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin"

sock=$E2E_TMP/replymilter.sock
RM_LOG=$E2E_TMP/replymilter.log
: >"$RM_LOG"
"$bin" -f -c "$here/raw.conf" -p "unix:$sock" -P "$E2E_TMP/replymilter.pid" \
	-d info </dev/null 2>>"$RM_LOG" &
rm_pid=$!
e2e_cleanup_add e2e_stop_pid "$rm_pid" 10
e2e_wait_socket "$sock" 10 &&
	e2e_wait_match "$RM_LOG" '^replymilter: replymilter .* started on ' 5 ||
	e2e_bail "replymilter did not start"

# rss KEY - print VmRSS or VmHWM of replymilter in KiB
rss() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$rm_pid/status"
}

# probe - returns 0 if a normal session gets the policy's reply
probe() {
	timeout 30 miltertest -D "libdir=$top/tests/miltertest" \
		-D "socket=unix:$sock" -D "want=550 5.7.1 Refused by policy A" \
		-s "$here/probe.lua" >"$E2E_TMP/probe.out" 2>&1
}

# A sanitizer build links the ASan runtime.
if grep -aq __asan_init -- "$bin"; then
	growth_max=65536
else
	growth_max=16384
fi

probe || e2e_bail "the first probe failed: $(cat "$E2E_TMP/probe.out")"
rss0=$(rss VmRSS)

# A stalled connection, held open across all the rounds.
"$rawmilter" "$sock" stall >"$E2E_TMP/stall.out" 2>&1 &
stall_pid=$!
e2e_cleanup_add e2e_stop_pid "$stall_pid" 2

cases="len-zero len-ffffffff len-huge optneg-short optneg-5 unknown-first
unknown-after-optneg connect-short truncated truncated-header garbage
big-macros many-macros"
bad=0 runs=0 rss1=
for round in 1 2 3; do
	for c in $cases; do
		runs=$((runs + 1))
		out=$("$rawmilter" "$sock" "$c" 2>&1)
		case $c in
		truncated*) want="$c: sent-and-closed" ;;
		*) want="$c: closed after" ;;
		esac
		alive=yes
		e2e_alive "$rm_pid" || alive=no
		probe_ok=yes
		probe || probe_ok=no
		if [ "$round" = 1 ] || [ "${out#"$want"}" = "$out" ] ||
			[ "$alive" = no ] || [ "$probe_ok" = no ]; then
			e2e_check "round $round: $c: milter closed the connection ($out)" \
				test "${out#"$want"}" != "$out"
			e2e_check "round $round: $c: replymilter still PID $rm_pid" \
				test "$alive" = yes
			e2e_check "round $round: $c: the next session gets the policy's reply" \
				test "$probe_ok" = yes
		fi
		[ "$alive" = yes ] || e2e_bail "replymilter died: $(tail -n 20 "$RM_LOG")"
	done
	[ "$round" = 1 ] && rss1=$(rss VmRSS)
done
rss3=$(rss VmRSS)
hwm=$(rss VmHWM)
wait "$stall_pid"
e2e_check "the stalled connection was held open meanwhile ($(cat "$E2E_TMP/stall.out"))" \
	grep -qx 'stall: open' "$E2E_TMP/stall.out"
e2e_note "$runs bad connections; VmRSS ${rss0} KiB at start, ${rss1} KiB after round 1," \
	"${rss3} KiB after round 3; VmHWM ${hwm} KiB"
e2e_check "VmRSS grew by $((rss3 - rss1)) KiB over rounds 2 and 3 (bound $growth_max KiB)" \
	test "$((rss3 - rss1))" -lt "$growth_max"
e2e_check "replymilter is still PID $rm_pid after $runs bad connections" e2e_alive "$rm_pid"
expect_no_reply "$(cat -- "$RM_LOG")" \
	'(fatal|panic|Sanitizer|runtime error|SIGSEGV|Segmentation|abort)' \
	"no crash or sanitizer report in the log"

e2e_stop_pid "$rm_pid" 10
e2e_note "raw.sh: $((SECONDS - started)) s"
e2e_summary
