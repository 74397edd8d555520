# shellcheck shell=bash
# live.sh - the LIVE_TESTS switch for the shell tests that start real
# servers (Postfix, Sendmail, unbound): LIVE_TESTS=no skips them (exit 77,
# which automake reports as SKIP); unset or anything else runs them.  Also
# the skip of those that need root.
# .ci/run sets LIVE_TESTS=yes.  tests/check_main.h is the C side.

# live_or_skip WHAT - exit 77, saying why on stdout, when LIVE_TESTS=no;
# WHAT says what makes the test live ("it starts a real Postfix")
live_or_skip() {
	if [ "${LIVE_TESTS:-yes}" = no ]; then
		echo "SKIP: LIVE_TESTS=no, and this test is live: $1"
		exit 77
	fi
}

# root_or_skip WHY - exit 77 unless running as root, saying "SKIP: $0 WHY"
# on stdout; WHY says why root is needed ("needs root (Postfix drops to
# user postfix)")
root_or_skip() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: $0 $1"
		exit 77
	fi
}
