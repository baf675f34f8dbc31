// The latest result of every check, read by the HTTP layer. SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checks/check_result.hpp"
#include "config/configuration.hpp"
#include "results/result_observer.hpp"
#include "results/transition_log.hpp"
#include "scheduler/run_recorder.hpp"

namespace vitals {

/// What the configuration says about a check, shown beside its result.
struct CheckInfo {
    std::string name;
    std::string plugin;
    std::string description;
    std::vector<std::string> groups;
    Duration interval{};
    Duration timeout{};
    unsigned failure_threshold = 1; ///< results in a row needed to report a worse status
    unsigned success_threshold = 1; ///< results in a row needed to report a better one
    /// Push checks: a report older than this no longer counts (see judge()).
    std::optional<Duration> ttl{};
    Labels labels; ///< instance, agent.toml's [labels] and the check's own

    bool in_group(std::string_view group) const;
};

/// What `definition` says that is shown beside its results.
CheckInfo check_info(const CheckDefinition &definition);

struct CheckState {
    CheckInfo info;
    std::optional<CheckResult> last; ///< nullopt until the first run ends
    /// The status reported to probes: the last result's, once it has held for
    /// the threshold number of runs (valid when `last` is set).
    Status reported = Status::error;
    std::chrono::system_clock::time_point status_since{}; ///< when `reported` last changed
    std::uint64_t consecutive = 0; ///< results in a row with the last result's status
    /// Results in a row at least as bad as each status, and at most as bad (by Status):
    /// what failure_threshold and success_threshold are counted against.
    std::array<std::uint64_t, 3> at_least{};
    std::array<std::uint64_t, 3> at_most{};
    bool passed_once = false;                      ///< some run ended ok or warning
    std::array<std::uint64_t, 3> runs_by_status{}; ///< indexed by Status, since the agent started
    std::chrono::system_clock::time_point declared_at{}; ///< when the agent took the check on
    /// The reported status over time, for uptime: shared, as states are.
    std::shared_ptr<const TransitionLog> transitions = std::make_shared<const TransitionLog>();
    /// `last` is what a previous run of the agent left (ResultStore::restore), until the
    /// first run of this one ends.
    bool restored = false;
};

/// One past run, for /health/checks/<name>?history.
struct HistoryEntry {
    Status status = Status::error;
    std::string message;
    std::chrono::system_clock::time_point started{};
    Duration duration{};
    bool status_changed = false; ///< the status differs from the run before
    /// What the check's on_failure action did after this run ("exit 0: output tail", "gave
    /// up: 3 runs in 15m"); empty if none ran.
    std::string action;
};

/// What a previous run of the agent left of a check, read back from disk (state/).
struct PastCheck {
    CheckState state; ///< its `info` is ignored: the configuration in force gives it
    std::vector<HistoryEntry> history; ///< newest first
    std::vector<Transition> transitions;
    /// When that agent was last known to run: from then on nothing is known of the check.
    std::chrono::system_clock::time_point last_alive{};
};

/// Thread-safe: the scheduler records, request handlers take snapshots.
class ResultStore final : public RunRecorder {
public:
    static constexpr std::size_t default_history_size = 10;

    explicit ResultStore(const std::vector<CheckInfo> &checks,
                         std::size_t history_size = default_history_size);

    /// Adds a run's result (one marked no_news is ignored).
    void record(const std::string &name, CheckResult result) override;
    /// The status judge() gives the check at `now`; nullopt for an unknown check or one
    /// with no result yet (pending: not failing, for depends_on).
    std::optional<Status> reported_status(std::string_view name,
                                          std::chrono::system_clock::time_point now) const override;

    /// Takes back `name`'s last result, counters, history and transitions from a previous
    /// run of the agent, marked restored. Only before its first run here: false (and
    /// nothing changes) for an unknown check or one that has a result already.
    bool restore(const std::string &name, PastCheck past);
    /// Attaches `note` (what an on_failure action did) to `name`'s newest history entry;
    /// false, and nothing changes, for an unknown check or one without history.
    bool note_action(std::string_view name, std::string note);
    /// Told of every change from now on, after the observers already told. Set before
    /// checks run; an observer outlives the store's use.
    void observe(ResultObserver *observer);
    /// Tells `observer` nothing more: once this returns, it is not being called.
    void forget(const ResultObserver *observer);

    /// One check's state, shared; null for an unknown check.
    std::shared_ptr<const CheckState> state(std::string_view name) const;
    /// Every check's state, in name order: shared, not copied, as a recorded state is
    /// never changed (record() publishes a new one).
    std::vector<std::shared_ptr<const CheckState>> snapshot() const;
    std::optional<CheckState> find(std::string_view name) const;
    /// The last runs of a check, newest first (empty for an unknown check).
    std::vector<HistoryEntry> history(std::string_view name) const;
    /// True once every check in the "startup" group has passed once; it then
    /// stays true (Kubernetes' startup probe is not asked again).
    bool startup_complete() const;

    /// Takes a new configuration's checks: kept ones keep their results and
    /// history (with `infos`' settings), `restarted` and new ones start
    /// afresh, the rest are dropped.
    void reconcile(const std::vector<CheckInfo> &infos, const std::set<std::string> &restarted);

    /// Changes whenever anything above would answer differently (bar the clock):
    /// lets a rendered answer be reused until then.
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

private:
    struct Entry {
        /// Copy-on-write: record() swaps in a new state, so snapshot() holds
        /// the lock only to copy pointers, and a scrape of thousands of
        /// checks never stalls the scheduler's record().
        std::shared_ptr<const CheckState> state;
        std::deque<HistoryEntry> history; // kept apart so snapshots stay cheap
    };
    mutable std::shared_mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
    /// entries_ by name, for record() and lookups: with 10,000 checks a walk down the map
    /// costs more than the rest of a run (the keys and entries stay put in it).
    std::unordered_map<std::string_view, Entry *> index_;
    std::size_t history_size_;
    bool startup_complete_ = false;
    /// Checks in the "startup" group yet to pass, counted down by record(): walking every
    /// check on each record() made a failing startup check cost the square of the checks.
    std::size_t startup_waiting_ = 0;
    std::atomic<std::uint64_t> version_{0};
    std::vector<ResultObserver *> observers_;

    void count_startup_locked();
    void reindex_locked();
};

} // namespace vitals
