// The memory plugin through the real vitalsd, with thresholds set around what /proc/meminfo
// says now. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;

/// The test's own reading of /proc/meminfo, in bytes.
struct MemoryNow {
    std::uint64_t total = 0;
    std::uint64_t available = 0;
    std::uint64_t swap_total = 0;

    double available_percent() const {
        return static_cast<double>(available) / static_cast<double>(total) * 100;
    }
};

MemoryNow memory_now() {
    MemoryNow now;
    std::istringstream lines{read_text("/proc/meminfo")};
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields{line};
        if (!(fields >> key >> kib)) continue;
        if (key == "MemTotal:") now.total = kib * 1024;
        if (key == "MemAvailable:") now.available = kib * 1024;
        if (key == "SwapTotal:") now.swap_total = kib * 1024;
    }
    REQUIRE(now.total > 0);
    return now;
}

} // namespace

TEST_CASE("memory: metrics and message agree with /proc/meminfo") {
    Agent agent{check_toml("memory", "memory", "available_warning = 0, available_error = 0")};
    const auto check = wait_until_not_pending(agent.port(), "memory", 10s);
    const MemoryNow now = memory_now();

    CHECK(status_of(check) == "ok");
    CHECK(required_metric(check, "total_bytes") == static_cast<double>(now.total));
    CHECK(metric_unit(check, "total_bytes") == "bytes");
    CHECK(required_metric(check, "swap_total_bytes") == static_cast<double>(now.swap_total));
    // Available memory moves with everything else running here: close, not equal.
    CHECK(required_metric(check, "available_percent") ==
          doctest::Approx(now.available_percent()).epsilon(0.1));
    CHECK(metric_unit(check, "available_percent") == "percent");
    CHECK(required_metric(check, "available_bytes") / required_metric(check, "total_bytes") * 100 ==
          doctest::Approx(required_metric(check, "available_percent")));
    CHECK(required_metric(check, "swap_used_bytes") <= required_metric(check, "swap_total_bytes"));
    CHECK(metric_unit(check, "swap_used_percent") == "percent");
    CHECK(contains(message_of(check), " available ("));
    CHECK(contains(message_of(check), now.swap_total == 0 ? "no swap" : "swap "));
}

TEST_CASE("memory: available-memory thresholds around the current value") {
    const double available = memory_now().available_percent();
    INFO("memory is " << available << "% available");
    // Half the current value is far below anything a test run can do to this box; 100 is above
    // it always, since the kernel never reports all of memory available.
    const std::string half = toml_number(available / 2);
    const std::string quarter = toml_number(available / 4);
    Agent agent{
        check_toml("plenty", "memory",
                   "available_warning = " + half + ", available_error = " + quarter) +
        check_toml("low", "memory", "available_warning = 100, available_error = " + half) +
        check_toml("exhausted", "memory", "available_warning = 100, available_error = 100")};

    const auto plenty = wait_until_not_pending(agent.port(), "plenty", 10s);
    CHECK(status_of(plenty) == "ok");
    CHECK_FALSE(contains(message_of(plenty), "available <"));

    const auto low = wait_until_not_pending(agent.port(), "low", 10s);
    CHECK(status_of(low) == "warning");
    CHECK(contains(message_of(low), ": available < 100.0%"));
    CHECK(http_get(agent.port(), "/health/checks/low").status == 200);

    const auto exhausted = wait_until_not_pending(agent.port(), "exhausted", 10s);
    CHECK(status_of(exhausted) == "error");
    CHECK(contains(message_of(exhausted), ": available < 100.0%"));
    CHECK(http_get(agent.port(), "/health/checks/exhausted").status == 503);
}

TEST_CASE("memory: swap thresholds apply only where there is swap") {
    const MemoryNow now = memory_now();
    // 0% reached by any swap at all, even an idle one: the strictest setting there is.
    Agent agent{check_toml("swap", "memory",
                           "available_warning = 0, available_error = 0, swap_warning = 0")};
    const auto check = wait_until_not_pending(agent.port(), "swap", 10s);
    if (now.swap_total == 0) {
        CHECK(status_of(check) == "ok");
        CHECK(contains(message_of(check), "no swap"));
        CHECK(required_metric(check, "swap_used_percent") == 0);
        CHECK(required_metric(check, "swap_total_bytes") == 0);
    } else {
        CHECK(status_of(check) == "warning");
        CHECK(contains(message_of(check), ": swap used >= 0.0%"));
        CHECK(required_metric(check, "swap_total_bytes") == static_cast<double>(now.swap_total));
    }
}

TEST_CASE("memory: parameters are validated") {
    const auto check =
        check_config(check_toml("range", "memory", "available_warning = 150") +
                     check_toml("order", "memory", "available_error = 20") +
                     check_toml("swap_order", "memory", "swap_warning = 90, swap_error = 80") +
                     check_toml("swap_range", "memory", "swap_error = -5") +
                     check_toml("word", "memory", "swap_error = \"half\"") +
                     check_toml("unknown", "memory", "warning = 10") +
                     check_toml("fine", "memory",
                                "available_warning = 20, available_error = 10, swap_warning = 50, "
                                "swap_error = 90"));
    expect_rejected(check, "check.range.params.available_warning",
                    "must be a percentage from 0 to 100, got 150.0");
    expect_rejected(check, "check.order.params.available_error",
                    "must not be above available_warning (20.0 > 10.0)");
    expect_rejected(check, "check.swap_order.params.swap_warning",
                    "must not be above swap_error (90.0 > 80.0)");
    expect_rejected(check, "check.swap_range.params.swap_error", "must be a percentage");
    expect_rejected(check, "check.word.params.swap_error", "expected a number, got string");
    expect_rejected(check, "check.unknown.params.warning", "unknown parameter 'warning'");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 6);
}
