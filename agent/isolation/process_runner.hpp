// A plugin instance living in a worker process of its own. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "checks/plugin_runner.hpp"
#include "config/configuration.hpp"
#include "isolation/wire.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

class WorkerProcess;

/// isolation = "process": the plugin runs in `vitalsd --plugin-worker`, so a crash, a hang or
/// a runaway allocation costs that worker only. A run past its deadline kills the worker's
/// process group; a worker lost either way is started again on a later run, after a backoff
/// that doubles from `respawn_backoff` up to a minute. See docs/isolation.md.
class ProcessRunner final : public PluginRunner {
public:
    /// Validates the params against the plugin's table here in the agent, then starts a worker
    /// and has it create the instance. A create() that has not answered within the check's
    /// timeout does not hold up startup: runs report it until it does. nullptr after adding
    /// to `errors`.
    static std::unique_ptr<ProcessRunner> create(const CheckDefinition &definition,
                                                 std::shared_ptr<const PluginLibrary> plugin,
                                                 ConfigErrors &errors,
                                                 const IsolationSettings &settings);
    ~ProcessRunner() override;

    CheckResult run(std::chrono::steady_clock::time_point deadline,
                    const RunHistory &history) override;

    /// The binary started as a worker; /proc/self/exe unless a test points elsewhere (the
    /// link, not its target, so an upgrade on disk never pairs two versions). Call before
    /// any check is created.
    static void set_worker_program(std::filesystem::path program);

    /// How long before the scheduler's deadline a run gives up and kills its worker, so that
    /// the run itself reports "killed after timeout" rather than the scheduler's generic
    /// "timed out": a tenth of the timeout, at most 50 ms. The worker's own deadline (its
    /// time_left_ns() and cancel_fd()) comes as much again before that, so a plugin that
    /// returns when cancel_fd() fires has the time to, and keeps its worker.
    static std::chrono::nanoseconds kill_margin(std::chrono::nanoseconds timeout);

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    enum class Started { ready, refused, lost, pending };

    ProcessRunner(CheckDefinition definition, std::filesystem::path plugin_file,
                  IsolationSettings settings);

    /// Spawns a worker and sends it the create request; the error text when that fails.
    std::optional<std::string> start_worker();
    /// Waits until `until` for the create reply; sets `problem` for refused and lost.
    Started await_created(TimePoint until, std::vector<wire::Problem> &refusals,
                          std::string &problem);
    /// Forgets the worker and schedules the next start after the backoff.
    void lose_worker(const std::string &why, const std::string &cause);
    CheckResult failure(std::string message, std::chrono::system_clock::time_point started,
                        TimePoint start) const;

    CheckDefinition definition_;
    std::filesystem::path plugin_file_;
    IsolationSettings settings_;
    std::unique_ptr<WorkerProcess> worker_;
    bool creating_ = false;     ///< the create request is out, its reply not yet in
    TimePoint create_sent_{};   ///< when it went out
    Duration backoff_{};        ///< the last wait before a restart; zero after a good run
    TimePoint restart_after_{}; ///< no new worker before this
    std::string lost_because_;  ///< "crash", "timeout": for "worker restarting after ..."
};

} // namespace vitals
