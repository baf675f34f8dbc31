// SPDX-License-Identifier: MIT
#include "results/result_store.hpp"

#include <algorithm>
#include <mutex>

namespace vitals {

bool CheckInfo::in_group(std::string_view group) const {
    return std::find(groups.begin(), groups.end(), group) != groups.end();
}

ResultStore::ResultStore(const std::vector<CheckInfo> &checks, std::size_t history_size)
    : history_size_(history_size) {
    const auto now = std::chrono::system_clock::now();
    for (const auto &info : checks) {
        CheckState state{info, {}, {}, 0, {}, now};
        entries_.emplace(info.name, Entry{std::move(state), {}});
    }
}

void ResultStore::record(const std::string &name, CheckResult result) {
    const std::unique_lock lock{mutex_};
    const auto it = entries_.find(name);
    if (it == entries_.end()) return; // a check from a configuration no longer in force
    CheckState &state = it->second.state;
    const bool changed = !state.last || state.last->status != result.status;
    if (changed) {
        state.status_since =
            result.started +
            std::chrono::duration_cast<std::chrono::system_clock::duration>(result.duration);
        state.consecutive = 1;
    } else {
        ++state.consecutive;
    }
    ++state.runs_by_status[static_cast<std::size_t>(result.status)];
    auto &history = it->second.history;
    if (history_size_ > 0) {
        history.push_front(
            {result.status, result.message, result.started, result.duration, changed});
        if (history.size() > history_size_) history.pop_back();
    }
    state.last = std::move(result);
}

std::vector<CheckState> ResultStore::snapshot() const {
    const std::shared_lock lock{mutex_};
    std::vector<CheckState> states;
    states.reserve(entries_.size());
    for (const auto &[name, entry] : entries_)
        states.push_back(entry.state);
    return states;
}

std::optional<CheckState> ResultStore::find(std::string_view name) const {
    const std::shared_lock lock{mutex_};
    const auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    return it->second.state;
}

std::vector<HistoryEntry> ResultStore::history(std::string_view name) const {
    const std::shared_lock lock{mutex_};
    const auto it = entries_.find(name);
    if (it == entries_.end()) return {};
    return {it->second.history.begin(), it->second.history.end()};
}

} // namespace vitals
