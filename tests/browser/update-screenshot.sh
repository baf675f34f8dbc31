#!/usr/bin/env bash
# Remakes docs/status-page.png, the README's screenshot of the status page:
#   tests/browser/update-screenshot.sh [BUILD_DIR]      (default: build)
# It builds the browser tests, runs the one that saves
# BUILD_DIR/tests/browser/output/status-page.png (a real vitalsd with ok, warning,
# error and push checks, in headless Chromium at 1280x800), and copies that file
# over docs/status-page.png. Look at it before committing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${1:-build}
# No browser means no test to run: say so at configure time rather than later.
export VITALS_REQUIRE_BROWSER_TESTS=1
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target browser_tests
shot="$build_dir/tests/browser/output/status-page.png"
rm -f "$shot" # so a stale one is never copied
ctest --test-dir "$build_dir" --output-on-failure -R '^browser: the status page shows rows'
cp "$shot" docs/status-page.png
echo "docs/status-page.png updated from $shot"
