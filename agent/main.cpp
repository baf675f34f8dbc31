// vitalsd: the Vitals health-check agent. SPDX-License-Identifier: MIT
#include <csignal>
#include <cstdio>
#include <exception>
#include <pthread.h>

#include <fmt/format.h>

#include "app/load_configuration.hpp"
#include "cli/options.hpp"
#include "core/log.hpp"
#include "http/health_routes.hpp"
#include "http/http_server.hpp"
#include "results/result_store.hpp"
#include "scheduler/scheduler.hpp"

namespace {

using namespace vitals;

constexpr int exit_ok = 0;
constexpr int exit_usage = 64;  // EX_USAGE
constexpr int exit_config = 78; // EX_CONFIG

/// Blocks the control signals in every thread created after this call, so
/// the main thread alone receives them through sigwait().
sigset_t block_control_signals() {
    // A peer closing its socket mid-write must cost one request, not the agent.
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

/// Waits for SIGTERM or SIGINT and returns it.
int wait_for_shutdown(const sigset_t &signals) {
    while (true) {
        int signal = 0;
        sigwait(&signals, &signal);
        if (signal != SIGHUP) return signal;
        // The default action of SIGHUP would kill the agent; logrotate-style
        // scripts send it routinely.
        log(LogLevel::warning, "agent",
            "SIGHUP: configuration reload is not supported yet; restart to apply changes");
    }
}

void print_errors(const ConfigErrors &errors) {
    for (const auto &error : errors)
        std::fprintf(stderr, "%s\n", error.to_string().c_str());
}

std::vector<CheckInfo> check_infos(const std::vector<std::shared_ptr<Check>> &checks) {
    std::vector<CheckInfo> infos;
    for (const auto &check : checks)
        infos.push_back(check->info());
    return infos;
}

AgentFacts agent_facts(const LoadedConfiguration &loaded,
                       std::chrono::system_clock::time_point started) {
    AgentFacts facts;
    facts.version = VITALS_VERSION;
    facts.abi = fmt::format("{}.{}", VITALS_ABI_MAJOR, VITALS_ABI_MINOR);
    facts.started = started;
    for (const auto &name : loaded.plugins.names()) {
        const char *version = loaded.plugins.find(name)->descriptor().version;
        facts.plugins.emplace_back(name, version ? version : "");
    }
    facts.config_ok = loaded.errors.empty();
    facts.config_errors = loaded.errors.size();
    facts.config_loaded = std::chrono::system_clock::now();
    return facts;
}

int serve(LoadedConfiguration &loaded, const sigset_t &signals,
          std::chrono::system_clock::time_point started) {
    const AgentSettings &agent = loaded.config.agent;
    const AgentFacts facts = agent_facts(loaded, started);
    ResultStore results{check_infos(loaded.checks), agent.history_size};
    // Bound before the checks start, so a busy port fails at once.
    HttpServer server{agent.listen, agent.http, health_router(results, agent.endpoints, facts)};
    Scheduler scheduler{loaded.checks, results, {.workers = agent.workers}};
    scheduler.start();
    server.start();
    log(LogLevel::info, "agent", "vitalsd {} listening on {}:{} with {} check(s)", VITALS_VERSION,
        agent.listen.host, server.port(), loaded.checks.size());

    const int signal = wait_for_shutdown(signals);
    log(LogLevel::info, "agent", "received {}, shutting down", strsignal(signal));
    server.stop();
    scheduler.stop();
    log(LogLevel::info, "agent", "stopped");
    return exit_ok;
}

int run(const Options &options) {
    const auto started = std::chrono::system_clock::now();
    // A dry run's answer is its own output; plugin-loading chatter would bury it.
    if (options.check_config) set_log_level(LogLevel::warning);
    if (options.log_level) set_log_level(*log_level_from_string(*options.log_level));
    const auto agent_file = locate_agent_file(options.config);
    auto loaded = load_configuration(agent_file, default_settings(agent_file));
    if (options.listen) loaded.config.agent.listen = *options.listen;
    if (!options.log_level && !options.check_config)
        set_log_level(*log_level_from_string(loaded.config.agent.log_level));

    if (!loaded.errors.empty()) {
        print_errors(loaded.errors);
        std::fprintf(stderr, "%zu configuration error(s); %s\n", loaded.errors.size(),
                     options.check_config ? "configuration is invalid" : "refusing to start");
        return exit_config;
    }
    const auto source = agent_file ? agent_file->string() : std::string{"built-in defaults"};
    if (options.check_config) {
        std::printf("configuration OK: %s, conf.d %s, %zu check(s), %zu plugin(s)\n",
                    source.c_str(), loaded.config.agent.conf_d.c_str(), loaded.checks.size(),
                    loaded.plugins.names().size());
        return exit_ok;
    }
    log(LogLevel::info, "agent", "configuration from {}, conf.d {}", source,
        loaded.config.agent.conf_d.string());
    const sigset_t signals = block_control_signals();
    return serve(loaded, signals, started);
}

} // namespace

int main(int argc, char **argv) {
    const auto parsed = vitals::parse_options({argv + 1, argv + argc});
    if (const auto *problem = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "vitalsd: %s\n", problem->c_str());
        return exit_usage;
    }
    const auto &options = std::get<vitals::Options>(parsed);
    if (options.show_help) {
        std::fputs(vitals::usage_text().c_str(), stdout);
        return exit_ok;
    }
    if (options.show_version) {
        std::printf("vitalsd %s (plugin ABI %d.%d)\n", VITALS_VERSION, VITALS_ABI_MAJOR,
                    VITALS_ABI_MINOR);
        return exit_ok;
    }
    if (options.log_level && !vitals::log_level_from_string(*options.log_level)) {
        std::fprintf(stderr, "vitalsd: --log-level: expected debug, info, warning or error\n");
        return exit_usage;
    }
    try {
        return run(options);
    } catch (const std::exception &e) {
        // Startup failures such as a port already in use.
        std::fprintf(stderr, "vitalsd: %s\n", e.what());
        return 1;
    }
}
