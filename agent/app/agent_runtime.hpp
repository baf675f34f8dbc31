// The running agent: checks, scheduler, results and HTTP, and their reload.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "app/config_watcher.hpp"
#include "app/load_configuration.hpp"
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

    void start();
    std::uint16_t port() const;
    const AgentSettings &settings() const { return current_.config.agent; }

    /// Validates the configuration on disk as a whole. Invalid: the running
    /// one stays untouched and the errors are logged and shown at /health and
    /// /metrics. Valid: swapped in; unchanged checks keep their results,
    /// history and schedule; changed ones restart; removed ones go.
    void reload();
    /// Readiness turns 503 ("draining"); liveness is untouched.
    void drain();
    /// Stops the checks (runs in flight get their timeout), then HTTP.
    void stop();

private:
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
};

/// The facts /metrics and /health report about a loaded configuration.
AgentFacts facts_for(const LoadedConfiguration &loaded,
                     std::chrono::system_clock::time_point started);

} // namespace vitals
