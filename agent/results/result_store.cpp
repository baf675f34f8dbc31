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
        CheckState state;
        state.info = info;
        state.declared_at = now;
        entries_.emplace(info.name,
                         Entry{std::make_shared<const CheckState>(std::move(state)), {}});
    }
    update_startup_locked();
}

void ResultStore::update_startup_locked() {
    if (startup_complete_) return;
    startup_complete_ = std::all_of(entries_.begin(), entries_.end(), [](const auto &item) {
        const CheckState &state = *item.second.state;
        return !state.info.in_group("startup") || state.passed_once;
    });
}

bool ResultStore::startup_complete() const {
    const std::shared_lock lock{mutex_};
    return startup_complete_;
}

void ResultStore::reconcile(const std::vector<CheckInfo> &infos,
                            const std::set<std::string> &restarted) {
    const std::unique_lock lock{mutex_};
    const auto now = std::chrono::system_clock::now();
    std::map<std::string, Entry, std::less<>> next;
    for (const auto &info : infos) {
        const auto old = entries_.find(info.name);
        if (old != entries_.end() && !restarted.contains(info.name)) {
            Entry kept = std::move(old->second);
            auto state = std::make_shared<CheckState>(*kept.state);
            state->info = info;
            kept.state = std::move(state);
            next.emplace(info.name, std::move(kept));
        } else {
            CheckState state;
            state.info = info;
            state.declared_at = now;
            next.emplace(info.name,
                         Entry{std::make_shared<const CheckState>(std::move(state)), {}});
        }
    }
    entries_ = std::move(next);
    update_startup_locked();
    version_.fetch_add(1, std::memory_order_release);
}

void ResultStore::record(const std::string &name, CheckResult result) {
    if (result.no_news) return;
    const std::unique_lock lock{mutex_};
    const auto it = entries_.find(name);
    if (it == entries_.end()) return; // a check from a configuration no longer in force
    auto next = std::make_shared<CheckState>(*it->second.state);
    CheckState &state = *next;
    const bool changed = !state.last || state.last->status != result.status;
    state.consecutive = changed ? 1 : state.consecutive + 1;
    const auto ended =
        result.started +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(result.duration);
    if (!state.last) {
        state.reported = result.status;
        state.status_since = ended;
    } else if (result.status != state.reported) {
        // Kubernetes' and Consul's rule: one blip does not flip a probe.
        const unsigned needed = result.status > state.reported ? state.info.failure_threshold
                                                               : state.info.success_threshold;
        if (state.consecutive >= needed) {
            state.reported = result.status;
            state.status_since = ended;
        }
    }
    if (result.status != Status::error) state.passed_once = true;
    ++state.runs_by_status[static_cast<std::size_t>(result.status)];
    auto &history = it->second.history;
    if (history_size_ > 0) {
        history.push_front(
            {result.status, result.message, result.started, result.duration, changed});
        if (history.size() > history_size_) history.pop_back();
    }
    state.last = std::move(result);
    it->second.state = std::move(next);
    update_startup_locked();
    version_.fetch_add(1, std::memory_order_release);
}

std::vector<CheckState> ResultStore::snapshot() const {
    std::vector<std::shared_ptr<const CheckState>> shared;
    {
        const std::shared_lock lock{mutex_};
        shared.reserve(entries_.size());
        for (const auto &[name, entry] : entries_)
            shared.push_back(entry.state);
    }
    // The deep copies are made with the lock released.
    std::vector<CheckState> states;
    states.reserve(shared.size());
    for (const auto &state : shared)
        states.push_back(*state);
    return states;
}

std::optional<CheckState> ResultStore::find(std::string_view name) const {
    std::shared_ptr<const CheckState> state;
    {
        const std::shared_lock lock{mutex_};
        const auto it = entries_.find(name);
        if (it == entries_.end()) return std::nullopt;
        state = it->second.state;
    }
    return *state;
}

std::vector<HistoryEntry> ResultStore::history(std::string_view name) const {
    const std::shared_lock lock{mutex_};
    const auto it = entries_.find(name);
    if (it == entries_.end()) return {};
    return {it->second.history.begin(), it->second.history.end()};
}

} // namespace vitals
