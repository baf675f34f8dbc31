// <vitals/testing.hpp>, the mock host plugin authors unit-test with, tested on a C plugin
// (tests/sdk/plugins/host_aware.c) loaded with dlopen(), on a 1.1 and on a 1.0-sized host
// table. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vitals/testing.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using vitals::testing::Host;
using vitals::testing::HostAbi;
using vitals::testing::Plugin;
using vitals::testing::Problem;

const std::string host_aware_so = std::string{VITALS_TESTING_PLUGIN_DIR} + "/host_aware.so";

std::vector<std::string> messages(const std::vector<vitals::testing::LogLine> &lines) {
    std::vector<std::string> texts;
    for (const auto &line : lines)
        texts.push_back(line.phase + ": " + line.message);
    return texts;
}

} // namespace

TEST_CASE("testing host: a 1.1 host calls init, create, run, destroy_ex and deinit in order") {
    Host host;
    host.set_check("web_requests", 30s, 5s);
    {
        Plugin plugin{host, host_aware_so};
        REQUIRE_FALSE(plugin.refusal());
        CHECK(std::string{plugin.descriptor().name} == "host_aware");
        auto check = plugin.create({{"count", 3}});
        INFO(check.problem_text());
        REQUIRE(check.created());

        const auto result = check.run();
        CHECK(result.status == VITALS_STATUS_OK);
        CHECK(result.message ==
              "1.1 host, check web_requests, attempt 1, previous -1, metric kept");
        const auto *requests = result.metric("requests", {{"method", "GET"}});
        REQUIRE(requests != nullptr);
        CHECK(requests->extended);
        CHECK(requests->value == 3);
        CHECK(requests->unit == "count");
        CHECK(requests->kind == VITALS_METRIC_COUNTER);
        CHECK(requests->warn == 5);
        CHECK(requests->crit == 8);
        CHECK_FALSE(requests->min.has_value());
        CHECK(result.metric("requests") == nullptr); // the labels are part of its identity
    }
    CHECK(messages(host.logs()) ==
          std::vector<std::string>{"init: init " + host_aware_so, "create: creating web_requests",
                                   "destroy: destroying, previous -1, attempt 0",
                                   "deinit: deinit"});
    CHECK(host.misuses().empty());
}

TEST_CASE("testing host: run info counts attempts and remembers the previous status") {
    Host host;
    Plugin plugin{host, host_aware_so};
    auto check = plugin.create();
    REQUIRE(check.created());
    CHECK(check.run().message == "1.1 host, check test, attempt 1, previous -1, metric kept");
    CHECK(check.run().message == "1.1 host, check test, attempt 1, previous 0, metric kept");
    check.set_history(VITALS_STATUS_ERROR, 2);
    CHECK(check.run().message == "1.1 host, check test, attempt 3, previous 2, metric kept");
}

TEST_CASE("testing host: a 1.0-sized table runs a 1.1 plugin that checks VITALS_HOST_HAS") {
    Host host{HostAbi::v1_0};
    CHECK(host.table()->struct_size == offsetof(vitals_host_api, add_metric_ex));
    CHECK(host.table()->abi_minor == 0);
    CHECK_FALSE(VITALS_HOST_HAS(host.table(), add_metric_ex));
    CHECK_FALSE(VITALS_HOST_HAS(host.table(), cancel_fd));
    {
        Plugin plugin{host, host_aware_so};
        REQUIRE_FALSE(plugin.refusal());
        // A 1.0 agent reads the descriptor only as far as 1.0 knows it.
        const bool reads_init = plugin.descriptor().init != nullptr;
        const bool reads_destroy_ex = plugin.descriptor().destroy_ex != nullptr;
        CHECK_FALSE(reads_init);
        CHECK_FALSE(reads_destroy_ex);
        auto check = plugin.create({{"count", 2}});
        REQUIRE(check.created());
        const auto result = check.run();
        CHECK(result.status == VITALS_STATUS_OK);
        CHECK(result.message == "1.0 host");
        const auto *requests = result.metric("requests");
        REQUIRE(requests != nullptr);
        CHECK_FALSE(requests->extended);
        CHECK(requests->value == 2);
    }
    // No init, no deinit, and destroy() (which cannot log) instead of destroy_ex().
    CHECK(host.logs().empty());
    CHECK(host.misuses().empty());
}

TEST_CASE("testing host: a 1.1 call on a 1.0-sized table is recorded, not a crash") {
    Host host{HostAbi::v1_0};
    Plugin plugin{host, host_aware_so};
    auto check = plugin.create({{"mode", "unchecked"}});
    REQUIRE(check.created());
    check.run();
    CHECK(host.misuses() ==
          std::vector<std::string>{"add_metric_ex() called on a 1.0 host without checking "
                                   "VITALS_HOST_HAS"});

    Host newer;
    Plugin same{newer, host_aware_so};
    auto fine = same.create({{"mode", "unchecked"}});
    fine.run();
    CHECK(newer.misuses().empty());
}

TEST_CASE("testing host: parameters are validated before create, as the agent does") {
    Host host;
    Plugin plugin{host, host_aware_so};

    auto unknown = plugin.create({{"cuont", 3}});
    CHECK_FALSE(unknown.created());
    CHECK(unknown.problems() ==
          std::vector<Problem>{{"cuont", "unknown parameter 'cuont' for plugin 'host_aware' "
                                         "(expected one of: mode, count)"}});

    auto mistyped = plugin.create({{"count", "three"}, {"mode", 1.5}});
    CHECK(mistyped.problems() ==
          std::vector<Problem>{{"count", "expected an integer, got a string"},
                               {"mode", "expected a string, got a float"}});

    // 1.1's declared limits and choices.
    auto outside = plugin.create({{"count", 11}, {"mode", "sideways"}});
    CHECK(outside.problems() ==
          std::vector<Problem>{{"count", "must be at most 10, got 11"},
                               {"mode", "must be one of \"report\", \"wait\", \"spin\", "
                                        "\"unchecked\", \"silent\", \"misplaced\", got "
                                        "\"sideways\""}});
    CHECK(plugin.create({{"count", 0}}).problem_text() == "count: must be at least 1, got 0\n");

    // A 1.0 agent knows no limits: the plugin gets the value.
    Host older{HostAbi::v1_0};
    Plugin on_1_0{older, host_aware_so};
    CHECK(on_1_0.create({{"count", 11}}).created());
}

TEST_CASE("testing host: the fake clock times a run out and the result is ignored") {
    Host host;
    host.set_check("spinner", 10s, 5s);
    Plugin plugin{host, host_aware_so};
    auto check = plugin.create({{"mode", "spin"}});
    REQUIRE(check.created());
    host.clock().advance_per_read(1s);
    const auto result = check.run();
    CHECK(result.timed_out);
    CHECK(result.status == VITALS_STATUS_ERROR);
    CHECK(result.message == "timed out after 5s");
    // The plugin saw 4 s, 3 s, 2 s and 1 s left, then none.
    CHECK(result.reported_message == "gave up after 4 reads");
}

TEST_CASE("testing host: the cancel descriptor is readable once the time is up") {
    Host host;
    Plugin plugin{host, host_aware_so};
    auto check = plugin.create({{"mode", "wait"}});
    REQUIRE(check.created());

    host.clock().set_time_left(0ns);
    const auto at_once = check.run();
    CHECK(at_once.reported_message == "cancelled");
    CHECK(at_once.timed_out);

    // A plugin blocked in poll() is woken by real time passing.
    host.clock().expire_after(20ms);
    const auto later = check.run();
    CHECK(later.reported_message == "cancelled");
    CHECK(later.timed_out);
    CHECK(host.misuses().empty());
}

TEST_CASE("testing host: no result, and calls outside their phase, are reported") {
    Host host;
    Plugin plugin{host, host_aware_so};
    auto silent = plugin.create({{"mode", "silent"}});
    const auto nothing = silent.run();
    CHECK(nothing.status == VITALS_STATUS_ERROR);
    CHECK(nothing.message == "plugin reported no result");
    CHECK_FALSE(nothing.reported_status.has_value());

    auto misplaced = plugin.create({{"mode", "misplaced"}});
    CHECK(misplaced.run().status == VITALS_STATUS_OK);
    CHECK(host.misuses() ==
          std::vector<std::string>{"param_has() called in run(), outside its allowed phase"});
}

TEST_CASE("testing host: a missing library or entry is an exception naming the file") {
    Host host;
    CHECK_THROWS_WITH_AS(Plugin(host, std::string{VITALS_TESTING_PLUGIN_DIR} + "/absent.so"),
                         doctest::Contains("cannot load"), std::runtime_error);
}
