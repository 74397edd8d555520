#!/bin/bash
# check-vectorscan.sh - build replymilter against Vectorscan, Debian's
# portable fork of Hyperscan (libvectorscan-dev, the same API), and run the
# tests that compare its regex sets with regexec.
#
#   contrib/tools/check-vectorscan.sh [COMMIT]   (default HEAD)
#
# libvectorscan-dev conflicts with libhyperscan-dev, so neither is touched:
# the packages are downloaded with apt-get download (no root needed; the
# apt lists must be there, as after install-deps.sh) and unpacked into a
# scratch folder, and a clone of the repository is configured against them
# through pkg-config.  Exit 0 when every test passed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-HEAD}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
apt-get download -q libvectorscan-dev libvectorscan5 >/dev/null
for deb in ./*.deb; do
	dpkg -x "$deb" root
done
pc=$(find root -name libhs.pc | head -1)
[ -n "$pc" ] || { echo "check-vectorscan: no libhs.pc in the packages" >&2; exit 1; }
mkdir pc
sed "s#=/usr#=$work/root/usr#" "$pc" >pc/libhs.pc
libdir=$(dirname "$(find root -name 'libhs.so.*' | head -1)")

git clone -q "$top" src
cd src
git checkout -q "$rev"
autoreconf -fi >/dev/null 2>&1
PKG_CONFIG_PATH="$work/pc" ./configure -q --with-hyperscan
make -j2 -s >/dev/null
export LD_LIBRARY_PATH="$work/$libdir"
# The binary must run on Vectorscan's library, not on an installed libhs.
ldd src/replymilter | grep -q "$work/.*libhs" ||
	{ echo "check-vectorscan: replymilter is not linked to the unpacked libhs" >&2; exit 1; }
src/replymilter -V | grep 'regex engine'
make -j2 -s check TESTS="tests/check_regex_set tests/check_policy tests/check_lists tests/check_milter"
echo "check-vectorscan: the regex tests pass on Vectorscan $(sed -n 's/^Version: //p' "$work/pc/libhs.pc")"
