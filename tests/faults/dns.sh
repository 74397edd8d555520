#!/bin/bash
#
# tests/faults/dns.sh - replymilter with its DNS server down, silent or
# slow: the client must get the DNS temporary failure (451 4.4.3) within
# dns_timeout x dns_tries plus a little, under dns_budget, and never an
# accept or a 5xx.  Through miltertest and through a real Postfix (swaks).
#
# The policy (tests/faults/dns.conf.in) asks for the sender's MX at end of
# message (dns_timeout 1, dns_tries 2, dns_budget 3).  The DNS server,
# 127.0.0.1:PORT, is in turn:
#   down    a UDP port where nothing listens (the kernel answers "port
#           unreachable", so the lookup fails at once);
#   silent  tests/faults/slowdns reading queries and never answering;
#   slow    slowdns answering 3 s late (after both tries have given up).
# For each: replymilter is started on it; a miltertest session
# (tests/faults/dns.lua) must get SMFIR_REPLYCODE "451 4.4.3 ..." at end of
# message in under 2 s + 1.5 s slack and under the 3 s budget; a swaks
# session through Postfix must read "451 4.4.3" after DATA in the same
# time, with no 2xx or 5xx there, and nothing reaches Postfix's sink; the
# log names rule nullmx-temp; for silent and slow the server saw the
# queries (two tries).  Then replymilter is stopped.
#
# Debian packages: bash, coreutils, grep, sed, miltertest, swaks, postfix,
#   base-passwd (user nobody); the helper slowdns is built by make check.
# Needs: root (Postfix); exits 77 (skip) when not root.  Takes about 20 s.

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
top=$(cd -- "$here/../.." && pwd)

. "$top/tests/lib/live.sh"
live_or_skip "it starts a real Postfix on loopback"

root_or_skip "needs root (Postfix drops to user postfix)"

. "$top/tests/e2e/lib/common.sh"
. "$top/tests/e2e/lib/postfix.sh"
. "$top/tests/e2e/lib/replymilter.sh"

started=$SECONDS
e2e_require miltertest miltertest
e2e_require swaks swaks
e2e_require postfix postfix
e2e_require timeout coreutils
e2e_init replymilter-faults-dns

slowdns=${abs_top_builddir:-$top}/tests/faults/slowdns
[ -x "$slowdns" ] || e2e_bail "no $slowdns (make check builds it)"
bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin"
snippet=$top/contrib/postfix/main.cf
[ -r "$snippet" ] || e2e_bail "no $snippet"

# The time limit: dns_timeout x dns_tries, plus slack for the MTA, the
# client and a sanitizer build; and the budget.
limit_ms=$((1000 * 1 * 2 + 1500))
budget_ms=3000

sock=$E2E_TMP/replymilter.sock
rm_pid=
dns_pid=

# dns_start MODE - start the faulty DNS server; sets dns_port (and dns_pid)
dns_start() {
	local delay
	rm -f -- "$E2E_TMP/dns.port"
	case $1 in
	down | silent) delay=-1 ;;
	slow) delay=3000 ;;
	esac
	"$slowdns" "$E2E_TMP/dns.port" "$delay" >"$E2E_TMP/dns.queries" 2>&1 &
	dns_pid=$!
	e2e_cleanup_add e2e_stop_pid "$dns_pid" 2
	e2e_wait_match "$E2E_TMP/dns.port" '^[0-9]+$' 5 ||
		e2e_bail "slowdns did not start"
	dns_port=$(cat -- "$E2E_TMP/dns.port")
	if [ "$1" = down ]; then
		# Free the port again: nothing listens there now.
		e2e_stop_pid "$dns_pid" 2
		dns_pid=
	fi
}

# milter_start - start replymilter on the policy with dns_port; sets rm_pid
milter_start() {
	sed "s/@DNS_PORT@/$dns_port/" "$here/dns.conf.in" >"$E2E_TMP/dns.conf"
	"$bin" -n -c "$E2E_TMP/dns.conf" >"$E2E_TMP/check.out" 2>&1 || {
		sed 's/^/#   /' "$E2E_TMP/check.out"
		e2e_bail "replymilter -n rejects the policy"
	}
	RM_LOG=$E2E_TMP/replymilter.log
	: >"$RM_LOG"
	(umask 0 && exec "$bin" -f -c "$E2E_TMP/dns.conf" -p "unix:$sock" \
		-P "$E2E_TMP/replymilter.pid" -d info) </dev/null 2>>"$RM_LOG" &
	rm_pid=$!
	e2e_cleanup_add e2e_stop_pid "$rm_pid" 10
	e2e_wait_socket "$sock" 10 &&
		e2e_wait_match "$RM_LOG" '^replymilter: replymilter .* started on ' 5 ||
		e2e_bail "replymilter did not start"
}

# The Postfix in front, with the shipped milter settings.
snippet_lines=$(grep -Ev '^[[:space:]]*(#|$)' "$snippet" |
	sed "s|unix:/run/replymilter/replymilter.sock|unix:$sock|")
extra="$snippet_lines
default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"
pf=$E2E_TMP/postfix
port=$(e2e_free_port) || e2e_bail "no free port"
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$port" "unix:$sock" "$extra" ||
	e2e_bail "Postfix did not start"

for mode in down silent slow; do
	echo "# DNS server $mode"
	dns_start "$mode"
	milter_start

	t0=${EPOCHREALTIME/./}
	timeout 60 miltertest -D "libdir=$top/tests/miltertest" \
		-D "socket=unix:$sock" -s "$here/dns.lua" >"$E2E_TMP/mt.out" 2>&1
	rc=$?
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	sed 's/^/    /' "$E2E_TMP/mt.out"
	e2e_note "$mode: miltertest got its reply in $ms ms"
	e2e_check "$mode: miltertest: 451 4.4.3 at end of message (status $rc)" \
		test "$rc" = 0
	e2e_check "$mode: miltertest: in $ms ms, under $limit_ms ms and the $budget_ms ms budget" \
		test "$ms" -lt "$limit_ms" -a "$ms" -lt "$budget_ms"

	tag=$mode-$$
	t0=${EPOCHREALTIME/./}
	out=$(smtp_session "$port" --from "alice@$tag.example.net" \
		--header "Subject: faults-dns-$tag")
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	e2e_note "$mode: the SMTP session took $ms ms"
	expect_line "$out" "DOT 451 4.4.3 Directory server failure, please try again later" \
		"$mode: Postfix: the client reads 451 4.4.3 after DATA"
	expect_no_reply "$out" '^DOT [25]' "$mode: Postfix: neither an accept nor a 5xx"
	e2e_check "$mode: Postfix: session in $ms ms, under $limit_ms ms and the budget" \
		test "$ms" -lt "$limit_ms" -a "$ms" -lt "$budget_ms"
	expect_no_reply "$(mta_sink "$pf")" "^Subject: faults-dns-$tag\$" \
		"$mode: Postfix: nothing delivered"
	expect_reply "$(cat -- "$RM_LOG")" \
		'^replymilter: .* stage=eom rule=nullmx-temp id=nullmx-temp action=tempfail reply="451 4\.4\.3 ' \
		"$mode: the log names rule nullmx-temp"
	expect_no_reply "$(cat -- "$RM_LOG")" 'rule=nullmx-reject' \
		"$mode: rule nullmx-reject never matched"
	if [ "$mode" != down ]; then
		n=$(grep -c '^query ' "$E2E_TMP/dns.queries")
		e2e_check "$mode: the server saw the tries (4: 2 sessions x 2 tries; saw $n)" \
			test "$n" -eq 4
	fi

	e2e_stop_pid "$rm_pid" 10
	e2e_check "$mode: replymilter stopped" test ! -e "$sock"
	[ -n "$dns_pid" ] && e2e_stop_pid "$dns_pid" 2
	dns_pid=
done

e2e_note "dns.sh: $((SECONDS - started)) s"
e2e_summary
