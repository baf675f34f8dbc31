// What the agent says about itself: version, plugins, configuration, draining.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/process_usage.hpp"
#include "results/action_counts.hpp"

namespace vitals {

class ScheduleLag;
class SchedulerLoad;

/// How keeping state on disk goes (state/), shown at /metrics. Written by the state
/// writer, read by scrapes.
struct StateHealth {
    std::atomic<bool> ok{false};          ///< state is kept, and the last write succeeded
    std::atomic<std::uint64_t> errors{0}; ///< files moved aside, failed opens and writes
};

/// How one notifier's deliveries go (alerts/), shown at /health and /metrics. Written by
/// its delivery queue, read by requests.
class NotifierHealth {
public:
    struct LastError {
        std::string error; ///< safe to show: no secret, no body
        std::chrono::system_clock::time_point at{};
    };

    NotifierHealth(std::string name, std::string type)
        : name_(std::move(name)), type_(std::move(type)) {}
    const std::string &name() const { return name_; }
    const std::string &type() const { return type_; }

    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> retried{0};  ///< attempts that failed and are tried again
    std::atomic<std::uint64_t> rejected{0}; ///< refused for good by the receiver
    std::atomic<std::uint64_t> dropped{0};  ///< pushed out of a full queue
    std::atomic<std::uint64_t> queued{0};   ///< waiting now
    std::atomic<bool> ok{true};             ///< the last attempt delivered (or none yet)

    void failed(std::string error, std::chrono::system_clock::time_point at) {
        ok.store(false);
        const std::lock_guard lock{mutex_};
        last_error_ = LastError{std::move(error), at};
    }
    std::optional<LastError> last_error() const {
        const std::lock_guard lock{mutex_};
        return last_error_;
    }

private:
    const std::string name_;
    const std::string type_;
    mutable std::mutex mutex_;
    std::optional<LastError> last_error_;
};

struct AgentFacts {
    std::string version;
    std::string abi; ///< "1.0"
    std::chrono::system_clock::time_point started;
    std::vector<std::pair<std::string, std::string>> plugins; ///< name, version
    /// The last load or reload: did it succeed, and if not, why (file:line: key: message).
    bool config_ok = true;
    std::vector<std::string> config_errors;
    std::chrono::system_clock::time_point config_loaded;
    /// Reloads since the agent started (SIGHUP or a change on disk), and those refused.
    std::uint64_t config_reloads = 0;
    std::uint64_t config_reload_failures = 0;
    bool draining = false; ///< SIGTERM received: readiness answers 503
    /// The running scheduler's lag record, shown at /metrics; null before it starts.
    std::shared_ptr<const ScheduleLag> schedule_lag;
    /// How busy the running scheduler's pool is, likewise.
    std::shared_ptr<const SchedulerLoad> scheduler_load;
    /// Reads the agent's CPU time and RSS for /metrics; null leaves them out
    /// (the running agent sets read_process_usage; fixed-state tests do not).
    std::optional<ProcessUsage> (*process_usage)() = nullptr;
    /// Null when agent.toml keeps no state (state_dir = "").
    std::shared_ptr<const StateHealth> state;
    /// Every [[notifier]] in force, by name.
    std::vector<std::shared_ptr<const NotifierHealth>> notifiers;
    /// on_failure actions run, by check and outcome; null when none are configured yet.
    std::shared_ptr<const ActionCounts> actions;
};

/// Thread-safe holder, written on (re)load and shutdown, read per request.
class AgentStatus {
public:
    explicit AgentStatus(AgentFacts facts) : facts_(std::move(facts)) {}

    AgentFacts snapshot() const {
        const std::lock_guard lock{mutex_};
        return facts_;
    }
    template <class Change> void update(Change &&change) {
        const std::lock_guard lock{mutex_};
        change(facts_);
        version_.fetch_add(1, std::memory_order_release);
    }
    /// Changes with every update(), like ResultStore::version().
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

private:
    mutable std::mutex mutex_;
    std::atomic<std::uint64_t> version_{0};
    AgentFacts facts_;
};

} // namespace vitals
