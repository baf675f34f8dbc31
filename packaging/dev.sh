#!/usr/bin/env bash
# The README's two commands, from a fresh Debian machine:
#   packaging/dev.sh run [vitalsd options]   install build deps, build, run vitalsd on conf.d/
#   packaging/dev.sh test                    install build and test deps, build, run every test
#   packaging/dev.sh test-sanitizers         every test again under ASan+UBSan, then TSan
# What each installs: packaging/install-deps.sh COMMAND --list.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
[ $# -ge 1 ] || usage
command=$1
shift
case $command in
  run | test | test-sanitizers) ;;
  *) usage ;;
esac

# Each command installs what it needs: run, no test services, browser or fuzzing tools.
packaging/install-deps.sh "$command"

if [ "$command" = test-sanitizers ]; then
  # One build per sanitizer (ASan and TSan cannot share a process): build-asan and
  # build-tsan, configured by CMakePresets.json; options and suppressions are in
  # tests/sanitizers/. Both run even when the first fails, so one CI run shows both.
  failed=()
  for preset in asan tsan; do
    start=$SECONDS
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j"$(nproc)"
    built=$SECONDS
    ctest --preset "$preset" -j"$(nproc)" "$@" || failed+=("$preset")
    echo "$preset: built in $((built - start)) s, tested in $((SECONDS - built)) s" >&2
  done
  [ ${#failed[@]} -eq 0 ] || { echo "failed under: ${failed[*]}" >&2; exit 1; }
  exit 0
fi

build_dir=${VITALS_BUILD_DIR:-build}
# run builds the agent and plugins only: the test suite needs what only test installs.
tests=OFF
[ "$command" = test ] && tests=ON
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVITALS_BUILD_TESTS=$tests >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

case $command in
  run)  exec "$build_dir/agent/vitalsd" "$@" ;;
  test) exec ctest --test-dir "$build_dir" --output-on-failure --timeout 300 -j"$(nproc)" "$@" ;;
esac
