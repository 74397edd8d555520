#!/bin/bash
#
# tests/valgrind.sh - the miltertest suite (tests/miltertest.sh) with the
# daemon under valgrind memcheck: any memory error, or any definite or
# indirect leak at exit, makes valgrind exit 97, which miltertest.sh's
# "SIGTERM: exit 0" check reports as a failure; valgrind's own report goes
# to the daemon's log, which miltertest.sh checks has no warning or error.
#
# Debian packages: valgrind, and what tests/miltertest.sh needs.
# Needs: root, like tests/miltertest.sh; exits 77 (skip) when not root.
#   Without valgrind it fails, naming the package.

set -u
here=$(cd -- "$(dirname -- "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $0 runs as root, like tests/miltertest.sh"
	exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL: valgrind not found: install the Debian package valgrind"
	exit 1
fi
# Under the sanitizers valgrind cannot run the binary: ASan checks already.
bin=${REPLYMILTER:-${abs_top_builddir:-$PWD}/src/replymilter}
if ldd "$bin" 2>/dev/null | grep -q libasan; then
	echo "SKIP: $bin is built with ASan (./configure --enable-sanitizers)," \
		"which valgrind cannot run; the ASan run covers it"
	exit 77
fi

wrapper=$(mktemp "${TMPDIR:-/tmp}/replymilter-vg.XXXXXX") || exit 99
trap 'rm -f -- "$wrapper"' EXIT
cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=97 --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect \\
	--show-leak-kinds=definite,indirect "$bin" "\$@"
WRAP
chmod 755 "$wrapper"
REPLYMILTER=$wrapper bash "$here/miltertest.sh"
