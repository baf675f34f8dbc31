// How late runs start: actual minus planned start. SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "core/duration.hpp"

namespace vitals {

/// Thread-safe. The scheduler records each run's lag as its worker picks it
/// up; /metrics shows it as a Prometheus histogram plus the largest lag of the
/// last minute. Time is passed in, so tests need no real clock.
class ScheduleLag {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    /// Histogram upper bounds in seconds (`le`): fine-grained up to 10 ms,
    /// where a healthy scheduler lives, coarse beyond.
    static constexpr std::array<double, 16> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003,
                                                   0.005,  0.01,    0.025,  0.05,  0.1,   0.25,
                                                   0.5,    1,       2.5,    10};
    /// How far back `recent_max` looks.
    static constexpr std::chrono::seconds max_window{60};

    struct Snapshot {
        std::array<std::uint64_t, bounds.size()> cumulative{}; ///< runs with lag <= bounds[i]
        std::uint64_t count = 0;
        double sum_seconds = 0;
        double recent_max_seconds = 0; ///< the largest lag within max_window
    };

    /// `lag` below zero counts as zero (a run never starts early on purpose).
    void record(Duration lag, TimePoint now);
    Snapshot snapshot(TimePoint now) const;

private:
    /// The rolling maximum keeps one maximum per sixth of the window (10 s each).
    static constexpr std::size_t window_slots = 6;
    static constexpr std::chrono::seconds slot_width = max_window / window_slots;
    struct Slot {
        std::int64_t epoch = -1; ///< which slot_width-long stretch of time it holds
        Duration max{};
    };

    mutable std::mutex mutex_;
    std::array<std::uint64_t, bounds.size()>
        buckets_{}; ///< not cumulative; beyond the last: count_ only
    std::uint64_t count_ = 0;
    double sum_seconds_ = 0;
    std::array<Slot, window_slots> slots_{};

    static std::int64_t epoch_of(TimePoint time);
};

} // namespace vitals
