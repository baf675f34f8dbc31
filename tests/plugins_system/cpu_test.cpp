// The cpu plugin through the real vitalsd: shares read from /proc/stat, and every CPU kept busy
// by a helper process (hog.c) for the limits. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "plugins_system/hog.hpp"
#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;

double online_cpus() {
    return static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
}

} // namespace

TEST_CASE("cpu: the shares of the first run add up and the message says them") {
    Agent agent{check_toml("cpu", "cpu", "")};
    const auto check = wait_until_not_pending(agent.port(), "cpu", 10s);
    CHECK(status_of(check) == "ok");
    const double used = required_metric(check, "used_percent");
    CHECK(metric_unit(check, "used_percent") == "percent");
    CHECK(used >= 0);
    CHECK(used + required_metric(check, "iowait_percent") <= 100.001);
    CHECK(required_metric(check, "user_percent") + required_metric(check, "system_percent") +
              required_metric(check, "steal_percent") ==
          doctest::Approx(used).epsilon(0.001));
    CHECK(required_metric(check, "cpus") == online_cpus());
    CHECK(contains(message_of(check), "% used (user "));
    CHECK(contains(message_of(check), " on " + std::to_string(static_cast<int>(online_cpus()))));
    expect_promtool_clean(agent.port());
}

TEST_CASE("cpu: every CPU kept busy turns used and user limits into warning and error") {
    Agent agent{check_toml("quiet", "cpu", "iowait_error = 99, steal_error = 99") +
                // No used_error here: with every CPU busy, used can reach 100.0%.
                check_toml("warn", "cpu", "used_warning = 60") +
                check_toml("fail", "cpu", "used_warning = 30, used_error = 60") +
                check_toml("user", "cpu", "user_warning = 50")};
    Hog hog{"vitals-cpu-test"};
    for (int i = 0; i < static_cast<int>(online_cpus()); ++i)
        hog.command("spin");
    const auto failing = wait_for_status(agent.port(), "fail", "error");
    CHECK(required_metric(failing, "used_percent") >= 60);
    CHECK(contains(message_of(failing), ": used >= 60.0%"));
    const auto warning = wait_for_status(agent.port(), "warn", "warning");
    CHECK(contains(message_of(warning), ": used >= 60.0%"));
    const auto user = wait_for_status(agent.port(), "user", "warning");
    CHECK(contains(message_of(user), ": user >= 50.0%"));
    // Busy is not waiting for I/O, and a guest's steal stays far below 99%.
    CHECK(status_of(wait_until_not_pending(agent.port(), "quiet")) == "ok");
}

TEST_CASE("cpu: parameters are validated") {
    const auto check =
        check_config(check_toml("range", "cpu", "used_warning = 150") +
                     check_toml("order", "cpu", "steal_warning = 20, steal_error = 10") +
                     check_toml("negative", "cpu", "iowait_error = -1") +
                     check_toml("word", "cpu", "user_error = \"most\"") +
                     check_toml("unknown", "cpu", "idle_warning = 10") +
                     check_toml("fine", "cpu",
                                "used_warning = 80, used_error = 95, user_warning = 70, "
                                "user_error = 90, system_warning = 30, system_error = 50, "
                                "iowait_warning = 20, iowait_error = 40, steal_warning = 10, "
                                "steal_error = 25"));
    expect_rejected(check, "check.range.params.used_warning",
                    "must be a percentage from 0 to 100, got 150.0");
    expect_rejected(check, "check.order.params.steal_warning",
                    "must not be above steal_error (20.0 > 10.0)");
    expect_rejected(check, "check.negative.params.iowait_error", "must be a percentage");
    expect_rejected(check, "check.word.params.user_error", "expected a number, got string");
    expect_rejected(check, "check.unknown.params.idle_warning", "unknown parameter");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 5);
}
