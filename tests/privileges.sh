#!/bin/bash
#
# tests/privileges.sh - least privilege: replymilter starts as root only to
# create its socket and PID file, then runs as the configured user for good.
#
# Starts replymilter as root with user = "nobody:nogroup", its socket and
# PID file in a folder that does not exist yet, socket_mode "0660", and
# checks: the process's real, effective, saved and file-system uids and
# gids are nobody's and nogroup's, with no supplementary group but nogroup;
# the folder was created for nobody; the socket has mode 0660 and belongs to
# nobody:nogroup; the PID file holds the PID; a miltertest session gets the
# policy's reply; a reload works as nobody (it re-reads the config); SIGTERM
# ends it with status 0 and removes the socket and the PID file.  Then that
# it refuses to start with user = "root" and when started by an ordinary
# user configured to become another one, and that -n warns about a config
# any user could write.  Takes about 2 s.
#
# Debian packages: bash, coreutils, grep, miltertest, util-linux
#   (setpriv).
# Needs: root (it switches users); exits 77 (skip) when not root.  The
#   users nobody and group nogroup are in every Debian base system.
#
# Usage: tests/privileges.sh

# shellcheck source-path=SCRIPTDIR
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $0 runs as root: it checks that replymilter drops root"
	exit 77
fi

. "$here/e2e/lib/common.sh"
. "$here/e2e/lib/replymilter.sh"

e2e_require miltertest miltertest
e2e_require setpriv util-linux
e2e_require timeout coreutils
e2e_init replymilter-privileges

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"
uid=$(id -u nobody) || e2e_bail "no user nobody"
gid=$(getent group nogroup | cut -d: -f3)
[ -n "$gid" ] || e2e_bail "no group nogroup"

# LeakSanitizer stops the world with ptrace, which a process that changed
# its uid (no longer dumpable) cannot do to itself: in a sanitizer build
# the leak check is off for the run that drops root, and on for the others.
asan_no_leaks="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"

run=$E2E_TMP/run			# created by replymilter, for nobody
conf=$E2E_TMP/replymilter.conf
log=$E2E_TMP/replymilter.log
write_conf() {	# write_conf USER TEXT
	cat >"$conf" <<EOF
socket      = "unix:$run/replymilter.sock"
socket_mode = "0660"
pidfile     = "$run/replymilter.pid"
user        = "$1"
rule "spf-fail" {
    stage = rcpt
    rcpt  = "/^spf-fail@/"
    reply = "550 5.7.23 $2"
}
EOF
	chmod 0644 "$conf"
}

cat >"$E2E_TMP/probe.lua" <<'EOF'
-- One session: RCPT spf-fail@ must get the rule's reply.
local t = dofile(libdir .. "/lib.lua")
local conn = t.connect()
t.step(conn, SMFIR_CONTINUE, "connect", mt.conninfo, "client.example.net",
    "192.0.2.10")
t.step(conn, SMFIR_CONTINUE, "mail", mt.mailfrom, "<alice@example.net>")
t.step(conn, SMFIR_REPLYCODE, "rcpt spf-fail@", mt.rcptto,
    "<spf-fail@example.org>")
mt.disconnect(conn)
t.done()
EOF
probe() {
	timeout 20 miltertest -D "libdir=$here/miltertest" \
		-D "socket=unix:$run/replymilter.sock" \
		-s "$E2E_TMP/probe.lua" >"$E2E_TMP/probe.out" 2>&1 || {
		sed 's/^/#   miltertest: /' "$E2E_TMP/probe.out"
		return 1
	}
}

# --- 1. root, then nobody for good -------------------------------------
write_conf nobody:nogroup "SPF validation failed"
: >"$log"
(umask 0 && ASAN_OPTIONS=$asan_no_leaks exec "$bin" -f -c "$conf" -d info) \
	</dev/null 2>>"$log" &
pid=$!
e2e_cleanup_add e2e_stop_pid "$pid" 10
if ! e2e_wait_socket "$run/replymilter.sock" 10 ||
	! e2e_wait_match "$log" '^replymilter: replymilter .* started on ' 5; then
	sed 's/^/#   log: /' "$log"
	e2e_bail "replymilter did not start as root with user nobody"
fi

status=/proc/$pid/status
e2e_check "uids are nobody's: real, effective, saved, file system" \
	grep -qx "Uid:	$uid	$uid	$uid	$uid" "$status"
e2e_check "gids are nogroup's: real, effective, saved, file system" \
	grep -qx "Gid:	$gid	$gid	$gid	$gid" "$status"
e2e_check "no supplementary group but nogroup" \
	grep -qxE "Groups:	$gid ?" "$status"
e2e_check "no capability left (CapEff 0)" \
	grep -qx 'CapEff:	0000000000000000' "$status"
e2e_check "the log says it runs as nobody" \
	grep -q 'running as user nobody' "$log"
e2e_check "the socket's folder was created for nobody:nogroup" \
	test "$(stat -c '%U:%G' "$run")" = nobody:nogroup
e2e_check "the socket has socket_mode 0660 and belongs to nobody:nogroup" \
	test "$(stat -c '%a %U:%G' "$run/replymilter.sock")" = "660 nobody:nogroup"
e2e_check "the PID file holds the PID" \
	test "$(cat "$run/replymilter.pid")" = "$pid"
e2e_check "a milter session gets the policy's reply" probe

write_conf nobody:nogroup "SPF validation failed (reloaded)"
kill -HUP "$pid"
e2e_check "a reload as nobody re-reads the config" \
	e2e_wait_match "$log" 'reload: rule spf-fail changed' 5
e2e_check "still serving after the reload" probe

kill -TERM "$pid"
rc=0
e2e_wait_gone "$pid" 10 || rc=timeout
[ "$rc" = 0 ] && { wait "$pid"; rc=$?; }
e2e_check "SIGTERM: exit status 0 (got $rc)" test "$rc" = 0
e2e_check "the socket is removed at exit" test ! -e "$run/replymilter.sock"
e2e_check "the PID file is removed at exit" test ! -e "$run/replymilter.pid"
if [ "$rc" != 0 ]; then sed 's/^/#   log: /' "$log"; fi

# --- 2. refusals ----------------------------------------------------------
write_conf root "x"
out=$(timeout 10 "$bin" -f -c "$conf" -d info </dev/null 2>&1)
rc=$?
e2e_check "user = root: refused at start (status $rc)" test "$rc" != 0
expect_reply "$out" 'user root is root: give an unprivileged user' \
	"user = root: the refusal says why"

write_conf daemon "x"
sed -i "s|$run/|$E2E_TMP/nobody-|" "$conf"	# where nobody may write
out=$(timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$bin" -f -c "$conf" -d info </dev/null 2>&1)
rc=$?
e2e_check "started by nobody, configured as daemon: refused (status $rc)" \
	test "$rc" != 0
expect_reply "$out" 'user daemon: only root can switch to it' \
	"started by nobody, configured as daemon: the refusal says why"

# --- 3. a config any user can write --------------------------------------
write_conf nobody "x"
chmod 0666 "$conf"
out=$("$bin" -n -c "$conf" 2>&1)
expect_reply "$out" "replymilter.conf is writable by any user \\(mode 0666\\).*run chmod o-w " \
	"-n warns about a config writable by any user"
chmod 0644 "$conf"
out=$("$bin" -n -c "$conf" 2>&1)
expect_no_reply "$out" 'writable' "-n is quiet once chmod o-w is done"

e2e_summary
