	# Wait for this start's "started" line, not an earlier one.
	while [ "$(grep -c "^replymilter: replymilter .* started on " "$RM_LOG")" -le "$n" ]; do
		[ "$SECONDS" -ge "$deadline" ] &&
			e2e_bail "replymilter did not start: $(cat "$RM_LOG")"
		sleep 0.1
	done
#!/bin/bash
#
# tests/faults/kill.sh - replymilter killed (SIGKILL) in the middle of a
# transaction behind a real Postfix with the shipped milter settings
# (contrib/postfix/main.cf: milter_default_action = tempfail).
#
# Two kills, each in a session held open by hand:
#   after MAIL FROM  the next RCPT TO must get a 4xx;
#   after DATA       (headers and body sent) the final "." must get a 4xx.
# Each time nothing may be delivered (the sink has no message with that
# session's Subject) or left behind (Postfix's queue is empty), and after
# replymilter is started again on the same socket Postfix serves again:
# a refused@ recipient gets the policy's "550 5.7.1 Refused by replymilter"
# and an ordinary message is accepted and reaches the sink.
#
# Debian packages: bash, coreutils, grep, sed, swaks, postfix, base-passwd
#   (user nobody).
# Needs: root (Postfix); exits 77 (skip) when not root.  Takes about 10 s.

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
e2e_require swaks swaks
e2e_require postfix postfix
e2e_init replymilter-faults-kill

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin"
snippet=$top/contrib/postfix/main.cf
[ -r "$snippet" ] || e2e_bail "no $snippet"
grep -Eq '^milter_default_action = tempfail$' "$snippet" ||
	e2e_bail "$snippet no longer says milter_default_action = tempfail"

sock=$E2E_TMP/replymilter.sock
RM_LOG=$E2E_TMP/replymilter.log
rm_pid=

# milter_start - start replymilter on tests/faults/kill.conf; sets rm_pid
milter_start() {
	local n deadline=$((SECONDS + 10))
	n=$(grep -c "^replymilter: replymilter .* started on " "$RM_LOG")
	(umask 0 && exec "$bin" -f -c "$here/kill.conf" -p "unix:$sock" \
		-P "$E2E_TMP/replymilter.pid" -d info) </dev/null 2>>"$RM_LOG" &
	rm_pid=$!
	e2e_cleanup_add e2e_stop_pid "$rm_pid" 10
	# Wait for this start's "started" line, not an earlier one.
	while [ "$(grep -c "^replymilter: replymilter .* started on " "$RM_LOG")" -le "$n" ]; do
		[ "$SECONDS" -ge "$deadline" ] &&
			e2e_bail "replymilter did not start: $(cat "$RM_LOG")"
		sleep 0.1
	done
}

# queue_files - print how many files Postfix's queue holds
queue_files() {
	local d n=0
	for d in incoming active deferred hold maildrop; do
		[ -d "$pf/queue/$d" ] &&
			n=$((n + $(find "$pf/queue/$d" -type f | wc -l)))
	done
	echo "$n"
}

snippet_lines=$(grep -Ev '^[[:space:]]*(#|$)' "$snippet" |
	sed "s|unix:/run/replymilter/replymilter.sock|unix:$sock|")
extra="$snippet_lines
default_transport = sink
relay_transport = sink
local_transport = sink
virtual_transport = sink"
pf=$E2E_TMP/postfix
port=$(e2e_free_port) || e2e_bail "no free port"
: >"$RM_LOG"
milter_start
e2e_cleanup_add smtp_close
e2e_cleanup_add postfix_stop "$pf"
postfix_start "$pf" "$port" "unix:$sock" "$extra" ||
	e2e_bail "Postfix did not start"

# served LABEL - after a restart: the policy's reject, and a delivery
served() {
	local out tag=$1-$$
	out=$(smtp_session "$port" --to refused@example.org)
	expect_line "$out" "RCPT 550 5.7.1 Refused by replymilter" \
		"$1: restarted: the policy's reply again"
	out=$(smtp_session "$port" --header "Subject: faults-kill-ok-$tag")
	expect_reply "$out" '^DOT 250 ' "$1: restarted: an ordinary message is accepted"
	e2e_check "$1: restarted: and delivered to the sink" \
		mta_wait_sink "$pf" "^Subject: faults-kill-ok-$tag\$" 15
}

# killed LABEL - SIGKILL replymilter; ok once it is gone
killed() {
	local pid=$rm_pid
	kill -KILL "$pid"
	e2e_check "$1: replymilter (PID $pid) killed" e2e_wait_gone "$pid" 5
	wait "$pid" 2>/dev/null
}

# --- killed after MAIL FROM -------------------------------------------------
tag=mail-$$
smtp_open "$port" >/dev/null || e2e_bail "no SMTP session"
smtp_send "EHLO client.example.net" >/dev/null
out=$(smtp_send "MAIL FROM:<alice@example.net>")
expect_reply "$out" '^250 ' "after MAIL: MAIL accepted while replymilter runs"
killed "after MAIL"
out=$(smtp_send "RCPT TO:<bob@example.org>")
e2e_note "after MAIL: RCPT got: $out"
expect_reply "$out" '^4[0-9][0-9] ' "after MAIL: RCPT gets a 4xx"
expect_no_reply "$out" '^[25]' "after MAIL: RCPT gets neither a 2xx nor a 5xx"
smtp_close
e2e_check "after MAIL: Postfix's queue is empty ($(queue_files) files)" \
	test "$(queue_files)" = 0
milter_start
served "after MAIL"

# --- killed after DATA, before the final dot ---------------------------------
tag=data-$$
smtp_open "$port" >/dev/null || e2e_bail "no SMTP session"
smtp_send "EHLO client.example.net" >/dev/null
smtp_send "MAIL FROM:<alice@example.net>" >/dev/null
out=$(smtp_send "RCPT TO:<bob@example.org>")
expect_reply "$out" '^250 ' "after DATA: RCPT accepted while replymilter runs"
out=$(smtp_send "DATA")
expect_reply "$out" '^354 ' "after DATA: 354"
printf '%s\r\n' "Subject: faults-kill-$tag" "From: <alice@example.net>" "" \
	"A message cut off by a SIGKILL." >&"$E2E_SMTP_FD"
sleep 0.3
killed "after DATA"
out=$(smtp_send ".")
e2e_note "after DATA: the dot got: $out"
expect_reply "$out" '^4[0-9][0-9] ' "after DATA: the final dot gets a 4xx"
expect_no_reply "$out" '^[25]' "after DATA: the dot gets neither a 2xx nor a 5xx"
smtp_close
sleep 1
expect_no_reply "$(mta_sink "$pf")" "^Subject: faults-kill-$tag\$" \
	"after DATA: nothing delivered"
e2e_check "after DATA: Postfix's queue is empty ($(queue_files) files)" \
	test "$(queue_files)" = 0
expect_reply "$(mta_log "$pf")" 'milter unix:.*replymilter\.sock' \
	"the Postfix log names the milter failure"
milter_start
served "after DATA"

e2e_stop_pid "$rm_pid" 10
e2e_note "kill.sh: $((SECONDS - started)) s"
e2e_summary
