// Runs every check on its interval, off the request path. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "checks/check.hpp"
#include "core/clock.hpp"
#include "core/duration.hpp"
#include "scheduler/run_recorder.hpp"
#include "scheduler/schedule_lag.hpp"
#include "scheduler/scheduler_load.hpp"

namespace vitals {

/// A pool of workers keeps a RunPlan: idle workers keep watch over the earliest due
/// times, and the one that wakes for a check runs it, and the other quick checks due on
/// the same step of the grid (RunPlan::on_grid) with it. Guarantees:
///  - a check never overlaps itself (it is back in the plan only once its run has
///    returned, and a reload's replacement of it waits for that too);
///  - a run past its timeout is recorded at once as an error; its thread stays inside
///    the plugin, holding its place, until the call returns;
///  - a check's start never waits for a thread held by a slow or stuck run: the pool
///    grows a thread for it, up to `workers` runs at once (stuck ones included), and
///    shrinks back when they end. Past that limit due checks wait for a place, each
///    such wait is counted (SchedulerLoad), and a warning (once a minute at most)
///    names the longest runs holding the places;
///  - checks in a probe group (live, ready, startup) have `probe_reserve` places of
///    their own on top, which no other check can take: checks outside them never
///    starve a probe. So the pool has at most workers + probe_reserve + 1 threads;
///  - first runs come after a random splay of up to max_splay, so results are
///    there soon after start; second runs at a random point of the interval, so
///    checks that started together spread out instead of firing together forever;
///  - a check is not held up behind another one's slow run: only behind quick
///    ones, and never for long (see start_run in scheduler.cpp);
///  - every run's lag (actual minus planned start) is recorded in lag().
/// Time is the clock's in Options: due times, deadlines, splay and every wait.
class Scheduler {
public:
    struct Options {
        /// Runs at once outside the probe reserve, stuck ones included.
        unsigned workers = 64;
        /// Further runs at once that only checks in a probe group may use.
        unsigned probe_reserve = 4;
        Duration max_splay = std::chrono::seconds{1};
        /// What every time and wait is taken from; tests pass a manual one.
        std::shared_ptr<Clock> clock = real_clock();
        /// Seeds the random splay and spread of runs; unset: std::random_device.
        std::optional<std::uint64_t> seed = std::nullopt;
    };
    /// Threads kept while idle: enough for quick checks to share out the due times.
    static constexpr unsigned base_threads = 4;

    /// `results` must outlive stop() (no worker touches it afterwards).
    Scheduler(std::vector<std::shared_ptr<Check>> checks, RunRecorder &results, Options options);
    ~Scheduler();
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    void start();
    /// Takes on a check (a reload's new or changed one), after a splay.
    void add(std::shared_ptr<Check> check);
    /// Drops a check; a run in flight finishes, and its result is dropped.
    void remove(const std::string &name);
    /// Stops dispatching and waits up to `grace` for runs in flight; runs
    /// still going after that are abandoned (their results are dropped).
    void stop(Duration grace = std::chrono::seconds{5});
    /// How late runs start, recorded as each run begins; outlives the scheduler.
    std::shared_ptr<const ScheduleLag> lag() const;
    /// How busy the pool is; outlives the scheduler.
    std::shared_ptr<const SchedulerLoad> load() const;

    struct State;

private:
    std::shared_ptr<State> state_;
    std::vector<std::shared_ptr<Check>> initial_; ///< until start()
    Options options_;
};

} // namespace vitals
