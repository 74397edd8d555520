#!/bin/bash
#
# tests/e2e/hostile.sh - hostile SMTP peers through a real Postfix and a
# real Sendmail: HELO names, senders, recipients and headers with '%',
# format-looking "%s" and "%n", 8-bit bytes (UTF-8 and invalid ones such
# as \xff), NUL, bare CR and LF, and 10 kB lengths, and a DNSBL TXT record
# with '%', quotes, 8-bit bytes, a NUL and 1 kB, against a policy whose
# replies echo those values (tests/e2e/conf/hostile.conf.in).
#
# It starts the test DNS server (tests/dns/server.sh: unbound with the
# zones of tests/dns/unbound.conf.in, where hostile-bl.test lists
# 127.0.0.1), replymilter on a unix socket, a private loopback Postfix (the
# lines of contrib/postfix/main.cf) and a private loopback Sendmail (the
# lines of contrib/sendmail/replymilter.mc, unpacked, never installed: see
# lib/sendmail.sh) in front of it, and runs every case through both with
# lib/rawsmtp.py (the DNSBL case on a second listener of each MTA, named
# hostile-bl in {daemon_name}), which sends the bytes as they are and
# checks every reply line the client reads: a code, " " or "-", printable ASCII only,
# CRLF-terminated, no bare CR or LF, at most 512 octets (RFC 5321
# 4.5.3.1.5).  For each case it also checks the line of the stage under
# test: an enhanced status code, the rule's 550 5.7.1 when the MTA passed
# the value on, and the value as the manual documents it (control and
# non-ASCII bytes as '?', '%' as itself, cut at 100 bytes with "...").
# Where an MTA refuses the input itself (a 10 kB command line, say) the
# check is that its reply is well-formed and that replymilter lives on.
# At the end: replymilter still runs, its log has no warning or error,
# Postfix logged no malformed milter reply.
#
# Sendmail puts the address the client sent before the text of a reply to
# MAIL or RCPT ("<addr>... "): that echo is Sendmail's, not replymilter's,
# and the expected lines write it in braces (lib/cases.sh's mta_reply).
#
# It prints a table "case | what the client saw" per MTA, and writes it to
# $E2E_TABLE when that is set.  Output is TAP-ish; it exits 1 on any
# failure.  Everything it starts and every file it makes is removed on
# every exit path (E2E_KEEP=1 keeps the files).
#
# Debian packages: those of tests/e2e/postfix.sh and tests/e2e/sendmail.sh
#   (swaks is not needed here; python3 is: the raw SMTP client and the DNS
#   server's helper), unbound.
# Needs: root (Postfix; unshare -m -u for Sendmail); exits 77 (skip) when
#   not root.  Anything else missing is a failure.
#
# Usage: tests/e2e/hostile.sh   (E2E_VERBOSE=1 shows every session)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix and a real Sendmail on loopback"

root_or_skip "needs root (Postfix; unshare -m -u for Sendmail)"

. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/sendmail.sh"
. "$here/lib/replymilter.sh"
. "$here/lib/cases.sh"
DNS_SERVER_SRCDIR=$top/tests/dns
# shellcheck source=../dns/server.sh
. "$top/tests/dns/server.sh"

started=$SECONDS
e2e_require python3 python3
e2e_require postfix postfix
e2e_require postconf postfix
e2e_require apt-get apt
e2e_require dpkg-deb dpkg
e2e_require m4 m4
e2e_require unshare util-linux
e2e_require setsid util-linux
e2e_require flock util-linux
e2e_init replymilter-e2e-hostile

raw=$here/lib/rawsmtp.py
[ -r "$raw" ] || e2e_bail "no $raw"
pf_snippet=$top/contrib/postfix/main.cf
sm_snippet=$top/contrib/sendmail/replymilter.mc
for f in "$pf_snippet" "$sm_snippet"; do
	[ -r "$f" ] || e2e_bail "no $f"
	grep -q 'unix:/run/replymilter/replymilter.sock' "$f" ||
		e2e_bail "$f no longer names unix:/run/replymilter/replymilter.sock"
done
sendmail_fetch "${E2E_CACHE:-${HOME:-/root}/.cache/replymilter-e2e}/sendmail" ||
	e2e_bail "cannot fetch Sendmail (sendmail-bin, -base, -cf)"

dnsdir=$(e2e_mkdir dns) || e2e_bail "cannot create $E2E_TMP/dns"
e2e_cleanup_add dns_server_stop "$dnsdir"
dns_server_start "$dnsdir" "$$" || e2e_bail "the test DNS server did not start"
dns_port=$(cat -- "$dnsdir/port")
conf=$E2E_TMP/hostile.conf
sed -e "s|@DNS_PORT@|$dns_port|g" -- "$here/conf/hostile.conf.in" >"$conf" ||
	e2e_bail "cannot write $conf"
grep -q '@[A-Z_]*@' "$conf" && e2e_bail "$conf: a placeholder is left"
rm_start "$conf"

pf=$E2E_TMP/postfix
pf_port=$(e2e_free_port) || e2e_bail "no free port"
pf_port_bl=$(e2e_free_port) || e2e_bail "no free port"
POSTFIX_MASTER_EXTRA="127.0.0.1:$pf_port_bl inet n - n - - smtpd
  -o milter_macro_daemon_name=hostile-bl"
export POSTFIX_MASTER_EXTRA
extra="$(grep -Ev '^[[:space:]]*(#|$)' "$pf_snippet" |
	sed "s|unix:/run/replymilter/replymilter.sock|unix:$RM_SOCK|")
default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$pf_port" "unix:$RM_SOCK" "$extra" ||
	e2e_bail "Postfix did not start"
e2e_wait_port 127.0.0.1 "$pf_port_bl" 15 || e2e_bail "no second listener on $pf_port_bl"
pf_version=$(postconf -c "$pf/etc" -h mail_version)

sm=$E2E_TMP/sendmail
sm_port=$(e2e_free_port) || e2e_bail "no free port"
sm_port_bl=$(e2e_free_port) || e2e_bail "no free port"
SENDMAIL_MC_EXTRA="DAEMON_OPTIONS(\`Port=$sm_port_bl, Addr=127.0.0.1, Family=inet, Name=hostile-bl')dnl"
export SENDMAIL_MC_EXTRA
SENDMAIL_MILTER_MC=$(sed "s|unix:/run/replymilter/replymilter.sock|unix:$RM_SOCK|" "$sm_snippet")
export SENDMAIL_MILTER_MC
e2e_cleanup_add sendmail_stop "$sm"
sendmail_start "$sm" "$sm_port" "unix:$RM_SOCK" || e2e_bail "Sendmail did not start"
e2e_wait_port 127.0.0.1 "$sm_port_bl" 15 || e2e_bail "no second listener on $sm_port_bl"
sm_version=$(sed -n 's/^DZ//p' "$sm/etc/sendmail.cf")
e2e_note "Postfix $pf_version on 127.0.0.1:$pf_port, Sendmail ${sm_version:-?} on 127.0.0.1:$sm_port"

# --- The hostile values ----------------------------------------------------

# rep N CHAR - CHAR N times
rep() {
	local s
	printf -v s "%$1s" ''
	printf '%s' "${s// /$2}"
}

k10=$(rep 10000 a)	# 10 kB: over both MTAs' command line limits
l150=$(rep 150 b)	# over REPLY_VALUE_MAX (100), under the MTAs' limits
cut98=$(rep 98 b)	# what is left of "h-"/"s-"/"r-" + $l150 at 100 bytes

# --- The case runner -------------------------------------------------------

# hostile_session PORT COMMANDS - rawsmtp.py's output for COMMANDS (one a
# line, Python escapes) against 127.0.0.1:PORT
hostile_session() {
	local out
	out=$(printf '%s\n' "$2" | python3 "$raw" "$1")
	[ "${E2E_VERBOSE:-0}" = 1 ] && printf '%s\n' "$out" | sed 's/^/#   raw: /' >&2
	printf '%s\n' "$out"
}

# hostile_coded OUTPUT - OUTPUT's reply lines that must carry an enhanced
# status code: all but the banner, the 250 lines of EHLO or HELO, DATA's
# 354 (RFC 3463 codes only 2xx, 4xx, 5xx) and the "SESSION" notes
hostile_coded() {
	printf '%s\n' "$1" | grep -Ev '^(CONNECT |(EHLO|HELO) 250[ -]|DATA 354 |SESSION )'
}

# hostile_case LABEL POSTFIX SENDMAIL COMMANDS - run COMMANDS through the
# current MTA; check that every reply line is well-formed, that every one
# past the greeting has an enhanced status code, and the line the MTA's
# expectation names (POSTFIX or SENDMAIL, by MTA_NAME), taken literally in
# mta_reply's dialect ("=" for SENDMAIL: the same as POSTFIX, "-": none,
# the MTA's own refusal is only checked for its form); add a table row
hostile_case() {
	local label="$MTA_NAME: $1" expected=$2 out bad
	[ "$MTA_NAME" = Sendmail ] && [ "$3" != = ] && expected=$3
	out=$(hostile_session "$MTA_PORT" "$4")
	RM_OUT=$out
	expect_no_reply "$out" '^(MALFORMED|SESSION cannot)' \
		"$label: every reply line is well-formed SMTP"
	bad=$(hostile_coded "$out" |
		grep -Ev '^[A-Z]+ [245][0-9][0-9][ -][245]\.[0-9]{1,3}\.[0-9]{1,3} ')
	e2e_result "$([ -z "$bad" ] && [ -n "$(hostile_coded "$out")" ]; echo $?)" \
		"$label: every reply past the greeting has an enhanced code" \
		"without one:" "$bad" "in:" "$out"
	if [ "$expected" != - ]; then
		expect_line "$out" "$(mta_reply "$expected")" "$label: the reply"
	fi
	rm_table_add "$1" "$(printf '%s\n' "$out" |
		grep -Ev '^(CONNECT|QUIT) |^(EHLO|HELO) 250[ -]' | cut -c1-300)"
}

# hostile_cases - every case through the MTA of MTA_NAME, MTA_PORT,
# MTA_PORT_BL (the listener named hostile-bl), MTA_ADDR_ECHO
hostile_cases() {
	local mail='MAIL FROM:<sender@example.com>'
	local rcpt='RCPT TO:<rcpt@example.org>'
	local helo='EHLO client.example.net'
	local why=' refused (100% sure, %s %n)'
	# Sendmail refuses a HELO name with '%', 8-bit bytes, a CR or a NUL
	# itself; the message goes on under Sendmail's own idea of the name.
	local sm_badhelo='EHLO 501 5.0.0 Invalid domain name'
	# Sendmail closes the connection on a command over its limit.
	local sm_toolong='421 4.7.0 sendmail-e2e.example.test Command too long, possible attack localhost [127.0.0.1]'

	# HELO names: decided at HELO, answered at MAIL FROM.
	hostile_case "HELO with '%', '%%', '%s', '%n'" \
		"MAIL 550 5.7.1 HELO h-100%%s%n%.example$why" "$sm_badhelo" \
		"EHLO h-100%%s%n%.example
$mail"
	hostile_case "HELO with UTF-8" \
		"MAIL 550 5.7.1 HELO h-??t.example$why" "$sm_badhelo" \
		"EHLO h-\\xc3\\xa9t.example
$mail"
	hostile_case "HELO with \\xff" \
		"EHLO 500 5.5.2 Error: bad UTF-8 syntax" "$sm_badhelo" \
		"EHLO h-\\xfft.example
$mail"
	# Postfix turns the CR into a space before the milter sees it.
	hostile_case "HELO with a bare CR" \
		"MAIL 550 5.7.1 HELO h-a b.example$why" "$sm_badhelo" \
		"EHLO h-a\\rb.example
$mail"
	hostile_case "HELO with a NUL" - - \
		"EHLO h-a\\x00b.example
$mail"
	hostile_case "HELO of 152 bytes: cut at 100" \
		"MAIL 550 5.7.1 HELO h-$cut98...$why" = \
		"EHLO h-$l150
$mail"
	hostile_case "HELO of 10 kB" \
		"MAIL 550 5.7.1 HELO h-$(rep 98 a)...$why" "EHLO $sm_toolong" \
		"EHLO h-$k10
$mail"

	# The DNSBL's TXT record (tests/dns/unbound.conf.in): '%', "%s",
	# "%n", quotes, then UTF-8, \255, NUL and TAB (each byte a '?'), then
	# 750 bytes more, cut at 100.  On the listener named hostile-bl only.
	local txt port=$MTA_PORT
	txt="100% \"q\" %s %n ?????<$(rep 79 x)..."

	MTA_PORT=$MTA_PORT_BL
	hostile_case "DNSBL TXT with '%', quotes, 8-bit, NUL, 1 kB" \
		"MAIL 550 5.7.1 Listed by hostile-bl.test: $txt" = \
		"$helo
$mail"
	MTA_PORT=$port

	# Senders.
	hostile_case "sender with '%', '%%', '%s', '%n'" \
		"MAIL 550 5.7.1 {<s-%s%n%%%@example.com>... }Sender s-%s%n%%%@example.com refused, HELO client.example.net" = \
		"$helo
MAIL FROM:<s-%s%n%%%@example.com>"
	hostile_case "sender with UTF-8 and \\xff" \
		"MAIL 500 5.5.2 Error: bad UTF-8 syntax" - \
		"$helo
MAIL FROM:<s-\\xc3\\xa9\\xff@example.com>"
	hostile_case "sender of 164 bytes: cut at 100" \
		"MAIL 550 5.7.1 {<s-$l150@example.com>... }Sender s-$cut98... refused, HELO client.example.net" = \
		"$helo
MAIL FROM:<s-$l150@example.com>"
	hostile_case "sender of 10 kB" \
		"MAIL 501 5.1.7 Bad sender address syntax" "MAIL $sm_toolong" \
		"$helo
MAIL FROM:<s-$k10@example.com>"
	hostile_case "sender with a NUL" \
		"MAIL 501 5.1.7 Bad sender address syntax" - \
		"$helo
MAIL FROM:<s-a\\x00b@example.com>"

	# Recipients.
	hostile_case "recipient with '%', '%s', '%n'" \
		"RCPT 550 5.7.1 {<r-%s%n%@example.org>... }Recipient r-%s%n%@example.org of sender@example.com refused" = \
		"$helo
$mail
RCPT TO:<r-%s%n%@example.org>"
	hostile_case "recipient with UTF-8 and \\xff" \
		"RCPT 500 5.5.2 Error: bad UTF-8 syntax" - \
		"$helo
$mail
RCPT TO:<r-\\xc3\\xa9\\xff@example.org>"
	hostile_case "recipient of 164 bytes: cut at 100" \
		"RCPT 550 5.7.1 {<r-$l150@example.org>... }Recipient r-$cut98... of sender@example.com refused" = \
		"$helo
$mail
RCPT TO:<r-$l150@example.org>"
	hostile_case "recipient of 10 kB" \
		"RCPT 501 5.1.3 Bad recipient address syntax" "RCPT $sm_toolong" \
		"$helo
$mail
RCPT TO:<r-$k10@example.org>"
	hostile_case "recipient with a NUL" \
		"RCPT 501 5.1.3 Bad recipient address syntax" - \
		"$helo
$mail
RCPT TO:<r-a\\x00b@example.org>"

	# Headers and body: no template reads a header, so the reply is the
	# rule's own; the hostile bytes must not disturb it.
	local eom="DOT 550 5.7.1 Message of sender@example.com via client.example.net refused: 50% off"
	hostile_case "headers with NUL, 8-bit, '%n'; NUL in the body" "$eom" = \
		"$helo
$mail
$rcpt
DATA
BODY Subject: hostile-subject %s%n%%\\r\\nX-Nul: a\\x00b\\r\\nX-8bit: \\xc3\\xa9\\xff\\r\\n\\r\\nbody\\x00with NUL\\r\\n.\\r\\n"
	hostile_case "header with a bare CR" "$eom" \
		"DOT 421 4.5.0 Bare carriage return (CR) not allowed" \
		"$helo
$mail
$rcpt
DATA
BODY Subject: hostile-subject\\r\\nX-CR: a\\rb\\r\\n\\r\\nbody\\r\\n.\\r\\n"
	hostile_case "folded header of 10 kB" "$eom" = \
		"$helo
$mail
$rcpt
DATA
BODY Subject: hostile-subject\\r\\nX-Long: $(rep 10 "$(rep 998 c)\\r\\n ")end\\r\\n\\r\\nbody\\r\\n.\\r\\n"
	hostile_case "unfolded header line of 10 kB" "$eom" = \
		"$helo
$mail
$rcpt
DATA
BODY Subject: hostile-subject\\r\\nX-Long: $k10\\r\\n\\r\\nbody\\r\\n.\\r\\n"

	# A bare CR in the sender: Postfix refuses it.  Sendmail passes it
	# on and puts the address, CR and all, before the text of every reply
	# to MAIL, its own "Sender ok" too; replymilter's text shows it as
	# '?'.  So the line is checked after Sendmail's echo.
	hostile_bare_cr_sender
}

# hostile_bare_cr_sender - a sender with a bare CR (see hostile_cases)
hostile_bare_cr_sender() {
	local out label="$MTA_NAME: sender with a bare CR"
	if [ "$MTA_NAME" = Postfix ]; then
		hostile_case "sender with a bare CR" \
			"MAIL 501 5.1.7 Bad sender address syntax" - \
			"EHLO client.example.net
MAIL FROM:<s-a\\rb@example.com>"
		return
	fi
	out=$(hostile_session "$MTA_PORT" "EHLO client.example.net
MAIL FROM:<s-a\\rb@example.com>")
	expect_line "$out" 'MAIL 550 5.7.1 <s-a\x0db@example.com>... Sender s-a?b@example.com refused, HELO client.example.net' \
		"$label: replymilter's text has '?' for the CR, after Sendmail's raw echo"
	expect_no_reply "$(printf '%s\n' "$out" | sed -n 's/^MAIL [^>]*>\.\.\. //p')" \
		'\\x|[^ -~]' "$label: no control byte in the text after Sendmail's echo"
	out=$(hostile_session "$MTA_PORT" "EHLO client.example.net
MAIL FROM:<x-a\\rb@example.com>")
	expect_line "$out" 'MAIL 250 2.1.0 <x-a\x0db@example.com>... Sender ok' \
		"$label: the raw CR is Sendmail's own echo (also in its 250 with no rule)"
	rm_table_add "sender with a bare CR" "$(printf '%s\n' "$out" | grep '^MAIL ')"
}

# hostile_after - replymilter survived the MTA's cases
hostile_after() {
	e2e_check "$MTA_NAME: replymilter is still running" e2e_alive "$RM_PID"
}

MTA_NAME=Postfix
MTA_PORT=$pf_port
MTA_PORT_BL=$pf_port_bl
MTA_ADDR_ECHO=no
mark=$(rm_log_mark)
hostile_cases
hostile_after
expect_no_reply "$(mta_log "$pf")" 'malformed|milter.*(error|fatal)' \
	"Postfix: no malformed milter reply or milter error in its log"
pf_table=("${RM_TABLE[@]}")
RM_TABLE=()

MTA_NAME=Sendmail
MTA_PORT=$sm_port
MTA_PORT_BL=$sm_port_bl
MTA_ADDR_ECHO=yes
hostile_cases
hostile_after

expect_no_reply "$(cat -- "$RM_LOG")" '(warning|error|fatal)' \
	"replymilter logged no warning or error"

sendmail_stop "$sm"
postfix_stop "$pf"
e2e_note "hostile.sh: $((SECONDS - started)) s"
sm_table=("${RM_TABLE[@]}")
RM_TABLE=("${pf_table[@]}")
rm_table_print "hostile peers: replymilter behind Postfix ${pf_version:-?}, as the client sees it"
RM_TABLE=("${sm_table[@]}")
E2E_TABLE=${E2E_TABLE:+$E2E_TABLE.sendmail} \
	rm_table_print "hostile peers: replymilter behind Sendmail ${sm_version:-?}, as the client sees it"
e2e_summary
