#!/bin/bash
#
# tests/e2e/postfix.sh - replymilter behind a real Postfix: what the SMTP
# client reads, what replymilter logs, reload and stop.
#
# It starts replymilter (the binary in $REPLYMILTER, default src/replymilter
# under the top build dir) with tests/e2e/conf/e2e.conf on a unix socket in
# a temporary directory, and a private loopback Postfix whose main.cf gets
# the lines of contrib/postfix/main.cf (the administrator's snippet, its
# socket path substituted), so that the snippet itself is tested.  A second
# smtpd listener sets milter_macro_daemon_name=blocked-mta for the
# connect-stage rule.  Deliveries go to a file sink.  Then, with swaks:
#   - each rule's reply, as the exact lines the client receives: RCPT
#     reject with a registry-completed reply, MAIL tempfail, a three-line
#     reply, a decision taken at connect (answered at HELO, which Postfix
#     holds until MAIL FROM; at MAIL FROM when the client sends no HELO), a
#     reject at end of data, a sender with '%' in a reply and in a header;
#   - the headers of the delivered messages (add-header, dry-run), an accept
#     rule, a plain delivery;
#   - replymilter's log line for each decision;
#   - reload: SIGHUP with sessions running in a loop: new sessions get the
#     new reply, none fails, a session open across the reload keeps the old
#     policy; a broken config: FILE:LINE in the log, the old policy stays;
#   - SIGUSR1: the "hits:" lines; SIGTERM: exit 0 within 3 s, socket and
#     PID file removed; then what the client gets from Postfix with
#     replymilter gone (the snippet's milter_default_action);
#   - the connect-stage decision also survives a second EHLO.
# It prints a table "case | what the client saw" at the end, and writes it
# to $E2E_TABLE when that is set.  Output is TAP-ish; it exits 1 on any
# failure.  Everything it starts and every file it makes is removed on every
# exit path (E2E_KEEP=1 keeps the files).  Takes about 5 s.
#
# Debian packages: bash, coreutils, grep, sed, gawk or mawk, util-linux,
#   iproute2 (optional), swaks, postfix (debconf "No configuration" is
#   enough: /etc/postfix is never written), base-passwd (user nobody).
# Needs: root (Postfix drops privileges to user postfix); exits 77 (skip)
#   when not root.  Anything else missing is a failure.
#
# Usage: tests/e2e/postfix.sh   (E2E_VERBOSE=1 shows the swaks transcripts)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $0 needs root (Postfix runs as root and drops to user postfix)"
	exit 77
fi

. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/replymilter.sh"

started=$SECONDS
e2e_require swaks swaks
e2e_require postfix postfix
e2e_require postconf postfix
e2e_require setsid util-linux
e2e_init replymilter-e2e-postfix

snippet=$top/contrib/postfix/main.cf
[ -r "$snippet" ] || e2e_bail "no $snippet"

rm_start "$here/conf/e2e.conf"
# Postfix tells the milter "[ADDR]" as the name of a client it did not look
# up (smtpd_peername_lookup = no).
RM_CLIENT='[127.0.0.1][127.0.0.1]'

# The snippet's lines, its socket replaced by ours; then the test's own.
grep -q 'unix:/run/replymilter/replymilter.sock' "$snippet" ||
	e2e_bail "$snippet no longer names unix:/run/replymilter/replymilter.sock"
snippet_lines=$(grep -Ev '^[[:space:]]*(#|$)' "$snippet" |
	sed "s|unix:/run/replymilter/replymilter.sock|unix:$RM_SOCK|")
extra="$snippet_lines
default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"

pf=$E2E_TMP/postfix
port=$(e2e_free_port) || e2e_bail "no free port"
port2=$(e2e_free_port) || e2e_bail "no free port"
POSTFIX_MASTER_EXTRA="127.0.0.1:$port2 inet n - n - - smtpd
  -o milter_macro_daemon_name=blocked-mta"
export POSTFIX_MASTER_EXTRA
: >"$E2E_TMP/start.marker"
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$port" "unix:$RM_SOCK" "$extra" ||
	e2e_bail "Postfix did not start"
e2e_wait_port 127.0.0.1 "$port2" 15 || e2e_bail "no second listener on $port2"
master=$(postfix_master_pid "$pf")
version=$(postconf -c "$pf/etc" -h mail_version)
e2e_note "Postfix $version on 127.0.0.1:$port and :$port2 (blocked-mta)"

# The snippet reached Postfix's configuration as written.
while IFS= read -r line; do
	name=${line%%=*}
	name=${name%"${name##*[![:space:]]}"}
	want="$name = ${line#*= }"
	expect_line "$(postconf -c "$pf/etc" -n "$name")" "$want" \
		"snippet: main.cf has \"$want\""
done <<<"$snippet_lines"

# sink_message SUBJECT - print the delivered message whose Subject is SUBJECT
sink_message() {
	postfix_sink "$pf" | awk -v s="Subject: $1" '
		/^From / { if (hit) exit; msg = ""; }
		{ msg = msg $0 "\n" }
		$0 == s { hit = 1 }
		END { if (hit) printf "%s", msg }'
}

RM_PORT=$port

# --- Each rule, as the client sees it -------------------------------------

mark=$(rm_log_mark)
rm_case "RCPT reject, reply = \"5.7.23\" completed by the registry" RCPT \
	"RCPT 550 5.7.23 SPF validation failed" --to spf-fail@example.org
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=spf-fail id=spf-fail action=reject reply="550 5.7.23 SPF validation failed"' \
	"log: RCPT reject"

mark=$(rm_log_mark)
rm_case "MAIL tempfail, reply = \"452 4.3.1\"" MAIL \
	"MAIL 452 4.3.1 Mail system full" --from full@example.com
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=spool-full id=spool-full action=tempfail reply="452 4.3.1 Mail system full"' \
	"log: MAIL tempfail"

mark=$(rm_log_mark)
rm_case "RCPT reject, three-line reply" RCPT \
	"RCPT 550-5.7.1 Recipient multi@example.org is refused here.
RCPT 550-5.7.1 This is the second line of the reply,
RCPT 550 5.7.1 and this the third." --to multi@example.org
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=multi-line id=multi-line action=reject reply="550-5.7.1 Recipient multi@example.org is refused here. / 550-5.7.1 This is the second line of the reply, / 550 5.7.1 and this the third."' \
	"log: a three-line reject is one log line, its lines joined by \" / \""
expect_no_reply "$(rm_log_since "$mark")" '^550[- ]5\.7\.1 ' \
	"log: no log line starts with a reply line"

mark=$(rm_log_mark)
RM_PORT=$port2
rm_case "connect-stage reject (listener blocked-mta), answered at HELO, held by Postfix until MAIL" \
	"EHLO MAIL" \
	"EHLO 250 ENHANCEDSTATUSCODES
MAIL 550 5.7.1 Connections to this listener are refused (client 127.0.0.1)"
RM_PORT=$port
rm_expect_log "$mark" 'replymilter: NOQUEUE: client=@CLIENT@ stage=helo rule=blocked-listener id=blocked-listener action=reject reply="550 5.7.1 Connections to this listener are refused (client 127.0.0.1)" decided=connect' \
	"log: connect decision answered at HELO"

# A client that sends no HELO: the decision is answered at MAIL FROM.
mark=$(rm_log_mark)
rm_raw_case "connect-stage reject, client sends no HELO: answered at MAIL" \
	"$port2" "MAIL 550 5.7.1 Connections to this listener are refused (client 127.0.0.1)" \
	"MAIL FROM:<sender@example.com>"
rm_expect_log "$mark" 'replymilter: NOQUEUE: client=@CLIENT@ stage=mail rule=blocked-listener id=blocked-listener action=reject reply="550 5.7.1 Connections to this listener are refused (client 127.0.0.1)" decided=connect' \
	"log: connect decision answered at MAIL"

# A second EHLO does not wipe the decision out.
rm_raw_case "connect-stage reject, client sends EHLO twice" "$port2" \
	"EHLO 250 ENHANCEDSTATUSCODES
MAIL 550 5.7.1 Connections to this listener are refused (client 127.0.0.1)" \
	"EHLO one.example.net" "EHLO two.example.net" \
	"MAIL FROM:<sender@example.com>"

mark=$(rm_log_mark)
rm_case "end-of-data reject (Subject /reject-me/)" "RCPT DOT" \
	"DOT 550 5.7.1 Message refused by content policy" \
	--header "Subject: reject-me please"
expect_reply "$RM_OUT" '^RCPT 250 2\.1\.5 ' "end-of-data reject: RCPT was accepted"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=eom rule=subject-reject id=subject-reject action=reject reply="550 5.7.1 Message refused by content policy"' \
	"log: end-of-data reject"

mark=$(rm_log_mark)
rm_case "MAIL reject, %{sender} with a '%' (100%sure@)" MAIL \
	"MAIL 550 5.7.1 Sender 100%sure@example.com is not accepted here" \
	--from 100%sure@example.com
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=percent-sender id=percent-sender action=reject reply="550 5.7.1 Sender 100%sure@example.com is not accepted here"' \
	"log: '%' sender reject"

# --- Deliveries and the headers replymilter adds --------------------------

tag=$$-$RANDOM
mark=$(rm_log_mark)
rm_case_re "dry-run rule (RCPT dry-run@): accepted, header added" "RCPT DOT" \
	'^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' \
	--to dry-run@example.org --header "Subject: e2e-dry-run-$tag"
expect_reply "$RM_OUT" '^RCPT 250 2\.1\.5 Ok$' "dry run: RCPT accepted"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=dry-run-rcpt id=dry-run-rcpt action=reject reply="550 5.7.1 Recipient refused by the new policy" mode=dry-run' \
	"log: dry run"
e2e_check "dry run: message delivered to the sink" \
	postfix_wait_sink "$pf" "^Subject: e2e-dry-run-$tag\$" 15
msg=$(sink_message "e2e-dry-run-$tag")
expect_line "$msg" "X-Replymilter-Dry-Run: rule=dry-run-rcpt; id=dry-run-rcpt; stage=rcpt; would=reject 550 5.7.1 Recipient refused by the new policy" \
	"dry run: X-Replymilter-Dry-Run header in the delivered message"
expect_line "$msg" "X-Replymilter-E2E: checked sender=sender@example.com rule=tag" \
	"dry run: X-Replymilter-E2E header in the delivered message"

mark=$(rm_log_mark)
rm_case_re "add-header, %{sender} with a '%' (50%off@)" DOT \
	'^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' \
	--from 50%off@example.com --header "Subject: e2e-percent-$tag"
qid=$(printf '%s\n' "$RM_OUT" | sed -n 's/^DOT 250 2\.0\.0 Ok: queued as //p')
rm_expect_log "$mark" "replymilter: ${qid:-NONE}: client=@CLIENT@ stage=eom rule=tag id=tag action=add-header" \
	"log: add-header, with the queue id"
e2e_check "'%' sender: message delivered to the sink" \
	postfix_wait_sink "$pf" "^Subject: e2e-percent-$tag\$" 15
expect_line "$(sink_message "e2e-percent-$tag")" \
	"X-Replymilter-E2E: checked sender=50%off@example.com rule=tag" \
	"'%' sender: header value has a single '%'"

rm_case_re "no rule refuses: delivered" DOT \
	'^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' \
	--to ok@example.org --header "Subject: e2e-ok-$tag"
qid=$(printf '%s\n' "$RM_OUT" | sed -n 's/^DOT 250 2\.0\.0 Ok: queued as //p')
e2e_check "delivered: Postfix logs the delivery of ${qid:-NONE} to the sink" \
	postfix_wait_log "$pf" \
	"postfix/pipe\\[[0-9]+\\]: ${qid:-NONE}: to=<ok@example\\.org>, relay=sink, .*status=sent" 15
msg=$(sink_message "e2e-ok-$tag")
expect_line "$msg" "X-E2E-Envelope-To: ok@example.org" "delivered: in the sink"
expect_line "$msg" "X-Replymilter-E2E: checked sender=sender@example.com rule=tag" \
	"delivered: X-Replymilter-E2E header"
expect_no_reply "$msg" '^X-Replymilter-Dry-Run:' "delivered: no dry-run header"

mark=$(rm_log_mark)
rm_case_re "accept rule at MAIL (vip@), even to spf-fail@" "RCPT DOT" \
	'^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' \
	--from vip@example.com --to spf-fail@example.org --header "Subject: e2e-vip-$tag"
expect_reply "$RM_OUT" '^RCPT 250 2\.1\.5 Ok$' "accept: spf-fail@ accepted after the accept"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=vip-sender id=vip-sender action=accept' \
	"log: accept"
e2e_check "accept: message delivered to the sink" \
	postfix_wait_sink "$pf" "^Subject: e2e-vip-$tag\$" 15
expect_no_reply "$(sink_message "e2e-vip-$tag")" '^X-Replymilter' \
	"accept: no later rule ran (no header added)"

# What Postfix itself logged.
expect_reply "$(postfix_log "$pf")" \
	'milter-reject: RCPT from unknown\[127\.0\.0\.1\]: 550 5\.7\.23 SPF validation failed; ' \
	"Postfix log: milter-reject with replymilter's text"

# --- Reload, bad reload, stop ---------------------------------------------

rm_reload_test "$port" \
	"RCPT 550 5.7.23 SPF validation failed" \
	"RCPT 550 5.7.23 SPF validation failed (policy reloaded)" \
	"550 5.7.23 SPF validation failed"
rm_broken_reload_test "$port" \
	"RCPT 550 5.7.23 SPF validation failed (policy reloaded)"
rm_hits_test
rm_stop_test

# With replymilter gone, the snippet's milter_default_action = tempfail.
RM_OUT=$(smtp_session "$port" --to ok@example.org)
expect_line "$RM_OUT" 'MAIL 451 4.7.1 Service unavailable - try again later' \
	"replymilter down: Postfix defers (milter_default_action = tempfail)"
expect_no_reply "$RM_OUT" '^DOT 250 ' "replymilter down: nothing accepted"
rm_table_add "replymilter stopped (snippet: milter_default_action = tempfail)" \
	"$(rm_stage_lines "$RM_OUT" "MAIL RCPT DOT")"

postfix_stop "$pf"
e2e_check "Postfix stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${master:-0}")"
e2e_check "/etc/postfix untouched" \
	test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit 2>/dev/null)"

e2e_note "postfix.sh: $((SECONDS - started)) s"
rm_table_print "replymilter behind Postfix ${version:-?}, as swaks sees it"
e2e_summary
