#!/bin/bash
#
# tests/e2e/postfix-redis.sh - two replymilter processes (two MX hosts)
# enforce one shared rate limit through a real Redis, behind a real
# Postfix: what the SMTP client reads, and what happens when Redis goes
# away and comes back (issue 15).
#
# It starts redis-server on a free loopback port (its data in the test's
# folder, nothing saved), replymilter A and B with ratelimit_store =
# "redis://127.0.0.1:PORT/0" and the rule "per-sender" at rcpt (rate =
# "sender 4/1h"; A with ratelimit_on_error = tempfail), and one private
# loopback Postfix (tests/e2e/lib/postfix.sh) that delivers to a file sink
# and has two smtpd listeners: listener 1 (main.cf's smtpd_milters) uses
# milter A, listener 2 (-o smtpd_milters=...) milter B.  Then, with swaks:
#   - 2 recipients via listener 1: 250, 250;
#   - 3 via listener 2: 250, 250, then "452 4.5.3 Too many recipients
#     (limit 4/1h): try again in N seconds" (1 <= N <= 7200);
#   - 1 via listener 1: the same 452 (the counter is shared, A refuses
#     what B counted);
#   - each refusal is logged by the milter that made it, and only there;
#     --ratelimit-show reads 4.0 of 4; the sink holds exactly the four
#     accepted recipients, in the two messages they were sent in;
#   - Redis stopped: a recipient via listener 1 reads "451 4.3.0
#     Temporary local problem, please try again later" (A's on_failure,
#     relayed by Postfix) and A logs the store's failure;
#   - Redis started again on the same port (empty): within 10 s (A's
#     backoff is at most 5 s) a new sender's recipient via listener 1 is
#     accepted, and A logs that the store answers again.
#
# Output is TAP-ish; it exits 1 on any failure.  Everything it starts and
# every file it makes is removed on every exit path (E2E_KEEP=1 keeps the
# files).  Takes about 5 s.
#
# Debian packages: bash, coreutils, grep, sed, swaks, postfix (debconf "No
#   configuration" is enough: /etc/postfix is never written), redis-server
#   (redis-server and redis-cli), base-passwd (user nobody), iproute2
#   (optional).  replymilter built with hiredis (configure found
#   libhiredis-dev).
# Needs: root (Postfix drops privileges to user postfix); exits 77 (skip)
#   when not root or when LIVE_TESTS=no.  Without redis-server it fails
#   when REQUIRE_REDIS_SERVER=1 (CI), else skips saying so.  Anything else
#   missing (a replymilter without hiredis included) is a failure.
#
# Usage: tests/e2e/postfix-redis.sh   (E2E_VERBOSE=1 shows the swaks
#   transcripts)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix and redis-server on loopback"

root_or_skip "needs root (Postfix runs as root and drops to user postfix)"

if ! command -v redis-server >/dev/null 2>&1; then
	if [ "${REQUIRE_REDIS_SERVER:-}" = 1 ]; then
		echo "FAIL: $0: redis-server missing (apt-get install redis-server)"
		exit 1
	fi
	echo "SKIP: $0: redis-server missing (apt-get install redis-server)"
	exit 77
fi

. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/replymilter.sh"

started=$SECONDS
e2e_require swaks swaks
e2e_require postfix postfix
e2e_require postconf postfix
e2e_require redis-cli redis-tools
e2e_init replymilter-e2e-pfredis

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"

# --- Redis --------------------------------------------------------------------

rport=$(e2e_free_port) || e2e_bail "no free port"
store=redis://127.0.0.1:$rport/0
REDIS_PID=

# redis_start - redis-server on $rport in the background (its PID in
# REDIS_PID, stopped by the cleanup); bails out when it does not listen
redis_start() {
	mkdir -p -- "$E2E_TMP/redis"
	redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$E2E_TMP/redis" >>"$E2E_TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	e2e_cleanup_add e2e_stop_pid "$REDIS_PID" 5
	e2e_wait_port 127.0.0.1 "$rport" 10 || {
		sed 's/^/#   redis: /' "$E2E_TMP/redis.log"
		e2e_bail "redis-server does not listen on $rport"
	}
}

# --- replymilter A and B ------------------------------------------------------

# conf NAME - print milter NAME's policy
conf() {
	cat <<CONF
# The policy of milter $1 in tests/e2e/postfix-redis.sh.
socket      = "unix:/nonexistent/replymilter-e2e-pfredis-$1.sock"
pidfile     = "/nonexistent/replymilter-e2e-pfredis-$1.pid"
socket_mode = "0666"
log_level   = "info"
ratelimit_store    = "$store"
ratelimit_on_error = tempfail
ratelimit_timeout  = 200

rule "per-sender" {
    stage = rcpt
    rate  = "sender 4/1h"
}
CONF
}

# milter NAME - start replymilter NAME (as rm_start does, with files of its
# own: $E2E_TMP/NAME.{conf,sock,pid,log}); sets PID_NAME; bails out on
# failure.  The cleanup stops it.
milter() {
	local name=$1 cfile=$E2E_TMP/$1.conf pid
	conf "$name" >"$cfile"
	: >"$E2E_TMP/$name.log"
	"$bin" -n -c "$cfile" >"$E2E_TMP/check.out" 2>&1 || {
		# As tests/ratelimit-redis.sh: a build without hiredis skips.
		if grep -q "built without Redis" "$E2E_TMP/check.out"; then
			echo "SKIP: $0: replymilter is built without hiredis"
			exit 77
		fi
		sed 's/^/#   /' "$E2E_TMP/check.out"
		e2e_bail "replymilter -n refuses milter $name's config (built without hiredis?)"
	}
	(umask 0 && exec "$bin" -f -c "$cfile" -p "unix:$E2E_TMP/$name.sock" \
		-P "$E2E_TMP/$name.pid" -d info) </dev/null 2>>"$E2E_TMP/$name.log" &
	pid=$!
	eval "PID_$name=\$pid"
	e2e_cleanup_add e2e_stop_pid "$pid" 10
	if ! e2e_wait_socket "$E2E_TMP/$name.sock" 10 ||
		! e2e_wait_match "$E2E_TMP/$name.log" '^replymilter: replymilter .* started on ' 5; then
		sed "s/^/#   $name log: /" "$E2E_TMP/$name.log"
		e2e_bail "replymilter $name did not start"
	fi
	e2e_note "replymilter $name: PID $pid, socket $E2E_TMP/$name.sock"
}

redis_start
milter A
milter B
LOG_A=$E2E_TMP/A.log
LOG_B=$E2E_TMP/B.log
RM_CLIENT='[127.0.0.1][127.0.0.1]'

# --- Postfix: listener 1 with milter A, listener 2 with milter B ----------------

pf=$E2E_TMP/postfix
port1=$(e2e_free_port) || e2e_bail "no free port"
port2=$(e2e_free_port) || e2e_bail "no free port"
POSTFIX_MASTER_EXTRA="127.0.0.1:$port2 inet n - n - - smtpd
  -o smtpd_milters=unix:$E2E_TMP/B.sock"
export POSTFIX_MASTER_EXTRA
extra="default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"
: >"$E2E_TMP/start.marker"
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$port1" "unix:$E2E_TMP/A.sock" "$extra" ||
	e2e_bail "Postfix did not start"
e2e_wait_port 127.0.0.1 "$port2" 15 || e2e_bail "no second listener on $port2"
master=$(postfix_master_pid "$pf")
version=$(postconf -c "$pf/etc" -h mail_version)
e2e_note "Postfix $version: listener 1 on :$port1 (milter A), listener 2 on :$port2 (milter B); Redis on :$rport"

# --- Helpers ------------------------------------------------------------------

tag=$$-$RANDOM
ok_re='^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
held_re='^RCPT 452 4\.5\.3 Too many recipients \(limit 4/1h\): try again in ([0-9]+) seconds$'
fail_line="RCPT 451 4.3.0 Temporary local problem, please try again later"

# held_wait OUTPUT - print the N of the first 452 line in OUTPUT (nothing
# when there is none)
held_wait() {
	local line
	while IFS= read -r line; do
		[[ $line =~ $held_re ]] && printf '%s\n' "${BASH_REMATCH[1]}" &&
			return 0
	done <<<"$1"
	return 0
}

# check_wait LABEL N - N is a whole number from 1 to 7200
check_wait() {
	e2e_result "$([[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 7200 ]
		echo $?)" "$1: N = ${2:-none}, between 1 and 7200" "got '${2:-}'"
}

# decided LOG MARK N LABEL - ok once LOG has, after line MARK, the
# per-sender refusal with the wait N
decided() {
	RM_LOG=$1 rm_expect_log "$2" \
		"replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=per-sender id=per-sender action=tempfail reply=\"452 4.5.3 Too many recipients (limit 4/1h): try again in $3 seconds\"" \
		"$4"
}

# refusals LOG - print how many per-sender refusals LOG holds
refusals() {
	grep -c ' rule=per-sender id=per-sender action=tempfail ' "$1"
}

# recipients SUBJECT - print the envelope recipients the sink delivered the
# message SUBJECT to, sorted, one line (nothing when it never came)
recipients() {
	mta_wait_sink "$pf" "^Subject: $1\$" 15 >/dev/null 2>&1
	mta_sink_message "$pf" "$1" | sed -n 's/^X-E2E-Envelope-To: //p' |
		tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

# --- 1. One limit for both hosts --------------------------------------------------

markA=$(RM_LOG=$LOG_A rm_log_mark)
markB=$(RM_LOG=$LOG_B rm_log_mark)

RM_PORT=$port1
rm_case "listener 1 (A): recipients 1-2 of 4: 250, 250" RCPT "MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok
RCPT 250 2.1.5 Ok
DATA 354 End data with <CR><LF>.<CR><LF>" \
	--from alice@example.net --to r1@rate.example,r2@rate.example \
	--header "Subject: redis-1-$tag"
expect_reply "$RM_OUT" "$ok_re" "listener 1 (A): the message is queued"

RM_PORT=$port2
rm_case "listener 2 (B): recipients 3-4 pass, the 5th is refused" RCPT \
	"MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok
RCPT 250 2.1.5 Ok" \
	--from alice@example.net \
	--to r3@rate.example,r4@rate.example,r5@rate.example \
	--header "Subject: redis-2-$tag"
rcpts=$(printf '%s\n' "$RM_OUT" | grep '^RCPT ')
e2e_result "$([ "$(printf '%s\n' "$rcpts" | wc -l)" = 3 ] &&
	printf '%s\n' "$rcpts" | sed -n 3p | grep -Eq "$held_re"; echo $?)" \
	"listener 2 (B): the 5th reads \"452 4.5.3 Too many recipients (limit 4/1h): try again in N seconds\"" \
	"$rcpts"
nB=$(held_wait "$RM_OUT")
check_wait "listener 2 (B): the 5th's wait" "$nB"
expect_reply "$RM_OUT" "$ok_re" "listener 2 (B): the message is queued for the two accepted"
decided "$LOG_B" "$markB" "$nB" "B's log: the refusal of the 5th, with the wait the client read"

RM_PORT=$port1
rm_case_re "listener 1 (A): a 6th is refused too (the counter is shared)" RCPT \
	"$held_re" --from alice@example.net --to r6@rate.example \
	--header "Subject: redis-3-$tag"
rcpts=$(printf '%s\n' "$RM_OUT" | grep '^RCPT ')
e2e_result "$([ "$(printf '%s\n' "$rcpts" | wc -l)" = 1 ]; echo $?)" \
	"listener 1 (A): the 6th is the only RCPT line" "$rcpts"
expect_no_reply "$RM_OUT" '^(DATA|DOT) ' "listener 1 (A): no message sent for the 6th"
nA=$(held_wait "$RM_OUT")
check_wait "listener 1 (A): the 6th's wait" "$nA"
decided "$LOG_A" "$markA" "$nA" "A's log: the refusal of the 6th, with the wait the client read"

e2e_check "A's log: exactly one refusal (the 6th)" test "$(refusals "$LOG_A")" = 1
e2e_check "B's log: exactly one refusal (the 5th)" test "$(refusals "$LOG_B")" = 1
"$bin" --ratelimit-show -c "$E2E_TMP/A.conf" per-sender alice@example.net \
	>"$E2E_TMP/show.out" 2>&1
e2e_check "--ratelimit-show (A's config) reads the shared count: 4.0 of 4" \
	grep -qx 'per-sender alice@example.net: 4.0 of 4 in 4/1h' "$E2E_TMP/show.out" ||
	sed 's/^/#   /' "$E2E_TMP/show.out"

got=$(recipients "redis-1-$tag")
e2e_result "$([ "$got" = "r1@rate.example r2@rate.example" ]; echo $?)" \
	"sink: the message via listener 1 reached r1 and r2, and them only" "got: $got"
got=$(recipients "redis-2-$tag")
e2e_result "$([ "$got" = "r3@rate.example r4@rate.example" ]; echo $?)" \
	"sink: the message via listener 2 reached r3 and r4, and them only" "got: $got"
got=$(mta_sink "$pf" | grep -c '^X-E2E-Envelope-To: ')
e2e_result "$([ "$got" = 2 ]; echo $?)" "sink: two deliveries in all" "got $got"
e2e_check "sink: nothing for the refused r5 and r6" \
	test -z "$(mta_sink "$pf" | grep -E '^X-E2E-Envelope-To: .*r[56]@|^Subject: redis-3-')"

# --- 2. Redis goes away -------------------------------------------------------------

kill -TERM "$REDIS_PID"
e2e_check "Redis stopped" e2e_wait_gone "$REDIS_PID" 10
markA=$(RM_LOG=$LOG_A rm_log_mark)
RM_PORT=$port1
rm_case "Redis down: listener 1 (A, on_error tempfail) reads A's on_failure" \
	RCPT "MAIL 250 2.1.0 Ok
$fail_line" --from carol@example.net --to r7@rate.example --quit-after RCPT
e2e_check "Redis down: A's log: the failure names the store and the reply" \
	e2e_wait_match "$LOG_A" "cause=store failure=\"rule per-sender: the rate-limit store ${store//./\\.} did not answer\" reply=\"451 4\\.3\\.0 Temporary local problem, please try again later\"" 5
e2e_check "Redis down: A's log: the store's failure is said once" \
	test "$(RM_LOG=$LOG_A rm_log_since "$markA" | grep -c 'ratelimit: the store .* does not answer')" = 1

# --- 3. Redis comes back ------------------------------------------------------------

redis_start
t0=$EPOCHREALTIME
deadline=$((SECONDS + 10))
tries=0
while :; do
	tries=$((tries + 1))
	out=$(smtp_session "$port1" --from dave@example.net --to r8@rate.example \
		--quit-after RCPT)
	line=$(printf '%s\n' "$out" | grep -m1 '^RCPT ')
	[ "$line" = "RCPT 250 2.1.5 Ok" ] && break
	if [ "$line" != "$fail_line" ]; then
		e2e_note "Redis back: try $tries read: ${line:-no RCPT reply}"
	fi
	[ "$SECONDS" -ge "$deadline" ] && break
	sleep 0.2
done
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
e2e_result "$([ "$line" = "RCPT 250 2.1.5 Ok" ]; echo $?)" \
	"Redis back: a new sender's recipient via listener 1 is accepted within 10 s (after $tries tries, $ms ms)" \
	"the last try read: ${line:-nothing}" "$out"
rm_table_add "Redis back: a new sender via listener 1 (try $tries)" \
	"$(rm_stage_lines "$out" RCPT)"
e2e_check "Redis back: A's log says the store answers again" \
	e2e_wait_match "$LOG_A" 'ratelimit: the store .* answers again' 5
e2e_check "Redis back: Redis holds the new sender's count (one key with a TTL)" \
	test "$(redis-cli -p "$rport" --scan --pattern 'replymilter:*' |
		while read -r k; do redis-cli -p "$rport" ttl "$k"; done |
		awk '$1 > 0 { n++ } END { print n + 0 }')" -ge 1

# --- The end ------------------------------------------------------------------

e2e_check "replymilter A still runs" e2e_alive "$PID_A"
e2e_check "replymilter B still runs" e2e_alive "$PID_B"
postfix_stop "$pf"
e2e_check "Postfix stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${master:-0}")"
e2e_check "/etc/postfix untouched" \
	test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit 2>/dev/null)"

e2e_note "postfix-redis.sh: $((SECONDS - started)) s"
rm_table_print "two replymilters sharing one Redis limit behind Postfix ${version:-?}: what the client saw"
e2e_summary
