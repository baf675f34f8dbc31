// The load plugin through the real vitalsd, with thresholds set around what /proc/loadavg
// says now. The 15-minute average moves slowly enough for that. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <array>
#include <sstream>
#include <string>

#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;

std::array<double, 3> loadavg_now() {
    std::istringstream fields{read_text("/proc/loadavg")};
    std::array<double, 3> loads{};
    fields.imbue(std::locale::classic());
    REQUIRE(static_cast<bool>(fields >> loads[0] >> loads[1] >> loads[2]));
    return loads;
}

double online_cpus() {
    return static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
}

} // namespace

TEST_CASE("load: the three averages and the CPU count, without thresholds always ok") {
    Agent agent{check_toml("load", "load", "")};
    const auto check = wait_until_not_pending(agent.port(), "load", 10s);
    const auto now = loadavg_now();

    CHECK(status_of(check) == "ok");
    CHECK(required_metric(check, "cpus") == online_cpus());
    CHECK(metric_unit(check, "cpus") == "count");
    // The 15-minute average barely moves within a test; 1 and 5 minutes may, on a busy box.
    CHECK(required_metric(check, "load15") == doctest::Approx(now[2]).epsilon(0.2).scale(1));
    for (const char *name : {"load1", "load5", "load15"})
        CHECK(required_metric(check, name) >= 0);
    CHECK_FALSE(metric(check, "load1_per_cpu").has_value());
    CHECK(message_of(check).starts_with("load "));
    const auto cpus = static_cast<int>(online_cpus());
    CHECK(message_of(check).ends_with(" on " + std::to_string(cpus) +
                                      (cpus == 1 ? " CPU" : " CPUs")));
}

TEST_CASE("load: thresholds on the 15-minute average around its current value") {
    const double load15 = loadavg_now()[2];
    INFO("15-minute load " << load15);
    // Half and double-plus-two: the 15-minute average cannot halve or double in seconds.
    const std::string half = toml_number(load15 / 2);
    const std::string well_above = toml_number(load15 * 2 + 2);
    Agent agent{
        check_toml("calm", "load", "load15_warning = " + well_above) +
        check_toml("busy", "load", "load15_warning = " + half + ", load15_error = " + well_above) +
        check_toml("overloaded", "load", "load15_warning = 0, load15_error = " + half) +
        check_toml("spike", "load", "load1_error = 0")};

    CHECK(status_of(wait_until_not_pending(agent.port(), "calm", 10s)) == "ok");
    const auto busy = wait_until_not_pending(agent.port(), "busy", 10s);
    CHECK(status_of(busy) == "warning");
    CHECK(contains(message_of(busy), ": 15m "));
    CHECK(contains(message_of(busy), " >= "));
    const auto overloaded = wait_until_not_pending(agent.port(), "overloaded", 10s);
    CHECK(status_of(overloaded) == "error");
    CHECK(contains(message_of(overloaded), ": 15m "));
    // A load of 0 is reached by any load at all.
    const auto spike = wait_until_not_pending(agent.port(), "spike", 10s);
    CHECK(status_of(spike) == "error");
    CHECK(contains(message_of(spike), ": 1m "));
    CHECK(contains(message_of(spike), " >= 0.00"));
}

TEST_CASE("load: per_cpu divides by the online CPUs before comparing") {
    const double cpus = online_cpus();
    const double load15 = loadavg_now()[2];
    INFO("15-minute load " << load15 << " on " << cpus << " CPUs");
    // Halfway between the per-CPU and the whole-machine value: per_cpu decides the status.
    const std::string between = toml_number(load15 * (1 + 1 / cpus) / 2);
    Agent agent{check_toml("per_cpu", "load", "per_cpu = true, load15_warning = " + between) +
                check_toml("whole", "load", "load15_warning = " + between)};

    const auto per_cpu = wait_until_not_pending(agent.port(), "per_cpu", 10s);
    CHECK(message_of(per_cpu).starts_with("load per CPU "));
    for (const char *name : {"load1", "load5", "load15"})
        CHECK(required_metric(per_cpu, std::string{name} + "_per_cpu") ==
              doctest::Approx(required_metric(per_cpu, name) / cpus));
    const auto whole = wait_until_not_pending(agent.port(), "whole", 10s);
    if (cpus < 2 || load15 < 0.2) {
        MESSAGE("one CPU or an idle machine: per-CPU and whole-machine loads cannot be told apart");
        return;
    }
    CHECK(status_of(per_cpu) == "ok");
    CHECK(status_of(whole) == "warning");
}

TEST_CASE("load: parameters are validated") {
    const auto check = check_config(
        check_toml("negative", "load", "load1_warning = -1") +
        check_toml("order", "load", "load5_warning = 3, load5_error = 2") +
        check_toml("flag", "load", "per_cpu = \"yes\"") +
        check_toml("word", "load", "load15_error = \"high\"") +
        check_toml("list", "load", "warning = [1, 2, 3]") +
        check_toml("fine", "load",
                   "per_cpu = true, load1_warning = 2, load1_error = 4, load5_warning = 1.5, "
                   "load5_error = 3, load15_warning = 1, load15_error = 2"));
    expect_rejected(check, "check.negative.params.load1_warning", "must be a load of 0 or more");
    expect_rejected(check, "check.order.params.load5_warning",
                    "must not be above load5_error (3.00 > 2.00)");
    expect_rejected(check, "check.flag.params.per_cpu", "expected a boolean");
    expect_rejected(check, "check.word.params.load15_error", "expected a number");
    expect_rejected(check, "check.list.params.warning", "unknown parameter 'warning'");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 5);
}
