// RunPlan: which check runs next, and when a check runs again. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vector>

#include "scheduler/run_plan.hpp"

using namespace vitals;
using namespace std::chrono_literals;

namespace {

using TimePoint = RunPlan::TimePoint;
const TimePoint t0{};

} // namespace

TEST_CASE("scheduler run plan: earliest due first, only what is due") {
    RunPlan plan;
    plan.add(0, t0 + 30ms);
    plan.add(1, t0 + 10ms);
    plan.add(2, t0 + 20ms);
    CHECK(plan.next_due() == t0 + 10ms);
    const auto first = plan.take_due(t0 + 20ms);
    REQUIRE(first);
    CHECK(first->check == 1);
    const auto second = plan.take_due(t0 + 20ms);
    REQUIRE(second);
    CHECK(second->check == 2);
    CHECK(second->due == t0 + 20ms);
    CHECK_FALSE(plan.take_due(t0 + 20ms));
    CHECK(plan.next_due() == t0 + 30ms);
    CHECK_FALSE(plan.take_due(t0 + 29ms));
    CHECK(plan.size() == 1);
}

TEST_CASE("scheduler run plan: the earliest distinct due times, for the idle workers to watch") {
    RunPlan plan;
    plan.add(0, t0 + 20ms);
    plan.add(1, t0 + 10ms);
    plan.add(2, t0 + 20ms); // shares a time: one watcher covers both
    plan.add(3, t0 + 40ms);
    plan.add(4, t0 + 30ms);
    std::vector<TimePoint> times{t0}; // appended to, not replaced
    plan.earliest(3, times);
    CHECK(times == std::vector<TimePoint>{t0, t0 + 10ms, t0 + 20ms, t0 + 30ms});
    times.clear();
    plan.earliest(10, times);
    CHECK(times.size() == 4);
    times.clear();
    plan.earliest(2, times, t0 + 20ms); // only after a time (the caller runs those)
    CHECK(times == std::vector<TimePoint>{t0 + 30ms, t0 + 40ms});
}

TEST_CASE("scheduler run plan: a check taken and added again, run after run") {
    // Taken entries' nodes are reused by the next add (no allocation per run):
    // order and contents must come out as with fresh ones.
    RunPlan plan;
    for (std::size_t check = 0; check < 3; ++check)
        plan.add(check, t0 + std::chrono::milliseconds{check});
    auto now = t0 - 5ms; // rounds look at 5, 15 and 25 ms
    std::vector<std::size_t> order;
    for (int round = 0; round < 3; ++round) {
        now += 10ms;
        while (const auto due = plan.take_due(now)) {
            order.push_back(due->check);
            plan.add(due->check, due->due + 10ms);
        }
    }
    CHECK(order == std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0, 1, 2});
    CHECK(plan.size() == 3);
    CHECK(plan.next_due() == t0 + 30ms);
}

TEST_CASE("scheduler run plan: steady cadence, and no catch-up burst after a slow run") {
    // A quick run keeps the grid: due at 0, interval 10 → next at 10 even if it ended at 3.
    CHECK(RunPlan::next_due_after(t0, 10ms, t0 + 3ms) == t0 + 10ms);
    // A run that overran several intervals is clamped to now, not replayed...
    CHECK(RunPlan::next_due_after(t0, 10ms, t0 + 55ms) == t0 + 55ms);
    // ... to the next step of its grid (4 ms for 10 s), so it still runs with others.
    CHECK(RunPlan::next_due_after(t0, 10s, t0 + 25001ms) == t0 + 25004ms);
}

TEST_CASE("scheduler run plan: the second run lands at a chosen fraction of the interval") {
    // 10 s: a grid of 4 ms steps.
    CHECK(RunPlan::spread_due(t0, 10s, 0.0, t0 + 1ms) == t0 + 4ms); // never in the past
    CHECK(RunPlan::spread_due(t0, 10s, 0.25, t0 + 1ms) == t0 + 2500ms);
    CHECK(RunPlan::spread_due(t0, 10s, 0.999, t0 + 1ms) == t0 + 9992ms);
}

TEST_CASE("scheduler run plan: due times on a grid of a thousandth of the interval, 4 ms at most") {
    CHECK(RunPlan::on_grid(t0 + 1ms, 10s) == t0 + 4ms);
    CHECK(RunPlan::on_grid(t0 + 8ms, 10s) == t0 + 8ms); // on the grid: stays
    CHECK(RunPlan::on_grid(t0 + 8001us, 1h) == t0 + 12ms);
    CHECK(RunPlan::on_grid(t0 + 1500us, 1s) == t0 + 2ms);
    CHECK(RunPlan::on_grid(t0 + 15us, 10ms) == t0 + 20us);
    CHECK(RunPlan::on_grid(t0 - 5ms, 10s) == t0 - 4ms); // rounded up before the epoch too
    // A check keeps to the grid from run to run when its interval is a whole number of steps.
    const auto due = RunPlan::spread_due(t0, 10s, 0.3, t0);
    CHECK(RunPlan::next_due_after(due, 10s, due + 1ms) == RunPlan::on_grid(due + 10s, 10s));
}
