// How often each check's on_failure action ended each way, for /metrics.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace vitals {

/// Counted by the actions (alerts/failure_actions.hpp), read by scrapes. Thread-safe.
class ActionCounts {
public:
    /// check, outcome ("ok", "failed", "timeout", "limited") -> count.
    using Counts = std::map<std::pair<std::string, std::string>, std::uint64_t>;

    void add(const std::string &check, const std::string &outcome) {
        const std::lock_guard lock{mutex_};
        ++counts_[{check, outcome}];
    }
    Counts snapshot() const {
        const std::lock_guard lock{mutex_};
        return counts_;
    }

private:
    mutable std::mutex mutex_;
    Counts counts_;
};

} // namespace vitals
