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
    unsigned failure_threshold = 1; ///< results in a row needed to report a worse status
    unsigned success_threshold = 1; ///< results in a row needed to report a better one
    /// Push checks: a report older than this no longer counts (see judge()).
    std::optional<Duration> ttl{};

    bool in_group(std::string_view group) const;
};

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
};

/// One past run, for /health/checks/<name>?history.
struct HistoryEntry {
    Status status = Status::error;
    std::string message;
    std::chrono::system_clock::time_point started{};
    Duration duration{};
    bool status_changed = false; ///< the status differs from the run before
};

/// Thread-safe: the scheduler records, request handlers take snapshots.
class ResultStore {
public:
    static constexpr std::size_t default_history_size = 10;

    explicit ResultStore(const std::vector<CheckInfo> &checks,
                         std::size_t history_size = default_history_size);

    /// Adds a run's result (one marked no_news is ignored).
    void record(const std::string &name, CheckResult result);

    /// Copies of every check's state, in name order.
    std::vector<CheckState> snapshot() const;
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
    /// entries_ by name, for record(): with 10,000 checks a walk down the map
    /// costs more than the rest of a run (the keys and entries stay put in it).
    std::unordered_map<std::string_view, Entry *> index_;
    std::size_t history_size_;
    bool startup_complete_ = false;
    std::atomic<std::uint64_t> version_{0};

    void update_startup_locked();
    void reindex_locked();
};

} // namespace vitals
