# shellcheck shell=bash
#
# tests/e2e/lib/postfix.sh - a private, loopback-only Postfix for e2e tests.
#
# Debian packages: postfix (installed with debconf "No configuration" is
#   enough: /etc/postfix is read for postfix-files and dynamicmaps.cf only and
#   never written), coreutils, util-linux (runuser, for an access check),
#   base-passwd (user nobody, for the sink transport).
# Needs: root (Postfix drops to the "postfix" user, "postdrop" group), and
#   common.sh sourced first.
#
# Provides:
#   postfix_start WORKDIR PORT MILTER_SPEC [EXTRA_MAIN_CF_LINES]
#       Writes WORKDIR/etc/{main.cf,master.cf}, keeps the queue in
#       WORKDIR/queue, data in WORKDIR/data and the log in WORKDIR/maillog,
#       starts "postfix -c WORKDIR/etc start" with smtpd on 127.0.0.1:PORT and
#       waits until it accepts connections.  MILTER_SPEC is Postfix syntax
#       (unix:/path/sock or inet:127.0.0.1:PORT); empty means no milter.
#       EXTRA_MAIN_CF_LINES (newline-separated "name = value", no continuation
#       lines) replace or add to the defaults below, via postconf -e.  Every recipient goes to the
#       discard transport: nothing leaves the machine; a delivery is logged as
#       "discard[PID]: QUEUEID: to=<RCPT>, relay=none, ... status=sent (DOMAIN)".
#       Environment: POSTFIX_MASTER_EXTRA, lines appended to master.cf
#       (e.g. a second smtpd listener with its own -o options).
#       A "sink" pipe transport is always defined: with "default_transport =
#       sink" (and relay_, local_, virtual_transport) in EXTRA, each message
#       is appended, as Postfix delivers it (headers a milter added
#       included), to WORKDIR/sink/mbox after a "From " line and an
#       "X-E2E-Envelope-To:" header; nothing leaves the machine either way.
#       The postfix user must be able to connect to a unix milter socket:
#       every directory on its path must be searchable (e2e_init makes
#       $E2E_TMP 0755) and the socket writable, so start the milter with
#       umask 0 or chmod the socket.  A warning is printed if it is not.
#   postfix_stop WORKDIR
#       "postfix stop", then waits for the master's process group to empty
#       (SIGKILL after 10 s).  Idempotent; safe when start failed half-way.
#   postfix_master_pid WORKDIR
#       Prints the master's PID (also the instance's process group).
#   The log (WORKDIR/maillog) and the sink (WORKDIR/sink/mbox) are read
#   with common.sh's mta_log, mta_wait_log, mta_sink, mta_wait_sink.
#
# How it fails: postfix_start returns 1 and prints the start output and the
# log as "#" lines on stderr (it does not stop what it started: call
# postfix_stop, e.g. from a cleanup registered before the start).

# postfix_start WORKDIR PORT MILTER_SPEC [EXTRA] - returns 0 when smtpd
# listens on 127.0.0.1:PORT, 1 on failure
postfix_start() {
	local dir=$1 port=$2 milter=$3 extra=${4:-} sock line
	mkdir -p -- "$dir" && dir=$(cd -- "$dir" && pwd) || return 1
	# The postfix command chdirs to the queue before anything else; the
	# rest of the queue and data directories "postfix start" creates
	# itself, with the right owners.  Postfix must be able to search them.
	mkdir -p -- "$dir/etc" "$dir/queue" "$dir/sink" || return 1
	chmod 0755 -- "$dir" "$dir/etc" "$dir/queue"
	# The sink runs as user nobody (pipe(8) refuses root and postfix).
	chown nobody -- "$dir/sink" && chmod 0755 -- "$dir/sink" || return 1
	cat >"$dir/sink.sh" <<'SINK'
#!/bin/sh
# The e2e Postfix's sink transport: sink.sh RECIPIENT... < message (with
# pipe(8)'s "From " line first); appends the message to sink/mbox.
dir=$(dirname "$0")
{
	IFS= read -r from_line
	printf '%s\n' "$from_line"
	printf 'X-E2E-Envelope-To: %s\n' "$*"
	cat
	printf '\n'
} >>"$dir/sink/mbox"
SINK
	chmod 0755 -- "$dir/sink.sh"
	echo "$port" >"$dir/port"

	cat >"$dir/etc/main.cf" <<EOF
# Private e2e Postfix instance, written by tests/e2e/lib/postfix.sh.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = postfix-e2e.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no

# Loopback only, and no DNS.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
disable_dns_lookups = yes
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject

# Every delivery is discarded: nothing ever leaves the machine.
default_transport = discard
relay_transport = discard
local_transport = discard
virtual_transport = discard

# No artificial delays in tests.
smtpd_error_sleep_time = 0
in_flow_delay = 0

# The milter.
smtpd_milters = $milter
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_command_timeout = 20s
milter_content_timeout = 30s
milter_connect_macros = j _ v {daemon_name} {daemon_addr} {daemon_port} {if_name} {if_addr} {client_addr} {client_port} {client_name} {client_ptr} {client_connections}
milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer} {queue_id}
milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer} {queue_id}
milter_data_macros = i {queue_id}
milter_end_of_header_macros = i {queue_id}
milter_end_of_data_macros = i {queue_id} {msg_id}
milter_unknown_command_macros =
EOF
	# The caller's lines replace the defaults in place (postconf -e), so
	# that Postfix does not warn about an "overriding earlier entry".
	while IFS= read -r line; do
		case $line in
		'' | '#'*) continue ;;
		esac
		postconf -c "$dir/etc" -e "$line" || {
			e2e_note "postfix_start: bad main.cf line: $line"
			return 1
		}
	done <<<"$extra"

	cat >"$dir/etc/master.cf" <<EOF
# Private e2e Postfix instance, written by tests/e2e/lib/postfix.sh.
# service       type  private unpriv chroot wakeup maxproc command
127.0.0.1:$port inet  n       -      n      -      -       smtpd
pickup          unix  n       -      n      60     1       pickup
cleanup         unix  n       -      n      -      0       cleanup
qmgr            unix  n       -      n      300    1       qmgr
rewrite         unix  -       -      n      -      -       trivial-rewrite
bounce          unix  -       -      n      -      0       bounce
defer           unix  -       -      n      -      0       bounce
trace           unix  -       -      n      -      0       bounce
verify          unix  -       -      n      -      1       verify
flush           unix  n       -      n      1000?  0       flush
proxymap        unix  -       -      n      -      -       proxymap
showq           unix  n       -      n      -      -       showq
error           unix  -       -      n      -      -       error
retry           unix  -       -      n      -      -       error
discard         unix  -       -      n      -      -       discard
anvil           unix  -       -      n      -      1       anvil
scache          unix  -       -      n      -      1       scache
postlog         unix-dgram n  -      n      -      1       postlogd
sink            unix  -       n      n      -      1       pipe
  flags=FRX user=nobody argv=$dir/sink.sh \${recipient}
EOF
	if [ -n "${POSTFIX_MASTER_EXTRA:-}" ]; then
		printf '%s\n' "$POSTFIX_MASTER_EXTRA" >>"$dir/etc/master.cf"
	fi

	# Warn early about a unix milter socket that smtpd (user postfix)
	# could not connect to; the milter may legitimately start later.
	case $milter in
	unix:*)
		sock=${milter#unix:}
		if [ -S "$sock" ] && command -v runuser >/dev/null 2>&1 &&
			! runuser -u postfix -- test -w "$sock"; then
			e2e_note "postfix_start: user postfix cannot use $sock (umask 0 for the milter?)"
		fi
		;;
	esac

	if ! postfix -c "$dir/etc" start >"$dir/start.out" 2>&1; then
		e2e_note "postfix_start: 'postfix -c $dir/etc start' failed:"
		sed 's/^/#   /' "$dir/start.out" >&2
		mta_log "$dir" | sed 's/^/#   log: /' >&2
		return 1
	fi
	if ! e2e_wait_port 127.0.0.1 "$port" 15; then
		e2e_note "postfix_start: smtpd is not listening on 127.0.0.1:$port"
		mta_log "$dir" | sed 's/^/#   log: /' >&2
		return 1
	fi
	return 0
}

# postfix_master_pid WORKDIR - print the master's PID if it runs; returns 1
# if it does not
postfix_master_pid() {
	local pid
	read -r pid 2>/dev/null <"$1/queue/pid/master.pid" || return 1
	[ -n "$pid" ] && e2e_alive "$pid" && echo "$pid"
}

# postfix_stop WORKDIR - returns 0 once no process of the instance is left,
# 1 if one survived SIGKILL
postfix_stop() {
	local dir=$1 pid
	[ -d "$dir/etc" ] || return 0
	pid=$(postfix_master_pid "$dir") || return 0
	postfix -c "$dir/etc" stop >>"$dir/stop.out" 2>&1 ||
		e2e_note "postfix_stop: 'postfix stop' failed, see $dir/stop.out"
	# The master leads its own process group; its children are in it.
	e2e_wait_gone "$pid" 10 || e2e_note "postfix_stop: master $pid still runs"
	e2e_stop_pgrp "$pid" 10
}
