#!/bin/sh
# install-deps.sh - install what replymilter needs on Debian 12, from apt.
#
#   contrib/tools/install-deps.sh          build and run the milter
#   contrib/tools/install-deps.sh --test   also everything the test suite
#                                          drives: Postfix, swaks, miltertest
#
# Run as root (or with sudo available).  Postfix is installed with debconf's
# "No configuration", so it does not touch /etc/postfix or listen on port 25:
# the tests start private instances of their own.  Sendmail is not installed
# (it conflicts with postfix in apt); the tests unpack it privately.
set -eu

# libmicrohttpd-dev serves the Prometheus endpoint (metrics_listen), and
# libcurl4-openssl-dev reads it for replymilter --stats.  nettle-dev's
# SHA-256 makes the rate-limit keys digests; libhiredis-dev talks to Redis
# when a site shares them (ratelimit_store).
# libhyperscan-dev (x86-64 only) scans regex sets in one pass; elsewhere
# its portable fork libvectorscan-dev (the same API) where Debian builds
# it; configure goes on without either (regexec only).
build="build-essential autoconf automake pkg-config libmilter-dev libconfuse-dev libspf2-dev libmicrohttpd-dev libcurl4-openssl-dev nettle-dev libhiredis-dev check"
if [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ]; then
	build="$build libhyperscan-dev"
else
	multi=libvectorscan-dev
fi
# The tests drive real MTAs: Postfix (installed, unconfigured), Sendmail
# (downloaded and unpacked privately by the tests: it needs m4, libwrap0
# and apt/dpkg), swaks as the SMTP client, OpenDKIM's miltertest (also with
# the daemon under valgrind); python3 reads Sendmail's log and parses JSON;
# clang builds with warnings as errors, and with libclang-rt-14-dev (its
# libFuzzer and sanitizer runtimes) the fuzz targets (tests/fuzz);
# unbound serves the DNS zones the checks' tests query, on loopback only;
# jq and gawk read the benchmark's results (make bench);
# libclang-rt-14-dev gives clang's libFuzzer (./configure --enable-fuzzing);
# systemd gives systemd-analyze, which checks the shipped unit (no systemd
# need run); redis-server is started by the Redis tests on a loopback
# port of their own; prometheus gives promtool, which checks the files in
# contrib/prometheus and the endpoint's text (tests/grafana.sh).
tests="postfix swaks miltertest valgrind python3 clang libclang-rt-14-dev procps iproute2 util-linux m4 libwrap0 apt dpkg unbound jq gawk systemd redis-server prometheus"

pkgs=$build
[ "${1:-}" = "--test" ] && pkgs="$build $tests"

as_root=""
[ "$(id -u)" = 0 ] || as_root=sudo
had_prometheus=no
dpkg -s prometheus >/dev/null 2>&1 && had_prometheus=yes
had_redis=no
dpkg -s redis-server >/dev/null 2>&1 && had_redis=yes

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | $as_root debconf-set-selections
$as_root apt-get update -q
if [ -n "${multi:-}" ] && apt-cache show "$multi" >/dev/null 2>&1; then
	pkgs="$pkgs $multi"
fi
# shellcheck disable=SC2086
$as_root apt-get install -y -q --no-install-recommends $pkgs
# Debian starts the Prometheus server it installs (port 9090, every
# address); the tests need only promtool, so a server this script brought
# in is stopped and disabled.  One that was there before is left alone.
# The same for redis-server (port 6379): the tests start their own.
# stop_service NAME PROCESS - stop and disable a server this script brought in
stop_service() {
	if [ -d /run/systemd/system ]; then
		$as_root systemctl disable --now "$1.service" || true
	elif pgrep -x "$2" >/dev/null 2>&1; then
		# No systemd (a container): its init script started it.
		$as_root service "$1" stop || true
	fi
}
if [ "${1:-}" = "--test" ]; then
	[ "$had_prometheus" = yes ] || stop_service prometheus prometheus
	[ "$had_redis" = yes ] || stop_service redis-server redis-server
fi
