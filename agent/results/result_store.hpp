// The latest result of every check, read by the HTTP layer. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "results/check_result.hpp"

namespace vitals {

/// What the configuration says about a check, shown beside its result.
struct CheckInfo {
    std::string name;
    std::string plugin;
    std::string description;
    std::vector<std::string> groups;
    Duration interval{};
    Duration timeout{};

    bool in_group(std::string_view group) const;
};

struct CheckState {
    CheckInfo info;
    std::optional<CheckResult> last;                      ///< nullopt until the first run ends
    std::chrono::system_clock::time_point status_since{}; ///< when the status last changed
    std::uint64_t consecutive = 0; ///< results in a row with the current status
};

/// Thread-safe: the scheduler records, request handlers take snapshots.
class ResultStore {
public:
    explicit ResultStore(const std::vector<CheckInfo> &checks);

    void record(const std::string &name, CheckResult result);

    /// Copies of every check's state, in name order.
    std::vector<CheckState> snapshot() const;
    std::optional<CheckState> find(std::string_view name) const;

private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, CheckState, std::less<>> states_;
};

} // namespace vitals
