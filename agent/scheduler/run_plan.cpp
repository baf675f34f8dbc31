// SPDX-License-Identifier: MIT
#include "scheduler/run_plan.hpp"

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

void RunPlan::earliest(std::size_t count, std::vector<TimePoint> &out) const {
    std::optional<TimePoint> last;
    for (auto it = entries_.begin(); it != entries_.end() && count > 0; ++it) {
        if (it->due == last) continue;
        last = it->due;
        out.push_back(it->due);
        --count;
    }
}

RunPlan::TimePoint RunPlan::next_due_after(TimePoint due, Duration interval, TimePoint now) {
    const TimePoint next = due + interval;
    return next < now ? now : next;
}

RunPlan::TimePoint RunPlan::spread_due(TimePoint due, Duration interval, double fraction,
                                       TimePoint now) {
    const auto offset = std::chrono::duration_cast<Duration>(interval * fraction);
    const TimePoint next = due + offset;
    return next < now ? now : next;
}

} // namespace vitals
