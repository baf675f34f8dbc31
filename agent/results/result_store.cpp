// SPDX-License-Identifier: MIT
#include "results/result_store.hpp"

#include <algorithm>
#include <mutex>

namespace vitals {

bool CheckInfo::in_group(std::string_view group) const {
    return std::find(groups.begin(), groups.end(), group) != groups.end();
}

ResultStore::ResultStore(const std::vector<CheckInfo> &checks) {
    for (const auto &info : checks)
        states_.emplace(info.name, CheckState{info, {}, {}, 0});
}

void ResultStore::record(const std::string &name, CheckResult result) {
    const std::unique_lock lock{mutex_};
    const auto it = states_.find(name);
    if (it == states_.end()) return; // a check from a configuration no longer in force
    CheckState &state = it->second;
    const bool changed = !state.last || state.last->status != result.status;
    if (changed) {
        state.status_since =
            result.started +
            std::chrono::duration_cast<std::chrono::system_clock::duration>(result.duration);
        state.consecutive = 1;
    } else {
        ++state.consecutive;
    }
    state.last = std::move(result);
}

std::vector<CheckState> ResultStore::snapshot() const {
    const std::shared_lock lock{mutex_};
    std::vector<CheckState> states;
    states.reserve(states_.size());
    for (const auto &[name, state] : states_)
        states.push_back(state);
    return states;
}

std::optional<CheckState> ResultStore::find(std::string_view name) const {
    const std::shared_lock lock{mutex_};
    const auto it = states_.find(name);
    if (it == states_.end()) return std::nullopt;
    return it->second;
}

} // namespace vitals
