// SPDX-License-Identifier: MIT
#include "scheduler/run_plan.hpp"

#include <algorithm>
#include <limits>

namespace vitals {

void RunPlan::add(std::size_t check, TimePoint due) {
    if (spare_.empty()) {
        entries_.insert({due, check});
        return;
    }
    auto node = std::move(spare_.back());
    spare_.pop_back();
    node.value() = {due, check};
    entries_.insert(std::move(node));
}

std::optional<RunPlan::TimePoint> RunPlan::next_due() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.begin()->due;
}

std::optional<RunPlan::Due> RunPlan::take_due(TimePoint now) {
    if (entries_.empty() || entries_.begin()->due > now) return std::nullopt;
    auto node = entries_.extract(entries_.begin());
    const Due due{node.value().check, node.value().due};
    spare_.push_back(std::move(node));
    return due;
}

void RunPlan::earliest(std::size_t count, std::vector<TimePoint> &out, TimePoint after) const {
    std::optional<TimePoint> last;
    const Entry last_at_after{after, std::numeric_limits<std::size_t>::max()};
    for (auto it = entries_.upper_bound(last_at_after); it != entries_.end() && count > 0; ++it) {
        if (it->due == last) continue;
        last = it->due;
        out.push_back(it->due);
        --count;
    }
}

RunPlan::TimePoint RunPlan::next_due_after(TimePoint due, Duration interval, TimePoint now) {
    const TimePoint next = due + interval;
    return next < now ? on_grid(now, interval) : next;
}

RunPlan::TimePoint RunPlan::spread_due(TimePoint due, Duration interval, double fraction,
                                       TimePoint now) {
    const auto offset = std::chrono::duration_cast<Duration>(interval * fraction);
    const TimePoint next = due + offset;
    return on_grid(next < now ? now : next, interval);
}

RunPlan::TimePoint RunPlan::on_grid(TimePoint time, Duration interval) {
    const Duration step = std::max(std::min(interval / 1000, max_grid), Duration{1});
    const Duration since = time.time_since_epoch();
    // Rounded up, never down: a time on the grid stays, and none moves into the past.
    const auto steps = since.count() >= 0 ? (since.count() + step.count() - 1) / step.count()
                                          : since.count() / step.count();
    return TimePoint{step * steps};
}

} // namespace vitals
