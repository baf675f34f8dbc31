// A check's reported status over time: what uptime is computed from. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/duration.hpp"
#include "core/status.hpp"

namespace vitals {

/// The reported status changed at `at` to `status`; nullopt: from then on nothing is known
/// (the agent was stopped, or the check pending again).
struct Transition {
    std::chrono::system_clock::time_point at{};
    std::optional<Status> status;
    bool operator==(const Transition &) const = default;
};

/// The uptime windows shown in JSON, on the status page and in /metrics.
struct UptimeWindow {
    std::string_view name; ///< "24h", as in window="24h"
    Duration length;
};
inline constexpr UptimeWindow uptime_windows[] = {
    {"24h", std::chrono::hours{24}},
    {"7d", std::chrono::hours{24 * 7}},
    {"30d", std::chrono::hours{24 * 30}},
};

/// A check's transitions, oldest first, bounded by age and count. A value: the result
/// store swaps in a new log when one is added (copy-on-write, like CheckState).
class TransitionLog {
public:
    /// Transitions older than this go, but the last one before it (the status then).
    static constexpr Duration kept_for = std::chrono::hours{24 * 90};
    /// At most this many: a flapping check costs bounded memory and disk.
    static constexpr std::size_t max_entries = 1000;

    TransitionLog() = default;
    /// From saved transitions (any order; bounds applied at `now`).
    TransitionLog(std::vector<Transition> transitions, std::chrono::system_clock::time_point now);

    /// Adds `transition` unless its status is the one already in force; then drops what
    /// the bounds no longer keep. True if it was added.
    bool add(const Transition &transition);

    /// The share of `window` before `now` in which the status was ok or warning, of the
    /// time in it when the status was known; nullopt when none of it was.
    std::optional<double> uptime(Duration window, std::chrono::system_clock::time_point now) const;

    const std::vector<Transition> &entries() const { return entries_; }
    /// The status now in force; nullopt when unknown or the log is empty.
    std::optional<Status> current() const;

private:
    void trim();

    std::vector<Transition> entries_;
};

} // namespace vitals
