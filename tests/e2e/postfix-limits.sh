#!/bin/bash
#
# tests/e2e/postfix-limits.sh - replymilter's rate limits and greylisting
# behind a real Postfix: what the SMTP client reads, with the limiter's
# clock moved by the test instead of waiting.
#
# It starts replymilter with a policy written here (metrics_listen on a
# free loopback port) and REPLYMILTER_TEST_CLOCK naming a file in the
# test's folder, and a private loopback Postfix (tests/e2e/lib/postfix.sh)
# that takes XCLIENT from 127.0.0.1, delivers to a file sink, and has a
# second smtpd listener with milter_macro_daemon_name=conn-limit for the
# connect-stage rule.  The limiter's time is the clock plus the seconds in
# that file, read at every judgement: the test works in a time of its own
# ("virtual" seconds) and, before a session whose numbers depend on it,
# waits for the start of a real second and writes the virtual time minus
# the real one, so that the session is judged at that virtual second (the
# real clock ticks between sessions: a fixed offset would not do).  Each
# timed session checks that it ended within that second; the numbers
# expected are derived from the virtual times by trying each second (an
# oracle for store.h's contract).  Then, with swaks and sessions by hand:
#   - greylisting (rule at rcpt, greylist = "5m 36d"): a first attempt
#     gets "451 4.7.1 Greylisted: please try again in 300 seconds", a
#     retry 120 s later 180 seconds, one 360 s after the first passes and
#     the delivered message carries "X-Greylist: delayed 360 seconds by
#     replymilter"; a second message for the triplet passes at once with
#     no X-Greylist; another recipient is greylisted; a client of the same
#     /24 (XCLIENT 127.0.0.9) shares the triplet, one of another /24
#     (XCLIENT 192.0.2.10) does not; an earlier accept rule (sender
#     trusted@, at mail) exempts;
#   - a recipient rate (rule at rcpt, rate = "sender 3/1h"): of five
#     recipients three are accepted and two get "452 4.5.3 Too many
#     recipients (limit 3/1h): try again in N seconds" (N = 4200 at 600 s
#     into the hour's bucket); N - 1 s later a recipient is still refused,
#     N s later one is accepted (so the refused ones were not counted)
#     and the next refused, each wait the least whole second that fits
#     (1 s where a rounding error once said 2); another sender has a
#     count of its own;
#   - a connection rate (rule at connect, on the conn-limit listener,
#     rate = "client_addr 2/60s"): two sessions pass; the third reads
#     "421 4.3.0 Too many connections: try again in N seconds" at EHLO,
#     at once (Postfix holds another HELO-stage refusal until MAIL FROM,
#     but not a 421) and Postfix hangs up; a fourth, with no HELO, reads
#     it at MAIL FROM
#     with the same N (the refused third was not counted) and is closed
#     too; N seconds later a session passes again;
#   - replymilter's log: one decision line per refusal, with rule, stage
#     and reply; /metrics: replymilter_ratelimit_held_total equal to the
#     refusals caused, each rule's replymilter_replies_total series, the
#     local store's keys, no store errors or internal failures.
# The greylisting network is greylist_prefix_v4's default (/24) and
# greylist_auto_allow's default (5 passes) is never reached.
#
# Output is TAP-ish; it exits 1 on any failure.  Everything it starts and
# every file it makes is removed on every exit path (E2E_KEEP=1 keeps the
# files).  Takes about 12 s, most of it waiting for the start of a second.
#
# Debian packages: bash, coreutils, grep, sed, gawk or mawk, swaks, postfix
#   (debconf "No configuration" is enough: /etc/postfix is never written),
#   python3 (reads /metrics), base-passwd (user nobody), iproute2
#   (optional).  replymilter built with libmicrohttpd (configure found
#   libmicrohttpd-dev).
# Needs: root (Postfix drops privileges to user postfix); exits 77 (skip)
#   when not root, when LIVE_TESTS=no, or when replymilter is built
#   without the metrics endpoint.  Anything else missing is a failure.
#
# Usage: tests/e2e/postfix-limits.sh   (E2E_VERBOSE=1 shows the swaks
#   transcripts)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix on loopback"

root_or_skip "needs root (Postfix runs as root and drops to user postfix)"

. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/replymilter.sh"

started=$SECONDS
e2e_require swaks swaks
e2e_require postfix postfix
e2e_require postconf postfix
e2e_require python3 python3
e2e_init replymilter-e2e-pflimits

# --- The limiter's clock --------------------------------------------------------

clock=$E2E_TMP/clock
echo 0 >"$clock"
export REPLYMILTER_TEST_CLOCK=$clock
AT_SEC=0

# set_offset N - the clock file says N (replaced at once: the daemon reads
# it at every judgement)
set_offset() {
	echo "$1" >"$clock.new" && mv -f -- "$clock.new" "$clock"
}

# at V - from the next real second on, the limiter's time is V then:
# waits for that second to begin, writes V minus it into the clock file
# and sets AT_SEC to it
at() {
	local t=$EPOCHREALTIME next left
	next=$((${t%.*} + 1))
	left=$((1000000 - 10#${t#*.}))
	sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
	# sleep may return a hair early.
	while [ "${EPOCHREALTIME%.*}" -lt "$next" ]; do sleep 0.005; done
	AT_SEC=${EPOCHREALTIME%.*}
	set_offset $((V_BASE + $1 - AT_SEC))
}

# timed LABEL - check that the session since the last "at" ended within
# the real second it began in, so that it was judged at the virtual time
# asked for
timed() {
	local drift=$((${EPOCHREALTIME%.*} - AT_SEC))
	e2e_result "$([ "$drift" = 0 ]; echo $?)" \
		"$1: judged at the virtual second asked for" \
		"the session ended $drift s after the second it was timed for"
}

# retry_after CUR PREV LIMIT WINDOW COST ELAPSED - print the least whole
# number of seconds after which COST fits under LIMIT in a two-bucket
# window whose current bucket, ELAPSED seconds old, holds CUR and the
# previous one PREV (the store.h contract), found by trying each second in
# turn: an oracle, not a copy of src/store.c's formula
retry_after() {
	awk -v cur="$1" -v prev="$2" -v limit="$3" -v w="$4" -v cost="$5" \
		-v elapsed="$6" 'BEGIN {
		if (cost > limit) { print w; exit }
		for (n = 1; n < 2 * w; n++) {
			e = elapsed + n
			if (e < w) est = prev * (1 - e / w) + cur
			else if (e < 2 * w) est = cur * (1 - (e - w) / w)
			else est = 0
			if (est + cost <= limit) break
		}
		print n
	}'
}

# --- replymilter, Postfix -------------------------------------------------------

mport=$(e2e_free_port) || e2e_bail "no free port"
murl=http://127.0.0.1:$mport/metrics
conf=$E2E_TMP/pflimits.conf
cat >"$conf" <<CONF
# The policy of tests/e2e/postfix-limits.sh.
socket      = "unix:/nonexistent/replymilter-e2e-pflimits.sock"
pidfile     = "/nonexistent/replymilter-e2e-pflimits.pid"
socket_mode = "0666"
log_level   = "info"
metrics_listen = "127.0.0.1:$mport"

# An earlier accept exempts from the rules after it.
rule "trusted-sender" {
    stage  = mail
    sender = "/^trusted@example[.]com\$/"
    action = accept
}

rule "greylist" {
    stage    = rcpt
    rcpt     = "/@grey[.]example\$/"
    greylist = "5m 36d"
}

rule "recipients-per-sender" {
    stage = rcpt
    rcpt  = "/@rate[.]example\$/"
    rate  = "sender 3/1h"
}

rule "connection-flood" {
    stage = connect
    macro = "{daemon_name}: conn-limit"
    rate  = "client_addr 2/60s"
}
CONF
if ! "$(rm_binary)" -n -c "$conf" >"$E2E_TMP/check.out" 2>&1 &&
	grep -q "built without the metrics endpoint" "$E2E_TMP/check.out"; then
	echo "SKIP: $0: replymilter is built without libmicrohttpd"
	exit 77
fi
rm_start "$conf"
e2e_wait_port 127.0.0.1 "$mport" 5 ||
	e2e_bail "the metrics endpoint does not listen on $mport"
e2e_check "replymilter has REPLYMILTER_TEST_CLOCK in its environment" \
	grep -qz "^REPLYMILTER_TEST_CLOCK=$clock\$" "/proc/$RM_PID/environ"
RM_CLIENT='[127.0.0.1][127.0.0.1]'

pf=$E2E_TMP/postfix
port=$(e2e_free_port) || e2e_bail "no free port"
cport=$(e2e_free_port) || e2e_bail "no free port"
POSTFIX_MASTER_EXTRA="127.0.0.1:$cport inet n - n - - smtpd
  -o milter_macro_daemon_name=conn-limit"
export POSTFIX_MASTER_EXTRA
# XCLIENT from 127.0.0.1 only; the presented clients may relay.
extra="smtpd_authorized_xclient_hosts = 127.0.0.1
mynetworks = 127.0.0.0/8 192.0.2.0/24
default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"
: >"$E2E_TMP/start.marker"
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$port" "unix:$RM_SOCK" "$extra" ||
	e2e_bail "Postfix did not start"
# This probe is a connection to the conn-limit listener, counted at the
# real time: the connection part runs days later in virtual time.
e2e_wait_port 127.0.0.1 "$cport" 15 || e2e_bail "no second listener on $cport"
master=$(postfix_master_pid "$pf")
version=$(postconf -c "$pf/etc" -h mail_version)
e2e_note "Postfix $version on 127.0.0.1:$port and :$cport (conn-limit); metrics on $murl"

# --- Reading /metrics -----------------------------------------------------------

# scrape - fetch /metrics into $E2E_TMP/metrics.txt (rm_scrape)
scrape() {
	rm_scrape "$murl"
}

# value SERIES - its value in the last scrape, or "missing" (rm_metric)
value() {
	rm_metric "$1"
}

# series RULE STAGE CODE ENHANCED ACTION - print the replies series of an
# enforced rule
series() {
	printf 'replymilter_replies_total{rule="%s",stage="%s",code="%s",enhanced="%s",action="%s",mode="enforce"}' \
		"$@"
}

# --- What the test caused ---------------------------------------------------------

declare -A RULE_STAGE=([greylist]=rcpt [recipients-per-sender]=rcpt
	[connection-flood]=connect [trusted-sender]=mail)
HELD=0			# events a rate or greylist rule held
declare -A LOGGED=()	# rule -> its decision lines with action=tempfail
declare -A WANT=()	# replies series -> count

# refused RULE STAGE LINE MARK - a refusal that the client read as LINE
# ("RCPT 451 4.7.1 text") at STAGE: checks replymilter's decision line
# after log line MARK (client $CLIENT, default 127.0.0.1's) and counts it
refused() {
	local rule=$1 stage=$2 line=$3 mark=$4 reply code enh key decided=
	reply=${line#* }
	read -r code enh _ <<<"$reply"
	[ "$stage" = "${RULE_STAGE[$rule]}" ] ||
		decided=" decided=${RULE_STAGE[$rule]}"
	rm_expect_log "$mark" "replymilter: @QID@: client=${CLIENT:-@CLIENT@} stage=$stage rule=$rule id=$rule action=tempfail reply=\"$reply\"$decided" \
		"log: $rule at $stage: \"$reply\""
	HELD=$((HELD + 1))
	LOGGED[$rule]=$((${LOGGED[$rule]:-0} + 1))
	key=$(series "$rule" "$stage" "$code" "$enh" tempfail)
	WANT[$key]=$((${WANT[$key]:-0} + 1))
}

# delivered SUBJECT - print the message whose Subject is SUBJECT once it
# is in the sink (waits up to 15 s; nothing when it never comes)
delivered() {
	mta_wait_sink "$pf" "^Subject: $1\$" 15 >/dev/null 2>&1
	mta_sink_message "$pf" "$1"
}

# hung_up - returns 0 when the open session ($E2E_SMTP_FD) reads the end
# of the connection within 5 s (Postfix hung up), 1 when it reads a line
# or waits in vain; closes the session
hung_up() {
	local line rc
	IFS= read -r -t 5 -u "$E2E_SMTP_FD" line
	rc=$?
	exec {E2E_SMTP_FD}>&-
	E2E_SMTP_FD=
	[ "$rc" = 1 ] && [ -z "$line" ]
}

# raw COMMAND... - a session by hand on the conn-limit listener, left
# open: the banner and each COMMAND's reply, prefixed with the command's
# word, into RM_OUT
raw() {
	local cmd word
	: >"$E2E_TMP/raw.out"
	# Not in a pipeline: the connection must stay in this shell.
	smtp_open "$cport" >"$E2E_TMP/raw.banner"
	sed 's/^/CONNECT /' "$E2E_TMP/raw.banner" >>"$E2E_TMP/raw.out"
	for cmd in "$@"; do
		word=${cmd%% *}
		word=${word%%:*}
		smtp_send "$cmd" | sed "s/^/${word^^} /" >>"$E2E_TMP/raw.out"
	done
	RM_OUT=$(cat -- "$E2E_TMP/raw.out")
}

tag=$$-$RANDOM
ok_re='^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
# Virtual time 0: the real clock's next whole minute.
now=${EPOCHREALTIME%.*}
V_BASE=$(((now / 60 + 1) * 60))

# --- 1. Greylisting ---------------------------------------------------------------

grey_first="RCPT 451 4.7.1 Greylisted: please try again in 300 seconds"
RM_PORT=$port

mark=$(rm_log_mark)
at 0
rm_case "greylist: first attempt deferred" RCPT "$grey_first" \
	--to bob@grey.example --header "Subject: grey-1-$tag"
timed "greylist: first attempt"
expect_no_reply "$RM_OUT" '^DOT ' "greylist: first attempt: no message sent"
refused greylist rcpt "$grey_first" "$mark"

line="RCPT 451 4.7.1 Greylisted: please try again in 180 seconds"
mark=$(rm_log_mark)
at 120
rm_case "greylist: retry 120 s later: deferred for the 180 s left" RCPT "$line" \
	--to bob@grey.example --header "Subject: grey-2-$tag"
timed "greylist: retry at 120 s"
refused greylist rcpt "$line" "$mark"

mark=$(rm_log_mark)
at 360
rm_case_re "greylist: retry 360 s after the first: delivered" "RCPT DOT" "$ok_re" \
	--to bob@grey.example --header "Subject: grey-3-$tag"
timed "greylist: retry at 360 s"
expect_line "$RM_OUT" "RCPT 250 2.1.5 Ok" "greylist: retry at 360 s: RCPT 250"
msg=$(delivered "grey-3-$tag")
expect_line "$msg" "X-E2E-Envelope-To: bob@grey.example" \
	"greylist: the retry reached the sink"
expect_line "$msg" "X-Greylist: delayed 360 seconds by replymilter" \
	"greylist: the delivered message has \"X-Greylist: delayed 360 seconds by replymilter\""
e2e_check "greylist: exactly one X-Greylist header" \
	test "$(grep -c '^X-Greylist:' <<<"$msg")" = 1
e2e_check "greylist: no decision logged for the pass" \
	test -z "$(rm_log_since "$mark" | grep 'rule=greylist ')"

rm_case_re "greylist: a second message for the triplet: delivered at once" \
	"RCPT DOT" "$ok_re" --to bob@grey.example --header "Subject: grey-4-$tag"
msg=$(delivered "grey-4-$tag")
expect_line "$msg" "X-E2E-Envelope-To: bob@grey.example" \
	"greylist: the second message reached the sink"
expect_no_reply "$msg" '^X-Greylist:' "greylist: the second message has no X-Greylist"

mark=$(rm_log_mark)
rm_case "greylist: another recipient (same client, same sender): deferred" RCPT \
	"$grey_first" --to carol@grey.example
refused greylist rcpt "$grey_first" "$mark"

# XCLIENT: Postfix connects to the milter again with the presented client.
rm_case_re "greylist: a client of the same /24 (XCLIENT 127.0.0.9) shares the triplet" \
	"XCLIENT RCPT DOT" "$ok_re" --xclient-addr 127.0.0.9 \
	--to bob@grey.example --header "Subject: grey-5-$tag"
expect_reply "$RM_OUT" '^XCLIENT 220 ' "greylist: Postfix takes XCLIENT from 127.0.0.1"
msg=$(delivered "grey-5-$tag")
expect_line "$msg" "X-E2E-Envelope-To: bob@grey.example" \
	"greylist: same /24: reached the sink"
expect_no_reply "$msg" '^X-Greylist:' "greylist: same /24: no X-Greylist"

mark=$(rm_log_mark)
rm_case "greylist: a client of another /24 (XCLIENT 192.0.2.10): deferred" \
	"XCLIENT RCPT" "$grey_first" --xclient-addr 192.0.2.10 --to bob@grey.example
CLIENT='[192.0.2.10][192.0.2.10]' refused greylist rcpt "$grey_first" "$mark"

mark=$(rm_log_mark)
rm_case_re "greylist: exempt after an accept rule at MAIL (trusted@)" "RCPT DOT" \
	"$ok_re" --from trusted@example.com --to dave@grey.example \
	--header "Subject: grey-6-$tag"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=trusted-sender id=trusted-sender action=accept' \
	"log: trusted-sender's accept"
msg=$(delivered "grey-6-$tag")
expect_line "$msg" "X-E2E-Envelope-To: dave@grey.example" \
	"greylist: exempt: delivered at the first attempt"
expect_no_reply "$msg" '^X-Greylist:' "greylist: exempt: no X-Greylist"
e2e_check "greylist: exempt: the greylist rule never ran" \
	test -z "$(rm_log_since "$mark" | grep 'rule=greylist ')"

# --- 2. A recipient rate at RCPT --------------------------------------------------

# A day later, 600 s into an hour's bucket.
R=$((((V_BASE + 86400) / 3600 + 1) * 3600 + 600 - V_BASE))
n=$(retry_after 3 0 3 3600 1 600)
line="RCPT 452 4.5.3 Too many recipients (limit 3/1h): try again in $n seconds"
mark=$(rm_log_mark)
at "$R"
rm_case "rate: five recipients, 3/1h: three accepted, two refused (N = $n)" \
	"RCPT DOT" "MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok
RCPT 250 2.1.5 Ok
RCPT 250 2.1.5 Ok
$line
$line
DATA 354 End data with <CR><LF>.<CR><LF>" \
	--from counter@example.com \
	--to r1@rate.example,r2@rate.example,r3@rate.example,r4@rate.example,r5@rate.example \
	--header "Subject: rate-1-$tag"
timed "rate: five recipients"
e2e_check "rate: N = $n is between 1 and 7200" test "$n" -ge 1 -a "$n" -le 7200
expect_reply "$RM_OUT" "$ok_re" "rate: the message is queued for the three"
refused recipients-per-sender rcpt "$line" "$mark"
refused recipients-per-sender rcpt "$line" "$mark"
e2e_check "log: two decision lines for the two refused recipients" \
	test "$(rm_log_since "$mark" | grep -c 'rule=recipients-per-sender ')" = 2
msg=$(delivered "rate-1-$tag")
got=$(sed -n 's/^X-E2E-Envelope-To: //p' <<<"$msg" | tr ' ' '\n' | sort | tr '\n' ' ')
e2e_result "$([ "$got" = "r1@rate.example r2@rate.example r3@rate.example " ]; echo $?)" \
	"rate: delivered to the three accepted, and to them only" "got: $got"

# One second before N has passed the previous bucket still weighs too
# much; the wait then said is the formula's second branch.
n1=$(retry_after 0 3 3 3600 1 $((600 + n - 1 - 3600)))
line="RCPT 452 4.5.3 Too many recipients (limit 3/1h): try again in $n1 seconds"
mark=$(rm_log_mark)
at $((R + n - 1))
rm_case "rate: N - 1 s later a recipient is still refused (N = $n1)" RCPT \
	"$line" --from counter@example.com --to r6@rate.example --quit-after RCPT
timed "rate: N - 1 s later"
refused recipients-per-sender rcpt "$line" "$mark"
# The exact wait is 1 s: 3 x (1 - 1200/3600) + 1 = 3 fits (the formula's
# rounding error once made it 2).
expect_line "$RM_OUT" "RCPT 452 4.5.3 Too many recipients (limit 3/1h): try again in 1 seconds" \
	"rate: N - 1 s later: the wait said is the least that fits (1 s)"

# At N the one recipient fits beside the previous bucket's weight: the
# two refused were not counted (with them it would be 5 x 2/3 + 1 > 3).
n2=$(retry_after 1 3 3 3600 1 $((600 + n - 3600)))
line="RCPT 452 4.5.3 Too many recipients (limit 3/1h): try again in $n2 seconds"
mark=$(rm_log_mark)
at $((R + n))
rm_case "rate: N s later a recipient is accepted, the next refused (N = $n2)" \
	RCPT "RCPT 250 2.1.5 Ok
$line" --from counter@example.com --to r7@rate.example,r8@rate.example \
	--quit-after RCPT
timed "rate: N s later"
refused recipients-per-sender rcpt "$line" "$mark"

rm_case "rate: another sender has a count of its own" RCPT \
	"RCPT 250 2.1.5 Ok" --from other@example.com --to r9@rate.example \
	--quit-after RCPT

# --- 3. A connection rate at connect ------------------------------------------------

# Two days later, 10 s into a minute's bucket: the listener probe's
# connection (at virtual time 0) is long forgotten.
C=$((((V_BASE + 2 * 86400) / 60 + 1) * 60 + 10 - V_BASE))
nc=$(retry_after 2 0 2 60 1 10)
line="421 4.3.0 Too many connections: try again in $nc seconds"
RM_PORT=$cport
at "$C"
rm_case "connections: the first passes" "EHLO MAIL" \
	"MAIL 250 2.1.0 Ok" --quit-after MAIL
rm_case "connections: the second passes" "EHLO MAIL" \
	"MAIL 250 2.1.0 Ok" --quit-after MAIL

mark=$(rm_log_mark)
raw "EHLO client.example.net"
expect_line "$RM_OUT" "CONNECT 220 postfix-e2e.example.test ESMTP Postfix
EHLO $line" \
	"connections: the third reads the 421 at EHLO, at once (N = $nc)"
e2e_check "connections: the third: Postfix hung up after the 421" hung_up
timed "connections: the first three"
rm_table_add "connections: the third (2/60s)" "$RM_OUT"
refused connection-flood helo "EHLO $line" "$mark"

# No HELO: the connect decision is answered at MAIL FROM; the same N says
# that the refused third was not counted (with it: 3 in the bucket, N 90).
mark=$(rm_log_mark)
at "$C"
raw "MAIL FROM:<sender@example.com>"
expect_line "$RM_OUT" "CONNECT 220 postfix-e2e.example.test ESMTP Postfix
MAIL $line" \
	"connections: the fourth, no HELO, reads the same 421 at MAIL FROM"
e2e_check "connections: the fourth: Postfix hung up after the 421" hung_up
timed "connections: the fourth"
rm_table_add "connections: the fourth, no HELO" "$RM_OUT"
refused connection-flood mail "MAIL $line" "$mark"

nc1=$(retry_after 0 2 2 60 1 $((10 + nc - 1 - 60)))
line1="421 4.3.0 Too many connections: try again in $nc1 seconds"
mark=$(rm_log_mark)
at $((C + nc - 1))
raw "EHLO client.example.net"
expect_line "$RM_OUT" "EHLO $line1" \
	"connections: N - 1 s later still refused (N = $nc1)"
e2e_check "connections: N - 1 s later: Postfix hung up" hung_up
timed "connections: N - 1 s later"
rm_table_add "connections: N - 1 s later" "$RM_OUT"
refused connection-flood helo "EHLO $line1" "$mark"

at $((C + nc))
rm_case "connections: N s later a session passes again" "EHLO MAIL RCPT" \
	"MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok" --quit-after RCPT
timed "connections: N s later"

# --- 4. The log and /metrics ----------------------------------------------------------

# Postfix closes the milter connection shortly after the session ends.
deadline=$((SECONDS + 10))
while scrape; do
	[ "$(value replymilter_connections_open)" = 0 ] && break
	[ "$SECONDS" -ge "$deadline" ] && break
	sleep 0.05
done
e2e_check "metrics: no milter connection left open" \
	test "$(value replymilter_connections_open)" = 0
got=$(value replymilter_ratelimit_held_total)
e2e_result "$([ "$got" = "$HELD" ]; echo $?)" \
	"metrics: replymilter_ratelimit_held_total = $HELD (the refusals caused)" \
	"got $got"
for key in $(printf '%s\n' "${!WANT[@]}" | sort); do
	got=$(value "$key")
	e2e_result "$([ "$got" = "${WANT[$key]}" ]; echo $?)" \
		"metrics: ${key#replymilter_replies_total} = ${WANT[$key]}" "got $got"
done
key=$(series connection-flood connect 421 4.3.0 tempfail)
e2e_check "metrics: a connect decision counts where it was answered: connect 0" \
	test "$(value "$key")" = 0
got=$(grep -E '^replymilter_replies_total[{]rule="trusted-sender",stage="mail",' \
	"$E2E_TMP/metrics.txt" | awk '{ print $2 }')
e2e_result "$([ "$got" = 1 ]; echo $?)" \
	"metrics: trusted-sender's accept at mail counted once" "got ${got:-missing}"
# Keys: 3 triplets (bob and carol from 127.0.0.0/24, bob from
# 192.0.2.0/24), 127.0.0.0/24's count of passes, 2 senders, 1 client.
got=$(value replymilter_ratelimit_local_keys)
e2e_result "$([ "$got" = 7 ]; echo $?)" "metrics: replymilter_ratelimit_local_keys = 7" \
	"got $got"
for name in replymilter_ratelimit_store_errors_total \
	replymilter_ratelimit_fallback_total replymilter_ratelimit_local_evicted_total; do
	e2e_check "metrics: $name = 0" test "$(value "$name")" = 0
done
e2e_check "metrics: no internal failures" test -z "$(
	grep -E '^replymilter_failures_total[{]' "$E2E_TMP/metrics.txt" | awk '$2 != 0')"

for rule in greylist recipients-per-sender connection-flood; do
	got=$(grep -c " rule=$rule id=$rule action=tempfail " "$RM_LOG")
	e2e_result "$([ "$got" = "${LOGGED[$rule]}" ]; echo $?)" \
		"log: ${LOGGED[$rule]} decision lines of rule $rule, one per refusal" \
		"got $got"
done
got=$(grep -c ' action=tempfail ' "$RM_LOG")
e2e_result "$([ "$got" = "$HELD" ]; echo $?)" \
	"log: $HELD tempfail decision lines in all" "got $got"
# Postfix's own log: one milter-reject line per refusal (postlogd writes
# it a moment later).
deadline=$((SECONDS + 5))
while got=$(grep -c 'milter-reject: ' "$pf/maillog" || true) && [ "$got" -lt "$HELD" ] &&
	[ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.1
done
e2e_result "$([ "$got" = "$HELD" ]; echo $?)" \
	"Postfix's log: $HELD milter-reject lines" "got $got"

# --- The end ------------------------------------------------------------------

e2e_check "replymilter still runs" e2e_alive "$RM_PID"
postfix_stop "$pf"
e2e_check "Postfix stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${master:-0}")"
e2e_check "/etc/postfix untouched" \
	test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit 2>/dev/null)"

e2e_note "postfix-limits.sh: $((SECONDS - started)) s"
rm_table_print "replymilter's rate limits and greylisting behind Postfix ${version:-?}: what the client saw"
e2e_summary
