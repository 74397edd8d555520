# shellcheck shell=bash
#
# tests/e2e/lib/replymilter.sh - replymilter under test, for the end-to-end
# scripts (tests/e2e/postfix.sh, tests/e2e/sendmail.sh): start the daemon,
# read its log, run a case and keep a table of what the client saw, and the
# reload and stop tests that both MTAs share.
#
# Debian packages: bash (5.0 or later: $EPOCHREALTIME), coreutils, grep,
#   sed, swaks (through common.sh), util-linux (setsid).
# Needs: common.sh sourced first and e2e_init called.  Root only for what
#   the MTAs need.
#
# Provides:
#   rm_binary
#       Prints the replymilter binary: $REPLYMILTER if set, else
#       src/replymilter under the top build dir ($abs_top_builddir when make
#       sets it, else the current directory when it has one, else the source
#       tree holding this file).
#   rm_start CONF
#       Copies CONF to $E2E_TMP/replymilter.conf (RM_CONF: tests rewrite the
#       copy to reload it) and runs "replymilter -f -c RM_CONF -p
#       unix:RM_SOCK -P RM_PIDFILE -d info" in the background, stderr in
#       RM_LOG; sets RM_PID; returns once the socket exists and the log says
#       "started".  Bails out on failure.  The cleanup stops it.
#   rm_log_mark
#       Prints how many lines the log has, for rm_log_since/rm_expect_log.
#   rm_log_since MARK
#       Prints the log lines after line MARK.
#   rm_expect_log MARK LINE LABEL
#       Ok once a log line after MARK is exactly LINE (waits up to 5 s), where
#       @QID@ in LINE stands for a queue id or NOQUEUE and @CLIENT@ for
#       $RM_CLIENT (the "NAME[ADDR]" the MTA reports for 127.0.0.1).
#   rm_case LABEL STAGES EXPECTED [SWAKS-OPTION...]
#       Runs smtp_session on $RM_PORT, keeps its output in RM_OUT, checks
#       that EXPECTED ("STAGE reply" lines, literal, consecutive) is in it,
#       and adds a table row: LABEL and the output's lines of the stages in
#       STAGES (e.g. "RCPT"; only the last line of a multi-line EHLO reply).
#   rm_case_re LABEL STAGES REGEX [SWAKS-OPTION...]
#       The same with an extended regular expression for one line.
#   rm_raw_case LABEL PORT EXPECTED COMMAND...
#       An SMTP session by hand (for what swaks cannot do: no HELO, two
#       EHLOs): sends each COMMAND on 127.0.0.1:PORT, keeps the replies in
#       RM_OUT as "WORD reply" lines (WORD: the command's first word, in
#       upper case), checks EXPECTED like rm_case and adds a table row with
#       every reply but the banner (the last line only of an EHLO reply).
#   rm_table_add LABEL LINES
#       Adds a row (queue ids in LINES are shown as QUEUEID).
#   rm_table_print TITLE
#       Prints the table "case | what the client saw" as Markdown, and
#       writes it to $E2E_TABLE when that is set.
#   rm_reload_test PORT OLD NEW INFLIGHT_OLD
#       With two loops of swaks sessions (RCPT to spf-fail@example.org) and
#       one session held open by hand, rewrites RM_CONF so that rule
#       spf-fail answers "550 5.7.23 SPF validation failed (policy
#       reloaded)" and sends SIGHUP.  Checks the change report, that every
#       session got OLD or NEW (the "RCPT ..." line), that every session that
#       ended before the signal got OLD and every one begun after the reload
#       got NEW, that both were seen, and that the session held open across
#       the reload kept its policy: its RCPT got INFLIGHT_OLD (the reply line
#       without the stage word).
#   rm_broken_reload_test PORT STILL
#       Breaks rule spool-full's reply in RM_CONF (a 550 with a 4.x.x code),
#       sends SIGHUP, and checks that the log names RM_CONF:LINE with the
#       error, that the running policy stays, and that a session to
#       spf-fail@example.org still gets STILL (an "RCPT ..." line).
#   rm_hits_test
#       SIGUSR1: checks the "hits:" line of rule spf-fail (hit since the
#       reload) and of the open connections.
#   rm_stop_test
#       SIGTERM: checks that replymilter exits with status 0 within 3 s and
#       removes its socket and PID file.
#
# The cases and the reload tests depend on the rules of tests/e2e/conf/
# e2e.conf (their names, addresses and replies).  How it fails: checks are
# counted through e2e_result; rm_start bails out.

RM_TABLE=()
RM_OUT=
RM_PID=
RM_CLIENT=${RM_CLIENT:-}
RM_PORT=${RM_PORT:-}

# rm_binary - print the path of the replymilter binary under test
rm_binary() {
	local top
	if [ -n "${REPLYMILTER:-}" ]; then
		printf '%s\n' "$REPLYMILTER"
	elif [ -n "${abs_top_builddir:-}" ]; then
		printf '%s\n' "$abs_top_builddir/src/replymilter"
	elif [ -x src/replymilter ]; then
		printf '%s\n' "$PWD/src/replymilter"
	else
		top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)
		printf '%s\n' "$top/src/replymilter"
	fi
}

# rm_start CONF - start replymilter on a copy of CONF; returns 0 or bails out
rm_start() {
	local conf=$1 bin
	bin=$(rm_binary)
	[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"
	RM_CONF=$E2E_TMP/replymilter.conf
	RM_SOCK=$E2E_TMP/replymilter.sock
	RM_PIDFILE=$E2E_TMP/replymilter.pid
	RM_LOG=$E2E_TMP/replymilter.log
	cp -- "$conf" "$RM_CONF" || e2e_bail "cannot copy $conf"
	: >"$RM_LOG"
	"$bin" -n -c "$RM_CONF" >"$E2E_TMP/check.out" 2>&1 || {
		sed 's/^/#   /' "$E2E_TMP/check.out"
		e2e_bail "replymilter -n rejects $conf"
	}
	# umask 0: the socket mode comes from the config (socket_mode).
	(umask 0 && exec "$bin" -f -c "$RM_CONF" -p "unix:$RM_SOCK" \
		-P "$RM_PIDFILE" -d info) </dev/null 2>>"$RM_LOG" &
	RM_PID=$!
	e2e_cleanup_add e2e_stop_pid "$RM_PID" 10
	if ! e2e_wait_socket "$RM_SOCK" 10 ||
		! e2e_wait_match "$RM_LOG" '^replymilter: replymilter .* started on ' 5; then
		sed 's/^/#   log: /' "$RM_LOG"
		e2e_bail "replymilter did not start"
	fi
	e2e_note "replymilter $bin, PID $RM_PID, socket $RM_SOCK"
}

# rm_log_mark - print the number of lines in the log
rm_log_mark() {
	wc -l <"$RM_LOG" | tr -d ' '
}

# rm_log_since MARK - print the log lines after line MARK
rm_log_since() {
	tail -n "+$(($1 + 1))" -- "$RM_LOG"
}

# rm_line_regex LINE - print LINE as an anchored extended regex, with @QID@
# and @CLIENT@ expanded
rm_line_regex() {
	local re client
	re=$(printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g')
	client=$(printf '%s' "$RM_CLIENT" | sed 's/[][\.*^$?+(){}|/]/\\&/g')
	re=${re//@QID@/([0-9A-Za-z]+|NOQUEUE)}
	re=${re//@CLIENT@/$client}
	printf '^%s$' "$re"
}

# rm_expect_log MARK LINE LABEL - ok once a log line after MARK is LINE
rm_expect_log() {
	local mark=$1 line=$2 label=$3 re deadline
	re=$(rm_line_regex "$line")
	deadline=$((SECONDS + 5))
	while ! rm_log_since "$mark" | grep -Eq -- "$re"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			e2e_result 1 "$label" "expected the log line:" "$line" \
				"in the log since line $mark:" "$(rm_log_since "$mark")"
			return 1
		fi
		sleep 0.1
	done
	e2e_result 0 "$label"
}

# rm_stage_lines OUTPUT STAGES - print OUTPUT's lines of STAGES (the final
# line only of an EHLO reply)
rm_stage_lines() {
	local stages=" $2 "
	printf '%s\n' "$1" | while IFS= read -r line; do
		case $stages in
		*" ${line%% *} "*) ;;
		*) continue ;;
		esac
		case $line in
		"EHLO 250-"* | "HELO 250-"*) continue ;;
		esac
		printf '%s\n' "$line"
	done
}

# rm_table_add LABEL LINES - add a table row
rm_table_add() {
	local cell
	# shellcheck disable=SC2016
	cell=$(printf '%s\n' "$2" | sed -E \
		-e 's/queued as [0-9A-Za-z]+$/queued as QUEUEID/' \
		-e 's/^(DOT 250 2\.0\.0 )[0-9A-Za-z]{14}( Message accepted)/\1QUEUEID\2/' \
		-e 's/.*/`&`/' | sed ':a;N;$!ba;s/\n/<br>/g')
	[ -n "$cell" ] || cell='(no reply)'
	RM_TABLE+=("| $1 | $cell |")
}

# rm_case LABEL STAGES EXPECTED [SWAKS-OPTION...] - run a session, check
# its lines literally, add a table row
rm_case() {
	local label=$1 stages=$2 expected=$3
	shift 3
	RM_OUT=$(smtp_session "$RM_PORT" "$@")
	expect_line "$RM_OUT" "$expected" "$label"
	rm_table_add "$label" "$(rm_stage_lines "$RM_OUT" "$stages")"
}

# rm_raw_case LABEL PORT EXPECTED COMMAND... - a session by hand
rm_raw_case() {
	local label=$1 port=$2 expected=$3 cmd word
	shift 3
	: >"$E2E_TMP/raw.out"
	if smtp_open "$port" >/dev/null; then
		for cmd in "$@"; do
			word=${cmd%% *}
			word=${word%%:*}
			smtp_send "$cmd" | sed "s/^/${word^^} /" >>"$E2E_TMP/raw.out"
		done
		smtp_close
	fi
	RM_OUT=$(cat -- "$E2E_TMP/raw.out")
	expect_line "$RM_OUT" "$expected" "$label"
	rm_table_add "$label" "$(printf '%s\n' "$RM_OUT" | grep -Ev '^(EHLO|HELO) 250-')"
}

# rm_case_re LABEL STAGES REGEX [SWAKS-OPTION...] - run a session, check a
# line against REGEX, add a table row
rm_case_re() {
	local label=$1 stages=$2 regex=$3
	shift 3
	RM_OUT=$(smtp_session "$RM_PORT" "$@")
	expect_reply "$RM_OUT" "$regex" "$label"
	rm_table_add "$label" "$(rm_stage_lines "$RM_OUT" "$stages")"
}

# rm_table_print TITLE - print the table; copy it to $E2E_TABLE if set
rm_table_print() {
	local row
	{
		printf '%s\n\n' "$1"
		printf '| case | what the client saw |\n|---|---|\n'
		for row in "${RM_TABLE[@]}"; do
			printf '%s\n' "$row"
		done
	} >"$E2E_TMP/table.md"
	cat -- "$E2E_TMP/table.md"
	if [ -n "${E2E_TABLE:-}" ]; then
		cp -- "$E2E_TMP/table.md" "$E2E_TABLE" ||
			e2e_note "cannot write the table to $E2E_TABLE"
	fi
	return 0
}

# rm_write_loop - write $E2E_TMP/session-loop.sh, the reload test's loop
rm_write_loop() {
	cat >"$E2E_TMP/session-loop.sh" <<'EOF'
#!/bin/bash
# session-loop.sh LIBDIR PORT RESULTS STOPFILE - swaks sessions to
# spf-fail@example.org one after another until STOPFILE exists; one line
# per session in RESULTS: START_US END_US FIRST-RCPT-LINE (or "FAILED ...").
set -u
. "$1/common.sh"
while [ ! -e "$4" ]; do
	start=${EPOCHREALTIME/./}
	out=$(smtp_session "$2" --to spf-fail@example.org --quit-after RCPT)
	end=${EPOCHREALTIME/./}
	line=$(printf '%s\n' "$out" | grep -m1 '^RCPT ') ||
		line="FAILED $(printf '%s' "$out" | tr '\n' ' ')"
	printf '%s %s %s\n' "$start" "$end" "$line" >>"$3"
done
EOF
	chmod 0755 "$E2E_TMP/session-loop.sh"
}

# rm_scrape URL - fetch replymilter's /metrics at URL into
# $E2E_TMP/metrics.txt; returns 1 when the request fails (the previous
# scrape stays)
rm_scrape() {
	python3 - "$1" >"$E2E_TMP/metrics.new" 2>"$E2E_TMP/scrape.err" <<'PY' &&
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
		mv -f -- "$E2E_TMP/metrics.new" "$E2E_TMP/metrics.txt"
}

# rm_metric SERIES - print the value of SERIES (its name with labels, as
# the endpoint writes it) in the last rm_scrape, or "missing"
rm_metric() {
	awk -v s="$1" 'index($0, s " ") == 1 {
			print substr($0, length(s) + 2); found = 1; exit
		}
		END { if (!found) print "missing" }' "$E2E_TMP/metrics.txt" 2>/dev/null ||
		echo missing
}

# rm_results_count FILE [AFTER_US] - print how many sessions in FILE began
# after AFTER_US (default 0)
rm_results_count() {
	awk -v t="${2:-0}" '$1 > t { n++ } END { print n + 0 }' "$1" 2>/dev/null ||
		echo 0
}

# rm_results_with FILE LINE - print how many sessions in FILE got LINE
rm_results_with() {
	awk -v want="$2" '{
			line = $0; sub(/^[0-9]+ [0-9]+ /, "", line)
			if (line == want) n++
		} END { print n + 0 }' "$1"
}

# rm_wait_results FILE N AFTER_US TIMEOUT - returns 0 once N sessions began
# after AFTER_US
rm_wait_results() {
	local deadline=$((SECONDS + $4))
	while [ "$(rm_results_count "$1" "$3")" -lt "$2" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# rm_reload_test PORT OLD NEW INFLIGHT_OLD - the reload under load
rm_reload_test() {
	local port=$1 old=$2 new=$3 inflight_old=$4 libdir results stop
	local pids=() pid mark t_hup t_reloaded out bad line_no n_old n_new
	libdir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
	results=$E2E_TMP/reload-results
	stop=$E2E_TMP/reload-stop
	: >"$results"
	rm -f -- "$stop"
	rm_write_loop

	# Two loops, each in its own process group so that the cleanup can
	# stop a loop and its swaks at once.
	for _ in 1 2; do
		setsid "$E2E_TMP/session-loop.sh" "$libdir" "$port" "$results" \
			"$stop" </dev/null >/dev/null 2>&1 &
		pid=$!
		pids+=("$pid")
		e2e_cleanup_add e2e_stop_pgrp "$pid" 5
	done
	if ! rm_wait_results "$results" 4 0 20; then
		e2e_result 1 "reload: sessions run in the background" \
			"$(cat -- "$results")"
	fi

	# A session held open across the reload: its policy is the old one.
	# (Not in $(...): the connection must stay in this shell.)
	{ smtp_open "$port" && smtp_send "EHLO inflight.example.net" &&
		smtp_send "MAIL FROM:<sender@example.com>"; } >"$E2E_TMP/inflight.out"
	expect_reply "$(cat -- "$E2E_TMP/inflight.out")" '^250 2\.1\.0' \
		"reload: a session is open before the reload (MAIL FROM accepted)"

	line_no=$(grep -n 'reply = "5\.7\.23"' "$RM_CONF" | cut -d: -f1)
	sed 's/^\( *reply = \)"5\.7\.23"$/\1"550 5.7.23 SPF validation failed (policy reloaded)"/' \
		"$RM_CONF" >"$RM_CONF.new" && mv -f -- "$RM_CONF.new" "$RM_CONF"
	e2e_check "reload: rule spf-fail's reply rewritten (line ${line_no:-?})" \
		grep -q 'SPF validation failed (policy reloaded)' "$RM_CONF"

	mark=$(rm_log_mark)
	t_hup=${EPOCHREALTIME/./}
	kill -HUP "$RM_PID"
	e2e_check "reload: the log reports the change" e2e_wait_match "$RM_LOG" \
		'^replymilter: reload: 9 rules; 0 added, 0 removed, 1 changed$' 10
	t_reloaded=${EPOCHREALTIME/./}
	rm_expect_log "$mark" "replymilter: reload: reading $RM_CONF" \
		"reload: log: reading the config"
	rm_expect_log "$mark" "replymilter: reload: rule spf-fail changed" \
		"reload: log: rule spf-fail changed"
	e2e_check "reload: replymilter still runs" e2e_alive "$RM_PID"

	if ! rm_wait_results "$results" 6 "$t_reloaded" 30; then
		e2e_result 1 "reload: sessions go on after the reload" \
			"$(cat -- "$results")"
	fi
	: >"$stop"
	for pid in "${pids[@]}"; do
		e2e_wait_gone "$pid" 40 || e2e_stop_pgrp "$pid" 5
		wait "$pid" 2>/dev/null
	done

	# The held session: the old policy still answers it.
	smtp_send "RCPT TO:<spf-fail@example.org>" >"$E2E_TMP/inflight.out"
	smtp_close
	out=$(cat -- "$E2E_TMP/inflight.out")
	expect_line "$out" "$inflight_old" \
		"reload: a session open across the reload keeps the old policy"
	rm_table_add "reload: RCPT in a session opened before the reload" \
		"$(printf '%s\n' "$out" | sed 's/^/RCPT /')"

	bad=$(awk -v o="$old" -v n="$new" '{
			line = $0; sub(/^[0-9]+ [0-9]+ /, "", line)
			if (line != o && line != n) print
		}' "$results")
	e2e_check "reload: $(wc -l <"$results") sessions, none failed" test -z "$bad" ||
		printf '%s\n' "$bad" | sed 's/^/#   /'
	bad=$(awk -v t="$t_hup" -v o="$old" '$2 < t {
			line = $0; sub(/^[0-9]+ [0-9]+ /, "", line)
			if (line != o) print
		}' "$results")
	e2e_check "reload: sessions that ended before SIGHUP got the old reply" \
		test -z "$bad"
	bad=$(awk -v t="$t_reloaded" -v n="$new" '$1 > t {
			line = $0; sub(/^[0-9]+ [0-9]+ /, "", line)
			if (line != n) print
		}' "$results")
	e2e_check "reload: sessions begun after the reload got the new reply" \
		test -z "$bad"
	n_old=$(rm_results_with "$results" "$old")
	n_new=$(rm_results_with "$results" "$new")
	e2e_check "reload: sessions got the old reply ($n_old)" test "$n_old" -gt 0
	e2e_check "reload: sessions got the new reply ($n_new)" test "$n_new" -gt 0
	rm_table_add "reload: RCPT before SIGHUP" "$old"
	rm_table_add "reload: RCPT after SIGHUP" "$new"
}

# rm_broken_reload_test PORT STILL - a bad config keeps the running policy
rm_broken_reload_test() {
	local port=$1 still=$2 mark line_no out
	line_no=$(grep -n 'reply  = "452 4\.3\.1"' "$RM_CONF" | cut -d: -f1)
	sed 's/^\( *reply  = \)"452 4\.3\.1"$/\1"550 4.3.1"/' "$RM_CONF" \
		>"$RM_CONF.new" && mv -f -- "$RM_CONF.new" "$RM_CONF"
	mark=$(rm_log_mark)
	kill -HUP "$RM_PID"
	e2e_check "bad reload: the log says the running policy stays" \
		e2e_wait_match "$RM_LOG" \
		"^replymilter: error: reload: .* has 1 error; the running policy stays\$" 10
	rm_expect_log "$mark" \
		"replymilter: error: $RM_CONF:${line_no:-?}: error: rule \"spool-full\": 550 4.3.1: class 4 does not match reply 550" \
		"bad reload: the log names $(basename -- "$RM_CONF"):${line_no:-?} and the error"
	rm_expect_log "$mark" \
		"replymilter: error: reload: $RM_CONF has 1 error; the running policy stays" \
		"bad reload: log: the running policy stays"
	e2e_check "bad reload: no change report" \
		test -z "$(rm_log_since "$mark" | grep 'reload: .* rules;')"
	e2e_check "bad reload: replymilter still runs" e2e_alive "$RM_PID"
	out=$(smtp_session "$port" --to spf-fail@example.org --quit-after RCPT)
	expect_line "$out" "$still" "bad reload: the running policy answers"
	rm_table_add "bad reload: RCPT (the running policy)" \
		"$(rm_stage_lines "$out" RCPT)"
	out=$(smtp_session "$port" --from full@example.com --quit-after MAIL)
	expect_reply "$out" '^MAIL 452 4\.3\.1 Mail system full$' \
		"bad reload: the broken rule keeps its old reply"
}

# rm_hits_test - SIGUSR1 reports each rule's hits
rm_hits_test() {
	local mark
	mark=$(rm_log_mark)
	kill -USR1 "$RM_PID"
	e2e_check "hits: SIGUSR1 reports rule spf-fail's hits" e2e_wait_match \
		"$RM_LOG" '^replymilter: hits: rule=spf-fail id=spf-fail stage=rcpt hits=[1-9][0-9]*$' 5
	rm_expect_log "$mark" "replymilter: hits: 0 connections open" \
		"hits: no connection left open"
}

# rm_stop_test - SIGTERM: exit 0 within 3 s, socket and PID file removed
rm_stop_test() {
	local t0 t1 ms rc pid
	read -r pid 2>/dev/null <"$RM_PIDFILE" || pid=
	e2e_check "stop: the PID file names the daemon ($RM_PID)" test "$pid" = "$RM_PID"
	t0=${EPOCHREALTIME/./}
	kill -TERM "$RM_PID"
	if e2e_wait_gone "$RM_PID" 10; then
		t1=${EPOCHREALTIME/./}
		wait "$RM_PID"
		rc=$?
	else
		t1=${EPOCHREALTIME/./}
		rc=timeout
	fi
	ms=$(((t1 - t0) / 1000))
	e2e_note "stop: replymilter exited after $ms ms with status $rc"
	e2e_check "stop: SIGTERM: exit status 0 (got $rc)" test "$rc" = 0
	e2e_check "stop: exit within 3 s (took $ms ms)" test "$ms" -lt 3000
	e2e_check "stop: the socket is removed" test ! -e "$RM_SOCK"
	e2e_check "stop: the PID file is removed" test ! -e "$RM_PIDFILE"
	e2e_check "stop: the log says it stopped" \
		grep -q '^replymilter: replymilter stopped$' "$RM_LOG"
}
