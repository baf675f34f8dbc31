// Runs every check on its interval, off the request path. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "checks/check.hpp"
#include "core/duration.hpp"
#include "results/result_store.hpp"
#include "scheduler/schedule_lag.hpp"

namespace vitals {

/// A fixed pool of workers keeps a RunPlan: idle workers keep watch over the
/// earliest due times, and the one that wakes for a check runs it, and the
/// other quick checks due on the same step of the grid (RunPlan::on_grid) with
/// it. Guarantees:
///  - a check never overlaps itself (it is back in the plan only once its
///    run has returned);
///  - a run past its timeout is recorded at once as an error, and a new
///    worker takes the stuck one's place, so a hung plugin cannot starve the
///    others (the stuck thread leaves the pool when its run finally returns);
///  - first runs come after a random splay of up to max_splay, so results are
///    there soon after start; second runs at a random point of the interval, so
///    checks that started together spread out instead of firing together forever;
///  - a check is not held up behind another one's slow run: only behind quick
///    ones, and never for long (see run_due in scheduler.cpp);
///  - every run's lag (actual minus planned start) is recorded in lag().
class Scheduler {
public:
    struct Options {
        unsigned workers = 4; ///< runs at once; the pool has one thread more, to keep watch
        Duration max_splay = std::chrono::seconds{1};
    };

    /// `results` must outlive stop() (no worker touches it afterwards).
    Scheduler(std::vector<std::shared_ptr<Check>> checks, ResultStore &results, Options options);
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

    struct State;

private:
    std::shared_ptr<State> state_;
    std::vector<std::shared_ptr<Check>> initial_; ///< until start()
    Options options_;
};

} // namespace vitals
