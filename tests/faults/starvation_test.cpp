// Slow and hung checks against the real vitalsd: they hold threads, never other checks'
// schedules, and the pool stays within its documented bound. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstdio>
#include <ctime>
#include <string>

#include "fault_fixture.hpp"

using namespace vitals::test;

namespace {

/// `count` checks outside the probe groups whose runs take `run_for` and end by themselves before
/// their timeout, as an http check against a server that accepts and never answers gives up just
/// short of it: the agent's own timeout never fires, so only growing the pool keeps them from
/// holding up the rest.
std::string slow_checks(int count, const std::string &run_for) {
    std::string checks;
    for (int i = 0; i < count; ++i)
        checks += "[check.slow" + std::to_string(i) +
                  "]\nplugin = \"fault_hang\"\ninterval = \"1s\"\ntimeout = \"5s\"\n"
                  "params = { for = \"" +
                  run_for + "\" }\n";
    return checks;
}

/// "2026-11-21T10:00:00.123Z" as a time.
std::chrono::system_clock::time_point parse_utc(const std::string &text) {
    std::tm parts{};
    int millis = 0;
    REQUIRE(std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &parts.tm_year, &parts.tm_mon,
                        &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec,
                        &millis) == 7);
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(::timegm(&parts)) +
           std::chrono::milliseconds{millis};
}

} // namespace

TEST_CASE("starvation: slow checks holding every place never starve the probe checks") {
    // Two places and ten checks whose runs take 2 s every second: always overdue, they
    // hold both places for good. The live checks run on the probe reserve, on time, and
    // /health/live stays 200 (behind the slow ones they would go stale).
    FaultAgent agent{std::string{healthy_checks} + slow_checks(10, "2s"), "workers = 2\n"};
    check_healthy_on_schedule(agent.port(), 3s);
    CHECK(http_get(agent.port(), "/health/live").status == 200);
    // The limit binds: the waits are counted, and the threads stay within it.
    const auto metrics = http_get(agent.port(), "/metrics").body;
    INFO(metrics);
    CHECK(sample_value(metrics, "vitals_scheduler_run_limit{lane=\"checks\"}") == 2);
    CHECK(sample_value(metrics, "vitals_scheduler_runs_in_flight{lane=\"checks\"}") == 2);
    CHECK(sample_value(metrics, "vitals_scheduler_waits_total") > 0);
    CHECK(sample_value(metrics, "vitals_scheduler_threads") <= 2 + 4 + 1);
    // And a warning names the runs holding the places.
    const std::string log = agent.log();
    INFO(log);
    const auto warning = log.find("all 2 places for runs are taken");
    REQUIRE(warning != std::string::npos);
    CHECK(log.find("the longest runs: slow", warning) != std::string::npos);
}

TEST_CASE("starvation: with the default workers, slow checks never hold up a quick one") {
    // Twenty checks whose runs take 2 s, every second, and a quick check outside the
    // probe groups every 100 ms. A run's thread is not free while it waits on its
    // server: a pool of fixed size (four threads, before) had the quick check wait
    // seconds behind them; the pool grows a thread per slow run instead.
    FaultAgent agent{std::string{healthy_checks} + slow_checks(20, "2s") + R"(
[check.quick]
plugin = "sleepy"
interval = "100ms"
)"};
    const auto progress = watch_runs(agent.port(), {"quick"}, 3s);
    const double expected = static_cast<double>(progress[0].window / 100ms);
    INFO("quick: " << progress[0].runs << " runs in " << progress[0].window.count() << " ms (about "
                   << expected << " due), longest stall " << progress[0].stall.count() << " ms");
    CHECK(progress[0].runs >= 0.6 * expected / sanitizer_slowdown);
    CHECK(progress[0].stall <= 400ms * sanitizer_slowdown);
    const auto metrics = http_get(agent.port(), "/metrics").body;
    CHECK(sample_value(metrics, "vitals_scheduler_threads") >= 20);
    CHECK(sample_value(metrics, "vitals_scheduler_waits_total") == 0);
}

TEST_CASE("starvation: a reload's replacement of a check waits for the old run to return") {
    // The old build of the check is inside a 3 s run, past its 300 ms timeout, when a
    // reload replaces it. A check never overlaps itself: the new one's first run starts
    // after the old run has returned, however soon the reload came.
    FaultAgent agent{R"(
[check.swapped]
plugin = "sleepy"
interval = "1h"
timeout = "300ms"
params = { sleep = "3s", message = "old" }
)"};
    const auto old_run =
        wait_until(agent.port(), "swapped", message_starts_with("timed out after 300ms"));
    agent.dir().write("conf.d/checks.toml", R"(
[check.swapped]
plugin = "sleepy"
interval = "1h"
timeout = "300ms"
params = { message = "new" }
)");
    agent.process().signal(SIGHUP);
    const auto new_run = wait_until(agent.port(), "swapped", message_starts_with("new"), 10s);
    const auto old_start = parse_utc(old_run->getValue<std::string>("last_run"));
    const auto new_start = parse_utc(new_run->getValue<std::string>("last_run"));
    CHECK(new_start - old_start >= 3s);
}
