#!/bin/bash
#
# tests/e2e/postfix-metrics.sh - replymilter's Prometheus counters behind a
# real Postfix: known SMTP traffic, then the exact counts on /metrics, each
# reply series labelled with the code the SMTP client read.
#
# It starts the test DNS server (tests/dns/server.sh: unbound, for the SPF
# records), replymilter with a policy written here (one rule per case,
# metrics_listen on a free loopback port, dns_server pointing at unbound)
# on a unix socket, and a private loopback Postfix (tests/e2e/lib/
# postfix.sh) with a second smtpd listener that sets
# milter_macro_daemon_name=blocked-mta for the connect-stage rule.  Then,
# with swaks and sessions by hand, one SMTP session at a time:
#   - a plain delivery (no reply counted; the message reaches the discard
#     transport);
#   - one message to four recipients: 550 5.7.1 with the rule's own text,
#     550 5.1.1 completed from the registry, a dry-run rule (the client
#     reads 250, the series says mode="dry-run" with the rule's 550
#     5.7.1), and a plain one;
#   - a recipient refused from the registry alone; a MAIL-stage tempfail
#     (452 4.3.1); an end-of-message reject (554 5.7.1); a connection to
#     the blocked listener, with EHLO (decided at connect, answered at
#     HELO, which Postfix holds until MAIL FROM) and without (answered at
#     MAIL FROM); a session of two messages (RSET between them); a session
#     that ends at the banner; an SPF-failing sender presented through
#     XCLIENT (550 5.7.23 from the SPF check and the DNS server).
# After each session it waits (bounded) until replymilter has no milter
# connection open, then asserts connections_total, transactions_total and
# every replymilter_replies_total series against the counts this script
# keeps; at the end it asserts each series again by name, that a connect
# decision counts at the stage it was answered at (its connect series
# stays 0), that Postfix's own milter-reject log lines count the same
# refusals, that Postfix logs an end-of-message reject with the enhanced
# code only while the series and the client have the full 554 5.7.1, no
# internal failures, the SPF check's counter, the DNS query counters (as
# many TXT queries as the DNS server logged) and that the DNS histogram's
# _count is the sum of the query counters.
#
# What Postfix 3.7 does with the milter (measured; the counts below rest on
# it): one milter connection per smtpd session, made before the banner,
# also for a TCP connect that closes at once (the readiness probes of the
# two listeners count two), and one more after each accepted XCLIENT
# (Postfix closes the first and connects again); none is reused across
# sessions.  A MAIL FROM that Postfix refuses itself (after a HELO the
# milter refused) never reaches the milter: it is no transaction.  Postfix
# closes the milter connection within ~50 ms of QUIT.
#
# Output is TAP-ish; it exits 1 on any failure.  Everything it starts and
# every file it makes is removed on every exit path (E2E_KEEP=1 keeps the
# files).  Takes about 5 s.
#
# Debian packages: bash, coreutils, grep, sed, gawk or mawk, swaks, postfix
#   (debconf "No configuration" is enough: /etc/postfix is never written),
#   unbound and python3 (the DNS server; python3 also reads /metrics),
#   base-passwd (user nobody), iproute2 (optional).  replymilter built with
#   libmicrohttpd (configure found libmicrohttpd-dev).
# Needs: root (Postfix drops privileges to user postfix); exits 77 (skip)
#   when not root, or when replymilter is built without the endpoint.
#   Anything else missing is a failure.
#
# Usage: tests/e2e/postfix-metrics.sh   (E2E_VERBOSE=1 shows the swaks
#   transcripts)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix and unbound on loopback"

root_or_skip "needs root (Postfix runs as root and drops to user postfix)"

. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/replymilter.sh"
DNS_SERVER_SRCDIR=$top/tests/dns
# shellcheck source=../dns/server.sh
. "$top/tests/dns/server.sh"

started=$SECONDS
e2e_require swaks swaks
e2e_require postfix postfix
e2e_require postconf postfix
e2e_require python3 python3
e2e_init replymilter-e2e-pfmetrics

# --- The DNS server, replymilter, Postfix -----------------------------------

dnsdir=$(e2e_mkdir dns) || e2e_bail "cannot create $E2E_TMP/dns"
e2e_cleanup_add dns_server_stop "$dnsdir"
dns_server_start "$dnsdir" "$$" || e2e_bail "the test DNS server did not start"
dns_port=$(cat -- "$dnsdir/port")

mport=$(e2e_free_port) || e2e_bail "no free port"
murl=http://127.0.0.1:$mport/metrics
conf=$E2E_TMP/pfmetrics.conf
cat >"$conf" <<CONF
# The policy of tests/e2e/postfix-metrics.sh: one rule per case.
socket      = "unix:/nonexistent/replymilter-e2e-pfmetrics.sock"
pidfile     = "/nonexistent/replymilter-e2e-pfmetrics.pid"
socket_mode = "0666"
log_level   = "info"
metrics_listen = "127.0.0.1:$mport"
dns_server  = "127.0.0.1:$dns_port"
dns_timeout = 1
dns_tries   = 2

rule "blocked-listener" {
    stage = connect
    macro = "{daemon_name}: blocked-mta"
    reply = "550 5.7.1 Connections to this listener are refused"
}
rule "spool-full" {
    stage  = mail
    sender = "/^full@/"
    reply  = "452 4.3.1"
}
rule "spf-fail" {
    stage = mail
    check = "spf: fail"
}
rule "rcpt-refused" {
    stage = rcpt
    rcpt  = "/^refused@/"
    reply = "550 5.7.1 Recipient refused here"
}
rule "rcpt-unknown" {
    stage = rcpt
    rcpt  = "/^unknown@/"
    reply = "5.1.1"
}
rule "watch" {
    stage = rcpt
    rcpt  = "/^watch@/"
    reply = "550 5.7.1 Would be refused"
    mode  = dry-run
}
rule "content" {
    stage  = eom
    header = "Subject: /reject-me/"
    reply  = "554 5.7.1 Message refused by content policy"
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

pf=$E2E_TMP/postfix
port=$(e2e_free_port) || e2e_bail "no free port"
port2=$(e2e_free_port) || e2e_bail "no free port"
POSTFIX_MASTER_EXTRA="127.0.0.1:$port2 inet n - n - - smtpd
  -o milter_macro_daemon_name=blocked-mta"
export POSTFIX_MASTER_EXTRA
# XCLIENT from 127.0.0.1 only; the presented client may relay.
extra="smtpd_authorized_xclient_hosts = 127.0.0.1
mynetworks = 127.0.0.0/8 192.0.2.0/24"
: >"$E2E_TMP/start.marker"
e2e_cleanup_add postfix_stop "$pf"
# postfix_start and the wait below each make one TCP connection that
# Postfix takes as an SMTP session: two milter connections.
postfix_start "$pf" "$port" "unix:$RM_SOCK" "$extra" ||
	e2e_bail "Postfix did not start"
e2e_wait_port 127.0.0.1 "$port2" 15 || e2e_bail "no second listener on $port2"
PROBES=2
master=$(postfix_master_pid "$pf")
version=$(postconf -c "$pf/etc" -h mail_version)
e2e_note "Postfix $version on 127.0.0.1:$port and :$port2 (blocked-mta); metrics on $murl"

# --- Reading /metrics ---------------------------------------------------------

# scrape - fetch /metrics into $E2E_TMP/metrics.txt (rm_scrape)
scrape() {
	rm_scrape "$murl"
}

# value SERIES - its value in the last scrape, or "missing" (rm_metric)
value() {
	rm_metric "$1"
}

# sum REGEX - print the sum of the values of the series whose name and
# labels match the extended REGEX (anchored at the start) in the last
# scrape, or "missing" when none does
sum() {
	awk -v re="^$1" '$0 !~ /^#/ && $1 ~ re { n++; s += $2 }
		END { if (n) printf "%.0f\n", s; else print "missing" }' \
		"$E2E_TMP/metrics.txt" 2>/dev/null || echo missing
}

# settle - scrape until replymilter has no milter connection open (Postfix
# closes it shortly after the SMTP session ends), at most 10 s; returns 1
# on a timeout
settle() {
	local deadline=$((SECONDS + 10))
	while :; do
		scrape && [ "$(value replymilter_connections_open)" = 0 ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# --- What the traffic should have counted -------------------------------------

declare -A WANT=()	# replies series -> count
WANT_CONNS=$PROBES	# milter connections: one per SMTP session, and XCLIENT
WANT_TRANS=0		# MAIL FROM commands that reached replymilter
SESSIONS=0
XCLIENTS=0
SPF_FAILS=0

# series RULE STAGE CODE ENHANCED ACTION MODE - print the replies series
series() {
	printf 'replymilter_replies_total{rule="%s",stage="%s",code="%s",enhanced="%s",action="%s",mode="%s"}' \
		"$@"
}

# session LABEL PORT TRANS EXPECTED [SWAKS-OPTION...] - one swaks session
# to Postfix on PORT; checks that the client reads the lines EXPECTED
# (literally, rm_case; the table shows the stages in $STAGES, default from
# XCLIENT on) and notes the milter connections it makes (one, and one per
# accepted XCLIENT) and TRANS, the MAIL FROM commands replymilter sees in it
session() {
	local label=$1 port=$2 trans=$3 expected=$4 xclients
	shift 4
	RM_PORT=$port
	rm_case "$label" "${STAGES:-XCLIENT MAIL RCPT DATA DOT}" "$expected" "$@"
	xclients=$(printf '%s\n' "$RM_OUT" | grep -c '^XCLIENT 220 ')
	SESSIONS=$((SESSIONS + 1))
	XCLIENTS=$((XCLIENTS + xclients))
	WANT_CONNS=$((WANT_CONNS + 1 + xclients))
	WANT_TRANS=$((WANT_TRANS + trans))
}

# raw_session LABEL PORT TRANS EXPECTED COMMAND... - the same, a session by
# hand (rm_raw_case: each reply line prefixed with its command's word)
raw_session() {
	local label=$1 port=$2 trans=$3 expected=$4
	shift 4
	rm_raw_case "$label" "$port" "$expected" "$@"
	SESSIONS=$((SESSIONS + 1))
	WANT_CONNS=$((WANT_CONNS + 1))
	WANT_TRANS=$((WANT_TRANS + trans))
}

# counted RULE STAGE ACTION MODE LINE [CODE ENHANCED] - one decision that
# the series of RULE, STAGE, ACTION, MODE and the codes of the client's
# LINE ("RCPT 550 5.7.1 text": 550 and 5.7.1) must count; CODE and
# ENHANCED instead for a dry run (the client reads no refusal).  LINE must
# be in the last session's output.
counted() {
	local rule=$1 stage=$2 action=$3 mode=$4 line=$5 code enh key
	read -r _ code enh _ <<<"$line"
	[ "$#" -ge 7 ] && code=$6 && enh=$7
	if [[ $'\n'"$RM_OUT"$'\n' != *$'\n'"$line"$'\n'* ]]; then
		e2e_result 1 "counted: the client read \"$line\"" "$RM_OUT"
	fi
	key=$(series "$rule" "$stage" "$code" "$enh" "$action" "$mode")
	WANT[$key]=$((${WANT[$key]:-0} + 1))
}

# replies_diff - print each replies series of the last scrape whose value
# is not WANT's (0 when WANT has none), and each of WANT's missing
replies_diff() {
	local line key val
	local -A seen=()
	while IFS= read -r line; do
		key=${line% *}
		val=${line##* }
		seen[$key]=1
		[ "$val" = "${WANT[$key]:-0}" ] ||
			printf '%s is %s, want %s\n' "$key" "$val" "${WANT[$key]:-0}"
	done < <(grep '^replymilter_replies_total{' "$E2E_TMP/metrics.txt")
	for key in "${!WANT[@]}"; do
		[ -n "${seen[$key]:-}" ] ||
			printf '%s is missing, want %s\n' "$key" "${WANT[$key]}"
	done
}

# after LABEL - once no milter connection is open: connections_total,
# transactions_total and every replies series as counted so far
after() {
	local label=$1 got diff
	e2e_check "$label: no milter connection left open" settle
	got=$(value replymilter_connections_total)
	e2e_result "$([ "$got" = "$WANT_CONNS" ]; echo $?)" \
		"$label: connections_total $WANT_CONNS" "got $got"
	got=$(value replymilter_transactions_total)
	e2e_result "$([ "$got" = "$WANT_TRANS" ]; echo $?)" \
		"$label: transactions_total $WANT_TRANS" "got $got"
	diff=$(replies_diff)
	e2e_result "$([ -z "$diff" ]; echo $?)" \
		"$label: every replies series as counted" "$diff"
}

# --- Before any traffic -------------------------------------------------------

# The probes' milter connections are made by smtpd after the probe has
# gone: wait for them (bounded), then hold them to the count.
deadline=$((SECONDS + 10))
while scrape; do
	[ "$(value replymilter_connections_total)" = "$PROBES" ] &&
		[ "$(value replymilter_connections_open)" = 0 ] && break
	[ "$SECONDS" -ge "$deadline" ] && break
	sleep 0.05
done
after "before traffic ($PROBES listener probes)"

# --- The traffic --------------------------------------------------------------

tag=$$-$RANDOM
session "accepted: one recipient, delivered" "$port" 1 \
	"MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok" --to ok@example.org --header "Subject: e2e-ok-$tag"
qid=$(printf '%s\n' "$RM_OUT" | sed -n 's/^DOT 250 2\.0\.0 Ok: queued as //p')
e2e_check "accepted: queued (queue id ${qid:-none})" test -n "$qid"
e2e_check "accepted: delivered by the discard transport" mta_wait_log "$pf" \
	"discard\[[0-9]+\]: ${qid:-none}: to=<ok@example\.org>, .*status=sent" 15
after "accepted"

session "four recipients: two refused, a dry run, one accepted" "$port" 1 \
	"MAIL 250 2.1.0 Ok
RCPT 550 5.7.1 Recipient refused here
RCPT 550 5.1.1 Bad destination mailbox address
RCPT 250 2.1.5 Ok
RCPT 250 2.1.5 Ok" \
	--to refused@example.org,unknown@example.org,watch@example.org,ok@example.org
expect_reply "$RM_OUT" '^DOT 250 2\.0\.0 Ok: queued as ' \
	"four recipients: the message is queued for the two accepted"
counted rcpt-refused rcpt reject enforce "RCPT 550 5.7.1 Recipient refused here"
counted rcpt-unknown rcpt reject enforce "RCPT 550 5.1.1 Bad destination mailbox address"
counted watch rcpt reject dry-run "RCPT 250 2.1.5 Ok" 550 5.7.1
after "four recipients"

session "a recipient refused from the registry alone" "$port" 1 \
	"MAIL 250 2.1.0 Ok
RCPT 550 5.1.1 Bad destination mailbox address" --to unknown@example.org
counted rcpt-unknown rcpt reject enforce "RCPT 550 5.1.1 Bad destination mailbox address"
after "registry-completed recipient"

session "MAIL tempfail (452 4.3.1 from the registry)" "$port" 1 \
	"MAIL 452 4.3.1 Mail system full" --from full@example.com
counted spool-full mail tempfail enforce "MAIL 452 4.3.1 Mail system full"
after "MAIL tempfail"

mark=$(wc -l <"$pf/maillog")
session "end-of-message reject (554 5.7.1)" "$port" 1 \
	"RCPT 250 2.1.5 Ok
DATA 354 End data with <CR><LF>.<CR><LF>
DOT 554 5.7.1 Message refused by content policy" \
	--header "Subject: reject-me $tag"
counted content eom reject enforce "DOT 554 5.7.1 Message refused by content policy"
after "end-of-message reject"
# Postfix logs an end-of-message milter reply without its basic code.
mta_wait_log "$pf" 'milter-reject: END-OF-MESSAGE from ' 5 >/dev/null
eomlog=$(tail -n "+$((mark + 1))" -- "$pf/maillog" | grep 'milter-reject: END-OF-MESSAGE from ')
expect_reply "$eomlog" \
	'milter-reject: END-OF-MESSAGE from unknown\[127\.0\.0\.1\]: 5\.7\.1 Message refused by content policy;' \
	"end-of-message: Postfix logs the enhanced code only"
expect_no_reply "$eomlog" '554' "end-of-message: Postfix's log line has no 554"
e2e_check "end-of-message: the series has the full reply, stage eom, 554 5.7.1" \
	test "$(value "$(series content eom 554 5.7.1 reject enforce)")" = 1

session "blocked listener, EHLO: decided at connect, held until MAIL FROM" \
	"$port2" 0 "MAIL 550 5.7.1 Connections to this listener are refused"
counted blocked-listener helo reject enforce \
	"MAIL 550 5.7.1 Connections to this listener are refused"
after "blocked listener with EHLO"

raw_session "blocked listener, no HELO: answered at MAIL FROM" "$port2" 1 \
	"MAIL 550 5.7.1 Connections to this listener are refused" \
	"MAIL FROM:<sender@example.com>" "RCPT TO:<rcpt@example.org>"
counted blocked-listener mail reject enforce \
	"MAIL 550 5.7.1 Connections to this listener are refused"
after "blocked listener without HELO"

raw_session "two messages in one session (RSET between)" "$port" 2 \
	"MAIL 250 2.1.0 Ok
RCPT 550 5.7.1 Recipient refused here
RCPT 250 2.1.5 Ok
RSET 250 2.0.0 Ok
MAIL 250 2.1.0 Ok
RCPT 550 5.7.1 Recipient refused here
RCPT 550 5.1.1 Bad destination mailbox address" \
	"EHLO client.example.net" "MAIL FROM:<one@example.com>" \
	"RCPT TO:<refused@example.org>" "RCPT TO:<watch@example.org>" RSET \
	"MAIL FROM:<two@example.com>" "RCPT TO:<refused@example.org>" \
	"RCPT TO:<unknown@example.org>"
counted rcpt-refused rcpt reject enforce "RCPT 550 5.7.1 Recipient refused here"
counted rcpt-refused rcpt reject enforce "RCPT 550 5.7.1 Recipient refused here"
counted watch rcpt reject dry-run "RCPT 250 2.1.5 Ok" 550 5.7.1
counted rcpt-unknown rcpt reject enforce "RCPT 550 5.1.1 Bad destination mailbox address"
after "two messages in one session"

STAGES="CONNECT QUIT" session "a session that ends at the banner" "$port" 0 \
	"CONNECT 220 postfix-e2e.example.test ESMTP Postfix" --quit-after CONNECT
after "banner only"

session "SPF fail: client 192.0.2.99 (XCLIENT), MAIL FROM user@fail.spf.test" \
	"$port" 1 "MAIL 550 5.7.23 SPF validation failed" \
	--xclient-addr 192.0.2.99 --from user@fail.spf.test
expect_reply "$RM_OUT" '^XCLIENT 220 ' "SPF fail: Postfix takes XCLIENT from 127.0.0.1"
counted spf-fail mail reject enforce "MAIL 550 5.7.23 SPF validation failed"
SPF_FAILS=$((SPF_FAILS + 1))
after "SPF fail through XCLIENT"

# --- The counts, by name --------------------------------------------------------

e2e_note "$SESSIONS SMTP sessions, $PROBES probes; /metrics says:"
grep -E '^replymilter_(connections|transactions|replies)' "$E2E_TMP/metrics.txt" |
	sed 's/^/#   /' >&2
while IFS= read -r key; do
	got=$(value "$key")
	e2e_result "$([ "$got" = "${WANT[$key]}" ]; echo $?)" \
		"${key#replymilter_replies_total} = ${WANT[$key]}" "got $got"
done < <(printf '%s\n' "${!WANT[@]}" | sort)
e2e_check "connections_total = $PROBES probes + $SESSIONS sessions + $XCLIENTS XCLIENT" \
	test "$(value replymilter_connections_total)" = $((PROBES + SESSIONS + XCLIENTS))
e2e_check "connections_open 0" test "$(value replymilter_connections_open)" = 0
e2e_check "a connect decision: its connect series stays 0" \
	test "$(value "$(series blocked-listener connect 550 5.7.1 reject enforce)")" = 0
e2e_check "no internal failures" \
	test "$(sum 'replymilter_failures_total[{]')" = 0

# Postfix's own log counts the same refusals: one milter-reject line per
# RCPT, END-OF-MESSAGE and HELO decision, and at MAIL one per MAIL and per
# HELO decision (held until MAIL FROM, and logged again there).
declare -A at=()
for key in "${!WANT[@]}"; do
	[[ $key == *'mode="enforce"'* ]] || continue
	st=${key#*stage=\"}
	st=${st%%\"*}
	at[$st]=$((${at[$st]:-0} + ${WANT[$key]}))
done
at[mail]=$((${at[mail]:-0} + ${at[helo]:-0}))
# postlogd writes the log a moment later: wait (bounded) for the lines.
deadline=$((SECONDS + 5))
while :; do
	short=
	for pair in "RCPT rcpt" "END-OF-MESSAGE eom" "EHLO helo" "MAIL mail"; do
		read -r word st <<<"$pair"
		[ "$(grep -c "milter-reject: $word from " "$pf/maillog")" -ge \
			"${at[$st]:-0}" ] || short=1
	done
	[ -z "$short" ] || [ "$SECONDS" -ge "$deadline" ] && break
	sleep 0.1
done
for pair in "RCPT rcpt" "END-OF-MESSAGE eom" "EHLO helo" "MAIL mail"; do
	read -r word st <<<"$pair"
	got=$(grep -c "milter-reject: $word from " "$pf/maillog")
	e2e_result "$([ "$got" = "${at[$st]:-0}" ]; echo $?)" \
		"Postfix's log: ${at[$st]:-0} milter-reject lines at $word" "got $got"
done
e2e_check "Postfix's log: no milter-reject for the dry run" \
	test -z "$(grep 'milter-reject: .*to=<watch@' "$pf/maillog")"

# --- The SPF check and DNS ------------------------------------------------------

got=$(value 'replymilter_checks_total{check="spf",result="fail"}')
e2e_result "$([ "$got" = "$SPF_FAILS" ]; echo $?)" \
	"checks_total{check=\"spf\",result=\"fail\"} = $SPF_FAILS" "got $got"
txt=$(sum 'replymilter_dns_queries_total[{]type="txt",')
e2e_result "$([ "$txt" != missing ] && [ "$txt" -gt 0 ]; echo $?)" \
	"dns_queries_total{type=\"txt\"} > 0" "got $txt"
e2e_check "the DNS server was asked for fail.spf.test's TXT record" \
	e2e_wait_match "$dnsdir/unbound.log" ' fail\.spf\.test\. TXT IN$' 5
logged=$(grep -c ' TXT IN$' "$dnsdir/unbound.log")
e2e_result "$([ "$txt" = "$logged" ]; echo $?)" \
	"dns_queries_total{type=\"txt\"}: as many as the DNS server logged ($logged)" \
	"got $txt"
queries=$(sum 'replymilter_dns_queries_total[{]')
count=$(value replymilter_dns_query_duration_seconds_count)
e2e_result "$([ "$queries" != missing ] && [ "$count" = "$queries" ]; echo $?)" \
	"dns_query_duration_seconds_count = the sum of dns_queries_total ($queries)" \
	"got $count"
e2e_result "$([ "$count" != missing ] &&
	[ "$(value 'replymilter_dns_query_duration_seconds_bucket{le="+Inf"}')" = "$count" ]
	echo $?)" "dns_query_duration_seconds_bucket{le=\"+Inf\"} = _count" \
	"got $(value 'replymilter_dns_query_duration_seconds_bucket{le="+Inf"}')"

# --- The end ------------------------------------------------------------------

e2e_check "replymilter still runs" e2e_alive "$RM_PID"
postfix_stop "$pf"
e2e_check "Postfix stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${master:-0}")"
e2e_check "after Postfix stopped: connections_open 0" settle
e2e_check "/etc/postfix untouched" \
	test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit 2>/dev/null)"

e2e_note "postfix-metrics.sh: $((SECONDS - started)) s"
rm_table_print "replymilter's counters behind Postfix ${version:-?}: what the client saw"
e2e_summary
