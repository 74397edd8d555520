#!/bin/sh
#
# bench/run.sh - replymilter's benchmarks against the null milter (issue 6)
#
# Run by "make bench", which sets REPLYMILTER, MILTERLOAD and NULLMILTER to
# absolute paths (by hand: the same three variables, or a build tree under
# the source tree).  Each scenario runs replymilter and the null milter
# (bench/nullmilter: libmilter, continue to everything) in interleaved
# rounds, alternating which goes first, and reports median transactions/s
# of each, their ratio, and the milter's CPU time per transaction (from
# /proc/PID/stat), with the target beside each figure and "met"/"MISSED":
#
#   1  the shipped conf/replymilter.conf (socket given with -p)
#   2  1,000 generated rules over all eight stages, none matching
#   3  lists of 100,000 CIDRs (IPv4 and IPv6), domains and addresses, with
#      traffic that hits and misses them; every reply is counted against a
#      model computed from the traffic files (a wrong count fails the run)
#   4  lists of 10, 1,000 and 100,000 entries: per-transaction cost growth
#   5  200 concurrent connections (scenario 3's config and traffic)
#   R  10, 1,000 and 10,000 regex rules over every stage (client name,
#      HELO, sender, recipients, header values, the body) and a
#      100,000-entry CIDR list, none matching: the one-pass regex index
#      (issue 13); with their load time and memory
#   P  the metrics endpoint (metrics_listen) scraped ten times a second,
#      against the same config without it (issue 14)
#   M  peak RSS (VmHWM) with the three 100,000-entry lists; load, start and
#      reload times
#   E  end to end: smtp-source through a private loopback Postfix with
#      replymilter, with the null milter and with no milter
#
# replymilter runs with -d warning: at info it logs one line per decision,
# and the benchmark would measure its logging.
#
# Environment: BENCH_OUT (folder for the raw JSON, configs, logs and the
# summary; default a new folder under $TMPDIR, kept), BENCH_ROUNDS (5),
# BENCH_SECS (about how long one load run lasts, 4), BENCH_CONNS (8),
# BENCH_E2E_MSGS (messages per smtp-source run, 2000), BENCH_SKIP_E2E=1,
# BENCH_ONLY (the sections to run, of "1 2 3 4 5 R P L M E"),
# BENCH_STRICT=1 (exit 1 when a target is missed, not only on errors).
#
# Needs: bash, jq, awk, Postfix (postfix, smtp-source; root, for Postfix),
# and the three binaries.  Uses loopback and a temporary folder only; every
# process it starts is stopped on exit, whatever the exit path.
#
# Exit status: 0 when every run was clean and every reply count right
# (missed targets are reported, not failures, unless BENCH_STRICT=1); 1 on
# any error: a milter or load run failed, a wrong reply count, a Postfix
# run that lost or refused mail.

# The sections run as "section_$name": shellcheck cannot see the calls.
# shellcheck disable=SC2317
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
export LC_ALL=C

BENCH_T0=$EPOCHREALTIME
srcdir=$(cd "$(dirname "$0")/.." && pwd)
REPLYMILTER=${REPLYMILTER:-$srcdir/src/replymilter}
MILTERLOAD=${MILTERLOAD:-$srcdir/bench/milterload}
NULLMILTER=${NULLMILTER:-$srcdir/bench/nullmilter}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-4}
CONNS=${BENCH_CONNS:-8}
E2E_MSGS=${BENCH_E2E_MSGS:-2000}
TX=10		# transactions a session (milterload's default)
RCPTS=5		# recipients a transaction (milterload's default)
BIG=100000	# entries in each big list

# shellcheck source=tests/e2e/lib/common.sh
. "$srcdir/tests/e2e/lib/common.sh"
# shellcheck source=tests/e2e/lib/postfix.sh
. "$srcdir/tests/e2e/lib/postfix.sh"

for b in "$REPLYMILTER" "$MILTERLOAD" "$NULLMILTER"; do
	[ -x "$b" ] || e2e_bail "$b is not built (make bench builds it)"
done
e2e_require jq jq
e2e_require awk gawk
[ "$ROUNDS" -ge 3 ] 2>/dev/null || e2e_bail "BENCH_ROUNDS must be 3 or more"

e2e_init replymilter-bench
W=$E2E_TMP			# sockets, configs, lists, logs (0755)
if [ -z "${BENCH_OUT:-}" ]; then
	BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/replymilter-bench-out.XXXXXX") ||
		e2e_bail "cannot create a results folder"
fi
mkdir -p -- "$BENCH_OUT" || e2e_bail "cannot create $BENCH_OUT"
BENCH_OUT=$(cd -- "$BENCH_OUT" && pwd)

ERRORS=()			# what went wrong, for the end
declare -A PID SOCK		# milters by name
RUN_NO=0
CLK_TCK=$(getconf CLK_TCK)

# --- helpers -----------------------------------------------------------------

# note - print a progress line
note() {
	printf '  %s\n' "$*"
}

# error - record and print an error (the run goes on; the exit status is 1)
error() {
	ERRORS+=("$*")
	printf 'ERROR: %s\n' "$*"
}

# now - print the wall clock in seconds (microsecond resolution)
now() {
	printf '%s\n' "$EPOCHREALTIME"
}

# fmt_int N - print N rounded, with thousands separators
fmt_int() {
	awk -v n="$1" 'BEGIN {
		s = sprintf("%.0f", n); o = ""
		while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
		print s o }'
}

# calc EXPR - print the value of an awk expression
calc() {
	awk "BEGIN { printf \"%s\", $1 }"
}

# median V... - print the median (the mean of the middle two for an even
# count)
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cpu_ticks PID - print the process's user + system CPU time in clock ticks
cpu_ticks() {
	local line f
	read -r line <"/proc/$1/stat" || { echo 0; return; }
	# The fields after "(comm) " start at state (field 3): utime is field
	# 14, stime 15.
	read -ra f <<<"${line##*) }"
	echo $((f[11] + f[12]))
}

# vm_kib PID FIELD - print a /proc/PID/status field (VmHWM, VmRSS) in KiB
vm_kib() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# stop_all - SIGTERM every milter still running, then wait for all of them
# together (libmilter takes up to ~5 s to notice), SIGKILL after 10 s
stop_all() {
	local name pids=()
	for name in "${!PID[@]}"; do
		e2e_alive "${PID[$name]}" && kill -TERM "${PID[$name]}" 2>/dev/null &&
			pids+=("${PID[$name]}")
	done
	for name in "${pids[@]}"; do
		e2e_stop_pid "$name" 10
	done
	return 0
}
e2e_cleanup_add stop_all

# milter_stop NAME - SIGTERM milter NAME without waiting (stop_all reaps it)
milter_stop() {
	kill -TERM "${PID[$1]}" 2>/dev/null
	return 0
}

# milter_alive NAME - returns 0 if milter NAME runs, else records an error
milter_alive() {
	e2e_alive "${PID[$1]}" && return 0
	error "milter $1 (PID ${PID[$1]}) died; its log:"
	sed 's/^/    /' "$W/$1.log" | tail -20
	return 1
}

# rm_start NAME CONF [LEVEL] - start replymilter on $W/NAME.sock; returns 0
# once the socket exists, and prints the seconds from launch to then
rm_start() {
	local name=$1 conf=$2 level=${3:-warning} t0 deadline
	SOCK[$name]=$W/$name.sock
	t0=$(now)
	"$REPLYMILTER" -f -c "$conf" -p "unix:${SOCK[$name]}" -P "$W/$name.pid" \
		-d "$level" 2>"$W/$name.log" &
	PID[$name]=$!
	deadline=$((SECONDS + 20))
	until [ -S "${SOCK[$name]}" ]; do
		if ! e2e_alive "${PID[$name]}" || [ "$SECONDS" -ge "$deadline" ]; then
			error "replymilter $name ($conf) did not start; its log:"
			sed 's/^/    /' "$W/$name.log" | tail -20
			return 1
		fi
		sleep 0.01
	done
	calc "$(now) - $t0"
}

# null_start NAME - start the null milter on $W/NAME.sock (world-writable:
# Postfix's smtpd connects as user postfix); returns 0 once it listens
null_start() {
	local name=$1 deadline
	SOCK[$name]=$W/$name.sock
	"$NULLMILTER" -p "unix:${SOCK[$name]}" 2>"$W/$name.log" &
	PID[$name]=$!
	deadline=$((SECONDS + 20))
	until [ -S "${SOCK[$name]}" ]; do
		if ! e2e_alive "${PID[$name]}" || [ "$SECONDS" -ge "$deadline" ]; then
			error "nullmilter did not start; its log:"
			sed 's/^/    /' "$W/$name.log" | tail -20
			return 1
		fi
		sleep 0.01
	done
	# nullmilter sets umask 077; smtpd runs as user postfix.
	chmod 0666 "${SOCK[$name]}"
}

# load_run TAG NAME CONNS SESSIONS [MILTERLOAD-OPTION...] - run milterload
# against milter NAME, keep its JSON as $BENCH_OUT/NNN-TAG.json; sets
# L_JSON, L_TPS and L_CPU (milter CPU microseconds a transaction); returns
# 1 (after recording an error) if the run had any error
load_run() {
	local tag=$1 name=$2 conns=$3 sessions=$4 json rc c0 c1 bad tx
	shift 4
	RUN_NO=$((RUN_NO + 1))
	json=$BENCH_OUT/$(printf '%03d' "$RUN_NO")-$tag.json
	L_JSON=$json L_TPS=0 L_CPU=0
	milter_alive "$name" || return 1
	c0=$(cpu_ticks "${PID[$name]}")
	"$MILTERLOAD" -s "unix:${SOCK[$name]}" -c "$conns" -n "$sessions" \
		-t "$TX" -r "$RCPTS" -j "$@" >"$json" 2>"$json.err"
	rc=$?
	c1=$(cpu_ticks "${PID[$name]}")
	if [ "$rc" -ne 0 ] || ! jq -e . "$json" >/dev/null 2>&1; then
		error "$tag: milterload exited $rc; $(head -c 600 "$json.err")"
		return 1
	fi
	[ -s "$json.err" ] || rm -f -- "$json.err"
	bad=$(jq -r --argjson n "$sessions" '
		[ (if .sessions != $n then "sessions \(.sessions) of \($n)" else empty end) ] +
		[ ["sessions_failed", "noanswer", "timeouts", "connect_errors",
		   "io_errors", "protocol_errors"][] as $k
		  | select(.[$k] != 0) | "\($k) \(.[$k])" ] | join(", ")' "$json")
	if [ -n "$bad" ]; then
		error "$tag: $bad (see $json)"
		return 1
	fi
	milter_alive "$name" || return 1
	L_TPS=$(jq -r .tx_per_s "$json")
	tx=$(jq -r .tx "$json")
	L_CPU=$(calc "($c1 - $c0) * 1000000 / $CLK_TCK / ($tx > 0 ? $tx : 1)")
	printf '%s\t%s\t%s\t%s\n' "$tag" "$L_TPS" "$(calc "sprintf(\"%.1f\", $L_CPU)")" \
		"$(jq -r .elapsed_s "$json")" >>"$BENCH_OUT/runs.tsv"
	return 0
}

# counts JSON - print the reply counts of a run, one "key value" a line:
# the transaction and recipient totals, and each "stage code" replycode
counts() {
	jq -r '
		"tx \(.tx)", "tx_delivered \(.tx_delivered)",
		"tx_norcpt \(.tx_norcpt)", "tx_not_run \(.tx_not_run)",
		"tx_rejected \(.tx_rejected)", "tx_tempfailed \(.tx_tempfailed)",
		"tx_discarded \(.tx_discarded)",
		"tx_accepted_early \(.tx_accepted_early)",
		"rcpt_accepted \(.rcpt_accepted)", "rcpt_rejected \(.rcpt_rejected)",
		"rcpt_tempfailed \(.rcpt_tempfailed)",
		"sessions_ended_by_milter \(.sessions_ended_by_milter)",
		"connect_reject \(.replies.connect.reject // 0)",
		"connect_tempfail \(.replies.connect.tempfail // 0)",
		(.codes[] | "\(.stage)_\(.code | gsub(" "; "_")) \(.count)")
	' "$1"
}

# expect_counts TAG JSON WANT - compare the counts of JSON with WANT ("key
# value" lines; a key not in WANT must be 0 or absent, except tx); returns
# 1 after recording an error on any difference
expect_counts() {
	local tag=$1 json=$2 want=$3 diff
	diff=$(awk '
		NR == FNR { want[$1] = $2; next }
		{ got[$1] = $2 }
		END {
			for (k in want) if (got[k] + 0 != want[k] + 0)
				printf "%s %s (want %s); ", k, got[k] + 0, want[k]
			for (k in got) if (!(k in want) && k != "tx" && got[k] + 0 != 0)
				printf "%s %s (want 0); ", k, got[k]
		}' <(printf '%s\n' "$want") <(counts "$json"))
	if [ -n "$diff" ]; then
		error "$tag: wrong reply counts: $diff(see $json)"
		return 1
	fi
	return 0
}

# want_clean SESSIONS - print the counts of a run in which nothing matches
want_clean() {
	local tx=$(($1 * TX))
	printf '%s\n' "tx_delivered $tx" "rcpt_accepted $((tx * RCPTS))"
}

# --- generated configs and traffic ------------------------------------------

# gen_lists DIR N - write DIR/{cidr,domain,address}.txt with N entries each:
# CIDRs alternate IPv4 and IPv6, every fifth of each a host (10.A.B.5,
# 2001:db8:X:Y::5) and the rest /24 and /64 ranges, all with an even
# third octet or fourth group; domains alternate "dI.example.net" (that
# name) and ".sI.example.net" (its subdomains); addresses cycle through
# "uI@aI.example.com", "@wI.example.com" and "rI@".  Entry I is the same
# in every size, so a list of N is the first N lines of a bigger one.
gen_lists() {
	mkdir -p -- "$1" && awk -v N="$2" -v D="$1" '
	function cidr(i,   j, x) {
		if (i % 2 == 0) {
			j = i / 2; x = j * 2
			if (j % 5 == 0)
				return sprintf("%d.%d.%d.5", 10 + int(x / 65536), int(x / 256) % 256, x % 256)
			return sprintf("%d.%d.%d.0/24", 10 + int(x / 65536), int(x / 256) % 256, x % 256)
		}
		j = (i - 1) / 2
		if (j % 5 == 0)
			return sprintf("2001:db8:%x:%x::5", int(j / 256), (j % 256) * 2)
		return sprintf("2001:db8:%x:%x::/64", int(j / 256), (j % 256) * 2)
	}
	BEGIN {
		for (i = 0; i < N; i++) {
			print cidr(i) > (D "/cidr.txt")
			if (i % 2 == 0) print "d" i ".example.net" > (D "/domain.txt")
			else print ".s" i ".example.net" > (D "/domain.txt")
			if (i % 3 == 0) print "u" i "@a" i ".example.com" > (D "/address.txt")
			else if (i % 3 == 1) print "@w" i ".example.com" > (D "/address.txt")
			else print "r" i "@" > (D "/address.txt")
		}
	}'
}

# gen_traffic DIR HN - write milterload's value files DIR/{addr,helo,from,
# rcpt}.txt for lists made by gen_lists with BIG entries, and beside each a
# .flags file saying what each line should do: H hit, M miss, and for
# recipients A (address list hit) or D (domain list hit).  Hits use entries
# below HN only; misses are near misses of entries anywhere: an odd third
# octet or fourth group, the neighbour of a listed host, the parent of a
# ".sI" entry, a subdomain of an exact "dI" or of an "@wI" entry, user and
# domain of two different entries, "rIx@".  The file lengths (100, 97,
# 101, 103) are coprime, so hits fall in ever new combinations.
gen_traffic() {
	mkdir -p -- "$1" && awk -v N="$BIG" -v HN="$2" -v D="$1" '
	function pick(k, salt, lim, m, r,   b, i) {
		b = (k * 7919 + salt * 104729 + 12345) % lim
		i = b - b % m + r
		if (i >= lim) i -= m
		return i
	}
	function v4(j, host, odd,   x) {
		x = j * 2
		return sprintf("%d.%d.%d.%d", 10 + int(x / 65536), int(x / 256) % 256, x % 256 + odd, host)
	}
	function v6(j, odd, host) {
		return sprintf("2001:db8:%x:%x::%s", int(j / 256), (j % 256) * 2 + odd, host)
	}
	function addr_hit(k,   i, j, kind) {
		kind = k % 4		# v4 host, v4 range, v6 host, v6 range
		i = pick(k, 1 + (kind >= 2), HN, 2, kind >= 2)
		j = (kind >= 2) ? (i - 1) / 2 : i / 2
		if (kind % 2 == 0) { while (j % 5 != 0) j = (j + 1) % (HN / 2) }
		else if (j % 5 == 0) j = (j + 1) % (HN / 2)
		if (kind < 2) return v4(j, j % 5 == 0 ? 5 : 1 + k % 250, 0)
		return v6(j, 0, j % 5 == 0 ? "5" : sprintf("%x", 4096 + k))
	}
	function addr_miss(k,   j) {
		j = pick(k, 3, int(N / 2), 1, 0)
		if (k % 5 == 0) return v4(j, 7, 1)
		if (k % 5 == 1) return v4(j - j % 5, 6, 0)
		if (k % 5 == 2) return v6(j, 1, "1")
		if (k % 5 == 3) return v6(j - j % 5, 0, "6")
		return "192.0.2." (k % 250 + 1)
	}
	function dom_hit(k, salt,   i) {
		i = pick(k, salt, HN, 1, 0)
		if (i % 2 == 0) return "d" i ".example.net"
		return "mx" k ".s" i ".example.net"
	}
	function dom_miss(k, salt,   i, v) {
		i = pick(k, salt, N, 1, 0); v = (k + int(k / 2)) % 2
		if (i % 2 == 0) return v ? "www.d" i ".example.net" : "d" i ".example.org"
		return v ? "s" i ".example.net" : "xs" i ".example.net"
	}
	function ad_hit(k, salt,   i) {
		i = pick(k, salt, HN, 1, 0)
		if (i % 3 == 0) return "u" i "@a" i ".example.com"
		if (i % 3 == 1) return "user" k "@w" i ".example.com"
		return "r" i "@host" k ".example.org"
	}
	function ad_miss(k, salt,   i) {
		i = pick(k, salt, N - 3, 1, 0)
		if (i % 3 == 0) return "u" i "@a" (i + 3) ".example.com"
		if (i % 3 == 1) return "user" k "@sub.w" i ".example.com"
		return "r" i "x@host" k ".example.org"
	}
	function out(name, value, flag) {
		print value > (D "/" name ".txt"); print flag > (D "/" name ".flags")
	}
	BEGIN {
		for (k = 0; k < 100; k++)
			if (k % 25 == 0) out("addr", addr_hit(k / 25), "H")
			else out("addr", addr_miss(k), "M")
		for (k = 0; k < 97; k++)
			if (k == 50) out("helo", dom_hit(k, 4), "H")
			else out("helo", dom_miss(k, 4), "M")
		for (k = 0; k < 101; k++)
			if (k % 25 == 3) out("from", ad_hit(k, 5), "H")
			else if (k == 50) out("from", "<>", "M")
			else out("from", ad_miss(k, 5), "M")
		for (k = 0; k < 103; k++)
			if (k % 11 == 5) out("rcpt", ad_hit(k, 6), "A")
			else if (k % 17 == 8) out("rcpt", "postmaster@" dom_hit(k, 7), "D")
			else if (k % 2) out("rcpt", ad_miss(k, 6), "M")
			else out("rcpt", "postmaster@" dom_miss(k, 7), "M")
	}'
}

# traffic_opts DIR - print milterload's options for the traffic in DIR
traffic_opts() {
	printf '%s\n' -A "$1/addr.txt" -E "$1/helo.txt" -F "$1/from.txt" \
		-R "$1/rcpt.txt"
}

# model DIR SESSIONS - print the counts a lists run of SESSIONS sessions
# over the traffic in DIR must give (see lists_conf for the rules): a
# client hit is refused at connect, which replymilter delivers at HELO as
# 550 5.7.1 (libmilter can send no text at connect; the session ends); a
# HELO hit gets 550 5.7.0 (the session ends); a sender hit 550 5.7.1 at
# MAIL (the transaction ends); a recipient in the address list 550 5.1.1,
# one in the domain list 550 5.7.1 (that recipient only)
model() {
	awk -v S="$2" -v T="$TX" -v R="$RCPTS" '
	FNR == 1 { fi++ }
	fi == 1 { A[na++] = $1; next }
	fi == 2 { E[ne++] = $1; next }
	fi == 3 { F[nf++] = $1; next }
	fi == 4 { Rf[nr++] = $1; next }
	END {
		for (s = 0; s < S; s++) {
			if (A[s % na] == "H") { conn++; notrun += T; continue }
			if (E[s % ne] == "H") { helo++; notrun += T; continue }
			for (t = 0; t < T; t++) {
				n = s * T + t
				if (F[n % nf] == "H") { mail++; continue }
				acc = 0
				for (j = 0; j < R; j++) {
					f = Rf[(n * R + j) % nr]
					if (f == "A") ra++; else if (f == "D") rd++; else acc++
				}
				if (acc) deliv++; else norcpt++
				racc += acc
			}
		}
		print "helo_550_5.7.1", conn + 0	# connect hits, at HELO
		print "helo_550_5.7.0", helo + 0
		print "sessions_ended_by_milter", conn + helo
		print "tx_not_run", notrun + 0
		print "mail_550_5.7.1", mail + 0
		print "tx_rejected", mail + 0
		print "rcpt_550_5.1.1", ra + 0
		print "rcpt_550_5.7.1", rd + 0
		print "rcpt_rejected", ra + rd
		print "rcpt_accepted", racc + 0
		print "tx_delivered", deliv + 0
		print "tx_norcpt", norcpt + 0
	}' "$1/addr.flags" "$1/helo.flags" "$1/from.flags" "$1/rcpt.flags"
}

# lists_conf DIR - print a config using the lists in DIR
lists_conf() {
	cat <<EOF
# Generated by bench/run.sh: three lists from files, five rules.
socket_mode = "0666"
list "nets"  { type = cidr     file = "$1/cidr.txt" }
list "doms"  { type = domain   file = "$1/domain.txt" }
list "addrs" { type = address  file = "$1/address.txt" }
rule "client" {
    stage = connect
    client_addr = "list:nets"
    action = reject
}
rule "helo" {
    stage = helo
    helo = "list:doms"
    reply = "550 5.7.0 HELO %{helo} refused"
}
rule "sender" {
    stage = mail
    sender = "list:addrs"
    reply = "550 5.7.1 Sender %{sender} refused"
}
rule "rcpt" {
    stage = rcpt
    rcpt = "list:addrs"
    reply = "550 5.1.1 Recipient %{rcpt} unknown"
}
rule "rcpt-domain" {
    stage = rcpt
    rcpt_domain = "list:doms"
    reply = "550 5.7.1 Relaying to %{rcpt_domain} denied"
}
EOF
}

# rules_conf N - print a config of N rules, spread evenly over the eight
# stages, none of which matches milterload's default traffic (client
# 192.0.2.X, HELO clientN.milterload.example, senderN@ and
# rcptN@milterload.example, headers From To Subject Date Message-ID, a
# 1 KiB body).  Every rule's conditions are evaluated: a quarter of them
# start with a condition that does match (client_addr 192.0.2.0/24,
# sender_domain milterload.example, ...) so that a second one is looked at
# too; values are literals, small inline sets, regexes (HELO, recipient,
# Subject), any/not groups and comparisons; replies are 550 5.7.1 or 451
# 4.7.1 (and a plain reject at connect).  No body regexes: see
# BENCHMARKS.md.
rules_conf() {
	echo '# Generated by bench/run.sh: rules that never match the traffic.'
	echo 'socket_mode = "0666"'
	awk -v NRULES="$1" '
	function q(s) { return "\"" s "\"" }
	BEGIN {
		split("connect helo mail rcpt header eoh body eom", st, " ")
		for (k = 0; k < NRULES; k++) {
			s = st[k % 8 + 1]; v = int(k / 8) % 4
			if (s == "connect") {
				if (v == 0) c = "client_addr = { " q(sprintf("203.0.113.%d/32", k % 256)) ", " q(sprintf("2001:db8:ffff:%x::/64", k)) " }"
				else if (v == 1) c = "client_name = " q("nomatch" k ".example")
				else if (v == 2) c = "client_addr = \"192.0.2.0/24\"\n    client_name = " q(".nomatch" k ".example")
				else c = "not { client_addr = { \"0.0.0.0/0\", \"::/0\" } }\n    client_name = " q("nomatch" k ".example")
			} else if (s == "helo") {
				if (v == 0) c = "helo = { " q("nomatch" k ".example") ", " q("localhost" k) " }"
				else if (v == 1) c = "helo = " q("/^nomatch" k "\\\\./")
				else if (v == 2) c = "client_addr = \"192.0.2.0/24\"\n    helo = " q(".nomatch" k ".example")
				else c = "any { helo = " q("nomatch" k ".example") "  client_name = " q("nomatch" k ".example") " }"
			} else if (s == "mail") {
				if (v == 0) c = "sender = { " q("nomatch" k "@example.net") ", " q("@nomatch" k ".example") " }"
				else if (v == 1) c = "sender_domain = " q("nomatch" k ".example")
				else if (v == 2) c = "helo = \".milterload.example\"\n    sender = " q("nomatch" k "@")
				else c = "size = " q("> " (500 + k) "M")
			} else if (s == "rcpt") {
				if (v == 0) c = "rcpt = { " q("nomatch" k "@example.net") ", " q("@nomatch" k ".example") " }"
				else if (v == 1) c = "rcpt_domain = " q(".nomatch" k ".example")
				else if (v == 2) c = "sender_domain = \"milterload.example\"\n    rcpt = " q("/^nomatch" k "@/")
				else c = "rcpt_count = " q("> " (1000 + k))
			} else if (s == "header") {
				if (v == 0) c = "header = " q("X-Nomatch-" k)
				else if (v == 1) c = "header = " q("Subject: nomatch " k)
				else if (v == 2) c = "sender_domain = \"milterload.example\"\n    header = " q("Subject: /^nomatch " k "$/")
				else c = "header = { " q("X-Nomatch-" k ": yes") ", " q("From: nomatch" k "@example.net") " }"
			} else if (s == "eoh") {
				if (v == 0) c = "header = " q("X-Nomatch-" k)
				else if (v == 1) c = "rcpt = " q("nomatch" k "@example.net")
				else if (v == 2) c = "sender_domain = \"milterload.example\"\n    header = " q("To: nomatch" k "@example.net")
				else c = "rcpt_count = " q("> " (1000 + k))
			} else if (s == "body") {
				if (v <= 1) c = "sender = " q("nomatch" k "@example.net")
				else if (v == 2) c = "sender_domain = \"milterload.example\"\n    rcpt_domain = " q("nomatch" k ".example")
				else c = "size = " q("> " (500 + k) "M")
			} else {
				if (v == 0) c = "size = " q(">= " (100 + k) "M")
				else if (v == 1) c = "header = " q("X-Nomatch-" k)
				else if (v == 2) c = "rcpt_domain = \".milterload.example\"\n    rcpt = " q("nomatch" k "@")
				else c = "any { sender = " q("nomatch" k "@example.net") "  rcpt = " q("nomatch" k "@example.net") " }"
			}
			if (s == "connect") r = "action = reject"
			else if (k % 3 == 0) r = "reply = \"451 4.7.1 Try again later (rule " k ")\""
			else r = "reply = \"550 5.7.1 Refused by rule " k "\""
			printf "rule \"r%04d\" {\n    stage = %s\n    %s\n    %s\n}\n", k, s, c, r
		}
	}'
}

# rx_conf N CIDR - print a config of N regex rules over every stage that
# reads a value, none of which matches milterload's traffic, after a rule
# on CIDR (a 100,000-entry list file) at connect: client name at connect,
# HELO, sender (/i), recipients at RCPT and after it, Subject, From and To
# values at the header stage and after, and the body at end of message;
# a fifth of them begin with a condition that does match, as real
# policies do (sender_domain, client_addr).
rx_conf() {
	echo '# Generated by bench/run.sh: regex rules that never match the traffic.'
	echo 'socket_mode = "0666"'
	echo "list \"nets\" { type = cidr  file = \"$2\" }"
	echo 'rule "nets" {'
	echo '    stage = connect'
	echo '    client_addr = "list:nets"'
	echo '    action = reject'
	echo '}'
	awk -v NRULES="$1" '
	function q(s) { return "\"" s "\"" }
	BEGIN {
		split("connect helo mail rcpt header eoh body eom", st, " ")
		for (k = 0; k < NRULES; k++) {
			s = st[k % 8 + 1]; v = int(k / 8) % 5
			if (s == "connect") c = "client_name = " q("/^nomatch" k "\\\\./")
			else if (s == "helo") c = "helo = " q("/^nomatch" k "[.-]/")
			else if (s == "mail") c = "sender = " q("/^nomatch" k "@/i")
			else if (s == "rcpt") c = "rcpt = " q("/^nomatch" k "(\\\\+.*)?@/")
			else if (s == "header") c = "header = " q((v % 2 ? "From" : "Subject") ": /nomatch" k "[^0-9]/i")
			else if (s == "eoh") c = "header = " q("To: /^nomatch" k "@/")
			else if (s == "body") c = "rcpt_domain = " q("/^nomatch" k "\\\\./")
			else c = "body = " q("/nomatch-" k "-[a-z]+/")
			if (v == 0 && s != "connect" && s != "helo") c = "sender_domain = \"milterload.example\"\n    " c
			if (v == 0 && (s == "connect" || s == "helo")) c = "client_addr = \"192.0.2.0/24\"\n    " c
			if (s == "connect") r = "action = reject"
			else if (k % 3 == 0) r = "reply = \"451 4.7.1 Try again later (rule " k ")\""
			else r = "reply = \"550 5.7.1 Refused by rule " k "\""
			printf "rule \"x%05d\" {\n    stage = %s\n    %s\n    %s\n}\n", k, s, c, r
		}
	}'
}

# check_conf CONF - returns 0 if replymilter -n accepts CONF with no
# warning, else records an error
check_conf() {
	local out
	if ! out=$("$REPLYMILTER" -n -c "$1" 2>&1); then
		error "replymilter -n -c $1 refuses it: $(printf '%s' "$out" | head -5)"
		return 1
	fi
	if [ -n "$out" ]; then
		error "replymilter -n -c $1 warns: $(printf '%s' "$out" | head -5)"
		return 1
	fi
	return 0
}

# --- the results table -------------------------------------------------------

ROWS=()		# "id|what|replymilter|null|ratio|target|result|cpu" lines
MISSED=0

# row ID WHAT RM NULL RATIO TARGET RESULT CPU - add a table row
row() {
	local IFS='|'
	ROWS+=("$*")
	[ "$7" = MISSED ] && MISSED=$((MISSED + 1))
	return 0
}

# verdict OK - print "met" if OK is 1, else "MISSED"
verdict() {
	if [ "$1" = 1 ]; then echo met; else echo MISSED; fi
}

# ratio_row ID WHAT TARGET RM_TPS NULL_TPS RM_CPU NULL_CPU - add a row with
# the medians of the space-separated per-round figures, the ratio of the
# tx/s medians and a ">= TARGET x null" verdict (TARGET "": none)
ratio_row() {
	local id=$1 what=$2 target=${3:-} rm nl rc nc ratio res t
	# shellcheck disable=SC2086 # the lists are space-separated on purpose
	rm=$(median $4) nl=$(median $5) rc=$(median $6) nc=$(median $7)
	ratio=$(calc "$rm / $nl")
	if [ -n "$target" ]; then
		res=$(verdict "$(calc "($ratio >= $target) ? 1 : 0")")
		t=">= $target x null"
	else
		res=- t="(reference)"
	fi
	row "$id" "$what" "$(fmt_int "$rm") tx/s" "$(fmt_int "$nl") tx/s" \
		"$(calc "sprintf(\"%.2f\", $ratio)")" "$t" "$res" \
		"$(fmt_int "$rc") / $(fmt_int "$nc")"
}

# print_table - print the rows as an aligned text table and write it, and
# a Markdown version, to $BENCH_OUT/summary.{txt,md}
print_table() {
	local r
	{
		printf '%s\n' "id|what|replymilter|null milter|ratio|target|result|CPU us/tx (rm / null)"
		for r in "${ROWS[@]}"; do printf '%s\n' "$r"; done
	} >"$BENCH_OUT/summary.rows"
	awk -F'|' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
		END {
			for (r = 1; r <= n; r++) {
				line = ""
				for (i = 1; i <= nf; i++) {
					f = (i >= 3 && i <= 5) ? "%" w[i] "s" : "%-" w[i] "s"
					line = line sprintf(f, c[r, i]) (i < nf ? "  " : "")
				}
				sub(/ +$/, "", line); print line
				if (r == 1) { line = ""; for (i = 1; i <= nf; i++) line = line sprintf("%" w[i] "s", "") (i < nf ? "  " : ""); gsub(/ /, "-", line); print line }
			}
		}' "$BENCH_OUT/summary.rows" | tee "$BENCH_OUT/summary.txt"
	awk -F'|' 'NR == 1 { print "| " $0 " |"; s = "|"; for (i = 1; i <= NF; i++) s = s (i >= 3 && i <= 5 ? "---:|" : "---|"); print s; next }
		{ print "| " $0 " |" }' "$BENCH_OUT/summary.rows" |
		sed 's/|/ | /g; s/  */ /g; s/^ //; s/ $//' >"$BENCH_OUT/summary.md"
}

# --- the run -----------------------------------------------------------------

echo "replymilter benchmarks: $ROUNDS interleaved rounds a scenario, $CONNS connections"
echo "(scenario 5: 200), $TX transactions a session, $RCPTS recipients, 5 headers, 1 KiB body;"
echo "replymilter at -d warning; raw results in $BENCH_OUT"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "uname: $(uname -srvm)"
	echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $(nproc)"
	echo "mem: $(free -m | awk '/^Mem:/ { print $2 " MiB" }')"
	echo "replymilter: $("$REPLYMILTER" -V 2>&1 | head -1)"
	echo "rounds=$ROUNDS secs=$SECS conns=$CONNS tx=$TX rcpts=$RCPTS"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$BENCH_OUT/machine.txt"

# The data: lists, traffic, configs.
echo "generating lists, traffic and configs..."
for n in 10 1000 "$BIG"; do
	gen_lists "$W/lists$n" "$n" || e2e_bail "gen_lists $n failed"
	lists_conf "$W/lists$n" >"$W/lists$n.conf"
done
gen_traffic "$W/spread" "$BIG" || e2e_bail "gen_traffic failed"
gen_traffic "$W/low" 10 || e2e_bail "gen_traffic failed"
rules_conf 1000 >"$W/rules1000.conf"
rules_conf 8 >"$W/rules8.conf"
for n in 10 1000 10000; do
	rx_conf "$n" "$W/lists$BIG/cidr.txt" >"$W/rx$n.conf"
	check_conf "$W/rx$n.conf" || e2e_bail "generated config $W/rx$n.conf is bad"
done
cp -- "$W/rx10000.conf" "$BENCH_OUT/"
cp -- "$W/rules1000.conf" "$W/lists$BIG.conf" "$BENCH_OUT/"
for c in "$W/rules1000.conf" "$W/rules8.conf" "$W/lists10.conf" "$W/lists1000.conf" \
	"$W/lists$BIG.conf"; do
	check_conf "$c" || e2e_bail "generated config $c is bad"
done
mapfile -t SPREAD < <(traffic_opts "$W/spread")
mapfile -t LOW < <(traffic_opts "$W/low")

null_start null || e2e_bail "the null milter does not start"

# How many sessions make a run of about SECS seconds: a one-second null run.
load_run calibrate null "$CONNS" 600 || e2e_bail "calibration run failed"
SESSIONS=$(calc "int($L_TPS * $SECS / $TX / 100 + 0.5) * 100")
[ "$SESSIONS" -lt 500 ] && SESSIONS=500
[ "$SESSIONS" -gt 50000 ] && SESSIONS=50000
echo "calibration: null milter $(fmt_int "$L_TPS") tx/s; $SESSIONS sessions a run"

# rounds TAG CONNS SESSIONS "MILTER..." [OPTION...] - ROUNDS rounds in
# which each of the milters (names; "null" among them) takes a milterload
# run of SESSIONS sessions, in the given order in odd rounds and in reverse
# in even ones; each run's counts are checked against WANT[name] (the
# clean counts for null); sets R_TPS[name] and R_CPU[name] (the rounds'
# figures, space-separated) and R_TPS[name.ROUND], R_CPU[name.ROUND]
declare -A WANT R_TPS R_CPU
rounds() {
	local tag=$1 conns=$2 sessions=$3 who r i line
	local -a names order
	read -ra names <<<"$4"
	shift 4
	for who in "${names[@]}"; do
		R_TPS[$who]="" R_CPU[$who]=""
	done
	for ((r = 1; r <= ROUNDS; r++)); do
		order=("${names[@]}")
		if ((r % 2 == 0)); then
			order=()
			for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[i]}"); done
		fi
		line=
		for who in "${order[@]}"; do
			R_TPS[$who.$r]="" R_CPU[$who.$r]=""
			load_run "$tag-r$r-$who" "$who" "$conns" "$sessions" "$@" || continue
			if [ "$who" = null ]; then
				expect_counts "$tag-r$r-null" "$L_JSON" "$(want_clean "$sessions")"
			else
				expect_counts "$tag-r$r-$who" "$L_JSON" "${WANT[$who]}"
			fi
			R_TPS[$who]+=" $L_TPS" R_CPU[$who]+=" $L_CPU"
			R_TPS[$who.$r]=$L_TPS R_CPU[$who.$r]=$L_CPU
			line+=" $who $(fmt_int "$L_TPS")"
		done
		note "$tag round $r:$line tx/s"
	done
	for who in "${names[@]}"; do
		if [ -z "${R_TPS[$who]}" ]; then
			error "$tag: no clean run of $who to report"
			R_TPS[$who]=0 R_CPU[$who]=0
		fi
	done
}

# rm_row ID WHAT TARGET NAME - ratio_row for milter NAME against null
rm_row() {
	ratio_row "$1" "$2" "$3" "${R_TPS[$4]}" "${R_TPS[null]}" "${R_CPU[$4]}" \
		"${R_CPU[null]}"
}

# 1. The shipped config.
section_1() {
	echo "1. the shipped config"
	rm_start s1 "$srcdir/conf/replymilter.conf" >/dev/null || e2e_bail "no replymilter"
	WANT[s1]=$(want_clean "$SESSIONS")
	rounds s1 "$CONNS" "$SESSIONS" "null s1"
	rm_row 1 "shipped conf/replymilter.conf" 0.95 s1
	milter_stop s1
}

# 2. 1,000 rules, none matching; and 8 (one a stage) for reference.
section_2() {
	echo "2. 1,000 rules over all stages, none matching (and 8, one a stage)"
	rm_start s2 "$W/rules1000.conf" >/dev/null || e2e_bail "no replymilter"
	rm_start s2ref "$W/rules8.conf" >/dev/null || e2e_bail "no replymilter"
	WANT[s2]=$(want_clean "$SESSIONS") WANT[s2ref]=$(want_clean "$SESSIONS")
	rounds s2 "$CONNS" "$SESSIONS" "null s2 s2ref"
	rm_row 2 "1,000 rules, none matching" 0.95 s2
	rm_row 2 "(8 rules, one a stage: the floor)" "" s2ref
	milter_stop s2
	milter_stop s2ref
}

# 3. Three lists of 100,000, traffic that hits and misses.
section_3() {
	echo "3. lists of 100,000 CIDRs, domains, addresses; hits and misses"
	rm_start s3 "$W/lists$BIG.conf" >/dev/null || e2e_bail "no replymilter"
	HWM_LOADED=$(vm_kib "${PID[s3]}" VmHWM)
	WANT[s3]=$(model "$W/spread" "$SESSIONS")
	printf '%s\n' "${WANT[s3]}" >"$BENCH_OUT/model-s3.txt"
	rounds s3 "$CONNS" "$SESSIONS" "null s3" "${SPREAD[@]}"
	rm_row 3 "3 x 100,000-entry lists, hits + misses" 0.95 s3
	note "every run's reply counts as the model wants ($(printf '%s' "${WANT[s3]}" |
		awk '$1 ~ /_5\./ { s += $2 } END { print s + 0 }') refusals a run, see model-s3.txt)"
}

# 4. List sizes 10, 1,000, 100,000: all in the same rounds.
section_4() {
	local r g g_cpu=() g_wall=()
	echo "4. lists of 10, 1,000 and 100,000 entries"
	rm_start s4a "$W/lists10.conf" >/dev/null || e2e_bail "no replymilter"
	rm_start s4b "$W/lists1000.conf" >/dev/null || e2e_bail "no replymilter"
	rm_start s4c "$W/lists$BIG.conf" >/dev/null || e2e_bail "no replymilter"
	WANT[s4a]=$(model "$W/low" "$SESSIONS")
	WANT[s4b]=${WANT[s4a]} WANT[s4c]=${WANT[s4a]}
	printf '%s\n' "${WANT[s4a]}" >"$BENCH_OUT/model-s4.txt"
	rounds s4 "$CONNS" "$SESSIONS" "null s4a s4b s4c" "${LOW[@]}"
	rm_row 4 "lists of 10" "" s4a
	rm_row 4 "lists of 1,000" "" s4b
	rm_row 4 "lists of 100,000" "" s4c
	# Growth: the median over rounds of each round's 100,000 / 10 cost
	# ratio (the two runs of a round share its conditions).
	for ((r = 1; r <= ROUNDS; r++)); do
		[ -n "${R_CPU[s4a.$r]}" ] && [ -n "${R_CPU[s4c.$r]}" ] || continue
		g_cpu+=("$(calc "${R_CPU[s4c.$r]} / ${R_CPU[s4a.$r]} - 1")")
		g_wall+=("$(calc "${R_TPS[s4a.$r]} / ${R_TPS[s4c.$r]} - 1")")
	done
	if [ "${#g_cpu[@]}" -eq 0 ]; then
		error "s4: no round with both sizes"
	else
		g=$(median "${g_cpu[@]}")
		row 4 "cost growth 10 -> 100,000: milter CPU/tx" \
			"$(calc "sprintf(\"%+.1f %%\", $g * 100)")" "" "" "<= +10 %" \
			"$(verdict "$(calc "($g <= 0.10) ? 1 : 0")")" ""
		g=$(median "${g_wall[@]}")
		row 4 "cost growth 10 -> 100,000: 1/(tx/s)" \
			"$(calc "sprintf(\"%+.1f %%\", $g * 100)")" "" "" "<= +10 %" \
			"$(verdict "$(calc "($g <= 0.10) ? 1 : 0")")" ""
	fi
	milter_stop s4a
	milter_stop s4b
	milter_stop s4c
}

# 5. 200 connections, scenario 3's milter and traffic.
section_5() {
	local slow
	echo "5. 200 concurrent connections (scenario 3's lists and traffic)"
	if [ -z "${PID[s3]:-}" ]; then
		rm_start s3 "$W/lists$BIG.conf" >/dev/null || e2e_bail "no replymilter"
		WANT[s3]=$(model "$W/spread" "$SESSIONS")
	fi
	rounds s5 200 "$SESSIONS" "null s3" "${SPREAD[@]}"
	rm_row 5 "200 connections, 3 x 100,000 lists" 0.95 s3
	slow=$(cat "$BENCH_OUT"/*-s5-r*.json | jq -s 'map(.slow_replies) | add')
	note "replies slower than 1 s at 200 connections: $slow"
	HWM_TRAFFIC=$(vm_kib "${PID[s3]}" VmHWM)
	HWM_NULL=$(vm_kib "${PID[null]}" VmHWM)
	milter_stop s3
}

# mem_row WHAT KIB [NULL_KIB] - add a peak RSS row (MB = 10^6 bytes)
mem_row() {
	local nl=
	[ -n "${3:-}" ] && nl=$(calc "sprintf(\"%.1f MB\", $3 * 1024 / 1e6)")
	row M "$1" "$(calc "sprintf(\"%.1f MB\", $2 * 1024 / 1e6)")" "$nl" "" \
		"<= 50 MB" "$(verdict "$(calc "($2 * 1024 <= 50e6) ? 1 : 0")")" ""
}

# time_row WHAT SECONDS... - add a row for the median of the times
time_row() {
	local what=$1 t
	shift
	if [ "$#" -eq 0 ]; then
		error "no time measured for: $what"
		return
	fi
	t=$(median "$@")
	row M "$what" "$(calc "sprintf(\"%.3f s\", $t)")" "" "" "<= 0.5 s" \
		"$(verdict "$(calc "($t <= 0.5) ? 1 : 0")")" ""
}

# M. Memory, load, start and reload with the three 100,000-entry lists.
section_M() {
	echo "M. memory and load times with the three 100,000-entry lists"
	t_check=() t_start=() t_reload=()
	for ((r = 1; r <= ROUNDS; r++)); do
		t0=$(now)
		"$REPLYMILTER" -n -c "$W/lists$BIG.conf" >/dev/null 2>&1 ||
			error "replymilter -n -c lists$BIG.conf failed"
		t_check+=("$(calc "$(now) - $t0")")
	done
	# The daemon at -d info (it serves no traffic while timed): from launch to
	# its "started" line, and from SIGHUP to the "reload: N rules" summary,
	# which it logs once the new policy serves.
	for ((r = 1; r <= ROUNDS; r++)); do
		t0=$(now)
		rm_start "mem$r" "$W/lists$BIG.conf" info >/dev/null || continue
		until grep -q ' started on ' "$W/mem$r.log"; do
			milter_alive "mem$r" || continue 2
			sleep 0.005
		done
		t_start+=("$(calc "$(now) - $t0")")
		[ "$r" -lt "$ROUNDS" ] && milter_stop "mem$r"
	done
	mem=mem$ROUNDS
	if e2e_alive "${PID[$mem]:-0}"; then
		for ((r = 1; r <= ROUNDS; r++)); do
			n=$(grep -c 'reload: [0-9]* rules;' "$W/$mem.log")
			t0=$(now)
			kill -HUP "${PID[$mem]}"
			deadline=$((SECONDS + 30))
			while [ "$(grep -c 'reload: [0-9]* rules;' "$W/$mem.log")" -le "$n" ]; do
				milter_alive "$mem" || break 2
				if [ "$SECONDS" -ge "$deadline" ]; then
					error "no reload summary 30 s after SIGHUP"
					break 2
				fi
				sleep 0.005
			done
			t_reload+=("$(calc "$(now) - $t0")")
		done
		# Traffic after the reloads, so this instance's peak covers load,
		# reload (old and new policy side by side) and serving.
		load_run mem-traffic "$mem" "$CONNS" 500 "${SPREAD[@]}" &&
			expect_counts mem-traffic "$L_JSON" "$(model "$W/spread" 500)"
		HWM_RELOAD=$(vm_kib "${PID[$mem]}" VmHWM)
		cp -- "$W/$mem.log" "$BENCH_OUT/reload-instance.log"
		milter_stop "$mem"
	else
		HWM_RELOAD=0
	fi
	[ -n "${HWM_LOADED:-}" ] &&
		mem_row "peak RSS (VmHWM), 3 x 100,000 lists, loaded" "$HWM_LOADED"
	[ -n "${HWM_TRAFFIC:-}" ] &&
		mem_row "peak RSS, the same after scenarios 3 and 5" "$HWM_TRAFFIC" "$HWM_NULL"
	mem_row "peak RSS, fresh, after $ROUNDS reloads + traffic" "$HWM_RELOAD"
	time_row "load: replymilter -n -c (3 x 100,000)" "${t_check[@]}"
	time_row "load: daemon launch to \"started\"" "${t_start[@]}"
	time_row "load: SIGHUP to \"reload:\" summary" "${t_reload[@]}"
}

# R. Regex rules on every stage: 10, 1,000 and 10,000, none matching.
section_R() {
	local n t t0 t_load=() hwm rss
	echo "R. 10, 1,000 and 10,000 regex rules over every stage, none matching"
	echo "   (and a 100,000-entry CIDR list); engine: $("$REPLYMILTER" -V 2>&1 | sed -n 's/^regex engine: //p')"
	for n in 10 1000 10000; do
		rm_start "rx$n" "$W/rx$n.conf" >/dev/null || e2e_bail "no replymilter"
		WANT[rx$n]=$(want_clean "$SESSIONS")
	done
	rounds rx "$CONNS" "$SESSIONS" "null rx10 rx1000 rx10000"
	rm_row R "10 regex rules, every stage" 0.95 rx10
	rm_row R "1,000 regex rules, every stage" 0.95 rx1000
	rm_row R "10,000 regex rules, every stage" 0.95 rx10000
	# Flat: 10,000 rules against 10, in the same rounds.
	ratio_row R "10,000 regex rules against 10 (flat: >= 0.91)" 0.91 \
		"${R_TPS[rx10000]}" "${R_TPS[rx10]}" "${R_CPU[rx10000]}" "${R_CPU[rx10]}"
	hwm=$(vm_kib "${PID[rx10000]}" VmHWM)
	rss=$(vm_kib "${PID[rx10000]}" VmRSS)
	for n in 10 1000 10000; do milter_stop "rx$n"; done
	for ((r = 1; r <= ROUNDS; r++)); do
		t0=$(now)
		"$REPLYMILTER" -n -c "$W/rx10000.conf" >/dev/null 2>&1 ||
			error "replymilter -n -c rx10000.conf failed"
		t_load+=("$(calc "$(now) - $t0")")
	done
	row R "peak RSS (VmHWM), 10,000 regex rules, after traffic" \
		"$(calc "sprintf(\"%.1f MB\", $hwm * 1024 / 1e6)")" "" "" "<= 100 MB" \
		"$(verdict "$(calc "($hwm * 1024 <= 100e6) ? 1 : 0")")" \
		"RSS $(calc "sprintf(\"%.1f MB\", $rss * 1024 / 1e6)")"
	t=$(median "${t_load[@]}")
	row R "load: replymilter -n -c (10,000 regex rules)" \
		"$(calc "sprintf(\"%.2f s\", $t)")" "" "" "<= 5 s" \
		"$(verdict "$(calc "($t <= 5) ? 1 : 0")")" ""
}

# P. The metrics endpoint: the shipped config's rules plus metrics_listen,
# scraped ten times a second all through the rounds, against the same
# config without the endpoint.
section_P() {
	local port scraper
	echo "P. the metrics endpoint, scraped 10 times a second"
	if ! command -v python3 >/dev/null 2>&1; then
		error "P: python3 missing (apt-get install python3)"
		return
	fi
	port=$(e2e_free_port) || { error "P: no free port"; return; }
	cp -- "$srcdir/conf/replymilter.conf" "$W/nometrics.conf"
	{ cat "$srcdir/conf/replymilter.conf"; echo "metrics_listen = \"127.0.0.1:$port\""; } \
		>"$W/metrics.conf"
	check_conf "$W/metrics.conf" || return
	rm_start pm "$W/metrics.conf" >/dev/null || e2e_bail "no replymilter"
	rm_start pn "$W/nometrics.conf" >/dev/null || e2e_bail "no replymilter"
	WANT[pm]=$(want_clean "$SESSIONS") WANT[pn]=$(want_clean "$SESSIONS")
	python3 - "$port" >"$W/scrapes.txt" 2>&1 <<'PY' &
import signal, sys, time, urllib.request
# A background job of a script ignores SIGINT: stop on SIGTERM.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
url = "http://127.0.0.1:%s/metrics" % sys.argv[1]
ok = bad = 0
deadline = time.time() + 3600
try:
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
                ok += 1
        except Exception:
            bad += 1
        time.sleep(0.1)
finally:
    print(ok, bad, flush=True)
PY
	scraper=$!
	rounds pm "$CONNS" "$SESSIONS" "pn pm"
	kill -TERM "$scraper" 2>/dev/null
	wait "$scraper" 2>/dev/null
	ratio_row P "metrics endpoint scraped 10/s, against none (>= 0.98)" 0.98 \
		"${R_TPS[pm]}" "${R_TPS[pn]}" "${R_CPU[pm]}" "${R_CPU[pn]}"
	note "P: scrapes (good, failed): $(cat "$W/scrapes.txt" | tail -1)"
	milter_stop pm
	milter_stop pn
}

# L. Rate limits at every stage an event is counted at (connect, mail,
# rcpt), with limits the traffic never reaches (so the reply counts stay
# clean and every event is judged and counted): the in-process store, and
# Redis on a loopback port of its own, against the null milter in the same
# rounds.
section_L() {
	local port names
	echo "L. rate limits at connect, mail and rcpt: the local store, and Redis"
	# rate_conf STORE [base] - three rate rules, or (base) the same rules
	# with a condition that never matches in place of each rate: the
	# baseline asks for the same stages (a null milter asks for every
	# stage, and pays for headers and body these rules let replymilter
	# skip).
	rate_conf() {
		local r1='rate = "client_addr 1000000000/1h"'
		local r2='rate = "sender_domain,client_addr/24 1000000000/1h"'
		local r3='rate = "sender,rcpt_domain 1000000000/1h"'
		if [ "${2:-}" = base ]; then
			r1='client_addr = "203.0.113.255"'$'\n'' action = tempfail'
			r2='sender_domain = "never.invalid"'$'\n'' action = tempfail'
			r3='rcpt_domain = "never.invalid"'$'\n'' action = tempfail'
		fi
		printf 'ratelimit_store = "%s"\n' "$1"
		printf 'rule "conns" {\n stage = connect\n %s\n}\n' "$r1"
		printf 'rule "msgs" {\n stage = mail\n %s\n}\n' "$r2"
		printf 'rule "rcpts" {\n stage = rcpt\n %s\n}\n' "$r3"
	}
	rate_conf local >"$W/ratelocal.conf"
	rate_conf local base >"$W/ratebase.conf"
	check_conf "$W/ratelocal.conf" || return
	check_conf "$W/ratebase.conf" || return
	rm_start lloc "$W/ratelocal.conf" >/dev/null || e2e_bail "no replymilter"
	rm_start lbase "$W/ratebase.conf" >/dev/null || e2e_bail "no replymilter"
	WANT[lloc]=$(want_clean "$SESSIONS") WANT[lbase]=$(want_clean "$SESSIONS")
	names="null lbase lloc"
	if ! command -v redis-server >/dev/null 2>&1; then
		error "L: redis-server missing (apt-get install redis-server)"
	elif ! port=$(e2e_free_port); then
		error "L: no free port"
	else
		mkdir -p "$W/redis"
		redis-server --port "$port" --bind 127.0.0.1 --save "" \
			--appendonly no --dir "$W/redis" >"$W/redis.log" 2>&1 &
		PID[redis]=$!
		e2e_wait_port 127.0.0.1 "$port" 10 || error "L: redis-server did not listen"
		rate_conf "redis://127.0.0.1:$port/0" >"$W/rateredis.conf"
		if check_conf "$W/rateredis.conf" &&
			rm_start lred "$W/rateredis.conf" >/dev/null; then
			WANT[lred]=$(want_clean "$SESSIONS")
			names="null lbase lloc lred"
		fi
	fi
	rounds L "$CONNS" "$SESSIONS" "$names"
	rm_row L "3 rate rules (connect, mail, rcpt), local store" 0.90 lloc
	ratio_row L "the same, against 3 plain rules on those stages (>= 0.90)" 0.90 \
		"${R_TPS[lloc]}" "${R_TPS[lbase]}" "${R_CPU[lloc]}" "${R_CPU[lbase]}"
	if [ -n "${WANT[lred]:-}" ]; then
		rm_row L "3 rate rules, Redis on loopback" 0.50 lred
		ratio_row L "the same, against 3 plain rules on those stages (>= 0.30)" 0.30 \
			"${R_TPS[lred]}" "${R_TPS[lbase]}" "${R_CPU[lred]}" "${R_CPU[lbase]}"
	fi
	milter_stop lloc
	milter_stop lbase
	[ -n "${WANT[lred]:-}" ] && milter_stop lred
	[ -n "${PID[redis]:-}" ] && kill -TERM "${PID[redis]}" 2>/dev/null
	return 0
}

# E. End to end: smtp-source through Postfix.
section_E() {
	if [ "${BENCH_SKIP_E2E:-0}" = 1 ]; then
		echo "E. end to end: skipped (BENCH_SKIP_E2E=1)"
	elif ! command -v smtp-source >/dev/null 2>&1 || ! command -v postfix >/dev/null 2>&1; then
		error "E: smtp-source or postfix missing (apt-get install postfix)"
	elif [ "$(id -u)" != 0 ]; then
		error "E: Postfix needs root"
	else
		echo "E. end to end: smtp-source -> Postfix -> milter (scenario 2's 1,000 rules)"
		rm_start e2e "$W/rules1000.conf" >/dev/null || e2e_bail "no replymilter"
		pfx=$W/postfix
		p_none=$(e2e_free_port) && p_null=$(e2e_free_port) && p_rm=$(e2e_free_port) ||
			e2e_bail "no free ports"
		e2e_cleanup_add postfix_stop "$pfx"
		# Two more smtpd listeners, one a milter; the main one has none.
		POSTFIX_MASTER_EXTRA=$(printf '%s\n' \
			"127.0.0.1:$p_null inet n - n - - smtpd -o smtpd_milters=unix:${SOCK[null]}" \
			"127.0.0.1:$p_rm inet n - n - - smtpd -o smtpd_milters=unix:${SOCK[e2e]}") \
			postfix_start "$pfx" "$p_none" "" || e2e_bail "Postfix does not start"
		for p in "$p_null" "$p_rm"; do
			e2e_wait_port 127.0.0.1 "$p" 15 || e2e_bail "Postfix not on port $p"
		done
		declare -A E_PORT=([none]=$p_none [null]=$p_null [rm]=$p_rm) E_RATE E_CPU
		declare -A E_PID=([none]=0 [null]=${PID[null]} [rm]=${PID[e2e]})
		sent_total=0
		for ((r = 1; r <= ROUNDS; r++)); do
			case $((r % 3)) in
			1) e_order="none null rm" ;;
			2) e_order="rm null none" ;;
			0) e_order="null rm none" ;;
			esac
			line=
			for who in $e_order; do
				RUN_NO=$((RUN_NO + 1))
				out=$BENCH_OUT/$(printf '%03d' "$RUN_NO")-e2e-r$r-$who.txt
				c0=0
				[ "$who" = none ] || c0=$(cpu_ticks "${E_PID[$who]}")
				t0=$(now)
				smtp-source -s 10 -l 1024 -m "$E2E_MSGS" -f bench@source.example \
					-t "rcpt$r@sink.example" "127.0.0.1:${E_PORT[$who]}" >"$out" 2>&1
				rc=$?
				t=$(calc "$(now) - $t0")
				if [ "$who" != none ]; then
					E_CPU[$who]+=" $(calc "($(cpu_ticks "${E_PID[$who]}") - $c0) * 1000000 / $CLK_TCK / $E2E_MSGS")"
				fi
				if [ "$rc" -ne 0 ] || [ -s "$out" ]; then
					error "E $who round $r: smtp-source exited $rc: $(head -c 300 "$out")"
					# What it did send is still delivered: count it.
					sent_total=$(grep -c ' status=sent ' "$pfx/maillog")
					continue
				fi
				sent_total=$((sent_total + E2E_MSGS))
				# Wait until Postfix has delivered (discarded) everything sent
				# so far, so that no run pays for the previous one's queue.
				deadline=$((SECONDS + 60))
				while [ "$(grep -c ' status=sent ' "$pfx/maillog" 2>/dev/null)" -lt "$sent_total" ]; do
					if [ "$SECONDS" -ge "$deadline" ]; then
						error "E $who round $r: Postfix delivered $(grep -c ' status=sent ' "$pfx/maillog") of $sent_total"
						break
					fi
					sleep 0.2
				done
				rate=$(calc "$E2E_MSGS / $t")
				E_RATE[$who]+=" $rate"
				echo "$who round $r: $E2E_MSGS messages in $t s: $rate msg/s" >>"$out"
				line+=" $who $(fmt_int "$rate")"
			done
			note "E round $r:$line msg/s"
		done
		rej=$(grep -cE 'milter-reject|reject:|warning: milter' "$pfx/maillog")
		[ "$rej" -eq 0 ] || error "E: $rej reject or milter warning lines in Postfix's log (see $BENCH_OUT/postfix-maillog)"
		cp -- "$pfx/maillog" "$BENCH_OUT/postfix-maillog"
		for who in none null rm; do
			[ -n "${E_RATE[$who]:-}" ] || { E_RATE[$who]=0; error "E: no clean run of $who"; }
		done
		# shellcheck disable=SC2086 # the lists are space-separated on purpose
		e_none=$(median ${E_RATE[none]}) e_null=$(median ${E_RATE[null]}) e_rm=$(median ${E_RATE[rm]})
		row E "Postfix, no milter" "$(fmt_int "$e_none") msg/s" "" "" "(reference)" - ""
		row E "Postfix + null milter" "" "$(fmt_int "$e_null") msg/s" \
			"$(calc "sprintf(\"%.2f\", $e_null / ($e_none > 0 ? $e_none : 1))")" \
			"(x no milter)" - ""
		e_ratio=$(calc "$e_rm / ($e_null > 0 ? $e_null : 1)")
		# shellcheck disable=SC2086 # the lists are space-separated on purpose
		row E "Postfix + replymilter (1,000 rules)" "$(fmt_int "$e_rm") msg/s" \
			"$(fmt_int "$e_null") msg/s" "$(calc "sprintf(\"%.2f\", $e_ratio)")" \
			">= 0.9 x null" "$(verdict "$(calc "($e_ratio >= 0.9) ? 1 : 0")")" \
			"$(fmt_int "$(median ${E_CPU[rm]:-0})") / $(fmt_int "$(median ${E_CPU[null]:-0})") per msg"
		note "Postfix + replymilter is $(calc "sprintf(\"%.2f\", $e_rm / ($e_none > 0 ? $e_none : 1))") x Postfix alone"
		milter_stop e2e
		postfix_stop "$pfx"
	fi
}


BENCH_ONLY=${BENCH_ONLY:-1 2 3 4 5 R P L M E}
for sec in 1 2 3 4 5 R P L M E; do
	case " $BENCH_ONLY " in
	*" $sec "*) "section_$sec" ;;
	esac
done

# Errors in the milters' logs (at -d warning, anything logged is news).
for name in "${!PID[@]}"; do
	case $name in mem* | redis) continue ;; esac
	if grep -qiE 'error|fatal|warning' "$W/$name.log"; then
		error "milter $name logged problems: $(grep -iE 'error|fatal|warning' "$W/$name.log" | head -3)"
	fi
	cp -- "$W/$name.log" "$BENCH_OUT/milter-$name.log"
done

elapsed=$(calc "sprintf(\"%.0f\", $(now) - $BENCH_T0)")
echo
echo "Results ($ROUNDS rounds, medians; ratio = replymilter / null; CPU = the milter's"
echo "user+system time a transaction; replymilter at -d warning):"
echo
print_table
echo
echo "total time: $elapsed s; raw results: $BENCH_OUT"
{
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "total time: $elapsed s"
} >>"$BENCH_OUT/machine.txt"
echo "load average at start and end: $(sed -n 's/^load average at start: //p' "$BENCH_OUT/machine.txt") / $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine moves the figures)"
if [ "${#ERRORS[@]}" -gt 0 ]; then
	echo
	echo "FAILED: ${#ERRORS[@]} error(s):"
	printf '  %s\n' "${ERRORS[@]}"
	exit 1
fi
if [ "$MISSED" -gt 0 ]; then
	echo "$MISSED target(s) missed."
	[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
