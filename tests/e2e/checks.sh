#!/bin/bash
#
# tests/e2e/checks.sh - replymilter's built-in checks behind a real Postfix:
# what the SMTP client reads when SPF, iprev, a DNSBL, null MX, the spool's
# free space or a trusted Authentication-Results header decides, and the
# trace headers of a delivered message.
#
# It starts the test DNS server (tests/dns/server.sh: unbound with the zones
# of tests/dns/unbound.conf.in, and a black hole for timeout.test),
# replymilter with tests/e2e/conf/checks.conf.in (dns_server pointing at that
# server, spool_path on a 4 MiB tmpfs it mounts) on a unix socket, and a
# private loopback Postfix with the lines of contrib/postfix/main.cf.
#
# The client address: Postfix connects from 127.0.0.1, which libspf2 passes
# without a look at DNS, and the zones' iprev and DNSBL data are for other
# addresses.  So Postfix is told "smtpd_authorized_xclient_hosts =
# 127.0.0.1" and swaks sends XCLIENT ADDR=...: Postfix then opens a new
# milter connection and hands libmilter the new address at connect (seen
# with strace: "C" with "[192.0.2.10]", family '4', "192.0.2.10"), so every
# check runs on it; replymilter's log line client=[ADDR][ADDR] shows it.
#
# Cases, each asserted as the exact line the client reads:
#   SPF fail (550 5.7.23), pass (accepted), permerror (550 5.7.24),
#   temperror from a DNS timeout (451 4.7.24, and no 2xx or 5xx), HELO
#   identity of a null sender (550 5.7.23), and 127.0.0.1 without XCLIENT
#   (passed by libspf2); null MX of the sender (550 5.7.27), of the
#   recipient (556 5.1.10 at RCPT) and a timeout there (451 4.4.3); iprev
#   fail (550 5.7.25) and timeout (451 4.4.3), pass; DNSBL listed with and
#   without a TXT, and an answer outside 127.0.0.0/8 (accepted); the spool
#   filled below spool_min_free (452 4.3.1 at MAIL) and freed again; DKIM
#   fail from a trusted Authentication-Results header (550 5.7.20 at end of
#   data) and the same header from an untrusted authserv-id (accepted); the
#   Received-SPF and Authentication-Results headers replymilter adds, in
#   the message the sink received.
# Two known bugs in src/milter.c are checked as TODO (TAP "# TODO"): counted
# apart, shown in the output and the table, not failing the run:
#   - a policy whose rules read DKIM/DMARC/ARC results but no header makes
#     replymilter negotiate SMFIP_NOHDRS, so it never sees the
#     Authentication-Results header: "dkim: fail" never matches.  After a
#     reload that adds a rule reading a header, the same sessions get the
#     right answers (checked, not TODO).
#   - a policy with no connect- or HELO-stage rule negotiates SMFIP_NOHELO,
#     so SPF has no HELO name: a null sender's HELO identity is never
#     checked (result none, accepted).  Checked after a reload that drops
#     the connect rules.
#
# It prints a table "case | what the client saw" at the end, and writes it
# to $E2E_TABLE when that is set.  Output is TAP-ish; it exits 1 on any
# failure.  The whole test runs in a private mount namespace (unshare -m),
# so the tmpfs never shows outside it and goes away with it; everything it
# starts, mounts and writes is removed on every exit path (E2E_KEEP=1 keeps
# the files).  Takes about 20 s (the DNS timeouts, the storage check's 5 s
# cache).
#
# Debian packages: bash, coreutils, grep, sed, gawk or mawk, util-linux
#   (unshare, mount, umount, mountpoint), swaks, postfix (debconf "No
#   configuration" is enough: /etc/postfix is never written), unbound
#   (its absence fails the DNS server's start), python3 (the DNS server's helper), base-passwd (user nobody), iproute2
#   (optional).
# Needs: root (Postfix, mount); exits 77 (skip) when not root.  Anything
#   else missing is a failure.
#
# Usage: tests/e2e/checks.sh   (E2E_VERBOSE=1 shows the swaks transcripts)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix and unbound on loopback"

root_or_skip "needs root (Postfix drops to user postfix; a tmpfs is mounted)"

# Run in a private mount namespace: the tmpfs is seen by this test only and
# cannot outlive it.
if [ -z "${E2E_CHECKS_NAMESPACE:-}" ]; then
	if ! command -v unshare >/dev/null 2>&1; then
		echo "Bail out! unshare not found: apt-get install util-linux"
		exit 1
	fi
	E2E_CHECKS_NAMESPACE=1 exec unshare --mount --propagation private -- \
		"$BASH" "$0" "$@"
fi

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
e2e_require mount mount
e2e_require umount mount
e2e_require mountpoint util-linux
e2e_init replymilter-e2e-checks

snippet=$top/contrib/postfix/main.cf
[ -r "$snippet" ] || e2e_bail "no $snippet"
template=$here/conf/checks.conf.in
[ -r "$template" ] || e2e_bail "no $template"

# --- The DNS server, the spool, replymilter, Postfix ----------------------

dnsdir=$(e2e_mkdir dns) || e2e_bail "cannot create $E2E_TMP/dns"
e2e_cleanup_add dns_server_stop "$dnsdir"
dns_server_start "$dnsdir" "$$" || e2e_bail "the test DNS server did not start"
dns_port=$(cat -- "$dnsdir/port")
e2e_note "DNS server on 127.0.0.1:$dns_port"

# spool_umount - unmount the test's tmpfs if it is mounted; returns 0
spool_umount() {
	mountpoint -q -- "$spool" || return 0
	umount -- "$spool" 2>/dev/null || umount -l -- "$spool"
}

spool=$(e2e_mkdir spool) || e2e_bail "cannot create $E2E_TMP/spool"
mount -t tmpfs -o size=4m,mode=0755 replymilter-e2e-spool "$spool" ||
	e2e_bail "cannot mount a tmpfs on $spool"
e2e_cleanup_add spool_umount

conf=$E2E_TMP/checks.conf
sed -e "s|@DNS_PORT@|$dns_port|g" -e "s|@SPOOL@|$spool|g" -- "$template" \
	>"$conf" || e2e_bail "cannot write $conf"
grep -q '@[A-Z_]*@' "$conf" && e2e_bail "$conf: a placeholder is left"
rm_start "$conf"

grep -q 'unix:/run/replymilter/replymilter.sock' "$snippet" ||
	e2e_bail "$snippet no longer names unix:/run/replymilter/replymilter.sock"
snippet_lines=$(grep -Ev '^[[:space:]]*(#|$)' "$snippet" |
	sed "s|unix:/run/replymilter/replymilter.sock|unix:$RM_SOCK|")
# XCLIENT from 127.0.0.1 only; the presented clients may relay (every
# recipient goes to the sink anyway).
extra="$snippet_lines
smtpd_authorized_xclient_hosts = 127.0.0.1
mynetworks = 127.0.0.0/8 192.0.2.0/24 198.51.100.0/24
default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"

pf=$E2E_TMP/postfix
port=$(e2e_free_port) || e2e_bail "no free port"
: >"$E2E_TMP/start.marker"
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$port" "unix:$RM_SOCK" "$extra" ||
	e2e_bail "Postfix did not start"
master=$(postfix_master_pid "$pf")
version=$(postconf -c "$pf/etc" -h mail_version)
e2e_note "Postfix $version on 127.0.0.1:$port"
RM_PORT=$port

# --- Helpers ----------------------------------------------------------------

# xcase LABEL STAGES EXPECTED ADDR [SWAKS-OPTION...] - rm_case for a client
# that Postfix (and so the milter) sees at ADDR, through XCLIENT
xcase() {
	local label=$1 stages=$2 expected=$3 addr=$4
	shift 4
	rm_case "$label" "$stages" "$expected" --xclient-addr "$addr" "$@"
}

# xcase_re LABEL STAGES REGEX ADDR [SWAKS-OPTION...] - the same with a regex
xcase_re() {
	local label=$1 stages=$2 regex=$3 addr=$4
	shift 4
	rm_case_re "$label" "$stages" "$regex" --xclient-addr "$addr" "$@"
}

# poll_case LABEL STAGES EXPECTED TIMEOUT [SWAKS-OPTION...] - rm_case, its
# session repeated every 0.5 s until EXPECTED comes or TIMEOUT seconds
# pass (the storage check caches the spool's state for 5 s)
poll_case() {
	local label=$1 stages=$2 expected=$3 timeout=$4 deadline tries=0
	shift 4
	deadline=$((SECONDS + timeout))
	while :; do
		tries=$((tries + 1))
		RM_OUT=$(smtp_session "$RM_PORT" "$@")
		[[ $'\n'"$RM_OUT"$'\n' == *$'\n'"$expected"$'\n'* ]] && break
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.5
	done
	e2e_note "$label: $tries session(s)"
	expect_line "$RM_OUT" "$expected" "$label"
	rm_table_add "$label" "$(rm_stage_lines "$RM_OUT" "$stages")"
}

# reload_with FILE LABEL - make FILE the running config (RM_CONF) and send
# SIGHUP; returns 0 once the log reports the reload
reload_with() {
	local file=$1 label=$2 mark deadline
	if ! "$(rm_binary)" -n -c "$file" >"$E2E_TMP/check.out" 2>&1; then
		e2e_result 1 "$label: replymilter -n accepts the config" \
			"$(cat -- "$E2E_TMP/check.out")"
		return 1
	fi
	mark=$(rm_log_mark)
	if ! cp -- "$file" "$RM_CONF.new" ||
		! mv -f -- "$RM_CONF.new" "$RM_CONF"; then
		e2e_bail "cannot replace $RM_CONF"
	fi
	kill -HUP "$RM_PID"
	deadline=$((SECONDS + 10))
	until rm_log_since "$mark" | grep -Eq '^replymilter: reload: [0-9]+ rules;'; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			e2e_result 1 "$label: replymilter reloads" \
				"$(rm_log_since "$mark")"
			return 1
		fi
		sleep 0.1
	done
	e2e_result 0 "$label: replymilter reloads ($(rm_log_since "$mark" |
		grep -E '^replymilter: reload: [0-9]+ rules;' | sed 's/^replymilter: reload: //'))"
}

tag=$$-$RANDOM
LINE_SPF_FAIL="550 5.7.23 SPF validation failed"
LINE_DNS_TEMP="451 4.4.3 Directory server failure, please try again later"

# --- SPF ----------------------------------------------------------------------

mark=$(rm_log_mark)
xcase "SPF fail: client 192.0.2.99 (XCLIENT), MAIL FROM user@fail.spf.test" \
	"XCLIENT MAIL" "MAIL $LINE_SPF_FAIL" 192.0.2.99 --from user@fail.spf.test
expect_reply "$RM_OUT" '^XCLIENT 220 ' "XCLIENT: Postfix takes it from 127.0.0.1"
rm_expect_log "$mark" "replymilter: @QID@: client=[192.0.2.99][192.0.2.99] stage=mail rule=spf-fail id=spf-fail action=reject reply=\"$LINE_SPF_FAIL\"" \
	"log: the milter saw the XCLIENT address 192.0.2.99 and SPF failed"
expect_reply "$(mta_log "$pf")" \
	'NOQUEUE: milter-reject: MAIL from unknown\[192\.0\.2\.99\]: 550 5\.7\.23 SPF validation failed;' \
	"Postfix log: milter-reject for 192.0.2.99"

rm_case "SPF: client 127.0.0.1 (no XCLIENT), MAIL FROM user@fail.spf.test: libspf2 passes localhost" \
	"MAIL RCPT" "MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok" --from user@fail.spf.test --quit-after RCPT

# The client also sends an A-R header forged in replymilter's name (RFC 8601
# section 5): strip_authres = auto removes it, as add_authentication_results
# is on.
ar_forged="Authentication-Results: replymilter.example.test; dkim=pass header.d=pass.spf.test (forged)"
mark=$(rm_log_mark)
xcase_re "SPF pass: client 192.0.2.10, MAIL FROM user@pass.spf.test: delivered" \
	"MAIL RCPT DOT" '^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' 192.0.2.10 \
	--from user@pass.spf.test --header "Subject: e2e-spf-pass-$tag" \
	--add-header "$ar_forged"
expect_line "$RM_OUT" "MAIL 250 2.1.0 Ok" "SPF pass: MAIL accepted"
e2e_check "SPF pass: no decision logged" \
	test -z "$(rm_log_since "$mark" | grep ' action=')"
e2e_check "SPF pass: message delivered to the sink" \
	mta_wait_sink "$pf" "^Subject: e2e-spf-pass-$tag\$" 15
msg=$(mta_sink_message "$pf" "e2e-spf-pass-$tag")
expect_line "$msg" 'Received-SPF: pass (replymilter.example.test: domain of pass.spf.test designates 192.0.2.10 as permitted sender) identity=mailfrom; client-ip=192.0.2.10; envelope-from="user@pass.spf.test"; helo=client.example.net; receiver=replymilter.example.test;' \
	"trace: Received-SPF in the delivered message"
expect_line "$msg" 'Authentication-Results: replymilter.example.test; spf=pass smtp.mailfrom=pass.spf.test; iprev=pass policy.iprev=192.0.2.10' \
	"trace: Authentication-Results (spf, iprev) in the delivered message"
e2e_check "trace: one Received-SPF and one Authentication-Results" test \
	"$(printf '%s\n' "$msg" | grep -Ec '^(Received-SPF|Authentication-Results):')" = 2
expect_no_reply "$msg" '\(forged\)' \
	"forged A-R claiming replymilter.example.test: removed (strip_authres)"
rm_expect_log "$mark" 'replymilter: @QID@: client=[192.0.2.10][192.0.2.10] stage=eom removed=1 header=Authentication-Results authserv-id=replymilter.example.test reason="claims our authserv-id"' \
	"log: the forged A-R header's removal"
rm_table_add "SPF pass: trace headers in the delivered message" \
	"$(printf '%s\n' "$msg" | grep -E '^(Received-SPF|Authentication-Results):')"

xcase "SPF permerror: MAIL FROM user@broken.spf.test (unknown mechanism)" MAIL \
	"MAIL 550 5.7.24 SPF validation error" 192.0.2.10 --from user@broken.spf.test

# A DNS timeout: tempdns.spf.test's record asks for x.timeout.test, which
# unbound forwards to the black hole.
t0=${EPOCHREALTIME/./}
xcase "SPF temperror: DNS timeout (a:x.timeout.test)" MAIL \
	"MAIL 451 4.7.24 SPF validation error, please try again later" 192.0.2.10 \
	--from user@tempdns.spf.test
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
e2e_note "SPF temperror: the session took $ms ms"
expect_no_reply "$RM_OUT" '^(MAIL|RCPT|DATA|DOT) [25][0-9][0-9][ -]' \
	"SPF temperror: neither an accept nor a 5xx"
e2e_check "SPF temperror: the DNS server was asked for x.timeout.test" \
	grep -q ' x\.timeout\.test\. A IN' "$dnsdir/unbound.log"
e2e_check "SPF temperror: the query went to the black hole" \
	test -s "$dnsdir/blackhole.port.log"

xcase "SPF fail, null sender: HELO helo.spf.test from 192.0.2.99" MAIL \
	"MAIL $LINE_SPF_FAIL" 192.0.2.99 --helo helo.spf.test --from '<>'

# --- Null MX --------------------------------------------------------------------

xcase "null MX sender: MAIL FROM user@nullmx.mx.test" MAIL \
	"MAIL 550 5.7.27 Sender address has null MX" 192.0.2.10 \
	--from user@nullmx.mx.test
xcase "null MX recipient: RCPT TO user@nullmx.mx.test" "MAIL RCPT" \
	"MAIL 250 2.1.0 Ok
RCPT 556 5.1.10 Recipient address has null MX" 192.0.2.10 \
	--from user@pass.spf.test --to user@nullmx.mx.test
xcase "null MX recipient: a normal MX (normal.mx.test) is accepted" "RCPT" \
	"RCPT 250 2.1.5 Ok" 192.0.2.10 --from user@pass.spf.test \
	--to user@normal.mx.test --quit-after RCPT
xcase "null MX recipient: DNS timeout (user@x.timeout.test)" "MAIL RCPT" \
	"MAIL 250 2.1.0 Ok
RCPT $LINE_DNS_TEMP" 192.0.2.10 --from user@pass.spf.test \
	--to user@x.timeout.test
expect_no_reply "$RM_OUT" '^(RCPT|DATA|DOT) [25][0-9][0-9][ -]' \
	"null MX recipient timeout: neither an accept nor a 5xx"

# --- iprev and DNSBL (connect: answered at HELO, held until MAIL) ----------

mark=$(rm_log_mark)
xcase "iprev fail: client 127.0.0.11 (PTR bad.iprev.test, A 127.0.0.99)" MAIL \
	"MAIL 550 5.7.25 Reverse DNS validation failed" 127.0.0.11
rm_expect_log "$mark" 'replymilter: NOQUEUE: client=[127.0.0.11][127.0.0.11] stage=helo rule=iprev-fail id=iprev-fail action=reject reply="550 5.7.25 Reverse DNS validation failed" decided=connect' \
	"log: iprev fail decided at connect, answered at HELO"
xcase "iprev temperror: client 127.0.0.13 (PTR's A times out)" MAIL \
	"MAIL $LINE_DNS_TEMP" 127.0.0.13
expect_no_reply "$RM_OUT" '^(MAIL|RCPT|DATA|DOT) [25][0-9][0-9][ -]' \
	"iprev temperror: neither an accept nor a 5xx"
xcase "iprev pass: client 127.0.0.10 (good.iprev.test)" "MAIL RCPT" \
	"MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok" 127.0.0.10 --quit-after RCPT

xcase "DNSBL listed: client 127.0.0.2 (bl.test, with a TXT)" MAIL \
	"MAIL 550 5.7.1 Listed by bl.test: 127.0.0.2 is listed, see https://bl.test/?127.0.0.2" \
	127.0.0.2
# No TXT: %{dnsbl_text} of the default reply has no value, and a value-less
# %{...} reads "unknown" (src/reply.c).
xcase "DNSBL listed: client 127.0.0.3 (bl.test, no TXT)" MAIL \
	"MAIL 550 5.7.1 Listed by bl.test: no reason published" 127.0.0.3
xcase "DNSBL: client 127.0.0.4, answer 192.0.2.4 (outside 127/8): not listed" \
	"MAIL RCPT" "MAIL 250 2.1.0 Ok
RCPT 250 2.1.5 Ok" 127.0.0.4 --quit-after RCPT

# --- DKIM from Authentication-Results ---------------------------------------

ar_trusted="Authentication-Results: trusted.example.test; dkim=fail reason=\"bad signature\" header.d=example.com header.s=sel"
ar_untrusted="Authentication-Results: untrusted.example.test; dkim=fail reason=\"bad signature\" header.d=example.com header.s=sel"

xcase "DKIM fail in a trusted A-R header (trusted.example.test)" \
	"RCPT DOT" "DOT 550 5.7.20 No passing DKIM signature found" 192.0.2.10 \
	--from user@pass.spf.test --header "Subject: e2e-dkim-trusted-$tag" \
	--add-header "$ar_trusted"
xcase_re "DKIM fail in an untrusted A-R header (untrusted.example.test): ignored" \
	"RCPT DOT" '^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' 192.0.2.10 \
	--from user@pass.spf.test --header "Subject: e2e-dkim-untrusted-$tag" \
	--add-header "$ar_untrusted"

# --- Storage --------------------------------------------------------------------

# Fill the 4 MiB tmpfs to 1 MiB free, under spool_min_free = 2M.
head -c 3M /dev/zero >"$spool/fill" || e2e_bail "cannot fill $spool"
e2e_note "spool: $(df -h --output=avail -- "$spool" | tail -n 1 | tr -d ' ') free of 4 MiB"
poll_case "storage low: spool 1 MiB free < spool_min_free 2M" MAIL \
	"MAIL 452 4.3.1 Insufficient system storage" 10 \
	--xclient-addr 192.0.2.10 --from user@pass.spf.test --quit-after MAIL
rm -f -- "$spool/fill"
poll_case "storage ok again: the fill removed" MAIL "MAIL 250 2.1.0 Ok" 10 \
	--xclient-addr 192.0.2.10 --from user@pass.spf.test --quit-after MAIL

# --- Reload: a rule that reads a header; DKIM again ---------------------------

conf2=$E2E_TMP/checks-headers.conf
{
	cat -- "$conf"
	cat <<'EOF'

# Added by checks.sh: a rule that reads a header makes replymilter ask the
# MTA for the headers (the workaround for the SMFIP_NOHDRS bug).
rule "reads-headers" {
    stage  = eoh
    header = "X-E2E-Never: /never-matches/"
    reply  = "550 5.7.1 Never sent"
}
EOF
} >"$conf2"
if reload_with "$conf2" "with a header rule"; then
	mark=$(rm_log_mark)
	xcase "with a header rule: DKIM fail in a trusted A-R header" "RCPT DOT" \
		"DOT 550 5.7.20 No passing DKIM signature found" 192.0.2.10 \
		--from user@pass.spf.test --add-header "$ar_trusted"
	rm_expect_log "$mark" 'replymilter: @QID@: client=[192.0.2.10][192.0.2.10] stage=eoh rule=dkim-fail id=dkim-fail action=reject reply="550 5.7.20 No passing DKIM signature found"' \
		"log: DKIM fail from the trusted header"
	xcase_re "with a header rule: DKIM fail in an untrusted A-R header: ignored" \
		"RCPT DOT" '^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' 192.0.2.10 \
		--from user@pass.spf.test --header "Subject: e2e-dkim-untrusted2-$tag" \
		--add-header "$ar_untrusted"
	e2e_check "untrusted A-R: message delivered to the sink" \
		mta_wait_sink "$pf" "^Subject: e2e-dkim-untrusted2-$tag\$" 15
	msg=$(mta_sink_message "$pf" "e2e-dkim-untrusted2-$tag")
	expect_line "$msg" "$ar_untrusted" \
		"untrusted A-R: the header is delivered as it came"
	expect_line "$msg" 'Authentication-Results: replymilter.example.test; spf=pass smtp.mailfrom=pass.spf.test; iprev=pass policy.iprev=192.0.2.10' \
		"untrusted A-R: replymilter's own A-R beside it"
fi

# --- Reload: no connect-stage rule; SPF's HELO identity ---------------------

conf3=$E2E_TMP/checks-noconnect.conf
awk '
	/^rule "/ { inrule = 1; buf = ""; connect = 0 }
	inrule {
		buf = buf $0 "\n"
		if ($0 ~ /^[[:space:]]*stage[[:space:]]*=[[:space:]]*connect[[:space:]]*$/)
			connect = 1
		if ($0 ~ /^}/) {
			if (!connect)
				printf "%s", buf
			inrule = 0
		}
		next
	}
	{ print }' "$conf" >"$conf3"
e2e_check "no-connect config: no connect rule left, spf-fail kept" \
	test "$(grep -c 'stage = connect' "$conf3")" = 0 -a \
	"$(grep -c '^rule "spf-fail"' "$conf3")" = 1
if reload_with "$conf3" "without connect rules"; then
	xcase "without connect rules: SPF fail, null sender, HELO helo.spf.test from 192.0.2.99" \
		MAIL "MAIL $LINE_SPF_FAIL" 192.0.2.99 --helo helo.spf.test \
		--from '<>' --quit-after RCPT
	xcase "without connect rules: SPF fail of MAIL FROM still answered" MAIL \
		"MAIL $LINE_SPF_FAIL" 192.0.2.99 --from user@fail.spf.test
fi

# --- The end ------------------------------------------------------------------

e2e_check "replymilter still runs" e2e_alive "$RM_PID"
postfix_stop "$pf"
e2e_check "Postfix stopped, no process left" \
	test -z "$(e2e_pgrp_pids "${master:-0}")"
e2e_check "/etc/postfix untouched" \
	test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit 2>/dev/null)"
spool_umount
e2e_check "the spool tmpfs is unmounted" test ! -e "$spool/fill" -a \
	"$(mountpoint -q -- "$spool" && echo mounted)" = ""

e2e_note "checks.sh: $((SECONDS - started)) s"
rm_table_print "replymilter's built-in checks behind Postfix ${version:-?}, as swaks sees it (client addresses through XCLIENT)"
e2e_summary
