#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz and runs each one from its
# seed corpus for a bounded time; fails on any crash, leak, timeout or broken invariant.
#   tests/fuzz/run.sh [target...]     default: every target with a tests/fuzz/corpus/<target>
# Environment: FUZZ_SECONDS per target (default 50), FUZZ_JOBS targets at once (default: the
# number of cores), VITALS_FUZZ_BUILD_DIR (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${VITALS_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-50}
jobs=${FUZZ_JOBS:-$(nproc)}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for dir in tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

build_start=$(date +%s)
# -O1 and line tables only: quick to build, fast enough to fuzz, and stack traces still
# name the line. No test suite: this build is only for the fuzzers.
CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE= \
  "-DCMAKE_C_FLAGS=-O1 -gline-tables-only" "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" \
  -DVITALS_FUZZ=ON -DVITALS_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_targets
echo "fuzz build: $(($(date +%s) - build_start)) s"

runs="$build/fuzz-runs"
rm -rf "$runs"

# One target: new inputs go to a scratch corpus (the seeds in the repo stay as they are),
# a crashing input to <runs>/<target>/crash-*; the last line of the log is the summary.
fuzz_one() {
  local target=$1 work="$runs/$1"
  mkdir -p "$work/corpus"
  local start status
  start=$(date +%s%N)
  status=0
  UBSAN_OPTIONS=print_stacktrace=1 "$build/tests/fuzz/fuzz_$target" \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "tests/fuzz/corpus/$target" >"$work/log" 2>&1 ||
    status=$?
  local elapsed_ms executed
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  # The stats block can appear more than once (libFuzzer prints it again when a worker
  # dies); the last one counts.
  executed=$(awk '/stat::number_of_executed_units/ {n = $2} END {print n}' "$work/log")
  printf '%-15s %5d s  %10s runs  %7d exec/s  exit %d\n' "$target" $((elapsed_ms / 1000)) \
    "${executed:-?}" $((${executed:-0} * 1000 / (elapsed_ms + 1))) "$status" >"$work/summary"
  return "$status"
}

running=0
for target in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/fuzz_$target" ] || { echo "no fuzz target '$target'" >&2; exit 64; }
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
wait || true

failed=0
echo "target          time        executions     speed"
for target in "${targets[@]}"; do
  cat "$runs/$target/summary"
  if ! grep -q ' exit 0$' "$runs/$target/summary"; then
    failed=1
    echo "--- fuzz_$target failed; the end of $runs/$target/log:" >&2
    tail -n 40 "$runs/$target/log" >&2
    ls "$runs/$target"/{crash,leak,timeout,oom}-* 2>/dev/null >&2 || true
  fi
done
exit "$failed"
