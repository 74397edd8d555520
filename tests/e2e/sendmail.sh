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

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Sendmail on loopback"

root_or_skip "needs root (unshare -m -u and mount for a private Sendmail)"

. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
. "$here/lib/replymilter.sh"
. "$here/lib/cases.sh"

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

# --- Sendmail's dialect, then the cases both MTAs share (lib/cases.sh) ----

MTA_NAME=Sendmail
MTA_DIR=$sm
MTA_PORT=$port
MTA_PORT_BLOCKED=$port2
MTA_ADDR_ECHO=yes
MTA_RCPT_OK='RCPT 250 2.1.5 %s... Recipient ok'
MTA_ACCEPTED_RE='^DOT 250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
MTA_QID_SED='s/^DOT 250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery$/\1/p'
MTA_NOHELO_QID=@QID@
MTA_DELIVERED_RE='%s: to=<ok@example\.org>, .*mailer=sink, .*stat=Sent'
MTA_REJECT_LOG_RE='Milter: to=<spf-fail@example\.org>, reject=550 5\.7\.23 SPF validation failed$'
MTA_DOWN_REPLY='MAIL 451 4.3.2 Please try again later'
MTA_DOWN_SETTING='F=T'
e2e_run_cases

sendmail_stop "$sm"
e2e_check "Sendmail stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${pgid:-0}")"
e2e_check "the host name is not changed outside Sendmail's namespace" \
	test "$(hostname)" != "$SENDMAIL_HOSTNAME"

e2e_note "sendmail.sh: $((SECONDS - started)) s"
rm_table_print "replymilter behind Sendmail ${version:-?}, as swaks sees it"
e2e_summary
