#!/usr/bin/env bash
# packaging.deb: builds the Debian package of raycl from the calling build tree (`cpack -G DEB`
# with that tree's CPackConfig.cmake: its install rules do not depend on the tests, so the
# package is the one a tests-off tree makes, and nothing is compiled again), extracts it into a
# scratch root with `dpkg-deb -x` (no root needed, nothing installed on the machine), and runs
# from that root: `raycl --version`, its man page and completion scripts, and a
# find_package(raycl) consumer (test/packaging/consumer).
#   deb_package.sh <source dir> <build dir> <work dir>
set -euo pipefail
usage="usage: deb_package.sh SOURCE_DIR BUILD_DIR WORK_DIR"
source_dir=$(cd "${1:?$usage}" && pwd)
build=$(cd "${2:?$usage}" && pwd)
work=${3:?$usage}
rm -rf "$work" && mkdir -p "$work"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/cpack" >"$work/cpack.log"
deb=$(ls "$work"/cpack/raycl_*.deb)
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
info=$(dpkg-deb --info "$deb")  # held in a variable: `| grep -q` under pipefail fails on SIGPIPE
grep -E '^ (Package|Version|Depends|Recommends):' <<<"$info"
root=$work/root
dpkg-deb -x "$deb" "$root"

fail() { echo "FAIL: $*" >&2; exit 1; }
for file in usr/bin/raycl usr/include/raycl/client.hpp usr/lib/cmake/raycl/raycl-config.cmake \
            usr/share/man/man1/raycl.1.gz usr/share/bash-completion/completions/raycl \
            usr/share/zsh/vendor-completions/_raycl usr/share/fish/vendor_completions.d/raycl.fish \
            usr/share/raycl/scripts/ray-cluster.sh; do
  [ -e "$root/$file" ] || fail "the package has no $file"
done
ls "$root"/usr/lib/*/libraycl.a "$root"/usr/lib/*/libraycl_core.a >/dev/null 2>&1 || \
  ls "$root"/usr/lib/libraycl.a >/dev/null || fail "the package has no libraycl.a"
grep -q 'Depends:.*libyaml-cpp' <<<"$info" || fail "Depends lacks libyaml-cpp"

version=$("$root/usr/bin/raycl" --version)
[ "$version" = "raycl $(sed -n 's/^project(raycl VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")" ] || \
  fail "raycl --version printed '$version'"
page=$(zcat "$root/usr/share/man/man1/raycl.1.gz")
[[ $page == ".TH RAYCL 1 "* ]] || fail "the man page has no .TH line"
if command -v man >/dev/null; then
  rendered=$(MANWIDTH=80 man -l "$root/usr/share/man/man1/raycl.1.gz" 2>"$work/man.err")
  grep -q 'raycl job logs' <<<"$rendered" || fail "man cannot render the page: $(cat "$work/man.err")"
fi
bash -n "$root/usr/share/bash-completion/completions/raycl" || fail "the bash completion does not parse"
cmp -s <("$root/usr/bin/raycl" completion fish) "$root/usr/share/fish/vendor_completions.d/raycl.fish" || \
  fail "the installed fish completion is not the one the binary prints"

cmake -S "$source_dir/test/packaging/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" \
      >"$work/consumer-configure.log"
cmake --build "$work/consumer" >"$work/consumer-build.log"
"$work/consumer/consumer"
echo "packaging.deb: raycl --version, man page, completions and find_package(raycl) from the extracted package"
