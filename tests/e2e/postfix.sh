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

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix on loopback"

root_or_skip "needs root (Postfix runs as root and drops to user postfix)"

. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/replymilter.sh"
. "$here/lib/cases.sh"

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

# --- Postfix's dialect, then the cases both MTAs share (lib/cases.sh) -----

MTA_NAME=Postfix
MTA_DIR=$pf
MTA_PORT=$port
MTA_PORT_BLOCKED=$port2
MTA_ADDR_ECHO=no
MTA_RCPT_OK='RCPT 250 2.1.5 Ok'
MTA_ACCEPTED_RE='^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
MTA_QID_SED='s/^DOT 250 2\.0\.0 Ok: queued as //p'
MTA_NOHELO_QID=NOQUEUE
MTA_DELIVERED_RE='postfix/pipe\[[0-9]+\]: %s: to=<ok@example\.org>, relay=sink, .*status=sent'
MTA_REJECT_LOG_RE='milter-reject: RCPT from unknown\[127\.0\.0\.1\]: 550 5\.7\.23 SPF validation failed; '
MTA_DOWN_REPLY='MAIL 451 4.7.1 Service unavailable - try again later'
MTA_DOWN_SETTING='milter_default_action = tempfail'
e2e_run_cases

postfix_stop "$pf"
e2e_check "Postfix stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${master:-0}")"
e2e_check "/etc/postfix untouched" \
	test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit 2>/dev/null)"

e2e_note "postfix.sh: $((SECONDS - started)) s"
rm_table_print "replymilter behind Postfix ${version:-?}, as swaks sees it"
e2e_summary
