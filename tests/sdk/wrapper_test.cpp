// The C++ wrapper's 1.1 parts (<vitals/plugin.hpp>) on a 1.1 and a 1.0 host: the plugin in
// tests/sdk/plugins/wrapped.cpp is linked into this binary and called through
// <vitals/testing.hpp>. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vitals/testing.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using vitals::testing::Host;
using vitals::testing::HostAbi;
using vitals::testing::Plugin;
using vitals::testing::Problem;

std::vector<std::string> messages(const std::vector<vitals::testing::LogLine> &lines) {
    std::vector<std::string> texts;
    for (const auto &line : lines)
        texts.push_back(line.phase + ": " + line.message);
    return texts;
}

} // namespace

TEST_CASE("wrapper: problem() reports every parameter problem, then refuses the check") {
    Host host;
    Plugin plugin{host, &vitals_plugin_entry};
    auto check = plugin.create({{"value", -1}, {"warning", 95}});
    CHECK_FALSE(check.created());
    CHECK(check.problems() == std::vector<Problem>{{"value", "must not be negative"},
                                                   {"warning", "must not be above error (90)"}});
    // reject() still ends the constructor at the first problem.
    CHECK(plugin.create({{"value", 2e9}, {"warning", 95}}).problems() ==
          std::vector<Problem>{{"value", "is absurd"}});
}

TEST_CASE("wrapper: Param rows declare limits and choices the host enforces") {
    Host host;
    Plugin plugin{host, &vitals_plugin_entry};
    CHECK(plugin.create({{"value", 1}, {"error", 101}, {"unit", "furlongs"}, {"pause", "2m"}})
              .problems() ==
          std::vector<Problem>{{"error", "must be at most 100, got 101"},
                               {"unit", "must be one of \"percent\", \"ratio\", got \"furlongs\""},
                               {"pause", "must be at most 60s, got 120s"}});
    CHECK(
        plugin.create({}).problems() ==
        std::vector<Problem>{{"value", "missing required parameter 'value' for plugin 'wrapped'"}});
    const vitals_param_spec &warning = plugin.descriptor().params[1];
    CHECK(std::string{warning.key} == "warning");
    CHECK(std::string{warning.default_value} == "80");
    CHECK(warning.limits == (VITALS_LIMIT_MIN | VITALS_LIMIT_MAX));
}

TEST_CASE("wrapper: on a 1.1 host, metrics carry kind, labels and thresholds") {
    Host host;
    host.set_check("disk_use", 1min, 10s);
    {
        Plugin plugin{host, &vitals_plugin_entry, "/plugins/wrapped.so"};
        REQUIRE_FALSE(plugin.refusal());
        auto check = plugin.create({{"value", 85.5}});
        INFO(check.problem_text());
        REQUIRE(check.created());
        const auto result = check.run();
        CHECK(result.status == VITALS_STATUS_WARNING);
        CHECK(result.message == "85.500000 percent, attempt 1");
        const auto *used = result.metric("used");
        REQUIRE(used != nullptr);
        CHECK(used->extended);
        CHECK(used->unit == "percent");
        CHECK(used->kind == VITALS_METRIC_GAUGE);
        CHECK(used->warn == 80);
        CHECK(used->crit == 90);
        CHECK(used->min == 0);
        CHECK(used->max == 100);
        const auto *runs = result.metric("runs", {{"check", "disk_use"}});
        REQUIRE(runs != nullptr);
        CHECK(runs->kind == VITALS_METRIC_COUNTER);
        CHECK(check.run().message == "85.500000 percent, attempt 2");
    }
    // init() and destroy() log through the host; deinit() follows the last check.
    CHECK(messages(host.logs()) == std::vector<std::string>{"init: init /plugins/wrapped.so",
                                                            "destroy: destroying disk_use",
                                                            "deinit: deinit"});
    CHECK(host.misuses().empty());
}

TEST_CASE("wrapper: on a 1.0 host, it runs without a single 1.1 call") {
    Host host{HostAbi::v1_0};
    Plugin plugin{host, &vitals_plugin_entry};
    REQUIRE_FALSE(plugin.refusal());
    auto check = plugin.create({{"value", 95}});
    REQUIRE(check.created());
    const auto result = check.run();
    CHECK(result.status == VITALS_STATUS_ERROR);
    CHECK(result.message == "95.000000 percent, on a 1.0 host");
    const auto *used = result.metric("used");
    REQUIRE(used != nullptr);
    CHECK_FALSE(used->extended);
    CHECK(used->unit == "percent");
    CHECK(result.metric("runs") != nullptr);
    CHECK(host.misuses().empty());
}

TEST_CASE("wrapper: cancel_fd wakes a waiting run, and time_left does on a 1.0 host") {
    Host host;
    Plugin plugin{host, &vitals_plugin_entry};
    auto check = plugin.create({{"value", 1}, {"pause", "30s"}});
    REQUIRE(check.created());
    host.clock().expire_after(20ms);
    const auto result = check.run();
    CHECK(result.timed_out);
    CHECK(result.reported_message == "cancelled by the host");

    Host older{HostAbi::v1_0};
    Plugin on_1_0{older, &vitals_plugin_entry};
    auto waiting = on_1_0.create({{"value", 1}, {"pause", "30s"}});
    older.clock().advance_per_read(1s);
    const auto spun = waiting.run();
    CHECK(spun.timed_out);
    CHECK(spun.reported_message == "out of time");
    CHECK(older.misuses().empty());
}

TEST_CASE("wrapper: an init() that throws refuses the plugin with its reason in the log") {
    Host host;
    Plugin plugin{host, &vitals_plugin_entry, "/plugins/refuse.so"};
    REQUIRE(plugin.refusal());
    CHECK(*plugin.refusal() == "init() returned 1");
    CHECK(messages(host.logs()) ==
          std::vector<std::string>{
              "init: init threw: told to refuse by the name /plugins/refuse.so"});
}
