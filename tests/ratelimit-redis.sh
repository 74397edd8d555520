#!/bin/bash
#
# tests/ratelimit-redis.sh - rate limits shared through a real Redis by
# two replymilter processes (two MX hosts), and what happens when Redis
# goes away and comes back.
#
# It starts redis-server on a free loopback port (its data in a temporary
# folder, nothing saved), and replymilter A and B with ratelimit_store
# pointing at it and the rule "sender 5/1h" at rcpt; and replymilter L,
# the same with ratelimit_on_error = local.  Through miltertest
# (tests/ratelimit/rcpts.lua): 3 recipients through A, 4 through B — the
# 6th and 7th of the shared limit of 5 are refused — and A refuses a
# further one: one counter, not one a host.  --ratelimit-show reads 5.
# Then Redis is stopped: A (on_error tempfail) answers on_failure, and
# says so once in its log; L (on_error local) counts in its own memory
# and goes on; /metrics counts the store errors and the fallbacks.  Redis
# is started again on the same port: A answers again after its backoff
# (a bounded wait) and logs that the store answers.  --ratelimit-reset
# clears the counter.  Everything it starts is stopped, every file
# removed, on every exit path.
#
# Debian packages: redis-server, miltertest, python3.
# Needs: root, like the other live scripts; exits 77 (skip) when not
#   root, with LIVE_TESTS=no, or when replymilter is built without hiredis
#   or the metrics endpoint.  Without redis-server it fails when
#   REQUIRE_REDIS_SERVER=1 (CI), else skips saying so.
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
. "$here/lib/live.sh"
root_or_skip "the live tests run as root"
. "$here/e2e/lib/common.sh"
. "$here/e2e/lib/replymilter.sh"

if ! command -v redis-server >/dev/null 2>&1; then
	[ "${REQUIRE_REDIS_SERVER:-}" = 1 ] &&
		{ echo "FAIL: $0: redis-server missing (apt-get install redis-server)"; exit 1; }
	echo "SKIP: $0: redis-server missing (apt-get install redis-server)"
	exit 77
fi
e2e_require miltertest miltertest
e2e_require python3 python3
e2e_init replymilter-ratelimit-redis

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"
rport=$(e2e_free_port) || e2e_bail "no free port"
mport=$(e2e_free_port) || e2e_bail "no free port"

# redis_start - redis-server on $rport, in the foreground of a job
redis_start() {
	mkdir -p "$E2E_TMP/redis"
	redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$E2E_TMP/redis" >>"$E2E_TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	e2e_cleanup_add e2e_stop_pid "$REDIS_PID" 5
	e2e_wait_port 127.0.0.1 "$rport" 10 || e2e_bail "redis-server does not listen on $rport"
}

# conf ON_ERROR [METRICS_PORT] - the policy
conf() {
	cat <<CONF
socket_mode = "0666"
ratelimit_store = "redis://127.0.0.1:$rport/0"
ratelimit_on_error = $1
ratelimit_timeout = 200
rule "per-sender" {
    stage = rcpt
    rate  = "sender 5/1h"
}
CONF
	[ -n "${2:-}" ] && echo "metrics_listen = \"127.0.0.1:$2\""
}

# milter NAME CONF - start replymilter NAME on $E2E_TMP/NAME.sock
milter() {
	local name=$1 conf=$2
	(umask 0 && exec "$bin" -f -c "$conf" -p "unix:$E2E_TMP/$name.sock" \
		-P "$E2E_TMP/$name.pid" -d info) </dev/null 2>>"$E2E_TMP/$name.log" &
	eval "PID_$name=\$!"
	e2e_cleanup_add e2e_stop_pid "$!" 10
	e2e_wait_socket "$E2E_TMP/$name.sock" 10 || {
		sed 's/^/#   log: /' "$E2E_TMP/$name.log"
		e2e_bail "replymilter $name did not start"
	}
}

# send NAME SENDER WANT LABEL - one message through milter NAME, checked
send() {
	timeout 60 miltertest -D "libdir=$here/miltertest" \
		-D "socket=unix:$E2E_TMP/$1.sock" -D "sender=$2" -D "want=$3" \
		-D "label=$4" -s "$here/ratelimit/rcpts.lua" >"$E2E_TMP/mt.out" 2>&1
	local rc=$?
	e2e_check "$4 (miltertest status $rc)" \
		grep -qE '^[0-9]+ passed, 0 failed$' "$E2E_TMP/mt.out" ||
		sed 's/^/#   /' "$E2E_TMP/mt.out"
}

# metric SERIES - the value of a series at A's endpoint, or "missing"
metric() {
	python3 - "http://127.0.0.1:$mport/metrics" "$1" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
for line in text.splitlines():
    if line.startswith(sys.argv[2] + " "):
        print(line.split(" ", 1)[1]); break
else:
    print("missing")
PY
}

conf tempfail "$mport" >"$E2E_TMP/a.conf"
conf tempfail >"$E2E_TMP/b.conf"
conf local >"$E2E_TMP/l.conf"
if ! "$bin" -n -c "$E2E_TMP/a.conf" >"$E2E_TMP/check.out" 2>&1; then
	if grep -qE "built without (Redis|the metrics endpoint)" "$E2E_TMP/check.out"; then
		echo "SKIP: $0: $(head -1 "$E2E_TMP/check.out")"
		exit 77
	fi
	sed 's/^/#   /' "$E2E_TMP/check.out"
	e2e_bail "replymilter -n refuses the test's config"
fi

redis_start
milter A "$E2E_TMP/a.conf"
milter B "$E2E_TMP/b.conf"
milter L "$E2E_TMP/l.conf"
e2e_wait_port 127.0.0.1 "$mport" 5 || e2e_bail "A's metrics endpoint does not listen"

# One counter for both hosts: 3 through A, then 4 through B (2 refused).
send A alice@example.net ccc "A: recipients 1-3 of 5"
send B alice@example.net ccrr "B: recipients 4-5 pass, 6-7 are refused"
send A alice@example.net r "A: the 8th is refused (the counter is shared)"
send B bob@example.net cc "B: another sender has its own counter"
e2e_check "A logged the refusal with the default reply" \
	grep -q 'rule=per-sender id=per-sender action=tempfail reply="452 4.5.3 Too many recipients (limit 5/1h): try again in [0-9]* seconds"' "$E2E_TMP/A.log"
"$bin" --ratelimit-show -c "$E2E_TMP/a.conf" per-sender alice@example.net >"$E2E_TMP/show.out" 2>&1
e2e_check "--ratelimit-show reads the shared count: 5 of 5" \
	grep -qx 'per-sender alice@example.net: 5.0 of 5 in 5/1h' "$E2E_TMP/show.out"
e2e_check "Redis holds no sender address" \
	test "$(redis-cli -p "$rport" --scan --pattern '*' | grep -c example)" = 0
e2e_check "every key Redis holds expires" test "$(
	for k in $(redis-cli -p "$rport" --scan --pattern 'replymilter:*'); do
		redis-cli -p "$rport" ttl "$k"
	done | awk '$1 <= 0 { bad++ } END { print bad + 0 }')" = 0

# Redis goes away.
kill -TERM "$REDIS_PID"
e2e_wait_gone "$REDIS_PID" 10
send A carol@example.net r "Redis down: A (on_error tempfail) answers on_failure"
e2e_check "A: the failure's log line names the store" \
	grep -q 'cause=store failure="rule per-sender: the rate-limit store redis://127.0.0.1:'"$rport"'/0 did not answer" reply="451 4.3.0' "$E2E_TMP/A.log"
e2e_check "A: the store's failure is logged once" \
	test "$(grep -c 'ratelimit: the store .* does not answer' "$E2E_TMP/A.log")" = 1
send L carol@example.net cccccr "Redis down: L (on_error local) counts in its memory"
e2e_check "L: says it counts locally" \
	grep -q 'does not answer; counting in this process until it does' "$E2E_TMP/L.log"
e2e_check "A: store errors counted" test "$(metric replymilter_ratelimit_store_errors_total)" -ge 1
e2e_check "A: failures with cause store counted" \
	test "$(metric 'replymilter_failures_total{cause="store"}')" -ge 1
e2e_check "A: nothing counted locally (tempfail)" \
	test "$(metric replymilter_ratelimit_fallback_total)" = 0

# Redis comes back (empty: it saved nothing): A answers again once its
# backoff lets it try.
redis_start
ok=no
for _ in $(seq 100); do
	timeout 60 miltertest -D "libdir=$here/miltertest" -D "socket=unix:$E2E_TMP/A.sock" \
		-D "sender=dave@example.net" -D "want=c" -D "label=probe" \
		-s "$here/ratelimit/rcpts.lua" >/dev/null 2>&1 && { ok=yes; break; }
	sleep 0.1
done
e2e_check "Redis back: A lets mail through again within 10 s" test "$ok" = yes
e2e_check "A: logs that the store answers again" \
	grep -q 'ratelimit: the store .* answers again' "$E2E_TMP/A.log"
send B dave@example.net cccc "B: the count goes on in Redis (1 + 4 of 5)"
send A dave@example.net r "A: and the 6th is refused"
"$bin" --ratelimit-reset -c "$E2E_TMP/a.conf" per-sender dave@example.net >/dev/null 2>&1
e2e_check "--ratelimit-reset exits 0" test $? = 0
send A dave@example.net c "after --ratelimit-reset the sender starts again"
for name in A B L; do
	e2e_check "replymilter $name still runs" e2e_alive "$(eval echo "\$PID_$name")"
done
e2e_summary
