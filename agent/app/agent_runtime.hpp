// The running agent: checks, scheduler, results and HTTP, and their reload.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "alerts/alert_engine.hpp"
#include "alerts/failure_actions.hpp"
#include "alerts/silence_board.hpp"
#include "app/config_watcher.hpp"
#include "app/load_configuration.hpp"
#include "app/reload_plan.hpp"
#include "app/reload_thread.hpp"
#include "http/http_server.hpp"
#include "push/push_board.hpp"
#include "results/agent_status.hpp"
#include "results/result_store.hpp"
#include "scheduler/scheduler.hpp"
#include "state/state_keeper.hpp"

namespace vitals {

class AgentRuntime {
public:
    /// `loaded` must be free of errors. Binds the HTTP port (throws if busy).
    AgentRuntime(LoadedConfiguration loaded, std::optional<std::filesystem::path> agent_file,
                 std::optional<ListenAddress> listen_override,
                 std::chrono::system_clock::time_point started);
    ~AgentRuntime();

    /// Starts the checks, HTTP, the watcher and the reload thread.
    void start();
    std::uint16_t port() const;
    /// The settings as started with; a reload changes them only on the reload thread, so
    /// another thread may read them only before start().
    const AgentSettings &settings() const { return current_.config.agent; }
    /// agent.toml's shutdown_delay as last loaded; from any thread.
    Duration shutdown_delay() const { return shutdown_delay_; }

    /// Asks for a reload (see reload()) on the reload thread and returns at once; asks
    /// made while one is pending or running coalesce (ReloadThread::request).
    void request_reload();
    /// Readiness turns 503 ("draining"); liveness is untouched. From any thread.
    void drain();
    /// Gives up a reload in progress, then stops the checks (runs in flight get their
    /// timeout), then HTTP.
    void stop();

private:
    /// Validates the configuration on disk as a whole. Invalid: the running
    /// one stays untouched and the errors are logged and shown at /health and
    /// /metrics. Valid: swapped in as plan_reload decides; unchanged checks keep their
    /// results, history and schedule; changed ones restart; removed ones go. Once `stop`
    /// is set it gives up, and the running configuration stays. On the reload thread.
    void reload(std::stop_token stop);
    /// Swaps in `next` (valid, with the running restart-only settings) as `plan` says.
    void apply(const ReloadPlan &plan, LoadedConfiguration next);
    void refuse(const ConfigErrors &errors);
    /// Opens agent.toml's state_dir, gives back to the checks what it kept of them, and
    /// keeps their state from now on.
    void keep_state(const AgentSettings &agent);
    static void warn_if_exposed(const AgentSettings &agent);
    /// Where alerts link the status page: external_url, or this agent's own address.
    std::string link_base(const AgentSettings &agent) const;
    /// Takes `config`'s notifiers and routes, and shows them at /health and /metrics.
    void configure_alerts(const Configuration &config);
    void watch();

    LoadedConfiguration current_;
    std::optional<std::filesystem::path> agent_file_;
    std::optional<ListenAddress> listen_override_;
    AgentStatus status_;
    std::unique_ptr<ResultStore> results_;
    std::unique_ptr<PushBoard> push_board_;
    /// Silences, maintenance and each check's windows (before the keeper, which keeps it).
    std::unique_ptr<SilenceBoard> silences_;
    std::unique_ptr<FailureActions> actions_;          ///< on_failure: from start() until stop()
    std::unique_ptr<state::StateKeeper> state_keeper_; ///< null with state_dir = ""
    std::unique_ptr<AlertLedger> forgetful_ledger_;    ///< the alerts' ledger without state
    std::unique_ptr<AlertEngine> alerts_;
    std::unique_ptr<HttpServer> server_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<ConfigWatcher> watcher_;
    ConfigWatcher::Paths watched_;
    std::atomic<Duration> shutdown_delay_;
    std::unique_ptr<ReloadThread> reloader_;
};

/// The facts /metrics and /health report about a loaded configuration.
AgentFacts facts_for(const LoadedConfiguration &loaded,
                     std::chrono::system_clock::time_point started);

} // namespace vitals
