#!/usr/bin/env bash
# deb_test.sh's skips (exit 77, which CTest does not count as failed) must become
# failures naming the reason when VITALS_REQUIRE_PACKAGE_TEST=1, as CI sets it.
# Checked on the skips every machine can reach: the lifecycle stage run by a user
# who is not root (as root, the test drops to nobody for it), and the lintian stage
# where no lintian is found.
#   skip_policy_test.sh DEB_TEST
set -euo pipefail
deb_test=$1

not_root() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
    else
        "$@"
    fi
}
# The lifecycle stage's exit status and output, run under `env "$@"`.
lifecycle() {
    local status=0 output
    output=$(not_root env "$@" bash "$deb_test" lifecycle /nonexistent /nonexistent 2>&1) ||
        status=$?
    echo "$status $output"
}

result=$(lifecycle -u VITALS_REQUIRE_PACKAGE_TEST)
[[ $result == "77 SKIP: dpkg -i needs root"* ]] || {
    echo "without VITALS_REQUIRE_PACKAGE_TEST: expected a skip, got: $result" >&2
    exit 1
}
result=$(lifecycle VITALS_REQUIRE_PACKAGE_TEST=1)
[[ $result == "1 FAIL: dpkg -i needs root (so the test cannot run here, and VITALS_REQUIRE_PACKAGE_TEST=1 requires it)"* ]] || {
    echo "with VITALS_REQUIRE_PACKAGE_TEST=1: expected a failure, got: $result" >&2
    exit 1
}
# The lintian stage on a machine without lintian (here: a PATH that finds nothing).
lintian_stage() {
    local status=0 output
    output=$(env "$@" PATH=/nonexistent "$BASH" "$deb_test" lintian /nonexistent /nonexistent 2>&1) ||
        status=$?
    echo "$status $output"
}
result=$(lintian_stage -u VITALS_REQUIRE_PACKAGE_TEST)
[[ $result == "77 SKIP: lintian is not installed"* ]] || {
    echo "lintian absent, without VITALS_REQUIRE_PACKAGE_TEST: expected a skip, got: $result" >&2
    exit 1
}
result=$(lintian_stage VITALS_REQUIRE_PACKAGE_TEST=1)
[[ $result == "1 FAIL: lintian is not installed"*"VITALS_REQUIRE_PACKAGE_TEST=1 requires it)"* ]] || {
    echo "lintian absent, with VITALS_REQUIRE_PACKAGE_TEST=1: expected a failure, got: $result" >&2
    exit 1
}
echo "ok: a skip is exit 77, and a failure with its reason under VITALS_REQUIRE_PACKAGE_TEST=1"
