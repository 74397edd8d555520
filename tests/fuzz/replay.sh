#!/bin/sh
# replay.sh - make check's run of every fuzz target over its corpus
# (tests/fuzz/corpus/<target>, in the source tree), without libFuzzer: an
# input that once crashed a fuzzer stays a regression test.  Under
# --enable-sanitizers any ASan/UBSan/LSan report fails it.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
targets="registry mailbox authres reply lists dns conf transcript"

status=0
for t in $targets; do
	prog=$builddir/tests/fuzz/replay_$t
	corpus=$srcdir/tests/fuzz/corpus/$t
	if [ ! -x "$prog" ]; then
		echo "FAIL $t: $prog not built" >&2
		status=1
		continue
	fi
	if out=$("$prog" "$corpus" 2>&1); then
		echo "ok $t: $out"
	else
		echo "FAIL $t:" >&2
		printf '%s\n' "$out" >&2
		status=1
	fi
done
exit $status
