# shellcheck shell=bash
#
# tests/e2e/lib/sendmail.sh - a private, loopback-only Sendmail for e2e tests.
#
# Debian packages: apt (apt-get download), dpkg (dpkg-deb), m4, util-linux
#   (unshare, setsid, mount, flock), hostname, libwrap0 and the other
#   shared libraries of sendmail-bin (libdb5.3, libldap-2.5-0, liblockfile1,
#   libnsl2, libsasl2-2, libssl3: sendmail_fetch names any that is missing),
#   python3 (optional: the /dev/log reader that gives Sendmail a log).
#   sendmail-bin, sendmail-base and sendmail-cf are DOWNLOADED, never
#   installed: sendmail-bin conflicts with postfix in apt.
# Needs: root (unshare -m -u, mount), and common.sh sourced first.
#
# Provides:
#   sendmail_fetch CACHEDIR
#       apt-get downloads sendmail-bin, sendmail-base and sendmail-cf into
#       CACHEDIR/debs (once) and unpacks them into CACHEDIR/root (once), then
#       sets SENDMAIL_ROOT=CACHEDIR/root.  Runs "apt-get update" once if the
#       download fails; holds a flock on CACHEDIR/.lock meanwhile, so that
#       parallel runs can share CACHEDIR.  Checks that sendmail finds all its
#       shared libraries.  Call it in the test's own shell, not in $(...).
#   sendmail_start WORKDIR PORT MILTER_SOCKET
#       Builds WORKDIR/etc/sendmail.cf from $SENDMAIL_ROOT's cf/m4/cf.m4 and
#       a generated sendmail.mc, and runs "sendmail -bD" in the background,
#       in its own session, mount and UTS namespaces (unshare -m -u) where the
#       host name is sendmail-e2e.example.test and /etc/hosts, /etc/resolv.conf
#       ("nameserver 127.0.0.1"), /etc/nsswitch.conf ("hosts: files") and,
#       with the log reader, /dev (for /dev/log) are the instance's own: it
#       neither waits on DNS nor sends a query off the machine.  It listens on
#       127.0.0.1:PORT only (no MSA on 587).  MILTER_SOCKET is a path or
#       unix:/path (inet:PORT@127.0.0.1 works too, but costs ~43 ms a milter
#       step).  Every recipient is delivered by the "sink" mailer, which
#       appends the message to WORKDIR/sink/mbox: nothing leaves the machine.
#       Environment: SENDMAIL_SYSLOG=0 turns the log reader off (default on
#       when python3 exists; the log is WORKDIR/maillog); SENDMAIL_LOGLEVEL
#       (default 13); SENDMAIL_MC_EXTRA, lines added to the .mc before the
#       MAILER lines; SENDMAIL_MILTER_MC, lines that replace the built-in
#       INPUT_MAIL_FILTER line (an administrator's snippet such as
#       contrib/sendmail/replymilter.mc, its socket path substituted: its
#       milter definition and macro lists then win over the built-in ones;
#       MILTER_SOCKET is then used only to check the argument).
#   sendmail_stop WORKDIR
#       SIGTERM to the daemon's process group (its PID is in
#       WORKDIR/sendmail.pgid), SIGKILL after 10 s, then stops the log
#       reader.  Idempotent; safe when start failed half-way.
#   The log (WORKDIR/maillog, empty without the log reader) and the sink
#   (WORKDIR/sink/mbox) are read with common.sh's mta_log, mta_wait_log,
#   mta_sink, mta_wait_sink.
#
# How it fails: functions return 1 with "#" diagnostics on stderr (for
# sendmail_start: the m4 errors, sendmail's own output and its log).  A
# sendmail_start that failed may have left processes: call sendmail_stop,
# e.g. from a cleanup registered before the start.

SENDMAIL_HOSTNAME=sendmail-e2e.example.test

# sendmail_fetch CACHEDIR - returns 0 with SENDMAIL_ROOT set, 1 on failure
sendmail_fetch() {
	local cache=$1 missing
	mkdir -p -- "$cache/debs" && cache=$(cd -- "$cache" && pwd) || return 1
	# One fetch at a time per cache (parallel test runs share it).
	(
		flock 9 || exit 1
		sendmail_fetch_locked "$cache"
	) 9>"$cache/.lock" || return 1
	missing=$(ldd "$cache/root/usr/libexec/sendmail/sendmail" 2>&1 |
		awk '/not found/ { print $1 }' | tr '\n' ' ')
	if [ -n "$missing" ]; then
		e2e_note "sendmail_fetch: sendmail lacks shared libraries: $missing"
		e2e_note "  install sendmail-bin's dependencies, e.g. apt-get install libwrap0"
		e2e_note "  (it depends on: $(dpkg-deb -f "$cache"/debs/sendmail-bin_*.deb Depends))"
		return 1
	fi
	SENDMAIL_ROOT=$cache/root
	export SENDMAIL_ROOT
}

# sendmail_apt_download DIR - apt-get download the three packages into DIR
sendmail_apt_download() {
	# Sandbox user root: apt's _apt user could not write into DIR.
	(cd -- "$1" && apt-get -q -o APT::Sandbox::User=root download \
		sendmail-bin sendmail-base sendmail-cf)
}

# sendmail_fetch_locked CACHEDIR - download and unpack unless done; returns 0
# when CACHEDIR/root is complete
sendmail_fetch_locked() {
	local cache=$1 deb tmp
	[ -x "$cache/root/usr/libexec/sendmail/sendmail" ] &&
		[ -f "$cache/root/usr/share/sendmail/cf/m4/cf.m4" ] && return 0
	if ! ls "$cache"/debs/sendmail-cf_*.deb >/dev/null 2>&1 ||
		! ls "$cache"/debs/sendmail-bin_*.deb >/dev/null 2>&1 ||
		! ls "$cache"/debs/sendmail-base_*.deb >/dev/null 2>&1; then
		if ! sendmail_apt_download "$cache/debs" >"$cache/download.out" 2>&1; then
			# Perhaps the package lists are missing or stale.
			apt-get -q update >>"$cache/download.out" 2>&1
			sendmail_apt_download "$cache/debs" >>"$cache/download.out" 2>&1 || {
				e2e_note "sendmail_fetch: apt-get download failed:"
				sed 's/^/#   /' "$cache/download.out" >&2
				return 1
			}
		fi
	fi
	tmp=$(mktemp -d "$cache/root.new.XXXXXX") || return 1
	for deb in "$cache"/debs/sendmail-bin_*.deb \
		"$cache"/debs/sendmail-base_*.deb "$cache"/debs/sendmail-cf_*.deb; do
		dpkg-deb -x "$deb" "$tmp" || {
			e2e_note "sendmail_fetch: cannot unpack $deb"
			rm -rf -- "$tmp"
			return 1
		}
	done
	rm -rf -- "$cache/root" && mv -T -- "$tmp" "$cache/root"
}

# sendmail_write_mc WORKDIR PORT MILTER_SPEC - write WORKDIR/etc/sendmail.mc
sendmail_write_mc() {
	local dir=$1 port=$2 milter=$3 filter
	filter="INPUT_MAIL_FILTER(\`e2e', \`S=$milter, F=T, T=C:10s;S:10s;R:20s;E:30s')dnl"
	[ -n "${SENDMAIL_MILTER_MC:-}" ] && filter=$SENDMAIL_MILTER_MC
	# m4 passes $ through; rules need TABs between their parts.
	cat >"$dir/etc/sendmail.mc" <<EOF
divert(-1)
# Private e2e Sendmail instance, written by tests/e2e/lib/sendmail.sh.
divert(0)dnl
VERSIONID(\`replymilter e2e')dnl
OSTYPE(\`linux')dnl
define(\`MAIL_SETTINGS_DIR', \`$dir/etc/')dnl
define(\`confDOMAIN_NAME', \`$SENDMAIL_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$dir/queue')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
define(\`HELP_FILE', \`$dir/etc/helpfile')dnl
undefine(\`ALIAS_FILE')dnl
undefine(\`STATUS_FILE')dnl
define(\`confSERVICE_SWITCH_FILE', \`$dir/etc/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_RESOLVER_RETRANS', \`1s')dnl
define(\`confTO_RESOLVER_RETRY', \`1')dnl
define(\`confDELIVERY_MODE', \`interactive')dnl
define(\`confQUEUE_LA', \`999')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confLOG_LEVEL', \`${SENDMAIL_LOGLEVEL:-13}')dnl
define(\`confMILTER_LOG_LEVEL', \`${SENDMAIL_LOGLEVEL:-13}')dnl
define(\`confMILTER_MACROS_CONNECT', \`\`j, _, v, {daemon_name}, {daemon_addr}, {daemon_port}, {if_name}, {if_addr}, {client_addr}, {client_port}, {client_name}, {client_ptr}, {client_resolve}'')dnl
define(\`confMILTER_MACROS_HELO', \`\`{tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}'')dnl
define(\`confMILTER_MACROS_ENVFROM', \`\`i, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, {mail_addr}'')dnl
define(\`confMILTER_MACROS_ENVRCPT', \`\`i, {rcpt_mailer}, {rcpt_host}, {rcpt_addr}'')dnl
define(\`confMILTER_MACROS_DATA', \`i')dnl
define(\`confMILTER_MACROS_EOH', \`i')dnl
define(\`confMILTER_MACROS_EOM', \`\`i, {msg_id}'')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Family=inet, Name=MTA')dnl
$filter
${SENDMAIL_MC_EXTRA:-}
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MAILER_DEFINITIONS
# The sink: every delivery appends the message to $dir/sink/mbox.
Msink,	P=$dir/sink.sh, F=lsmDFMPS, U=root:root, T=DNS/RFC822/X-Unix, A=sink.sh \$f \$u
LOCAL_RULE_0
# Deliver every address, local or remote, to the sink.
EOF
	# shellcheck disable=SC2016
	printf 'R$* < @ $* > $*\t$#sink $@ e2e-sink $: $1 < @ $2 > $3\n' >>"$dir/etc/sendmail.mc"
	# shellcheck disable=SC2016
	printf 'R$+\t$#sink $@ e2e-sink $: $1\n' >>"$dir/etc/sendmail.mc"
}

# sendmail_write_files WORKDIR - write the instance's other files
sendmail_write_files() {
	local dir=$1
	cp -- "$SENDMAIL_ROOT/etc/mail/helpfile" "$dir/etc/helpfile"
	# Sendmail's own service switch (no colons): no DNS.
	printf 'passwd\tfiles\nhosts\tfiles\naliases\tfiles\n' >"$dir/etc/service.switch"
	# The namespace's /etc/hosts, /etc/resolv.conf and /etc/nsswitch.conf.
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s %s\n' \
		"$SENDMAIL_HOSTNAME" "${SENDMAIL_HOSTNAME%%.*}" >"$dir/etc/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/etc/resolv.conf"
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$dir/etc/nsswitch.conf"
	cat >"$dir/sink.sh" <<'EOF'
#!/bin/sh
# The e2e Sendmail's sink mailer: sink.sh SENDER RECIPIENT... < message.
# Sendmail's input starts with its "From " line; an X-E2E-Envelope-To
# header with the envelope recipients goes after it.
shift
dir=$(dirname "$0")
{
	IFS= read -r from_line
	printf '%s\n' "$from_line"
	printf 'X-E2E-Envelope-To: %s\n' "$*"
	cat
	printf '\n'
} >>"$dir/sink/mbox"
EOF
	chmod 0755 "$dir/sink.sh"
	# The namespace-only script: private identity, then exec sendmail.
	cat >"$dir/ns-start.sh" <<'EOF'
#!/bin/sh
# Runs inside "unshare -m -u": ns-start.sh WORKDIR HOSTNAME SENDMAIL-BINARY
set -e
dir=$1 name=$2 sendmail=$3
mount --make-rprivate /
hostname "$name"
mount --bind "$dir/etc/hosts" /etc/hosts
if [ -e /etc/resolv.conf ]; then
	mount --bind "$dir/etc/resolv.conf" /etc/resolv.conf
fi
if [ -e /etc/nsswitch.conf ]; then
	mount --bind "$dir/etc/nsswitch.conf" /etc/nsswitch.conf
fi
if [ -S "$dir/syslog.sock" ]; then
	# A /dev of our own with the few nodes Sendmail uses and a /dev/log
	# that leads to the log reader.
	mkdir -p "$dir/dev"
	for node in null zero full random urandom; do
		[ -e "/dev/$node" ] || continue
		: >"$dir/dev/$node"
		mount --bind "/dev/$node" "$dir/dev/$node"
	done
	ln -sf "$dir/syslog.sock" "$dir/dev/log"
	mount --rbind "$dir/dev" /dev
fi
exec "$sendmail" -bD -C "$dir/etc/sendmail.cf" -L sm-e2e </dev/null
EOF
	chmod 0755 "$dir/ns-start.sh"
}

# sendmail_start_syslog WORKDIR - start the /dev/log reader; returns 0 when
# it listens or is turned off, 1 on failure
sendmail_start_syslog() {
	local dir=$1 pid
	[ "${SENDMAIL_SYSLOG:-1}" = 0 ] && return 0
	if ! command -v python3 >/dev/null 2>&1; then
		e2e_note "sendmail_start: no python3, so no Sendmail log"
		return 0
	fi
	# Unix socket paths are limited to 107 bytes.
	if [ "${#dir}" -gt 90 ]; then
		e2e_note "sendmail_start: $dir is too long for a socket path: no log"
		return 0
	fi
	: >"$dir/maillog"
	python3 -c '
import os, re, signal, socket, sys
path, out = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as log:
    while True:
        data = sock.recv(65536).rstrip(b"\0\n")
        log.write(re.sub(rb"^<[0-9]+>", b"", data) + b"\n")
' "$dir/syslog.sock" "$dir/maillog" </dev/null >"$dir/syslog.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/syslog.pid"
	e2e_wait_socket "$dir/syslog.sock" 10 || {
		e2e_note "sendmail_start: the log reader did not start:"
		sed 's/^/#   /' "$dir/syslog.out" >&2
		return 1
	}
}

# sendmail_start WORKDIR PORT MILTER_SOCKET - returns 0 once Sendmail listens
# on 127.0.0.1:PORT, 1 on failure
sendmail_start() {
	local dir=$1 port=$2 milter=$3 pid
	if [ -z "${SENDMAIL_ROOT:-}" ] || [ ! -d "$SENDMAIL_ROOT" ]; then
		e2e_note "sendmail_start: SENDMAIL_ROOT is not set: call sendmail_fetch"
		return 1
	fi
	case $milter in
	unix:* | local:* | inet:* | inet6:*) ;;
	/*) milter=unix:$milter ;;
	*)
		e2e_note "sendmail_start: bad milter socket '$milter'"
		return 1
		;;
	esac
	mkdir -p -- "$dir" && dir=$(cd -- "$dir" && pwd) || return 1
	mkdir -p -- "$dir/etc" "$dir/sink" "$dir/queue" || return 1
	# Sendmail insists on a queue only root can read; the rest 0755.
	chmod 0755 -- "$dir" "$dir/etc" "$dir/sink" && chmod 0700 -- "$dir/queue" ||
		return 1
	echo "$port" >"$dir/port"

	sendmail_write_mc "$dir" "$port" "$milter"
	sendmail_write_files "$dir"
	# cf.m4 reports its errors as "*** ERROR: ..." and still exits 0.
	if ! m4 -D_CF_DIR_="$SENDMAIL_ROOT/usr/share/sendmail/cf/" \
		"$SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$dir/etc/sendmail.mc" \
		>"$dir/etc/sendmail.cf" 2>"$dir/m4.err" || grep -q ERROR "$dir/m4.err"; then
		e2e_note "sendmail_start: m4 failed on $dir/etc/sendmail.mc:"
		sed 's/^/#   /' "$dir/m4.err" >&2
		return 1
	fi
	[ -s "$dir/m4.err" ] && sed 's/^/# m4: /' "$dir/m4.err" >&2

	sendmail_start_syslog "$dir" || return 1

	# setsid: its own session and process group, so that sendmail_stop
	# reaches every child.  Without job control a background job is no
	# group leader, so setsid does not fork and $! is the daemon's PID
	# (unshare and sh exec too); the PID file confirms it below.
	setsid unshare -m -u /bin/sh "$dir/ns-start.sh" "$dir" "$SENDMAIL_HOSTNAME" \
		"$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" \
		>"$dir/sendmail.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/sendmail.pgid"
	if ! e2e_wait_port 127.0.0.1 "$port" 20; then
		e2e_note "sendmail_start: Sendmail is not listening on 127.0.0.1:$port"
		e2e_alive "$pid" || e2e_note "sendmail_start: PID $pid has exited"
		sed 's/^/#   out: /' "$dir/sendmail.out" >&2
		mta_log "$dir" | sed 's/^/#   log: /' >&2
		return 1
	fi
	# The daemon leads its process group: prefer its own word on its PID.
	if read -r pid 2>/dev/null <"$dir/sendmail.pid" && e2e_alive "$pid"; then
		echo "$pid" >"$dir/sendmail.pgid"
	fi
	return 0
}

# sendmail_stop WORKDIR - returns 0 once no process of the instance is left,
# 1 if one survived SIGKILL
sendmail_stop() {
	local dir=$1 pgid pid status=0
	if read -r pgid 2>/dev/null <"$dir/sendmail.pgid"; then
		e2e_stop_pgrp "$pgid" 10 || status=1
		wait "$pgid" 2>/dev/null || true
		rm -f -- "$dir/sendmail.pgid"
	fi
	if read -r pid 2>/dev/null <"$dir/syslog.pid"; then
		e2e_stop_pid "$pid" 5
		rm -f -- "$dir/syslog.pid"
	fi
	return "$status"
}
