#!/bin/bash
#
# tests/e2e/sendmail.sh - replymilter behind a real Sendmail: what the SMTP
# client reads, what replymilter logs, reload and stop.
#
# It starts replymilter (the binary in $REPLYMILTER, default src/replymilter
# under the top build dir) with tests/e2e/conf/e2e.conf on a unix socket in
# a temporary directory, and a private loopback Sendmail (downloaded with
# apt-get download and unpacked, never installed: see lib/sendmail.sh) whose
# sendmail.mc takes its INPUT_MAIL_FILTER and macro lines from
# contrib/sendmail/replymilter.mc (the administrator's snippet, its socket
# path substituted), so that the snippet itself is tested.  A second
# listener, DAEMON_OPTIONS Name=blocked-mta, serves the connect-stage rule.
# Deliveries go to the harness's file sink.  Then, with swaks:
#   - each rule's reply, as the exact lines the client receives: RCPT
#     reject with a registry-completed reply (Sendmail puts "<rcpt>... "
#     before the text), MAIL tempfail, a three-line reply, a decision taken
#     at connect (answered at HELO, which Sendmail holds until MAIL FROM), a
#     reject at end of data, a sender with '%' in a reply (a lone '%' would
#     make Sendmail replace the whole text) and in a header;
#   - the headers of the delivered messages (add-header, dry-run), an accept
#     rule, a plain delivery;
#   - replymilter's log line for each decision;
#   - reload: SIGHUP with sessions running in a loop: new sessions get the
#     new reply, none fails, a session open across the reload keeps the old
#     policy; a broken config: FILE:LINE in the log, the old policy stays;
#   - SIGUSR1: the "hits:" lines; SIGTERM: exit 0 within 3 s, socket and
#     PID file removed; then what the client gets from Sendmail with
#     replymilter gone (the snippet's F=T);
#   - the connect-stage decision also survives a second EHLO, and without
#     HELO it is answered at MAIL FROM.
# It prints a table "case | what the client saw" at the end, and writes it
# to $E2E_TABLE when that is set.  Output is TAP-ish; it exits 1 on any
# failure.  Everything it starts and every file it makes is removed on every
# exit path (E2E_KEEP=1 keeps the files); the downloaded packages stay in
# $E2E_CACHE (default ~/.cache/replymilter-e2e).  Takes about 5 s once
# they are there.
#
# Debian packages: bash, coreutils, grep, sed, gawk or mawk, swaks, apt and
#   dpkg (to download and unpack sendmail-bin, sendmail-base, sendmail-cf,
#   which are NOT installed: they conflict with postfix), m4, util-linux
#   (unshare, setsid, mount, flock), hostname, libwrap0 and sendmail-bin's
#   other libraries (libdb5.3, libldap-2.5-0, liblockfile1, libnsl2,
#   libsasl2-2, libssl3), python3 (Sendmail's log reader), iproute2
#   (optional).
# Needs: root (unshare -m -u, mount; Sendmail runs as root); exits 77
#   (skip) when not root.  Anything else missing is a failure.
#
# Usage: tests/e2e/sendmail.sh   (E2E_VERBOSE=1 shows the swaks transcripts)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $0 needs root (unshare -m -u and mount for a private Sendmail)"
	exit 77
fi

. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
. "$here/lib/replymilter.sh"

started=$SECONDS
e2e_require swaks swaks
e2e_require apt-get apt
e2e_require dpkg-deb dpkg
e2e_require m4 m4
e2e_require unshare util-linux
e2e_require setsid util-linux
e2e_require flock util-linux
e2e_require python3 python3
e2e_init replymilter-e2e-sendmail

snippet=$top/contrib/sendmail/replymilter.mc
[ -r "$snippet" ] || e2e_bail "no $snippet"
sendmail_fetch "${E2E_CACHE:-${HOME:-/root}/.cache/replymilter-e2e}/sendmail" ||
	e2e_bail "cannot fetch Sendmail (sendmail-bin, -base, -cf)"

rm_start "$here/conf/e2e.conf"
# Sendmail looks 127.0.0.1 up in its own /etc/hosts: "localhost".
RM_CLIENT='localhost[127.0.0.1]'

# The snippet's lines, its socket replaced by ours, stand in for the
# harness's own INPUT_MAIL_FILTER line.
grep -q 'unix:/run/replymilter/replymilter.sock' "$snippet" ||
	e2e_bail "$snippet no longer names unix:/run/replymilter/replymilter.sock"
SENDMAIL_MILTER_MC=$(sed "s|unix:/run/replymilter/replymilter.sock|unix:$RM_SOCK|" "$snippet")
export SENDMAIL_MILTER_MC

sm=$E2E_TMP/sendmail
port=$(e2e_free_port) || e2e_bail "no free port"
port2=$(e2e_free_port) || e2e_bail "no free port"
SENDMAIL_MC_EXTRA="DAEMON_OPTIONS(\`Port=$port2, Addr=127.0.0.1, Family=inet, Name=blocked-mta')dnl"
export SENDMAIL_MC_EXTRA
e2e_cleanup_add sendmail_stop "$sm"
sendmail_start "$sm" "$port" "unix:$RM_SOCK" || e2e_bail "Sendmail did not start"
e2e_wait_port 127.0.0.1 "$port2" 15 || e2e_bail "no second listener on $port2"
read -r pgid <"$sm/sendmail.pgid"
version=$(sed -n 's/^DZ//p' "$sm/etc/sendmail.cf")
e2e_note "Sendmail ${version:-?} on 127.0.0.1:$port and :$port2 (blocked-mta)"

# The snippet reached sendmail.cf.
cf=$(cat -- "$sm/etc/sendmail.cf")
expect_line "$cf" "O InputMailFilters=replymilter" \
	"snippet: sendmail.cf uses the snippet's filter"
expect_line "$cf" "Xreplymilter, S=unix:$RM_SOCK, F=T, T=C:10s;S:10s;R:30s;E:5m" \
	"snippet: sendmail.cf has the snippet's filter definition"
while IFS= read -r line; do
	# define(`confMILTER_MACROS_CONNECT', `j, _, ...')dnl -> its value
	case $line in
	"define(\`confMILTER_MACROS_"*) ;;
	*) continue ;;
	esac
	name=${line#"define(\`confMILTER_MACROS_"}
	name=${name%%"'"*}
	value=${line#*"', \`"}
	value=${value%"')dnl"}
	case $name in
	ENVFROM) opt=envfrom ;;
	ENVRCPT) opt=envrcpt ;;
	*) opt=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]') ;;
	esac
	expect_line "$cf" "O Milter.macros.$opt=$value" \
		"snippet: sendmail.cf has Milter.macros.$opt from the snippet"
done <"$snippet"

# sink_message SUBJECT - print the delivered message whose Subject is SUBJECT
sink_message() {
	sendmail_sink "$sm" | awk -v s="Subject: $1" '
		/^From / { if (hit) exit; msg = ""; }
		{ msg = msg $0 "\n" }
		$0 == s { hit = 1 }
		END { if (hit) printf "%s", msg }'
}

accepted_re='^DOT 250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
RM_PORT=$port

# --- Each rule, as the client sees it -------------------------------------

mark=$(rm_log_mark)
rm_case "RCPT reject, reply = \"5.7.23\" completed by the registry" RCPT \
	"RCPT 550 5.7.23 <spf-fail@example.org>... SPF validation failed" \
	--to spf-fail@example.org
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=spf-fail id=spf-fail action=reject reply="550 5.7.23 SPF validation failed"' \
	"log: RCPT reject"

mark=$(rm_log_mark)
rm_case "MAIL tempfail, reply = \"452 4.3.1\"" MAIL \
	"MAIL 452 4.3.1 Mail system full" --from full@example.com
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=spool-full id=spool-full action=tempfail reply="452 4.3.1 Mail system full"' \
	"log: MAIL tempfail"

mark=$(rm_log_mark)
rm_case "RCPT reject, three-line reply" RCPT \
	"RCPT 550-5.7.1 <multi@example.org>... Recipient multi@example.org is refused here.
RCPT 550-5.7.1 This is the second line of the reply,
RCPT 550 5.7.1 and this the third." --to multi@example.org
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=multi-line id=multi-line action=reject reply="550-5.7.1 Recipient multi@example.org is refused here. / 550-5.7.1 This is the second line of the reply, / 550 5.7.1 and this the third."' \
	"log: a three-line reject is one log line, its lines joined by \" / \""
expect_no_reply "$(rm_log_since "$mark")" '^550[- ]5\.7\.1 ' \
	"log: no log line starts with a reply line"

mark=$(rm_log_mark)
RM_PORT=$port2
rm_case "connect-stage reject (listener blocked-mta), answered at HELO, held by Sendmail until MAIL" \
	"EHLO MAIL" \
	"EHLO 250 ENHANCEDSTATUSCODES
MAIL 550 5.7.1 Connections to this listener are refused (client 127.0.0.1)"
RM_PORT=$port
rm_expect_log "$mark" 'replymilter: NOQUEUE: client=@CLIENT@ stage=helo rule=blocked-listener id=blocked-listener action=reject reply="550 5.7.1 Connections to this listener are refused (client 127.0.0.1)" decided=connect' \
	"log: connect decision answered at HELO"

# A client that sends no HELO: the decision is answered at MAIL FROM.
mark=$(rm_log_mark)
rm_raw_case "connect-stage reject, client sends no HELO: answered at MAIL" \
	"$port2" "MAIL 550 5.7.1 <sender@example.com>... Connections to this listener are refused (client 127.0.0.1)" \
	"MAIL FROM:<sender@example.com>"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=blocked-listener id=blocked-listener action=reject reply="550 5.7.1 Connections to this listener are refused (client 127.0.0.1)" decided=connect' \
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
	"MAIL 550 5.7.1 <100%sure@example.com>... Sender 100%sure@example.com is not accepted here" \
	--from 100%sure@example.com
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=percent-sender id=percent-sender action=reject reply="550 5.7.1 Sender 100%sure@example.com is not accepted here"' \
	"log: '%' sender reject"

# --- Deliveries and the headers replymilter adds --------------------------

tag=$$-$RANDOM
mark=$(rm_log_mark)
rm_case_re "dry-run rule (RCPT dry-run@): accepted, header added" "RCPT DOT" \
	"$accepted_re" --to dry-run@example.org --header "Subject: e2e-dry-run-$tag"
expect_line "$RM_OUT" "RCPT 250 2.1.5 <dry-run@example.org>... Recipient ok" \
	"dry run: RCPT accepted"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=dry-run-rcpt id=dry-run-rcpt action=reject reply="550 5.7.1 Recipient refused by the new policy" mode=dry-run' \
	"log: dry run"
e2e_check "dry run: message delivered to the sink" \
	sendmail_wait_sink "$sm" "^Subject: e2e-dry-run-$tag\$" 15
msg=$(sink_message "e2e-dry-run-$tag")
expect_line "$msg" "X-Replymilter-Dry-Run: rule=dry-run-rcpt; id=dry-run-rcpt; stage=rcpt; would=reject 550 5.7.1 Recipient refused by the new policy" \
	"dry run: X-Replymilter-Dry-Run header in the delivered message"
expect_line "$msg" "X-Replymilter-E2E: checked sender=sender@example.com rule=tag" \
	"dry run: X-Replymilter-E2E header in the delivered message"

mark=$(rm_log_mark)
rm_case_re "add-header, %{sender} with a '%' (50%off@)" DOT "$accepted_re" \
	--from 50%off@example.com --header "Subject: e2e-percent-$tag"
qid=$(printf '%s\n' "$RM_OUT" |
	sed -n 's/^DOT 250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery$/\1/p')
rm_expect_log "$mark" "replymilter: ${qid:-NONE}: client=@CLIENT@ stage=eom rule=tag id=tag action=add-header" \
	"log: add-header, with the queue id"
e2e_check "'%' sender: message delivered to the sink" \
	sendmail_wait_sink "$sm" "^Subject: e2e-percent-$tag\$" 15
expect_line "$(sink_message "e2e-percent-$tag")" \
	"X-Replymilter-E2E: checked sender=50%off@example.com rule=tag" \
	"'%' sender: header value has a single '%'"

rm_case_re "no rule refuses: delivered" DOT "$accepted_re" \
	--to ok@example.org --header "Subject: e2e-ok-$tag"
qid=$(printf '%s\n' "$RM_OUT" |
	sed -n 's/^DOT 250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery$/\1/p')
e2e_check "delivered: Sendmail logs the delivery of ${qid:-NONE} to the sink" \
	sendmail_wait_log "$sm" \
	"${qid:-NONE}: to=<ok@example\\.org>, .*mailer=sink, .*stat=Sent" 15
msg=$(sink_message "e2e-ok-$tag")
expect_line "$msg" "X-E2E-Envelope-To: ok@example.org" "delivered: in the sink"
expect_line "$msg" "X-Replymilter-E2E: checked sender=sender@example.com rule=tag" \
	"delivered: X-Replymilter-E2E header"
expect_no_reply "$msg" '^X-Replymilter-Dry-Run:' "delivered: no dry-run header"

mark=$(rm_log_mark)
rm_case_re "accept rule at MAIL (vip@), even to spf-fail@" "RCPT DOT" \
	"$accepted_re" \
	--from vip@example.com --to spf-fail@example.org --header "Subject: e2e-vip-$tag"
expect_line "$RM_OUT" "RCPT 250 2.1.5 <spf-fail@example.org>... Recipient ok" \
	"accept: spf-fail@ accepted after the accept"
rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=vip-sender id=vip-sender action=accept' \
	"log: accept"
e2e_check "accept: message delivered to the sink" \
	sendmail_wait_sink "$sm" "^Subject: e2e-vip-$tag\$" 15
expect_no_reply "$(sink_message "e2e-vip-$tag")" '^X-Replymilter' \
	"accept: no later rule ran (no header added)"

# What Sendmail itself logged.
expect_reply "$(sendmail_log "$sm")" \
	'Milter: to=<spf-fail@example\.org>, reject=550 5\.7\.23 SPF validation failed$' \
	"Sendmail log: milter reject with replymilter's text"

# --- Reload, bad reload, stop ---------------------------------------------

rm_reload_test "$port" \
	"RCPT 550 5.7.23 <spf-fail@example.org>... SPF validation failed" \
	"RCPT 550 5.7.23 <spf-fail@example.org>... SPF validation failed (policy reloaded)" \
	"550 5.7.23 <spf-fail@example.org>... SPF validation failed"
rm_broken_reload_test "$port" \
	"RCPT 550 5.7.23 <spf-fail@example.org>... SPF validation failed (policy reloaded)"
rm_hits_test
rm_stop_test

# With replymilter gone, the snippet's F=T: tempfail.
RM_OUT=$(smtp_session "$port" --to ok@example.org)
expect_line "$RM_OUT" 'MAIL 451 4.3.2 Please try again later' \
	"replymilter down: Sendmail defers (F=T)"
expect_no_reply "$RM_OUT" '^DOT 250 ' "replymilter down: nothing accepted"
rm_table_add "replymilter stopped (snippet: F=T)" \
	"$(rm_stage_lines "$RM_OUT" "MAIL RCPT DOT")"

sendmail_stop "$sm"
e2e_check "Sendmail stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${pgid:-0}")"
e2e_check "the host name is not changed outside Sendmail's namespace" \
	test "$(hostname)" != "$SENDMAIL_HOSTNAME"

e2e_note "sendmail.sh: $((SECONDS - started)) s"
rm_table_print "replymilter behind Sendmail ${version:-?}, as swaks sees it"
e2e_summary
