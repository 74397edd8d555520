#!/bin/bash
#
# tests/faults/hup.sh - 100 SIGHUPs while load runs, the config rewritten
# before each one: good policy A, broken, good policy B, broken, ...
#
# replymilter starts on policy A.  bench/milterload keeps 4 connections
# busy the whole time (transactions whose recipients no rule names: every
# one must get through, so any failed, rejected or tempfailed transaction is
# a failure).  Each round writes the next config (by rename, so a reload
# never reads half a file), sends SIGHUP, waits for the log's verdict on
# the reload, and sends a probe message (tests/faults/probe.lua) whose
# reply names the policy in force: "550 5.7.1 Refused by policy A" or
# "... B".  After a good reload the probe must get the new policy; after a
# broken one, the last good one, and the log must say the reload was
# refused ("reload: CONF has 1 error; the running policy stays") once per
# broken config.  At the end: milterload exits 0 with no failed session,
# replymilter is the same process, and its log has no other error.
#
# Debian packages: bash, coreutils, grep, sed, miltertest; bench/milterload
#   is built by make check.
# Needs: nothing special (a unix socket in a temporary directory).  Takes
#   about 15 s.

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
e2e_init replymilter-faults-hup

milterload=${abs_top_builddir:-$top}/bench/milterload
[ -x "$milterload" ] || e2e_bail "no $milterload (make check builds it)"
bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin"

rounds=${FAULTS_HUP_ROUNDS:-100}
conf=$E2E_TMP/replymilter.conf
sock=$E2E_TMP/replymilter.sock
RM_LOG=$E2E_TMP/replymilter.log

# write_conf KIND - write the config (A, B or broken) by rename
write_conf() {
	local text
	case $1 in
	A | B) text="550 5.7.1 Refused by policy $1" ;;
	# A 5xx basic code with a 4.x.x enhanced code: a config error.
	broken) text="550 4.7.1 Refused by a broken policy" ;;
	esac
	cat >"$conf.new" <<CONF
socket_mode = "0600"
log_level   = "info"
rule "probe" {
    stage = eom
    rcpt  = "/^probe@/"
    reply = { "$text" }
}
CONF
	mv -f -- "$conf.new" "$conf"
}

# count REGEX - print how many log lines match REGEX
count() {
	grep -Ec -- "$1" "$RM_LOG"
}

# wait_count REGEX N - returns 0 once N log lines match REGEX (10 s)
wait_count() {
	local deadline=$((SECONDS + 10))
	while [ "$(count "$1")" -lt "$2" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.02
	done
}

# probe POLICY - returns 0 if a probe message gets POLICY's reply
probe() {
	timeout 30 miltertest -D "libdir=$top/tests/miltertest" \
		-D "socket=unix:$sock" \
		-D "want=550 5.7.1 Refused by policy $1" \
		-s "$here/probe.lua" >"$E2E_TMP/probe.out" 2>&1
}

write_conf A
: >"$RM_LOG"
"$bin" -f -c "$conf" -p "unix:$sock" -P "$E2E_TMP/replymilter.pid" -d info \
	</dev/null 2>>"$RM_LOG" &
rm_pid=$!
e2e_cleanup_add e2e_stop_pid "$rm_pid" 10
e2e_wait_socket "$sock" 10 &&
	e2e_wait_match "$RM_LOG" '^replymilter: replymilter .* started on ' 5 ||
	e2e_bail "replymilter did not start"
probe A || e2e_bail "the first probe did not get policy A: $(cat "$E2E_TMP/probe.out")"

"$milterload" -s "unix:$sock" -c 4 -t 10 -d 600 -T 10 -j \
	>"$E2E_TMP/load.json" 2>"$E2E_TMP/load.err" &
load_pid=$!
e2e_cleanup_add e2e_stop_pid "$load_pid" 15
sleep 0.5

good_re='^replymilter: reload: [0-9]+ rules; '
bad_re="^replymilter: error: reload: $conf has 1 error; the running policy stays\$"
last=A next=B
good=0 bad=0 probes_ok=0 probes_bad=0 first_bad_probe=
for ((i = 1; i <= rounds; i++)); do
	if ((i % 2 == 1)); then
		write_conf broken
		bad=$((bad + 1))
		kill -HUP "$rm_pid"
		wait_count "$bad_re" "$bad" || break
	else
		write_conf "$next"
		good=$((good + 1))
		kill -HUP "$rm_pid"
		wait_count "$good_re" "$good" || break
		last=$next
		[ "$next" = A ] && next=B || next=A
	fi
	if probe "$last"; then
		probes_ok=$((probes_ok + 1))
	else
		probes_bad=$((probes_bad + 1))
		[ -n "$first_bad_probe" ] ||
			first_bad_probe="round $i (want policy $last): $(cat "$E2E_TMP/probe.out")"
	fi
done
hups=$((i - 1))

kill -TERM "$load_pid"
e2e_wait_gone "$load_pid" 15
wait "$load_pid"
load_rc=$?
json=$(cat -- "$E2E_TMP/load.json")
field() {
	printf '%s' "$json" | grep -Eo "\"$1\":[0-9]+" | head -n 1 | cut -d: -f2
}
tx=$(field tx)
e2e_note "$hups SIGHUPs ($good good, $bad broken), $probes_ok probes ok;" \
	"milterload: ${tx:-?} transactions, $(field sessions) sessions"

e2e_check "$rounds SIGHUPs sent, each one's reload seen in the log (sent $hups)" \
	test "$hups" -eq "$rounds"
e2e_check "every probe got the policy last loaded ($probes_ok ok, $probes_bad not${first_bad_probe:+: $first_bad_probe})" \
	test "$probes_bad" -eq 0 -a "$probes_ok" -eq "$hups"
e2e_check "the log refused each of the $bad broken configs ($(count "$bad_re") lines)" \
	test "$(count "$bad_re")" -eq "$bad"
e2e_check "the log reports each of the $good good reloads ($(count "$good_re") lines)" \
	test "$(count "$good_re")" -eq "$good"
e2e_check "milterload exited 0 (status $load_rc: $(head -c 300 "$E2E_TMP/load.err"))" \
	test "$load_rc" = 0
e2e_check "milterload ran transactions (${tx:-none})" test "${tx:-0}" -gt 0
for f in sessions_failed noanswer timeouts connect_errors io_errors \
	protocol_errors tx_rejected tx_tempfailed tx_not_run rcpt_rejected \
	rcpt_tempfailed; do
	v=$(field "$f")
	e2e_check "milterload: $f = 0 (${v:-missing})" test "${v:-x}" = 0
done
e2e_check "replymilter is the same process (PID $rm_pid)" e2e_alive "$rm_pid"
expect_no_reply "$(grep -v -- "reload: $conf has 1 error" "$RM_LOG" |
	grep -v "$(basename -- "$conf"):[0-9]*: ")" '^replymilter: (warning|error|fatal)' \
	"no error logged but the refused reloads"

e2e_stop_pid "$rm_pid" 10
e2e_note "hup.sh: $((SECONDS - started)) s"
e2e_summary
