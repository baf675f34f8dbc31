// SPDX-License-Identifier: MIT
#include "results/result_store.hpp"

#include <algorithm>
#include <mutex>

#include "results/verdict.hpp"

namespace vitals {

CheckInfo check_info(const CheckDefinition &definition) {
    return CheckInfo{definition.name,
                     definition.plugin,
                     definition.description,
                     definition.groups,
                     definition.interval,
                     definition.timeout,
                     definition.failure_threshold,
                     definition.success_threshold,
                     definition.ttl,
                     definition.labels};
}

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
    reindex_locked();
    count_startup_locked();
}

void ResultStore::reindex_locked() {
    index_.clear();
    for (auto &[name, entry] : entries_)
        index_.emplace(name, &entry);
}

void ResultStore::count_startup_locked() {
    if (startup_complete_) return;
    startup_waiting_ = static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(), [](const auto &item) {
            const CheckState &state = *item.second.state;
            return state.info.in_group("startup") && !state.passed_once;
        }));
    startup_complete_ = startup_waiting_ == 0;
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
    reindex_locked();
    count_startup_locked();
    version_.fetch_add(1, std::memory_order_release);
}

namespace {

constexpr std::array all_statuses{Status::ok, Status::warning, Status::error};

void count_streaks(CheckState &state, Status status) {
    for (const Status level : all_statuses) {
        const auto i = static_cast<std::size_t>(level);
        state.at_least[i] = status >= level ? state.at_least[i] + 1 : 0;
        state.at_most[i] = status <= level ? state.at_most[i] + 1 : 0;
    }
}

/// Kubernetes' and Consul's rule, one blip does not flip a probe, with warning in between:
/// any result worse than the reported status is a failure, and failure_threshold of them in
/// a row make the reported status the worst that all of them reached; any better result is
/// a success, and success_threshold in a row make it the best that all of them kept to. So
/// warning, error, warning, ... after ok is a run of failures that reports warning (error
/// once errors alone fill the threshold), not a string of changes that never count up.
Status thresholded(const CheckState &state) {
    const auto reported = static_cast<std::size_t>(state.reported);
    for (std::size_t worse = all_statuses.size() - 1; worse > reported; --worse)
        if (state.at_least[worse] >= state.info.failure_threshold)
            return static_cast<Status>(worse);
    for (std::size_t better = 0; better < reported; ++better)
        if (state.at_most[better] >= state.info.success_threshold)
            return static_cast<Status>(better);
    return state.reported;
}

} // namespace

void ResultStore::record(const std::string &name, CheckResult result) {
    if (result.no_news) return;
    const std::unique_lock lock{mutex_};
    const auto found = index_.find(name);
    if (found == index_.end()) return; // a check from a configuration no longer in force
    Entry &entry = *found->second;
    auto next = std::make_shared<CheckState>(*entry.state);
    CheckState &state = *next;
    const bool changed = !state.last || state.last->status != result.status;
    state.consecutive = changed ? 1 : state.consecutive + 1;
    count_streaks(state, result.status);
    const auto ended =
        result.started +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(result.duration);
    const Status reported = state.last ? thresholded(state) : result.status;
    if (!state.last || reported != state.reported) {
        state.reported = reported;
        state.status_since = ended;
    }
    if (result.status != Status::error && !state.passed_once) {
        state.passed_once = true;
        if (!startup_complete_ && state.info.in_group("startup"))
            startup_complete_ = --startup_waiting_ == 0;
    }
    ++state.runs_by_status[static_cast<std::size_t>(result.status)];
    state.restored = false;
    // Also after a restore, whose log ends "unknown" until this agent's first result.
    if (state.transitions->current() != state.reported) {
        auto transitions = std::make_shared<TransitionLog>(*state.transitions);
        const Transition transition{ended, state.reported};
        transitions->add(transition);
        state.transitions = std::move(transitions);
        for (ResultObserver *observer : observers_)
            observer->transitioned(name, transition);
    }
    auto &history = entry.history;
    if (history_size_ > 0) {
        history.push_front(
            {result.status, result.message, result.started, result.duration, changed, {}});
        if (history.size() > history_size_) history.pop_back();
    }
    state.last = std::move(result);
    entry.state = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
    for (ResultObserver *observer : observers_)
        observer->changed(name);
}

bool ResultStore::restore(const std::string &name, PastCheck past) {
    const std::unique_lock lock{mutex_};
    const auto found = index_.find(name);
    if (found == index_.end() || found->second->state->last || !past.state.last) return false;
    Entry &entry = *found->second;
    auto state = std::make_shared<CheckState>(std::move(past.state));
    state->info = entry.state->info;
    state->restored = true;
    // Counted since this agent started, as /metrics' counters are.
    state->runs_by_status = {};
    // The startup probe asks whether this agent has seen its checks pass.
    state->passed_once = false;
    // From when that agent was last known to run, nothing is known until a result here.
    TransitionLog transitions{std::move(past.transitions), std::chrono::system_clock::now()};
    const bool gap = transitions.add({past.last_alive, std::nullopt});
    const Transition unknown = transitions.entries().back();
    state->transitions = std::make_shared<const TransitionLog>(std::move(transitions));
    entry.state = std::move(state);
    entry.history.assign(past.history.begin(), past.history.end());
    while (entry.history.size() > history_size_)
        entry.history.pop_back();
    version_.fetch_add(1, std::memory_order_release);
    for (ResultObserver *observer : observers_) {
        if (gap) observer->transitioned(name, unknown);
        observer->changed(name);
    }
    return true;
}

bool ResultStore::note_action(std::string_view name, std::string note) {
    const std::unique_lock lock{mutex_};
    const auto found = index_.find(name);
    if (found == index_.end() || found->second->history.empty()) return false;
    found->second->history.front().action = std::move(note);
    version_.fetch_add(1, std::memory_order_release);
    const std::string check{name};
    for (ResultObserver *observer : observers_)
        observer->changed(check);
    return true;
}

void ResultStore::observe(ResultObserver *observer) {
    const std::unique_lock lock{mutex_};
    observers_.push_back(observer);
}

void ResultStore::forget(const ResultObserver *observer) {
    const std::unique_lock lock{mutex_};
    std::erase(observers_, observer);
}

std::shared_ptr<const CheckState> ResultStore::state(std::string_view name) const {
    const std::shared_lock lock{mutex_};
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : it->second->state;
}

std::vector<std::shared_ptr<const CheckState>> ResultStore::snapshot() const {
    std::vector<std::shared_ptr<const CheckState>> states;
    const std::shared_lock lock{mutex_};
    states.reserve(entries_.size());
    for (const auto &[name, entry] : entries_)
        states.push_back(entry.state);
    return states;
}

std::optional<CheckState> ResultStore::find(std::string_view name) const {
    std::shared_ptr<const CheckState> state;
    {
        const std::shared_lock lock{mutex_};
        const auto it = index_.find(name);
        if (it == index_.end()) return std::nullopt;
        state = it->second->state;
    }
    return *state;
}

std::optional<Status>
ResultStore::reported_status(std::string_view name,
                             std::chrono::system_clock::time_point now) const {
    std::shared_ptr<const CheckState> state;
    {
        const std::shared_lock lock{mutex_};
        const auto it = index_.find(name);
        if (it == index_.end()) return std::nullopt;
        state = it->second->state;
    }
    if (!state->last) return std::nullopt;
    return judge(*state, now).status;
}

std::vector<HistoryEntry> ResultStore::history(std::string_view name) const {
    const std::shared_lock lock{mutex_};
    const auto it = index_.find(name);
    if (it == index_.end()) return {};
    const auto &history = it->second->history;
    return {history.begin(), history.end()};
}

} // namespace vitals
