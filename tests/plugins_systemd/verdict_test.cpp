// The systemd plugin's rules on states a real manager rarely shows on demand (masked units,
// units on their way, a manager stopping), as plain values: no bus, no sleep.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "verdict.hpp"

#include <signal.h>

#include <string>

namespace {

using namespace vitals::systemd;
using namespace std::chrono_literals;
using vitals::Status;

const auto now = system_clock::time_point{} + 1000h;

/// Expectations with one change made by `set`.
template <typename Set> Expectations expecting(Set set) {
    Expectations expected;
    set(expected);
    return expected;
}

UnitFacts service(const std::string &active, const std::string &sub, ServiceFacts facts = {}) {
    if (facts.type.empty()) facts.type = "simple";
    if (facts.result.empty()) facts.result = "success";
    return {{"app.service", "loaded", active, sub, "/unit/app"}, facts, std::nullopt};
}

UnitFacts timer(std::optional<system_clock::time_point> last_trigger, const std::string &result,
                const std::string &triggered_state = "inactive") {
    TimerFacts facts{last_trigger, "job.service",
                     UnitListing{"job.service", "loaded", triggered_state, "dead", "/unit/job"},
                     ServiceFacts{"oneshot", result, 0, 1, result == "success" ? 0 : 3}};
    return {{"job.timer", "loaded", "active", "waiting", "/unit/timer"}, std::nullopt, facts};
}

} // namespace

TEST_CASE("systemd verdict: a unit that does not load is an error that says why") {
    for (const auto &[load_state, text] :
         {std::pair{"not-found", "app.service: no such unit"},
          std::pair{"masked", "app.service is masked"},
          std::pair{"bad-setting", "app.service does not load (bad-setting)"}}) {
        UnitFacts unit = service("inactive", "dead");
        unit.listing.load_state = load_state;
        const auto finding = judge_unit(unit, {}, now);
        CHECK(finding.status == Status::error);
        CHECK(finding.text == text);
    }
}

TEST_CASE("systemd verdict: failed is an error whatever state is expected, on its way a warning") {
    ServiceFacts killed{"simple", "signal", 0, 2, SIGKILL};
    auto finding = judge_unit(service("failed", "failed", killed),
                              expecting([](auto &e) { e.active_state = "inactive"; }), now);
    CHECK(finding.status == Status::error);
    CHECK(finding.text == "app.service failed (killed by SIGKILL)");

    finding = judge_unit(service("activating", "auto-restart"), {}, now);
    CHECK(finding.status == Status::warning);
    CHECK(finding.text == "app.service is activating (auto-restart), expected active");
    finding = judge_unit(service("deactivating", "stop-sigterm"), {}, now);
    CHECK(finding.status == Status::warning);

    finding = judge_unit(service("inactive", "dead"), {}, now);
    CHECK(finding.status == Status::error);
    CHECK(finding.text == "app.service is inactive (dead), expected active");
    finding = judge_unit(service("inactive", "dead"),
                         expecting([](auto &e) { e.active_state = "inactive"; }), now);
    CHECK(finding.status == Status::ok);
    CHECK(finding.text == "app.service inactive (dead)");
}

TEST_CASE("systemd verdict: a oneshot may be inactive after a good run unless a state is asked") {
    const ServiceFacts good{"oneshot", "success", 0, 1, 0};
    auto finding = judge_unit(service("inactive", "dead", good), {}, now);
    CHECK(finding.status == Status::ok);
    CHECK(finding.text == "app.service inactive (dead), last run exit status 0");
    // Unloaded since (the manager forgot the run): nothing to say about it.
    finding = judge_unit(service("inactive", "dead", {"oneshot", "success", 0, 0, 0}), {}, now);
    CHECK(finding.text == "app.service inactive (dead), no run on record");
    finding = judge_unit(service("inactive", "dead", good),
                         expecting([](auto &e) { e.active_state = "active"; }), now);
    CHECK(finding.status == Status::error);
    // Reset after a failure (systemctl reset-failed) but its result kept: still the last run.
    finding =
        judge_unit(service("inactive", "dead", {"oneshot", "timeout", 0, 2, SIGTERM}), {}, now);
    CHECK(finding.status == Status::error);
    CHECK(finding.text == "app.service's last run failed (timeout)");
}

TEST_CASE("systemd verdict: restarts count above a limit, not at it") {
    const auto limits = expecting([](auto &e) {
        e.restarts_warning = 2;
        e.restarts_error = 5;
    });
    const auto with = [&](std::uint64_t restarts) {
        return judge_unit(service("active", "running", {"simple", "success", restarts, 0, 0}),
                          limits, now);
    };
    CHECK(with(2).status == Status::ok);
    CHECK(with(3).status == Status::warning);
    CHECK(with(3).text == "app.service restarted 3 times (more than 2)");
    CHECK(with(5).status == Status::warning);
    CHECK(with(6).status == Status::error);
    // Every problem is named, the worst decides.
    const auto both = judge_unit(
        service("activating", "auto-restart", {"simple", "success", 6, 0, 0}), limits, now);
    CHECK(both.status == Status::error);
    CHECK(both.text == "app.service is activating (auto-restart), expected active, app.service "
                       "restarted 6 times (more than 5)");
}

TEST_CASE("systemd verdict: a timer by its last trigger's age and by its service's last run") {
    const auto limits = expecting([](auto &e) {
        e.trigger_warning = 25h;
        e.trigger_error = 49h;
    });
    auto finding = judge_unit(timer(now - 2h, "success"), limits, now);
    CHECK(finding.status == Status::ok);
    CHECK(finding.text == "job.timer active (waiting), triggered 2 h ago");
    finding = judge_unit(timer(now - 26h, "success"), limits, now);
    CHECK(finding.status == Status::warning);
    CHECK(finding.text == "job.timer last triggered 26 h ago (more than 25 h)");
    finding = judge_unit(timer(now - 72h, "success"), limits, now);
    CHECK(finding.status == Status::error);
    CHECK(finding.text == "job.timer last triggered 3 d ago (more than 2 d)");
    finding = judge_unit(timer(std::nullopt, "success"),
                         expecting([](auto &e) { e.trigger_warning = 1h; }), now);
    CHECK(finding.status == Status::warning);
    CHECK(finding.text == "job.timer never triggered");
    // No limit: a timer that never fired is fine (it may run weekly and be new).
    CHECK(judge_unit(timer(std::nullopt, "success"), {}, now).status == Status::ok);

    finding = judge_unit(timer(now - 2h, "exit-code", "failed"), limits, now);
    CHECK(finding.status == Status::error);
    CHECK(finding.text == "job.timer: last run of job.service failed (exit status 3)");
    UnitFacts orphan = timer(now - 2h, "success");
    orphan.timer->triggered->load_state = "not-found";
    finding = judge_unit(orphan, {}, now);
    CHECK(finding.status == Status::error);
    CHECK(finding.text == "job.timer starts job.service, which is not-found");
}

TEST_CASE("systemd verdict: the manager's states") {
    CHECK(judge_manager("running", {}).status == Status::ok);
    const auto degraded =
        judge_manager("degraded", {{"a.service", "loaded", "failed", "failed", ""},
                                   {"b.mount", "loaded", "failed", "failed", ""}});
    CHECK(degraded.status == Status::warning);
    CHECK(degraded.text == "manager degraded: failed a.service, b.mount");
    CHECK(judge_manager("starting", {}).status == Status::warning);
    CHECK(judge_manager("initializing", {}).status == Status::warning);
    for (const char *state : {"stopping", "maintenance", "offline", "unknown"}) {
        CAPTURE(state);
        CHECK(judge_manager(state, {}).status == Status::error);
        CHECK(judge_manager(state, {}).text == std::string{"manager "} + state);
    }
}

TEST_CASE("systemd verdict: how runs and ages read") {
    CHECK(describe_run({"oneshot", "exit-code", 0, 1, 3}) == "exit status 3");
    CHECK(describe_run({"simple", "signal", 0, 2, SIGTERM}) == "killed by SIGTERM");
    CHECK(describe_run({"simple", "core-dump", 0, 3, SIGSEGV}) == "dumped core on SIGSEGV");
    CHECK(describe_run({"simple", "start-limit-hit", 0, 0, 0}) == "start-limit-hit");
    CHECK(describe_age(300ms) == "300.0 ms");
    CHECK(describe_age(42s) == "42 s");
    CHECK(describe_age(12min) == "12 min");
    CHECK(describe_age(5h) == "5 h");
    CHECK(describe_age(72h) == "3 d");
}
