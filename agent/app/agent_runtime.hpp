// The running agent: checks, scheduler, results and HTTP, and their reload.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "app/config_watcher.hpp"
#include "app/load_configuration.hpp"
#include "app/reload_thread.hpp"
#include "http/http_server.hpp"
#include "push/push_board.hpp"
#include "results/agent_status.hpp"
#include "results/result_store.hpp"
#include "scheduler/scheduler.hpp"

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
    /// /metrics. Valid: swapped in; unchanged checks keep their results,
    /// history and schedule; changed ones restart; removed ones go. Once `stop` is
    /// set it gives up, and the running configuration stays. On the reload thread.
    void reload(std::stop_token stop);
    void refuse(const ConfigErrors &errors);
    /// What makes a check "the same" across a reload: every setting, its
    /// params, the plugin file it runs, and where it runs it (with `isolation`,
    /// agent.toml's [isolation], deciding for checks that do not say).
    static std::string fingerprint(const Check &check, const IsolationSettings &isolation);
    static void warn_if_exposed(const AgentSettings &agent);
    void watch();

    LoadedConfiguration current_;
    std::optional<std::filesystem::path> agent_file_;
    std::optional<ListenAddress> listen_override_;
    std::map<std::string, std::string> fingerprints_;
    AgentStatus status_;
    std::unique_ptr<ResultStore> results_;
    std::unique_ptr<PushBoard> push_board_;
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
