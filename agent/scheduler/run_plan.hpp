// Which check runs next: checks ordered by due time. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
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
    /// Removes and returns the earliest check if it is due at `now`.
    std::optional<Due> take_due(TimePoint now);
    /// Appends the earliest `count` distinct due times after `after` to `out`,
    /// earliest first: what the scheduler's idle workers share out to keep watch over.
    void earliest(std::size_t count, std::vector<TimePoint> &out,
                  TimePoint after = TimePoint::min()) const;
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }

    /// When a check should run next after the run due at `due` ended at
    /// `now`: one interval after `due`, keeping a steady cadence (and the grid),
    /// but never in the past (a slow or stuck run causes no catch-up burst;
    /// collectd's rule): then the next step of the grid from `now`.
    static TimePoint next_due_after(TimePoint due, Duration interval, TimePoint now);
    /// The run after a check's first one: `fraction` (in [0, 1)) of an
    /// interval after `due`, never in the past, on the interval's grid. First
    /// runs come within a short splay so results are there soon after start;
    /// drawing the second at random spreads checks that started together over
    /// their interval, where they stay, instead of firing in one burst every interval.
    static TimePoint spread_due(TimePoint due, Duration interval, double fraction, TimePoint now);

    /// The longest grid step: a thousandth of the interval, at most this.
    static constexpr Duration max_grid = std::chrono::milliseconds{4};
    /// `time` rounded up to a step of the grid for `interval`. Checks are spread
    /// over their interval on this grid, so thousands of them share fewer
    /// distinct due times (at 10,000 checks every 10 s, four per step of 4 ms
    /// instead of one each millisecond or so): a worker that wakes for one runs
    /// the others due with it, one wake-up for the lot.
    static TimePoint on_grid(TimePoint time, Duration interval);

private:
    struct Entry {
        TimePoint due;
        std::size_t check;
        bool operator<(const Entry &other) const {
            return due != other.due ? due < other.due : check < other.check;
        }
    };
    /// Ordered, not a heap: the scheduler looks past the first entry. A taken
    /// entry's node is kept in `spare_` and reused by the next add(), so a
    /// check's run after run costs no allocation.
    std::set<Entry> entries_;
    std::vector<std::set<Entry>::node_type> spare_;
};

} // namespace vitals
