// SPDX-License-Identifier: MIT
#include "scheduler/run_plan.hpp"

namespace vitals {

void RunPlan::add(std::size_t check, TimePoint due) {
    heap_.push({due, check});
}

std::optional<RunPlan::TimePoint> RunPlan::next_due() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.top().due;
}

std::vector<RunPlan::Due> RunPlan::take_due(TimePoint now) {
    std::vector<Due> due;
    while (!heap_.empty() && heap_.top().due <= now) {
        due.push_back({heap_.top().check, heap_.top().due});
        heap_.pop();
    }
    return due;
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
