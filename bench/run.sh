#!/usr/bin/env bash
# Benchmarks Vitals against the peers operators use instead, in one run on this
# machine: installs the peers from Debian packages, builds Vitals in release
# mode (build-bench/), then runs bench.py, which starts every server on
# 127.0.0.1, measures, stops each by PID and prints one set of tables.
#
#   bench/run.sh [--no-install] [--no-build] [bench.py options...]
#   bench/run.sh --help        # every option, e.g. --quick, --scenarios 1,4
#
# Long (about 17 minutes) and noisy by nature: never part of CTest or CI.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench_dir")"
build_dir="${VITALS_BENCH_BUILD_DIR:-$repo/build-bench}"
python=/usr/bin/python3 # Debian's: Flask, gunicorn, FastAPI and uvicorn are installed for it

install=1 build=1 pass=()
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    -h | --help)
      sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      echo
      echo "run.sh options: --no-install (use what is installed), --no-build (reuse $build_dir)"
      echo "bench.py options:"
      exec "$python" "$bench_dir/bench.py" --help
      ;;
    *) pass+=("$arg") ;;
  esac
done

peers=(
  nginx collectd-core libmicrohttpd12 libprotobuf-c1 monit prometheus-node-exporter
  python3-flask gunicorn python3-fastapi uvicorn
  wrk monitoring-plugins-basic rt-tests
)
if [ "$install" = 1 ]; then
  "$repo/packaging/install-deps.sh" run
  missing=()
  for package in "${peers[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    # A service the package may start on its default port is left alone:
    # bench.py starts its own instances on its own ports.
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if [ "$build" = 1 ]; then
  # RelWithDebInfo (-O2): what packaging/build-deb.sh ships, so the figures are the
  # package's. Release's -O3 makes a binary a fifth larger, for nothing measurable here.
  cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVITALS_BUILD_BENCH=ON \
    -DVITALS_BUILD_TESTS=OFF > /dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target vitalsd noop
fi

exec "$python" "$bench_dir/bench.py" --build-dir "$build_dir" "${pass[@]}"
