#!/bin/bash
#
# tests/systemd.sh - the shipped systemd unit is valid and hardened.
#
# Fills in contrib/systemd/replymilter.service.in with the built binary
# (systemd-analyze checks that ExecStart's program exists) and checks:
# `systemd-analyze verify` reports nothing; `systemd-analyze security
# --offline=yes` rates the unit's exposure at most MAX_EXPOSURE (2.3 now:
# what stays open is what a milter needs, see the unit's comments); and the
# hardening directives the unit promises are there, so that removing one
# fails here even where the score would still pass.  Takes under a second.
#
# Debian packages: bash, systemd (systemd-analyze; no systemd need run).
# Needs: nothing else; not root.
#
# Usage: tests/systemd.sh

set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
. "$here/e2e/lib/common.sh"
. "$here/e2e/lib/replymilter.sh"

MAX_EXPOSURE=2.3

e2e_require systemd-analyze systemd
e2e_init replymilter-systemd
bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"

unit=$E2E_TMP/replymilter.service
sed -e "s|@SBINDIR@/replymilter|$bin|g" -e "s|@SYSCONFDIR@|/etc|g" \
	"$here/../contrib/systemd/replymilter.service.in" >"$unit" ||
	e2e_bail "cannot fill in the unit"
expect_no_reply "$(grep -n '@[A-Z]*@' "$unit")" . \
	"every @VARIABLE@ of the unit is one this test fills in"

out=$(systemd-analyze verify --man=no "$unit" 2>&1)
rc=$?
e2e_check "systemd-analyze verify: status 0 (got $rc)" test "$rc" = 0
expect_no_reply "$out" . "systemd-analyze verify: nothing to report"

out=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1)
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
e2e_note "exposure level: ${score:-none}"
e2e_check "systemd-analyze security: exposure ${score:-none} <= $MAX_EXPOSURE" \
	awk -v s="${score:-99}" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'

for d in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
	PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes \
	ProtectKernelModules=yes ProtectControlGroups=yes \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	RestrictNamespaces=yes MemoryDenyWriteExecute=yes \
	SystemCallArchitectures=native SystemCallFilter=@system-service \
	LockPersonality=yes RestrictSUIDSGID=yes; do
	e2e_check "the unit sets $d" grep -qx -- "$d" "$unit"
done
e2e_check "the unit checks the config before start and reload (-n)" \
	test "$(grep -c -- ' -n -c ' "$unit")" = 2

e2e_summary
