#!/usr/bin/env bash
# The README's two commands, from a fresh Debian machine:
#   packaging/dev.sh run [vitalsd options]   install deps, build, run vitalsd on conf.d/
#   packaging/dev.sh test                    install deps, build, run every test
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
[ $# -ge 1 ] || usage
command=$1
shift

packaging/install-deps.sh
build_dir=${VITALS_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

case $command in
  run)  exec "$build_dir/agent/vitalsd" "$@" ;;
  test) exec ctest --test-dir "$build_dir" --output-on-failure --timeout 300 -j"$(nproc)" "$@" ;;
  *)    usage ;;
esac
