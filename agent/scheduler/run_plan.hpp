// Which check runs next: a heap keyed by due time. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <queue>
#include <vector>

#include "core/duration.hpp"

namespace vitals {

/// Pure bookkeeping, no threads and no clock of its own, so it is tested
/// with made-up times (the threaded Scheduler feeds it steady_clock).
class RunPlan {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    void add(std::size_t check, TimePoint due);
    std::optional<TimePoint> next_due() const;
    struct Due {
        std::size_t check;
        TimePoint due;
    };
    /// Removes and returns the checks due at `now`, earliest first.
    std::vector<Due> take_due(TimePoint now);
    bool empty() const { return heap_.empty(); }

    /// When a check should run next after the run due at `due` ended at
    /// `now`: one interval after `due`, keeping a steady cadence, but never in
    /// the past (a slow or stuck run causes no catch-up burst; collectd's rule).
    static TimePoint next_due_after(TimePoint due, Duration interval, TimePoint now);
    /// The run after a check's first one: `fraction` (in [0, 1)) of an
    /// interval after `due`, never in the past. First runs come within a
    /// short splay so results are there soon after start; drawing the second
    /// at random spreads checks that started together over their interval,
    /// where they stay, instead of firing in one burst every interval.
    static TimePoint spread_due(TimePoint due, Duration interval, double fraction, TimePoint now);

private:
    struct Entry {
        TimePoint due;
        std::size_t check;
        bool operator>(const Entry &other) const { return due > other.due; }
    };
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
};

} // namespace vitals
