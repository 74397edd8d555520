# shellcheck shell=bash
#
# tests/e2e/lib/common.sh - shared helpers for the end-to-end tests.
#
# Debian packages: bash, coreutils, iproute2 (ss, optional), procps (ps, for
#   debugging only), swaks.
#
# Source it from a bash script; it is set -u safe and sets no shell options
# (set -e does not suit a test script: assertions return 1 on failure):
#
#   . "$dir/lib/common.sh"
#   e2e_init                         # traps + $E2E_TMP, removed at exit
#   port=$(e2e_free_port)            # a free 127.0.0.1 port, reserved
#   e2e_cleanup_add postfix_stop "$dir"  # run at exit, last added first
#   e2e_wait_port 127.0.0.1 "$port" 10 || e2e_bail "no listener"
#   out=$(smtp_session "$port" --to spf-fail@example.org)
#   expect_reply "$out" '^RCPT 550 5\.7\.23 SPF validation failed$' "label"
#   expect_line "$out" "RCPT 550 5.7.23 SPF validation failed" "label"
#   e2e_summary                      # TAP plan + "N passed, N failed"; status
#
# Provides (each has a one-line comment below):
#   set-up and clean-up  e2e_init [NAME], e2e_mkdir NAME, e2e_cleanup_add CMD
#                        [ARG...], e2e_cleanup_run, e2e_bail MSG, e2e_note MSG,
#                        e2e_require CMD PACKAGE...
#   ports                e2e_free_port, e2e_port_in_use PORT
#   waiting              e2e_wait_port HOST PORT [T], e2e_wait_socket PATH [T],
#                        e2e_wait_match FILE REGEX [T], e2e_wait_gone PID [T]
#   processes            e2e_alive PID, e2e_stop_pid PID [T],
#                        e2e_pgrp_pids PGID, e2e_stop_pgrp PGID [T]
#   SMTP                 smtp_session PORT [SWAKS-OPTION...]; a session by
#                        hand, held open across other events: smtp_open
#                        PORT, smtp_send LINE, smtp_close
#   the MTA's files      mta_log DIR, mta_wait_log DIR REGEX [T], mta_sink DIR,
#                        mta_wait_sink DIR REGEX [T], mta_sink_message DIR
#                        SUBJECT
#   assertions           expect_reply OUT REGEX LABEL, expect_line OUT LINES
#                        LABEL, expect_no_reply OUT REGEX LABEL, e2e_check
#                        LABEL CMD..., e2e_result STATUS LABEL [DIAG...],
#                        e2e_summary
#   (T: a timeout in seconds.)
#
# Output is TAP-ish: "ok N - label", or "not ok N - FAIL: label" followed by
# "#"-prefixed diagnostics (what was expected, what came); e2e_summary prints
# "1..N" and the plain closing line "N passed, N failed" and returns 1 if
# anything failed or nothing ran.  A check of a known, reported bug runs with
# E2E_TODO="why" set for its call (E2E_TODO="bug: ..." expect_line ...): its
# failure prints "not ok N - label # TODO why" and is counted apart, not as
# a failure (TAP's TODO), so the bug stays visible without failing the run.
#
# How it fails: helpers return nonzero and print a "#" note on stderr;
# e2e_bail prints "Bail out! ..." and exits 1, which runs the cleanup trap.
# Everything that e2e_init and e2e_cleanup_add set up is undone on EXIT, INT,
# TERM and HUP, whatever the exit path.  Set E2E_KEEP=1 to keep $E2E_TMP for a
# post-mortem (its path is printed), E2E_VERBOSE=1 to see swaks transcripts on
# stderr.

# Guard against double sourcing (the cleanup list must not be reset).
if [ -z "${E2E_COMMON_LOADED:-}" ]; then
E2E_COMMON_LOADED=1

E2E_PASS=0
E2E_FAIL=0
E2E_TODO_FAILED=0
E2E_TESTNO=0
E2E_TMP=
E2E_CLEANUP=()
E2E_CLEANING=
# Where port reservations live; shared by every run on the machine.
E2E_PORT_LOCKDIR=${E2E_PORT_LOCKDIR:-${TMPDIR:-/tmp}/replymilter-e2e-ports}

# e2e_note - print a "#" diagnostic line on stderr
e2e_note() {
	printf '# %s\n' "$*" >&2
}

# e2e_bail - print "Bail out! MSG" and exit 1 (the EXIT trap cleans up)
e2e_bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# e2e_require CMD PACKAGE... - returns 0 if CMD exists, else bails out naming
# the Debian package(s) to install
e2e_require() {
	local cmd=$1
	shift
	command -v "$cmd" >/dev/null 2>&1 ||
		e2e_bail "$cmd not found: apt-get install $*"
}

# e2e_cleanup_add CMD [ARG...] - register a command to run at exit, last
# added first: one argument is a shell command line, several are a command
# and its arguments (quoted for you)
e2e_cleanup_add() {
	if [ "$#" -eq 1 ]; then
		E2E_CLEANUP+=("$1")
	else
		E2E_CLEANUP+=("$(printf '%q ' "$@")")
	fi
}

# e2e_cleanup_run - run every registered cleanup once; returns 0
e2e_cleanup_run() {
	local i
	[ -n "$E2E_CLEANING" ] && return 0
	E2E_CLEANING=1
	for ((i = ${#E2E_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${E2E_CLEANUP[i]}" || e2e_note "cleanup failed: ${E2E_CLEANUP[i]}"
	done
	E2E_CLEANUP=()
	e2e_port_release_all
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			e2e_note "kept $E2E_TMP"
		else
			rm -rf -- "$E2E_TMP"
		fi
	fi
	return 0
}

# e2e_init [NAME] - set the traps and create $E2E_TMP (mode 0755 so that the
# postfix user can reach milter sockets in it); returns 0 or bails out
e2e_init() {
	local name=${1:-replymilter-e2e}
	trap 'e2e_cleanup_run' EXIT
	trap 'e2e_note "interrupted"; exit 130' INT
	trap 'e2e_note "terminated"; exit 143' TERM
	trap 'e2e_note "hung up"; exit 129' HUP
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX") ||
		e2e_bail "cannot create a temporary directory"
	chmod 0755 "$E2E_TMP"
}

# e2e_mkdir NAME - print the path of a new directory $E2E_TMP/NAME (0755)
e2e_mkdir() {
	[ -n "$E2E_TMP" ] || e2e_bail "e2e_mkdir before e2e_init"
	mkdir -p -- "$E2E_TMP/$1" && chmod 0755 -- "$E2E_TMP/$1" &&
		printf '%s\n' "$E2E_TMP/$1"
}

# e2e_port_in_use PORT - returns 0 if something listens on TCP PORT
e2e_port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# e2e_free_port - print a free TCP port on 127.0.0.1 and reserve it for this
# run (a lock dir under $E2E_PORT_LOCKDIR naming our PID, released at exit,
# reclaimed from dead owners); returns 1 if none found in 200 tries.  Ports
# come from 20000-29999, below Linux's ephemeral range.  Works in $(...).
e2e_free_port() {
	local try port lock owner
	if [ ! -d "$E2E_PORT_LOCKDIR" ]; then
		mkdir -p -- "$E2E_PORT_LOCKDIR" && chmod 1777 -- "$E2E_PORT_LOCKDIR"
	fi
	for ((try = 0; try < 200; try++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 10000))
		lock=$E2E_PORT_LOCKDIR/$port
		if ! mkdir "$lock" 2>/dev/null; then
			owner=$(cat "$lock/pid" 2>/dev/null) || owner=
			# Reclaim a reservation whose owner is gone.
			if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
				rm -rf -- "$lock"
			fi
			continue
		fi
		echo "$$" >"$lock/pid"
		if e2e_port_in_use "$port"; then
			rm -rf -- "$lock"
			continue
		fi
		printf '%s\n' "$port"
		return 0
	done
	e2e_note "e2e_free_port: no free port found"
	return 1
}

# e2e_port_release_all - drop every port reservation owned by this shell
e2e_port_release_all() {
	local lock
	[ -d "$E2E_PORT_LOCKDIR" ] || return 0
	for lock in "$E2E_PORT_LOCKDIR"/*; do
		[ -f "$lock/pid" ] || continue
		[ "$(cat "$lock/pid" 2>/dev/null)" = "$$" ] && rm -rf -- "$lock"
	done
	return 0
}

# e2e_wait_port HOST PORT [TIMEOUT] - returns 0 once HOST:PORT accepts a TCP
# connection, 1 after TIMEOUT seconds (default 15)
e2e_wait_port() {
	local host=$1 port=$2 timeout=${3:-15} deadline
	deadline=$((SECONDS + timeout))
	while :; do
		(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	e2e_note "nothing listens on $host:$port after ${timeout}s"
	return 1
}

# e2e_wait_socket PATH [TIMEOUT] - returns 0 once PATH is a unix socket, 1
# after TIMEOUT seconds (default 15)
e2e_wait_socket() {
	local path=$1 timeout=${2:-15} deadline
	deadline=$((SECONDS + timeout))
	while :; do
		[ -S "$path" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	e2e_note "no socket at $path after ${timeout}s"
	return 1
}

# e2e_wait_match FILE REGEX [TIMEOUT] - returns 0 once a line of FILE matches
# the extended REGEX, 1 after TIMEOUT seconds (default 15)
e2e_wait_match() {
	local file=$1 regex=$2 timeout=${3:-15} deadline
	deadline=$((SECONDS + timeout))
	while :; do
		grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	e2e_note "no line matching /$regex/ in $file after ${timeout}s"
	return 1
}

# e2e_alive PID - returns 0 if PID exists and is not a zombie
e2e_alive() {
	local line state
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	read -r state _ <<<"${line##*) }"
	[ "$state" != Z ]
}

# e2e_wait_gone PID [TIMEOUT] - returns 0 once PID has exited, 1 after
# TIMEOUT seconds (default 10)
e2e_wait_gone() {
	local pid=$1 timeout=${2:-10} deadline
	deadline=$((SECONDS + timeout))
	while e2e_alive "$pid"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# e2e_stop_pid PID [TIMEOUT] - send SIGTERM, wait up to TIMEOUT seconds
# (default 10), then SIGKILL; reaps PID if it is our child; returns 0
e2e_stop_pid() {
	local pid=$1 timeout=${2:-10}
	[ -n "$pid" ] || return 0
	if e2e_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! e2e_wait_gone "$pid" "$timeout"; then
			e2e_note "PID $pid ignored SIGTERM for ${timeout}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			e2e_wait_gone "$pid" 5 || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# e2e_pgrp_pids PGID - print the live (non-zombie) PIDs in process group PGID
e2e_pgrp_pids() {
	local stat line state pgrp
	for stat in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$stat" || continue
		# The fields after "(comm) " are: state ppid pgrp ...
		read -r state _ pgrp _ <<<"${line##*) }"
		if [ "$pgrp" = "$1" ] && [ "$state" != Z ]; then
			stat=${stat%/stat}
			echo "${stat#/proc/}"
		fi
	done
	return 0
}

# e2e_stop_pgrp PGID [TIMEOUT] - SIGTERM process group PGID, wait up to
# TIMEOUT seconds (default 10) for it to empty, then SIGKILL what is left;
# returns 0 once the group is empty, 1 if something survived
e2e_stop_pgrp() {
	local pgid=$1 timeout=${2:-10} deadline left
	[ -n "$pgid" ] || return 0
	kill -TERM -- "-$pgid" 2>/dev/null || true
	deadline=$((SECONDS + timeout))
	while left=$(e2e_pgrp_pids "$pgid") && [ -n "$left" ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			e2e_note "process group $pgid ignored SIGTERM: SIGKILL" \
				"$(printf '%s' "$left" | tr '\n' ' ')"
			kill -KILL -- "-$pgid" 2>/dev/null || true
			sleep 0.5
			left=$(e2e_pgrp_pids "$pgid")
			break
		fi
		sleep 0.1
	done
	[ -z "$left" ]
}

# smtp_session PORT [SWAKS-OPTION...] - run one SMTP session with swaks
# against 127.0.0.1:PORT and print the server's reply lines, each prefixed
# with the stage it answers: CONNECT, EHLO/HELO, MAIL, RCPT, DATA, DOT (the
# end of message), QUIT, or the command's first word.  Example line:
#   RCPT 550 5.7.23 SPF validation failed
# swaks errors appear as "SWAKS <text>".  Defaults: --helo client.example.net
# --from sender@example.com --to rcpt@example.org --timeout 30; later options
# override them.  Returns swaks's exit status (0: the message was accepted).
smtp_session() {
	local port=$1 raw status
	shift
	raw=$(swaks --server 127.0.0.1 --port "$port" \
		--helo client.example.net --from sender@example.com \
		--to rcpt@example.org --timeout 30 "$@" 2>&1)
	status=$?
	[ "${E2E_VERBOSE:-0}" = 1 ] && printf '%s\n' "$raw" | sed 's/^/#   swaks: /' >&2
	printf '%s\n' "$raw" | awk '
		BEGIN { stage = "CONNECT"; indata = 0 }
		/^ -> / {
			line = substr($0, 5)
			if (indata) {
				if (line == ".") { stage = "DOT"; indata = 0 }
				next
			}
			split(line, w, /[ :]/)
			stage = toupper(w[1])
			next
		}
		/^<(-|\*\*|~|~\*) / {
			sub(/^<(-|\*\*|~|~\*) +/, "")
			print stage " " $0
			if (stage == "DATA" && $0 ~ /^354/) indata = 1
			next
		}
		/^\*\*\* / { sub(/^\*\*\* /, ""); print "SWAKS " $0 }
	'
	return "$status"
}

# smtp_open PORT - open an SMTP connection to 127.0.0.1:PORT on the file
# descriptor in $E2E_SMTP_FD and print the banner's lines; returns 1 if the
# connection fails.  One such session at a time; it stays open across other
# events (a reload, say) until smtp_close.
smtp_open() {
	E2E_SMTP_FD=
	exec {E2E_SMTP_FD}<>"/dev/tcp/127.0.0.1/$1" || {
		E2E_SMTP_FD=
		e2e_note "smtp_open: cannot connect to 127.0.0.1:$1"
		return 1
	}
	smtp_read_reply
}

# smtp_read_reply - print the lines of one SMTP reply from $E2E_SMTP_FD
# (CR removed), up to its last line ("NNN text"); returns 1 on a timeout
# (30 s) or a closed connection
smtp_read_reply() {
	local line
	while IFS= read -r -t 30 -u "$E2E_SMTP_FD" line; do
		line=${line%$'\r'}
		printf '%s\n' "$line"
		[[ $line == [0-9][0-9][0-9]-* ]] || return 0
	done
	e2e_note "smtp_read_reply: no complete reply"
	return 1
}

# smtp_send LINE - send LINE (CRLF added) on the open session and print the
# reply's lines; returns 1 if there is no complete reply
smtp_send() {
	[ -n "${E2E_SMTP_FD:-}" ] || {
		e2e_note "smtp_send: no open session"
		return 1
	}
	printf '%s\r\n' "$1" >&"$E2E_SMTP_FD" || return 1
	smtp_read_reply
}

# smtp_close - send QUIT (reply ignored) and close the session; returns 0
smtp_close() {
	[ -n "${E2E_SMTP_FD:-}" ] || return 0
	# The subshell keeps a write error (peer gone) quiet.
	(printf 'QUIT\r\n' >&"$E2E_SMTP_FD") 2>/dev/null &&
		smtp_read_reply >/dev/null 2>&1
	exec {E2E_SMTP_FD}>&-
	E2E_SMTP_FD=
	return 0
}

# e2e_result OK LABEL [DIAGNOSTIC...] - print a TAP line and count it;
# returns 0 if OK is 0
e2e_result() {
	local ok=$1 label=$2 line
	shift 2
	E2E_TESTNO=$((E2E_TESTNO + 1))
	if [ -n "${E2E_TODO:-}" ]; then
		if [ "$ok" = 0 ]; then
			E2E_PASS=$((E2E_PASS + 1))
			printf 'ok %d - %s # TODO %s (passes now: drop the TODO)\n' \
				"$E2E_TESTNO" "$label" "$E2E_TODO"
			return 0
		fi
		E2E_TODO_FAILED=$((E2E_TODO_FAILED + 1))
		printf 'not ok %d - %s # TODO %s\n' "$E2E_TESTNO" "$label" "$E2E_TODO"
		for line in "$@"; do
			printf '%s\n' "$line" | sed 's/^/#   /'
		done
		return 1
	fi
	if [ "$ok" = 0 ]; then
		E2E_PASS=$((E2E_PASS + 1))
		printf 'ok %d - %s\n' "$E2E_TESTNO" "$label"
		return 0
	fi
	E2E_FAIL=$((E2E_FAIL + 1))
	printf 'not ok %d - FAIL: %s\n' "$E2E_TESTNO" "$label"
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
	return 1
}

# expect_reply OUTPUT REGEX LABEL - ok if a line of OUTPUT matches the
# extended REGEX; on failure prints the whole OUTPUT; returns 0 if ok
expect_reply() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		e2e_result 0 "$3"
	else
		e2e_result 1 "$3" "expected a line matching /$2/ in:" "$1"
	fi
}

# expect_line OUTPUT LINES LABEL - ok if LINES (one line, or several
# separated by newlines) occur in OUTPUT as whole, consecutive lines, taken
# literally (no regex); returns 0 if ok
expect_line() {
	if [[ $'\n'"$1"$'\n' == *$'\n'"$2"$'\n'* ]]; then
		e2e_result 0 "$3"
	else
		e2e_result 1 "$3" "expected exactly these line(s):" "$2" "in:" "$1"
	fi
}

# expect_no_reply OUTPUT REGEX LABEL - ok if no line of OUTPUT matches REGEX
expect_no_reply() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		e2e_result 1 "$3" "expected no line matching /$2/ in:" "$1"
	else
		e2e_result 0 "$3"
	fi
}

# e2e_check LABEL CMD [ARG...] - ok if CMD succeeds; returns its verdict
e2e_check() {
	local label=$1
	shift
	if "$@"; then
		e2e_result 0 "$label"
	else
		e2e_result 1 "$label" "command failed: $*"
	fi
}

# e2e_summary - print the TAP plan and "N passed, N failed"; returns 1 if
# any check failed or none ran
e2e_summary() {
	printf '1..%d\n' "$E2E_TESTNO"
	[ "$E2E_TODO_FAILED" -gt 0 ] &&
		printf '# %d known bug(s) marked TODO: not counted as failures\n' \
			"$E2E_TODO_FAILED"
	printf '%d passed, %d failed\n' "$E2E_PASS" "$E2E_FAIL"
	[ "$E2E_FAIL" = 0 ] && [ "$E2E_TESTNO" -gt 0 ]
}

# --- the MTA instance's files (both harnesses write maillog and sink/mbox
# in the instance's folder) ---------------------------------------------------

# mta_log WORKDIR - print the instance's log; returns 0
mta_log() {
	cat -- "$1/maillog" 2>/dev/null
	return 0
}

# mta_wait_log WORKDIR REGEX [TIMEOUT] - returns 0 once a log line matches
mta_wait_log() {
	e2e_wait_match "$1/maillog" "$2" "${3:-15}"
}

# mta_sink WORKDIR - print the messages the sink delivered; returns 0
mta_sink() {
	cat -- "$1/sink/mbox" 2>/dev/null
	return 0
}

# mta_wait_sink WORKDIR REGEX [TIMEOUT] - returns 0 once a line of a
# delivered message matches
mta_wait_sink() {
	e2e_wait_match "$1/sink/mbox" "$2" "${3:-15}"
}

# mta_sink_message WORKDIR SUBJECT - print the delivered message whose
# Subject is SUBJECT (nothing when there is none); returns 0
mta_sink_message() {
	mta_sink "$1" | awk -v s="Subject: $2" '
		/^From / { if (hit) exit; msg = ""; }
		{ msg = msg $0 "\n" }
		$0 == s { hit = 1 }
		END { if (hit) printf "%s", msg }'
}

fi # E2E_COMMON_LOADED
