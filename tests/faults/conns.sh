#!/bin/bash
#
# tests/faults/conns.sh - 500 milter sessions held open at the same time on
# replymilter's unix socket (tests/faults/holdconns), with the policy of
# tests/faults/conns.conf.
#
# holdconns opens the 500 connections 1 ms apart, negotiates and sends
# connect on each, and holds them all.  While they are held: a 501st
# session (tests/faults/probe.lua) must get the policy's reply, replymilter
# must have a descriptor for each (at least 500 in /proc/PID/fd), and its
# VmRSS and VmHWM must stay under 200 MiB (the bound; measured about 13 MiB
# for a plain build).  Then every held session sends MAIL FROM
# <blocked@example.net> and must get the policy's refusal: none may fail.
# The log must count 500 refusals and no warning or error, and replymilter
# must still be the same process.
#
# File descriptors: replymilter and holdconns each need one per connection,
# so the test raises its soft limit (ulimit -n) to 4096 when it is lower,
# and fails when it cannot reach 1100.  Debian's libmilter serves the
# sessions from a small worker pool (seen: 6 threads for 500 sessions), so
# threads are no limit here.
#
# Debian packages: bash, coreutils, grep, miltertest; holdconns is built by
#   make check.
# Needs: nothing special.  Takes about 5 s.

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
e2e_init replymilter-faults-conns

holdconns=${abs_top_builddir:-$top}/tests/faults/holdconns
[ -x "$holdconns" ] || e2e_bail "no $holdconns (make check builds it)"
bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin"

n=${FAULTS_CONNS:-500}
bound_kib=$((200 * 1024))

if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null
fi
e2e_note "ulimit -n $(ulimit -n)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((2 * n + 100)) ] ||
	e2e_bail "ulimit -n is $(ulimit -n): $((2 * n + 100)) descriptors are needed"

sock=$E2E_TMP/replymilter.sock
RM_LOG=$E2E_TMP/replymilter.log
: >"$RM_LOG"
"$bin" -f -c "$here/conns.conf" -p "unix:$sock" -P "$E2E_TMP/replymilter.pid" \
	-d info </dev/null 2>>"$RM_LOG" &
rm_pid=$!
e2e_cleanup_add e2e_stop_pid "$rm_pid" 10
e2e_wait_socket "$sock" 10 &&
	e2e_wait_match "$RM_LOG" '^replymilter: replymilter .* started on ' 5 ||
	e2e_bail "replymilter did not start"

# status KEY - print a /proc/PID/status field of replymilter (KiB for sizes)
status() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$rm_pid/status"
}

rss0=$(status VmRSS)
mkfifo "$E2E_TMP/release" || e2e_bail "mkfifo failed"
"$holdconns" "$sock" "$n" <"$E2E_TMP/release" >"$E2E_TMP/hold.out" \
	2>"$E2E_TMP/hold.err" &
hold_pid=$!
e2e_cleanup_add e2e_stop_pid "$hold_pid" 5
# Holding the fifo open for writing lets holdconns start; closing it
# releases the sessions.
exec {release}>"$E2E_TMP/release"
e2e_cleanup_add "exec $release>&- 2>/dev/null || true"

t0=${EPOCHREALTIME/./}
e2e_wait_match "$E2E_TMP/hold.out" '^held ' 120 ||
	e2e_bail "holdconns did not get its sessions open: $(cat "$E2E_TMP/hold.err")"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
held=$(awk '$1 == "held" { print $2 }' "$E2E_TMP/hold.out")
fds=$(find "/proc/$rm_pid/fd" -mindepth 1 | wc -l)
threads=$(status Threads)
rss=$(status VmRSS)
hwm=$(status VmHWM)
e2e_note "$held sessions open and answered in $ms ms; replymilter:" \
	"$fds descriptors, $threads threads, VmRSS $rss KiB (at start $rss0)," \
	"VmHWM $hwm KiB"
e2e_check "all $n sessions open and past connect at once ($held)" \
	test "$held" = "$n"
e2e_check "replymilter holds a descriptor for each ($fds)" test "$fds" -ge "$n"
timeout 30 miltertest -D "libdir=$top/tests/miltertest" \
	-D "socket=unix:$sock" -D "want=550 5.7.1 Refused by policy A" \
	-s "$here/probe.lua" >"$E2E_TMP/probe.out" 2>&1
rc=$?
sed 's/^/    /' "$E2E_TMP/probe.out"
e2e_check "a session among them gets the policy's reply (status $rc)" test "$rc" = 0
e2e_check "VmRSS $rss KiB with $n sessions, under $bound_kib KiB" \
	test "$rss" -lt "$bound_kib"

exec {release}>&-
wait "$hold_pid"
rc=$?
e2e_check "every held session got its MAIL refused: $(cat "$E2E_TMP/hold.out" | tail -n 1) (status $rc)" \
	test "$rc" = 0
hwm=$(status VmHWM)
e2e_note "VmHWM $hwm KiB at the end"
e2e_check "VmHWM $hwm KiB, under $bound_kib KiB" test "$hwm" -lt "$bound_kib"
refused=$(grep -c 'rule=blocked-sender id=blocked-sender action=reject' "$RM_LOG")
e2e_check "the log has $n refusals ($refused)" test "$refused" = "$n"
expect_no_reply "$(cat -- "$RM_LOG")" '^replymilter: (warning|error|fatal)' \
	"no warning or error logged"
e2e_check "replymilter is still PID $rm_pid" e2e_alive "$rm_pid"

e2e_stop_pid "$rm_pid" 10
e2e_note "conns.sh: $((SECONDS - started)) s"
e2e_summary
