#!/bin/sh
# server.sh - a private DNS server on loopback for the tests: unbound
# answering from the zones in tests/dns/unbound.conf.in, and a black hole
# (tests/dns/tool.py) that never answers, to which unbound forwards
# timeout.test so that lookups there time out.
#
# Source it and call the functions, or run it:
#   . tests/dns/server.sh
#   dns_server_start DIR [OWNER_PID] && port=$(cat DIR/port) ...
#   dns_server_stop DIR
#   tests/dns/server.sh start DIR [OWNER_PID]   /   server.sh stop DIR
#
# DIR must exist and be empty; start leaves in it
#   port             unbound's port on 127.0.0.1 (and on ::1 when ipv6 is 1)
#   ipv6             1 when unbound also listens on [::1]:port, else 0
#   blackhole.port   the black hole's UDP port on 127.0.0.1
#   unbound.log      one line per query received ("info: 127.0.0.1 NAME. A IN")
#   blackhole.port.log   one line per datagram the black hole swallowed
# With OWNER_PID, a watchdog stops both when that process is gone, so a
# crashed test leaves nothing running.  stop ends only the processes whose
# ids start wrote into DIR, then removes DIR.
# Needs: unbound (Debian package unbound) and python3.  Exit status of
# start: 0, or 1 with the reason on stderr (and nothing left running).

dns_server_srcdir=${DNS_SERVER_SRCDIR:-${top_srcdir:-.}/tests/dns}

# dns_server_running PID - whether process PID runs: exists and is not a
# zombie (an orphan whose parent, such as a container's init, never reaps
# it still answers kill -0).
dns_server_running() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		case $(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) in
		Z*|X*) return 1 ;;
		esac
	fi
	return 0
}

# dns_server_pid_alive FILE - whether the process named in FILE runs.
dns_server_pid_alive() {
	[ -s "$1" ] && dns_server_running "$(cat "$1")"
}

# dns_server_kill FILE - end the process named in FILE: TERM, then KILL.
dns_server_kill() {
	[ -s "$1" ] || return 0
	_pid=$(cat "$1")
	rm -f "$1"
	kill "$_pid" 2>/dev/null || return 0
	_n=0
	while dns_server_running "$_pid" && [ $_n -lt 40 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	dns_server_running "$_pid" && kill -9 "$_pid" 2>/dev/null
	return 0
}

# dns_server_start DIR [OWNER_PID] - start the servers; 0 when answering.
dns_server_start() {
	_dir=$1
	_owner=${2:-}
	_src=$dns_server_srcdir
	_unbound=
	for _p in "$(command -v unbound 2>/dev/null)" /usr/sbin/unbound; do
		[ -n "$_p" ] && [ -x "$_p" ] && { _unbound=$_p; break; }
	done
	if [ -z "$_unbound" ]; then
		echo "server.sh: unbound not found:" \
		    "install the Debian package unbound" >&2
		return 1
	fi
	if [ ! -d "$_dir" ]; then
		echo "server.sh: $_dir: no such directory" >&2
		return 1
	fi
	: > "$_dir/.dns-server"

	python3 "$_src/tool.py" blackhole "$_dir/blackhole.port" \
		</dev/null >"$_dir/blackhole.out" 2>&1 &
	echo $! > "$_dir/blackhole.pid"
	_n=0
	while [ ! -s "$_dir/blackhole.port" ] && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	if [ ! -s "$_dir/blackhole.port" ]; then
		echo "server.sh: the black hole did not start:" >&2
		cat "$_dir/blackhole.out" >&2
		dns_server_kill "$_dir/blackhole.pid"
		return 1
	fi
	_bh=$(cat "$_dir/blackhole.port")

	if python3 "$_src/tool.py" has-ipv6; then _v6=1; else _v6=0; fi
	echo $_v6 > "$_dir/ipv6"
	# A port found free may be taken before unbound binds it: try again.
	for _try in 1 2 3 4 5; do
		_port=$(python3 "$_src/tool.py" freeport) || break
		_if6="# no IPv6 on this host"
		[ $_v6 = 1 ] && _if6="interface: ::1@$_port"
		sed -e "s|@DIR@|$_dir|g" -e "s|@PORT@|$_port|g" \
		    -e "s|@BLACKHOLE_PORT@|$_bh|g" \
		    -e "s|@IPV6_INTERFACE@|$_if6|g" \
		    "$_src/unbound.conf.in" > "$_dir/unbound.conf"
		"$_unbound" -d -c "$_dir/unbound.conf" \
			</dev/null >"$_dir/unbound.out" 2>&1 &
		echo $! > "$_dir/unbound.pid"
		_n=0
		while [ $_n -lt 100 ]; do
			if python3 "$_src/tool.py" probe "$_port" ready.test
			then
				echo "$_port" > "$_dir/port"
				break 2
			fi
			dns_server_pid_alive "$_dir/unbound.pid" || break
			sleep 0.05
			_n=$((_n + 1))
		done
		dns_server_kill "$_dir/unbound.pid"
	done
	if [ ! -s "$_dir/port" ]; then
		echo "server.sh: unbound did not start:" >&2
		cat "$_dir/unbound.out" "$_dir/unbound.log" >&2 2>/dev/null
		dns_server_kill "$_dir/blackhole.pid"
		return 1
	fi

	if [ -n "$_owner" ]; then
		(
			while dns_server_running "$_owner" &&
			    [ -f "$_dir/.dns-server" ]; do
				sleep 1
			done
			rm -f "$_dir/watchdog.pid"
			dns_server_stop "$_dir"
		) </dev/null >/dev/null 2>&1 &
		echo $! > "$_dir/watchdog.pid"
	fi
	return 0
}

# dns_server_stop DIR - stop what dns_server_start started, remove DIR.
dns_server_stop() {
	_dir=$1
	[ -f "$_dir/.dns-server" ] || return 0
	dns_server_kill "$_dir/watchdog.pid"
	dns_server_kill "$_dir/unbound.pid"
	dns_server_kill "$_dir/blackhole.pid"
	rm -rf "$_dir"
}

case "${0##*/}" in
server.sh)
	dns_server_srcdir=${DNS_SERVER_SRCDIR:-$(dirname "$0")}
	case "${1:-}" in
	start) [ $# -ge 2 ] && dns_server_start "$2" "${3:-}"; exit $? ;;
	stop) [ $# -ge 2 ] && dns_server_stop "$2"; exit $? ;;
	*) echo "usage: $0 start DIR [OWNER_PID] | stop DIR" >&2; exit 2 ;;
	esac
	;;
esac
