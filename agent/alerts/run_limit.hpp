// "At most N runs in any window": what holds an on_failure action back. SPDX-License-Identifier:
// MIT
#pragma once

#include <deque>
#include <optional>

#include "core/clock.hpp"
#include "core/duration.hpp"

namespace vitals {

/// A sliding window over the runs' start times. Not thread-safe: its owner locks.
class RunLimit {
public:
    RunLimit(unsigned max_runs, Duration window) : max_runs_(max_runs), window_(window) {}

    /// Whether a run may start at `now`: fewer than max_runs started in the window before it.
    bool allows(Clock::TimePoint now) {
        forget_before(now);
        return runs_.size() < max_runs_;
    }
    /// A run started at `now`.
    void record(Clock::TimePoint now) { runs_.push_back(now); }
    /// When the next run may start, once held back: the oldest run's start plus the window.
    std::optional<Clock::TimePoint> next_allowed(Clock::TimePoint now) {
        if (allows(now)) return now;
        return runs_.front() + window_;
    }

private:
    void forget_before(Clock::TimePoint now) {
        while (!runs_.empty() && now - runs_.front() >= window_)
            runs_.pop_front();
    }

    unsigned max_runs_;
    Duration window_;
    std::deque<Clock::TimePoint> runs_;
};

} // namespace vitals
