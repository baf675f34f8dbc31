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

namespace vitals {

class ScheduleLag;
class SchedulerLoad;

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
