#!/bin/bash
#
# tests/metrics.sh - the Prometheus endpoint (metrics_listen) of a running
# replymilter: exact counts after known traffic, reloads, health, and bad
# clients that must leave both the endpoint and the milter serving.
#
# It starts replymilter on a unix socket with a three-rule policy and
# metrics_listen on a free loopback port, sends tests/metrics/traffic.lua
# through miltertest (2 messages: 6 refused recipients, 2 dry runs), and
# reads http://127.0.0.1:PORT/metrics with python3 (replies, check
# results, the DNS families); then reloads a good
# and a broken config (SIGHUP), reads the same through replymilter --stats,
# and sends the endpoint a wrong path, a
# POST, a 100 KB header, a client that never finishes its request, and
# more idle connections than the server takes, checking after each that
# the milter still answers and the endpoint still serves; last, the
# endpoint on a unix socket (metrics_listen = "unix:/PATH").  Everything it
# starts is stopped, every file removed, on every exit path.
#
# Debian packages: miltertest, python3, libmicrohttpd (built in: configure
#   found libmicrohttpd-dev).
# Needs: root, like the other end-to-end scripts; exits 77 (skip) when not
#   root, or when replymilter is built without the endpoint.
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
. "$here/lib/live.sh"
root_or_skip "the live tests run as root"
. "$here/e2e/lib/common.sh"
. "$here/e2e/lib/replymilter.sh"

e2e_require miltertest miltertest
e2e_require python3 python3
e2e_init replymilter-metrics

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"
port=$(e2e_free_port) || e2e_bail "no free port"
url=http://127.0.0.1:$port

conf() {
	cat <<CONF
socket_mode = "0666"
metrics_listen = "127.0.0.1:$port"
rule "spf-fail" {
    stage = rcpt
    rcpt  = "/^spf-fail@/"
    reply = "5.7.23"
}
rule "watch" {
    stage  = mail
    sender = "/^watch@/"
    mode   = dry-run
    action = reject
}
rule "authenticated" {
    stage = mail
    check = "auth: yes"
    reply = "5.7.1"
}
rule "per-sender" {
    stage = rcpt
    rate  = "sender 100/1h"
}
CONF
}
conf >"$E2E_TMP/good.conf"
if ! "$bin" -n -c "$E2E_TMP/good.conf" >"$E2E_TMP/check.out" 2>&1; then
	if grep -q "built without the metrics endpoint" "$E2E_TMP/check.out"; then
		echo "SKIP: $0: replymilter is built without libmicrohttpd"
		exit 77
	fi
fi
rm_start "$E2E_TMP/good.conf"
e2e_wait_port 127.0.0.1 "$port" 5 || e2e_bail "the endpoint does not listen on $port"

# get PATH [METHOD] - print "STATUS BODY" of one request
get() {
	python3 - "$url$1" "${2:-GET}" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], method=sys.argv[2],
                             data=b"x" if sys.argv[2] == "POST" else None)
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}

# metric SERIES - print the value of the series (its full name with labels,
# as the endpoint writes it), or "missing"
metric() {
	get /metrics | awk -v s="$1" '
		{ sub(/^200 /, "") }
		index($0, s " ") == 1 { print substr($0, length(s) + 2); found = 1 }
		END { if (!found) print "missing" }'
}

# traffic LABEL - the miltertest script, checked
traffic() {
	timeout 60 miltertest -D "libdir=$here/miltertest" \
		-D "socket=unix:$RM_SOCK" -s "$here/metrics/traffic.lua" \
		>"$E2E_TMP/mt.out" 2>&1
	local rc=$?
	e2e_check "$1: miltertest traffic passes (status $rc)" \
		grep -qE '^[0-9]+ passed, 0 failed$' "$E2E_TMP/mt.out"
}

rej='replymilter_replies_total{rule="spf-fail",stage="rcpt",code="550",enhanced="5.7.23",action="reject",mode="enforce"}'
dry='replymilter_replies_total{rule="watch",stage="mail",code="550",enhanced="5.7.1",action="reject",mode="dry-run"}'

# Before any traffic: every series there, at 0.
e2e_check "before traffic: the refusals count 0" test "$(metric "$rej")" = 0
e2e_check "before traffic: the dry runs count 0" test "$(metric "$dry")" = 0
e2e_check "build_info names the version" \
	test "$(get /metrics | grep -c '^replymilter_build_info{version="[0-9.]*",regex_engine="[^"]*"} 1$')" = 1
e2e_check "config generation 1" test "$(metric replymilter_config_generation)" = 1

traffic "first"
e2e_check "6 refusals counted, with the code sent" test "$(metric "$rej")" = 6
e2e_check "2 dry runs counted" test "$(metric "$dry")" = 2
e2e_check "1 connection counted" test "$(metric replymilter_connections_total)" = 1
e2e_check "2 transactions counted" test "$(metric replymilter_transactions_total)" = 2
# libmilter closes the connection after miltertest has gone: wait for it.
for _ in $(seq 50); do
	[ "$(metric replymilter_connections_open)" = 0 ] && break
	sleep 0.1
done
e2e_check "no connection open after it" test "$(metric replymilter_connections_open)" = 0
# The auth check ran once per message (miltertest sends no {auth_authen});
# no DNS is configured, so no query and an empty histogram.
e2e_check "checks: auth no counted twice" \
	test "$(metric 'replymilter_checks_total{check="auth",result="no"}')" = 2
e2e_check "checks: auth yes counted 0" \
	test "$(metric 'replymilter_checks_total{check="auth",result="yes"}')" = 0
e2e_check "checks: spf fail there, at 0" \
	test "$(metric 'replymilter_checks_total{check="spf",result="fail"}')" = 0
e2e_check "dns: no query, histogram's +Inf bucket 0" \
	test "$(metric 'replymilter_dns_query_duration_seconds_bucket{le="+Inf"}')" = 0
e2e_check "dns: histogram's count 0" \
	test "$(metric replymilter_dns_query_duration_seconds_count)" = 0
e2e_check "dns: the histogram is typed" \
	grep -qx '# TYPE replymilter_dns_query_duration_seconds histogram' <(get /metrics | sed 's/^200 //')
for cause in memory condition check state limit milter; do
	e2e_check "no $cause failures" \
		test "$(metric "replymilter_failures_total{cause=\"$cause\"}")" = 0
done
# replymilter --stats: the same counts, as a table.
"$bin" --stats -c "$RM_CONF" >"$E2E_TMP/stats.out" 2>&1
rc=$?
e2e_check "--stats exits 0 (status $rc)" test "$rc" = 0
e2e_check "--stats: the refusals' row" \
	grep -qE '^spf-fail +rcpt +550 +5\.7\.23 +reject +enforce +6$' "$E2E_TMP/stats.out"
e2e_check "--stats: the dry runs' row" \
	grep -qE '^watch +mail +550 +5\.7\.1 +reject +dry-run +2$' "$E2E_TMP/stats.out"
e2e_check "--stats: the totals line" \
	grep -q 'connections 0 open 1 in all; messages 2$' "$E2E_TMP/stats.out"
# The local store's counters, through the endpoint's /ratelimit route:
# only the accepted recipient of each message reached the rate rule.
"$bin" --ratelimit-show -c "$RM_CONF" per-sender watch@example.net >"$E2E_TMP/rl.out" 2>&1
e2e_check "--ratelimit-show asks the daemon (local store): 2 of 100" \
	grep -qx 'per-sender watch@example.net: 2.0 of 100 in 100/1h' "$E2E_TMP/rl.out"
"$bin" --ratelimit-show -c "$RM_CONF" nope x >"$E2E_TMP/rl.out" 2>&1
rc=$?
e2e_check "--ratelimit-show of an unknown rule: exit 64 with why (status $rc)" \
	test "$rc" = 64 -a "$(cat "$E2E_TMP/rl.out")" = "replymilter: nope: no such rule"
e2e_check "/ratelimit/reset wants POST" \
	test "$(get '/ratelimit/reset?rule=per-sender&key=x' | cut -d' ' -f1)" = 405
"$bin" --ratelimit-reset -c "$RM_CONF" per-sender watch@example.net >/dev/null 2>&1
e2e_check "--ratelimit-reset, then the count is 0" \
	test "$(get '/ratelimit?rule=per-sender&key=watch@example.net')" = \
	"200 per-sender watch@example.net: 0.0 of 100 in 100/1h"
e2e_check "/metrics is text 0.0.4" test "$(python3 -c "
import urllib.request
print(urllib.request.urlopen('$url/metrics', timeout=5).headers['Content-Type'])")" = \
	"text/plain; version=0.0.4; charset=utf-8"

# Reloads: good (generation 2), then broken (kept, generation stays 2).
kill -HUP "$RM_PID"
e2e_wait_match "$RM_LOG" 'reload: .*rules' 5 >/dev/null
e2e_check "good reload: generation 2" test "$(metric replymilter_config_generation)" = 2
e2e_check "good reload counted" test "$(metric 'replymilter_reloads_total{result="good"}')" = 1
printf 'rule "broken" {\n    stage = nowhere\n}\n' >>"$RM_CONF"
kill -HUP "$RM_PID"
e2e_wait_match "$RM_LOG" 'the running policy stays' 5 >/dev/null
e2e_check "broken reload counted as refused" \
	test "$(metric 'replymilter_reloads_total{result="refused"}')" = 1
e2e_check "broken reload: generation stays 2" test "$(metric replymilter_config_generation)" = 2
conf >"$RM_CONF"

# Health.
e2e_check "/healthz 200" test "$(get /healthz)" = "200 ok"
e2e_check "/readyz 200" test "$(get /readyz)" = "200 ready"

# Bad clients.
e2e_check "a wrong path: 404" test "$(get /nope | cut -d' ' -f1)" = 404
e2e_check "a POST: 405" test "$(get /metrics POST | cut -d' ' -f1)" = 405
e2e_check "a 100 KB header: 431" test "$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
print(s.recv(12).decode().split(" ")[1])
PY
)" = 431
# A client that never ends its request, and 40 idle ones (the server
# takes 32): the milter goes on, and the endpoint serves once they go.
python3 - "$port" <<'PY' &
import socket, sys, time
held = []
for i in range(41):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
        if i == 0:
            s.sendall(b"GET /metr")
        held.append(s)
    except OSError:
        pass
time.sleep(3)
PY
holder=$!
e2e_cleanup_add e2e_stop_pid "$holder" 2
sleep 1
traffic "with the endpoint's connections all taken"
wait "$holder" 2>/dev/null
e2e_check "after the bad clients: the endpoint serves" test "$(metric "$rej")" = 12
e2e_check "replymilter still runs" e2e_alive "$RM_PID"

# A rule renamed by a reload: the old name's series goes, the new one
# starts at 0; the rule kept by name keeps its count.
conf | sed 's/rule "spf-fail"/rule "spf-fail-2"/' >"$RM_CONF"
mark=$(grep -c 'reload: ' "$RM_LOG")
kill -HUP "$RM_PID"
for _ in $(seq 50); do
	[ "$(grep -c 'reload: ' "$RM_LOG")" -gt "$mark" ] &&
		[ "$(metric replymilter_config_generation)" = 3 ] && break
	sleep 0.1
done
e2e_check "renamed rule: the old series is gone" test "$(metric "$rej")" = missing
e2e_check "renamed rule: the new one starts at 0" \
	test "$(metric "${rej/spf-fail/spf-fail-2}")" = 0
e2e_check "the rule kept by name keeps its count" test "$(metric "$dry")" = 4

kill -TERM "$RM_PID"
if e2e_wait_gone "$RM_PID" 10; then
	wait "$RM_PID"
	rc=$?
else
	rc=timeout
fi
e2e_check "SIGTERM: exit 0 (status $rc)" test "$rc" = 0
"$bin" --stats "$url/metrics" >/dev/null 2>"$E2E_TMP/stats.err"
rc=$?
e2e_check "--stats with no daemon: exit 69 (status $rc)" test "$rc" = 69
e2e_check "--stats with no daemon: says so" \
	grep -q "is replymilter running" "$E2E_TMP/stats.err"

# The endpoint on a unix socket: its folder made, a stale socket file
# replaced, mode 0660, the same counts through --stats, removed at exit.
msock=$E2E_TMP/run/metrics.sock
conf | sed "s|^metrics_listen = .*|metrics_listen = \"unix:$msock\"|" >"$E2E_TMP/unix.conf"
printf 'metrics_listen = "unix:run/metrics.sock"\n' >"$E2E_TMP/relative.conf"
"$bin" -n -c "$E2E_TMP/relative.conf" >"$E2E_TMP/relative.out" 2>&1
e2e_check "a relative socket path is refused at -n, with file and line" \
	grep -q "relative.conf:1: .*absolute path" "$E2E_TMP/relative.out"
mkdir -p "$E2E_TMP/run"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$msock"
rm_start "$E2E_TMP/unix.conf"
e2e_check "the stale socket file was replaced" grep -q "removed the stale socket $msock" "$RM_LOG"
e2e_check "the metrics socket has mode 0660" test "$(stat -c %a "$msock")" = 660
# log_format = json by a reload: from there every line is a JSON object,
# and the decision lines carry the text line's fields.
mark=$(rm_log_mark)
printf 'log_format = "json"\n' >>"$RM_CONF"
kill -HUP "$RM_PID"
e2e_wait_match "$RM_LOG" '^\{"level":"info","msg":"reload: ' 5 >/dev/null
traffic "metrics on a unix socket"
e2e_check "log_format = json: every line after the reload parses, 6 refusals logged" \
	test "$(tail -n +"$((mark + 1))" "$RM_LOG" | python3 -c '
import json, sys
lines = [l for l in sys.stdin if not l.startswith("replymilter: ")]
objs = [json.loads(l) for l in lines]
d = [o for o in objs if o.get("event") == "decision" and o["rule"] == "spf-fail"]
ok = all(o["stage"] == "rcpt" and o["action"] == "reject" and
         o["reply"].startswith("550 5.7.23 ") and o["queue_id"] and
         o["client"] and o["level"] == "info" for o in d)
print(len(d) if ok else "bad: %r" % d[:1])')" = 6
"$bin" --stats -c "$RM_CONF" >"$E2E_TMP/ustats.out" 2>&1
rc=$?
e2e_check "--stats through the unix socket of the config exits 0 (status $rc)" test "$rc" = 0
e2e_check "--stats through the unix socket: the refusals' row" \
	grep -qE '^spf-fail +rcpt +550 +5\.7\.23 +reject +enforce +6$' "$E2E_TMP/ustats.out"
e2e_check "--stats: the auth check's results" grep -qx 'check: auth no 2' "$E2E_TMP/ustats.out"
e2e_check "--stats: no DNS line without queries" test "$(grep -c '^dns:' "$E2E_TMP/ustats.out")" = 0
e2e_check "/healthz on the unix socket" \
	test "$(python3 - "$msock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode().split(" ", 1)[1])
PY
)" = "200 OK"
kill -TERM "$RM_PID"
e2e_wait_gone "$RM_PID" 10
e2e_check "the metrics socket is removed at exit" test ! -e "$msock"
e2e_summary
