#!/bin/bash
#
# tests/miltertest.sh - replymilter at the milter protocol level: runs every
# tests/miltertest/*.lua with miltertest against a replymilter started here.
#
# It starts replymilter (the binary in $REPLYMILTER, default src/replymilter
# under the top build dir) twice, each on a unix socket in a temporary
# directory: with tests/miltertest/mt.conf (rules at every stage, every
# reply type) and with a one-rule policy written here (a RCPT rule only, to
# see the protocol steps negotiated away).  Each script runs as
#   miltertest -D libdir=tests/miltertest -D socket=unix:SOCK
#       -D socket_minimal=unix:SOCK2 -s SCRIPT
# and checks the reply type at every stage (SMFIR_CONTINUE, SMFIR_REPLYCODE
# for a reject or tempfail with its text, SMFIR_ACCEPT, SMFIR_DISCARD), the
# reply text at end of message (MT_SMTPREPLY), the headers added
# (MT_HDRADD), the connect-stage decision answered at HELO, and that a
# refused recipient is not counted by rcpt_count; see each script's header.
# Then it checks replymilter's log (the decisions, no warnings) and that
# both daemons exit 0 on SIGTERM and remove their sockets.  An internal
# failure (SMFIR_TEMPFAIL) is not provoked: it needs an allocation to fail.
# Output is TAP-ish, each script's own lines indented; it exits 1 on any
# failure.  Everything it starts and every file it makes is removed on every
# exit path (E2E_KEEP=1 keeps the files).  Takes about 2 s.
#
# Debian packages: bash, coreutils, grep, sed, miltertest.
# Needs: root, like the other end-to-end scripts (tests/e2e/*.sh); exits 77
#   (skip) when not root.  Anything else missing is a failure.
#
# Usage: tests/miltertest.sh [SCRIPT.lua...]   (default: all of them)

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
mtdir=$here/miltertest

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $0 runs as root, like the other end-to-end tests"
	exit 77
fi

. "$here/e2e/lib/common.sh"
. "$here/e2e/lib/replymilter.sh"

started=$SECONDS
e2e_require miltertest miltertest
e2e_require timeout coreutils
e2e_init replymilter-miltertest

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"

cat >"$E2E_TMP/minimal.conf" <<'EOF'
# One rule, at RCPT: replymilter needs no HELO, headers or body.
rule "spf-fail" {
    stage = rcpt
    rcpt  = "/^spf-fail@/"
    reply = "5.7.23"
}
EOF

pid_full=
pid_minimal=

# start NAME CONF - start replymilter as NAME on $E2E_TMP/NAME.sock; sets
# pid_NAME; bails out when it does not start
start() {
	local name=$1 conf=$2 pid
	"$bin" -n -c "$conf" >"$E2E_TMP/$name.check" 2>&1 || {
		sed 's/^/#   /' "$E2E_TMP/$name.check"
		e2e_bail "replymilter -n rejects $conf"
	}
	"$bin" -f -c "$conf" -p "unix:$E2E_TMP/$name.sock" \
		-P "$E2E_TMP/$name.pid" -d info </dev/null 2>"$E2E_TMP/$name.log" &
	pid=$!
	e2e_cleanup_add e2e_stop_pid "$pid" 10
	e2e_wait_socket "$E2E_TMP/$name.sock" 10 || {
		sed 's/^/#   log: /' "$E2E_TMP/$name.log"
		e2e_bail "replymilter ($name) did not start"
	}
	printf -v "pid_$name" '%s' "$pid"
}

# stop NAME - SIGTERM: ok if it exits 0 within 3 s and removes its socket
stop() {
	local name=$1 pid t0 ms rc
	pid=pid_$name
	pid=${!pid}
	t0=${EPOCHREALTIME/./}
	kill -TERM "$pid"
	if e2e_wait_gone "$pid" 10; then
		wait "$pid"
		rc=$?
	else
		rc=timeout
	fi
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	e2e_check "$name: SIGTERM: exit 0 within 3 s (status $rc, $ms ms)" \
		test "$rc" = 0 -a "$ms" -lt 3000
	e2e_check "$name: socket and PID file removed" \
		test ! -e "$E2E_TMP/$name.sock" -a ! -e "$E2E_TMP/$name.pid"
}

start full "$mtdir/mt.conf"
start minimal "$E2E_TMP/minimal.conf"

if [ "$#" -gt 0 ]; then
	scripts=("$@")
else
	scripts=("$mtdir"/*.lua)
fi
ran=0
for script in "${scripts[@]}"; do
	[ "$(basename -- "$script")" = lib.lua ] && continue
	case $script in
	*/*) ;;
	*) script=$mtdir/$script ;;
	esac
	name=$(basename -- "$script")
	echo "# $name"
	t0=${EPOCHREALTIME/./}
	timeout 60 miltertest -D "libdir=$mtdir" -D "socket=unix:$E2E_TMP/full.sock" \
		-D "socket_minimal=unix:$E2E_TMP/minimal.sock" -s "$script" \
		>"$E2E_TMP/out" 2>&1
	rc=$?
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	ran=$((ran + 1))
	sed 's/^/    /' "$E2E_TMP/out"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$E2E_TMP/out")
	e2e_check "$name: ${summary:-no summary} (miltertest status $rc, $ms ms)" \
		test "$rc" = 0 -a -n "$summary"
done

# The daemons lived through it all, and said what they decided.
e2e_check "full: replymilter still runs" e2e_alive "$pid_full"
e2e_check "minimal: replymilter still runs" e2e_alive "$pid_minimal"
RM_LOG=$E2E_TMP/full.log
# The decisions the scripts provoke (all of them: when run with arguments,
# only those that ran are known).
if [ "$#" -eq 0 ]; then
RM_CLIENT='blocked.example.net[192.0.2.66]'
rm_expect_log 0 'replymilter: NOQUEUE: client=@CLIENT@ stage=helo rule=blocked-client id=blocked-client action=reject reply="550 5.7.1 Client host 192.0.2.66 blocked by local policy" decided=connect' \
	"log: the connect decision, answered at HELO"
RM_CLIENT='client.example.net[192.0.2.10]'
rm_expect_log 0 'replymilter: NOQUEUE: client=@CLIENT@ stage=rcpt rule=too-many-recipients id=too-many-recipients action=tempfail reply="452 4.5.3 Too many recipients"' \
	"log: too many recipients"
rm_expect_log 0 'replymilter: HDRS1: client=@CLIENT@ stage=rcpt rule=dry-run-rcpt id=dry-run-rcpt action=reject reply="550 5.7.1 Recipient refused by the new policy" mode=dry-run' \
	"log: the dry run, with the queue id from macro i"
fi
e2e_check "$ran scripts ran" test "$ran" -gt 0
for name in full minimal; do
	expect_no_reply "$(cat -- "$E2E_TMP/$name.log")" '^replymilter: (warning|error): ' \
		"$name: no warning or error logged"
done

stop full
stop minimal
e2e_note "miltertest.sh: $((SECONDS - started)) s"
e2e_summary
