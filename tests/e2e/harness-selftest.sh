#!/bin/bash
#
# tests/e2e/harness-selftest.sh - proves that the e2e harness in tests/e2e/lib
# works, without replymilter.
#
# Debian packages: bash, coreutils, gcc (cc), pkg-config, libmilter-dev,
#   swaks, postfix, apt and dpkg (to download and unpack sendmail-bin,
#   sendmail-base, sendmail-cf, which are NOT installed), m4, util-linux,
#   libwrap0 (and sendmail-bin's other libraries: libdb5.3, libldap-2.5-0,
#   liblockfile1, libnsl2, libsasl2-2, libssl3), python3 (Sendmail's log
#   reader), iproute2 (ss, optional), procps (optional).
# Needs: root.
#
# Usage: tests/e2e/harness-selftest.sh [all|postfix|sendmail]   (default all)
#
# It builds tests/e2e/fixture/testmilter.c, starts it on a unix socket, then
# for each MTA starts a private loopback instance wired to it, runs swaks
# sessions and asserts the exact reply lines the client sees (see
# /work/shared/MTA-FACTS.md), that an accepted message was delivered to the
# instance's sink, that the milter saw the expected macros, and that stopping
# the instance leaves no process.  Output is TAP-ish, ending in "N passed,
# N failed"; it exits 1 on any failure.  Every process and temporary file it
# made is removed on every exit path (E2E_KEEP=1 keeps the files).
# Environment: E2E_CACHE (default ~/.cache/replymilter-e2e) holds the
# downloaded Sendmail; E2E_VERBOSE=1 shows the swaks transcripts.

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/sendmail.sh"

which_mtas=${1:-all}
case $which_mtas in
all | postfix | sendmail) ;;
*)
	echo "usage: $0 [all|postfix|sendmail]" >&2
	exit 2
	;;
esac

[ "$(id -u)" = 0 ] || e2e_bail "must run as root (Postfix and unshare need it)"
e2e_require cc gcc
e2e_require pkg-config pkg-config
e2e_require swaks swaks
e2e_init replymilter-selftest

milter_log=$E2E_TMP/testmilter.log

# start_fixture - build and start the test milter on $E2E_TMP/milter.sock
start_fixture() {
	local pid
	# shellcheck disable=SC2046
	cc -Wall -Wextra -O2 $(pkg-config --cflags milter) \
		-o "$E2E_TMP/testmilter" "$here/fixture/testmilter.c" \
		$(pkg-config --libs milter) -lpthread ||
		e2e_bail "cannot compile fixture/testmilter.c (libmilter-dev installed?)"
	# umask 0: the socket must be writable by Postfix's smtpd (user postfix).
	(umask 0 && exec "$E2E_TMP/testmilter" -p "unix:$E2E_TMP/milter.sock") \
		</dev/null 2>"$milter_log" &
	pid=$!
	e2e_cleanup_add e2e_stop_pid "$pid" 10
	e2e_wait_socket "$E2E_TMP/milter.sock" 10 || {
		sed 's/^/#   /' "$milter_log"
		e2e_bail "the test milter did not start"
	}
	milter_pid=$pid
}

# milter_log_since LINE - print the milter's log from line LINE on
milter_log_since() {
	tail -n "+$1" "$milter_log"
}

# group_empty PGID - returns 0 if PGID is set and no process is left in it
group_empty() {
	[ -n "$1" ] && [ -z "$(e2e_pgrp_pids "$1")" ]
}

# macro_names LOG - print "stage:name" for each macro in LOG, on one line
macro_names() {
	printf '%s\n' "$1" | awk '/^macro/ { split($3, a, "="); print $2 ":" a[1] }' |
		sort -u | tr '\n' ' '
}

# expect_macro LOG STAGE NAME REGEX - ok if the milter saw macro NAME at
# STAGE with a value matching REGEX
expect_macro() {
	local name
	name=$(printf '%s' "$3" | sed 's/[{}]/\\&/g')
	expect_reply "$1" "^macro $2 $name=$4\$" "$mta: milter sees $3 at $2"
}

# run_sessions MTA PORT - the swaks sessions and reply assertions common to
# both MTAs; sets $accepted to the accepted session's output
run_sessions() {
	local mta=$1 port=$2 out

	out=$(smtp_session "$port" --to spf-fail@example.org)
	if [ "$mta" = postfix ]; then
		expect_line "$out" "RCPT 550 5.7.23 SPF validation failed" \
			"$mta: RCPT reject with custom text"
	else
		expect_line "$out" \
			"RCPT 550 5.7.23 <spf-fail@example.org>... SPF validation failed" \
			"$mta: RCPT reject with custom text"
	fi

	out=$(smtp_session "$port" --from full@example.com)
	expect_line "$out" "MAIL 452 4.3.1 Insufficient system storage" \
		"$mta: MAIL tempfail with custom text"

	out=$(smtp_session "$port" --to multi@example.org)
	if [ "$mta" = postfix ]; then
		expect_line "$out" "RCPT 550-5.7.1 first line
RCPT 550-5.7.1 second line
RCPT 550 5.7.1 third line" "$mta: RCPT three-line reject"
	else
		expect_line "$out" "RCPT 550-5.7.1 <multi@example.org>... first line
RCPT 550-5.7.1 second line
RCPT 550 5.7.1 third line" "$mta: RCPT three-line reject"
	fi

	out=$(smtp_session "$port" --header "Subject: reject-me please")
	expect_reply "$out" '^RCPT 250 2\.1\.5 ' "$mta: RCPT accepted before DATA"
	expect_line "$out" "DOT 550 5.7.23 SPF validation failed" \
		"$mta: end-of-message reject with custom text"

	accepted=$(smtp_session "$port" --to ok@example.org \
		--header "Subject: selftest-$mta-$$")
	if [ "$mta" = postfix ]; then
		expect_reply "$accepted" '^DOT 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$' \
			"$mta: accepted message queued"
	else
		expect_reply "$accepted" \
			'^DOT 250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$' \
			"$mta: accepted message queued"
	fi
}

# test_postfix - the Postfix half
test_postfix() {
	local mta=postfix dir port qid start=$SECONDS first macros master
	dir=$E2E_TMP/postfix
	port=$(e2e_free_port) || e2e_bail "no free port"
	first=$(($(wc -l <"$milter_log") + 1))
	e2e_cleanup_add postfix_stop "$dir"
	if ! postfix_start "$dir" "$port" "unix:$E2E_TMP/milter.sock"; then
		e2e_result 1 "postfix: start on 127.0.0.1:$port"
		return
	fi
	e2e_result 0 "postfix: start on 127.0.0.1:$port"

	run_sessions "$mta" "$port"
	qid=$(printf '%s\n' "$accepted" | sed -n 's/^DOT 250 2\.0\.0 Ok: queued as //p')
	e2e_check "postfix: message $qid delivered to the discard sink" \
		mta_wait_log "$dir" \
		"postfix/discard\\[[0-9]+\\]: ${qid:-NONE}: to=<ok@example\\.org>, relay=none, .*status=sent" 15
	expect_reply "$(mta_log "$dir")" \
		'milter-reject: RCPT from .*: 550 5\.7\.23 SPF validation failed' \
		"postfix: log shows the milter reject"

	macros=$(milter_log_since "$first")
	expect_macro "$macros" connect '{daemon_name}' 'postfix-e2e\.example\.test'
	expect_macro "$macros" connect '{client_addr}' '127\.0\.0\.1'
	expect_macro "$macros" connect '{daemon_port}' "$port"
	expect_macro "$macros" rcpt '{rcpt_addr}' 'ok@example\.org'
	expect_macro "$macros" eom i "${qid:-NONE}"
	e2e_note "postfix: macros the milter saw:" \
		"$(macro_names "$macros")"

	master=$(postfix_master_pid "$dir")
	postfix_stop "$dir"
	e2e_check "postfix: stop leaves no process" group_empty "$master"
	e2e_check "postfix: /etc/postfix untouched" \
		test -z "$(find /etc/postfix -newer "$E2E_TMP/start.marker" -print -quit)"
	e2e_note "postfix: $((SECONDS - start)) s"
}

# test_sendmail - the Sendmail half
test_sendmail() {
	local mta=sendmail dir port qid start=$SECONDS first macros pgid
	dir=$E2E_TMP/sendmail
	if ! sendmail_fetch "${E2E_CACHE:-${HOME:-/root}/.cache/replymilter-e2e}/sendmail"; then
		e2e_result 1 "sendmail: fetch sendmail-bin, -base, -cf"
		return
	fi
	port=$(e2e_free_port) || e2e_bail "no free port"
	first=$(($(wc -l <"$milter_log") + 1))
	e2e_cleanup_add sendmail_stop "$dir"
	if ! sendmail_start "$dir" "$port" "$E2E_TMP/milter.sock"; then
		e2e_result 1 "sendmail: start on 127.0.0.1:$port"
		return
	fi
	e2e_result 0 "sendmail: start on 127.0.0.1:$port"
	e2e_check "sendmail: host name is not changed outside its namespace" \
		test "$(hostname)" != "$SENDMAIL_HOSTNAME"

	run_sessions "$mta" "$port"
	qid=$(printf '%s\n' "$accepted" |
		sed -n 's/^DOT 250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery$/\1/p')
	e2e_check "sendmail: message $qid delivered to the sink" \
		mta_wait_sink "$dir" "^Subject: selftest-sendmail-$$\$" 15
	if [ -s "$dir/maillog" ]; then
		e2e_check "sendmail: log shows the delivery of $qid" \
			mta_wait_log "$dir" \
			"${qid:-NONE}: to=<ok@example\\.org>, .*mailer=sink, .*stat=Sent" 15
		expect_reply "$(mta_log "$dir")" \
			'Milter: to=<spf-fail@example\.org>, reject=550 5\.7\.23 SPF validation failed' \
			"sendmail: log shows the milter reject"
	fi

	macros=$(milter_log_since "$first")
	expect_macro "$macros" connect '{daemon_name}' MTA
	expect_macro "$macros" connect '{client_addr}' '127\.0\.0\.1'
	expect_macro "$macros" connect j 'sendmail-e2e\.example\.test'
	expect_macro "$macros" mail i "${qid:-NONE}"
	expect_macro "$macros" rcpt '{rcpt_addr}' 'ok@example\.org'
	expect_macro "$macros" eom i "${qid:-NONE}"
	e2e_note "sendmail: macros the milter saw:" \
		"$(macro_names "$macros")"

	read -r pgid <"$dir/sendmail.pgid"
	sendmail_stop "$dir"
	e2e_check "sendmail: stop leaves no process" group_empty "$pgid"
	e2e_note "sendmail: $((SECONDS - start)) s"
}

: >"$E2E_TMP/start.marker"
start_fixture
case $which_mtas in
all)
	test_postfix
	test_sendmail
	;;
postfix) test_postfix ;;
sendmail) test_sendmail ;;
esac
e2e_stop_pid "$milter_pid" 10
e2e_check "the test milter stopped" test ! -d "/proc/$milter_pid"
e2e_summary
