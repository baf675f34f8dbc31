#!/usr/bin/env bash
# Builds the Debian package in a build directory of its own and prints its path:
#   packaging/build-deb.sh [BUILD_DIR] [DEBIAN_REVISION]
# BUILD_DIR defaults to build-deb, DEBIAN_REVISION to 1 (vitals_<version>-1_<arch>.deb).
# Needs the build dependencies and dpkg-dev (packaging/install-deps.sh package).
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$source_dir/build-deb}
revision=${2:-1}

# The package's layout: /usr, plugins in /usr/lib/vitals/plugins (not the multiarch
# libdir), configuration in /etc/vitals and the unit in /lib/systemd/system (absolute: a
# plain build keeps both under its prefix), an agent that only ever reads /etc/vitals, and
# no test suite.
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_INSTALL_SYSCONFDIR=/etc -DVITALS_SYSTEMD_UNIT_INSTALL_DIR=/lib/systemd/system \
  -DVITALS_SOURCE_TREE_FALLBACK=OFF -DVITALS_BUILD_TESTS=OFF \
  -DVITALS_DEB_RELEASE="$revision" >&2
cmake --build "$build_dir" -j"$(nproc)" >&2
(cd "$build_dir" && cpack -G DEB) >&2

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build_dir/CPackConfig.cmake")
deb="$build_dir/vitals_${version}-${revision}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "build-deb.sh: cpack did not write $deb" >&2; exit 1; }
echo "$deb"
