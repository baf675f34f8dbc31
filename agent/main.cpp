// vitalsd: the Vitals health-check agent. SPDX-License-Identifier: MIT
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <pthread.h>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <sysexits.h>

#include "app/agent_runtime.hpp"
#include "app/exit_guard.hpp"
#include "app/load_configuration.hpp"
#include "app/run_once.hpp"
#include "cli/describe_command.hpp"
#include "cli/maintenance_commands.hpp"
#include "cli/notify_command.hpp"
#include "cli/options.hpp"
#include "cli/push_command.hpp"
#include "core/log.hpp"
#include "isolation/worker_main.hpp"

namespace {

using namespace vitals;

constexpr int exit_ok = 0;

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

void print_errors(const ConfigErrors &errors) {
    for (const auto &error : errors)
        std::fprintf(stderr, "%s\n", error.to_string().c_str());
}

/// Waits up to `limit` for a signal; 0 when none came.
int wait_for_signal(const sigset_t &signals, std::optional<Duration> limit) {
    if (!limit) {
        int signal = 0;
        sigwait(&signals, &signal);
        return signal;
    }
    const auto ns = std::max<Duration::rep>(limit->count(), 0);
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                           static_cast<long>(ns % 1'000'000'000)};
    const int signal = sigtimedwait(&signals, nullptr, &timeout);
    return signal < 0 ? 0 : signal;
}

[[noreturn]] void exit_at_once(int signal) {
    log_suppressed_summaries();
    log(LogLevel::warning, "agent", "second {}: exiting at once", strsignal(signal));
    std::_Exit(exit_ok);
}

/// SIGTERM: readiness turns 503 at once while liveness stays 200, for
/// shutdown_delay, so load balancers stop sending traffic; then runs in
/// flight get their timeout, plugins are destroyed, and the agent exits 0.
/// A second SIGTERM or SIGINT at any point exits at once. A reload still going is
/// given up (AgentRuntime::stop), however long its plugins would take.
int shut_down(AgentRuntime &runtime, const sigset_t &signals, int signal) {
    const Duration delay = runtime.shutdown_delay();
    log(LogLevel::info, "agent", "received {}: draining for {}", strsignal(signal),
        format_duration(delay));
    runtime.drain();
    const auto drain_until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < drain_until) {
        const int next = wait_for_signal(signals, drain_until - std::chrono::steady_clock::now());
        if (next == SIGTERM || next == SIGINT) exit_at_once(next);
    }
    std::atomic<bool> stopped{false};
    std::thread stopper{[&] {
        runtime.stop();
        stopped = true;
        ::kill(::getpid(), SIGHUP); // wakes the wait below
    }};
    while (!stopped) {
        const int next = wait_for_signal(signals, std::chrono::milliseconds{200});
        if (next == SIGTERM || next == SIGINT) exit_at_once(next);
    }
    stopper.join();
    log_suppressed_summaries(); // a flood's count is not lost with the last windows
    log(LogLevel::info, "agent", "stopped");
    return exit_ok;
}

int serve(LoadedConfiguration loaded, const std::optional<std::filesystem::path> &agent_file,
          const Options &options, const sigset_t &signals,
          std::chrono::system_clock::time_point started) {
    const std::size_t checks = loaded.checks.size();
    AgentRuntime runtime{std::move(loaded), agent_file, options.listen, started};
    const std::string host = runtime.settings().listen.host; // before a reload may run
    runtime.start();
    log(LogLevel::info, "agent", "vitalsd {} listening on {}:{} with {} check(s)", VITALS_VERSION,
        host, runtime.port(), checks);
    // This thread only takes signals: a reload runs on a thread of its own, since one that
    // waits for a plugin must not keep SIGTERM waiting.
    while (true) {
        const int signal = wait_for_signal(signals, std::nullopt);
        if (signal == SIGHUP) {
            runtime.request_reload();
            continue;
        }
        return shut_down(runtime, signals, signal);
    }
}

int run(const Options &options) {
    const auto started = std::chrono::system_clock::now();
    // A dry run's answer is its own output; plugin-loading chatter would bury it.
    if (options.check_config) set_log_level(LogLevel::warning);
    if (options.log_level) set_log_level(*log_level_from_string(*options.log_level));
    const auto agent_file = locate_agent_file(options.config);
    // agent.toml's log_level, unless overridden, applies before the first plugin is loaded.
    const auto log_level = options.log_level || options.check_config ? ConfiguredLogLevel::keep
                                                                     : ConfiguredLogLevel::apply;
    auto loaded = load_configuration(agent_file, default_settings(agent_file), {}, log_level);
    if (options.listen) loaded.config.agent.listen = *options.listen;

    if (!loaded.errors.empty()) {
        print_errors(loaded.errors);
        std::fprintf(stderr, "%zu configuration error(s); %s\n", loaded.errors.size(),
                     options.check_config ? "configuration is invalid" : "refusing to start");
        return EX_CONFIG;
    }
    const auto source = agent_file ? agent_file->string() : std::string{"built-in defaults"};
    if (options.check_config) {
        // Listing the plugins loads every library in the plugin directories, and one the
        // loader refuses is logged as an error: then the answer is no, as it says.
        const std::size_t plugins = loaded.plugins.names().size();
        if (const std::size_t logged = errors_logged(); logged > 0) {
            std::fprintf(stderr, "%zu error(s) logged; configuration is invalid\n", logged);
            return EX_CONFIG;
        }
        std::printf("configuration OK: %s, conf.d %s, %zu check(s), %zu plugin(s)\n",
                    source.c_str(), loaded.config.agent.conf_d.c_str(), loaded.checks.size(),
                    plugins);
        return exit_ok;
    }
    log(LogLevel::info, "agent", "configuration from {}, conf.d {}", source,
        loaded.config.agent.conf_d.string());
    const sigset_t signals = block_control_signals();
    return serve(std::move(loaded), agent_file, options, signals, started);
}

/// Everything but the plugin worker.
int agent_main(int argc, char **argv) {
    // `vitalsd run --plugin PATH ...`: one check once, for plugin authors; its own options.
    if (argc > 1 && std::string_view{argv[1]} == "run")
        return vitals::run_once_command({argv + 2, argv + argc});
    // `vitalsd describe --plugin PATH`: a plugin's parameter table, for its docs.
    if (argc > 1 && std::string_view{argv[1]} == "describe")
        return vitals::describe_command({argv + 2, argv + argc});
    // `vitalsd push CHECK STATUS [MESSAGE]`: a report to a push check, for scripts.
    if (argc > 1 && std::string_view{argv[1]} == "push")
        return vitals::push_command({argv + 2, argv + argc});
    // `vitalsd notify --test NAME`: a test alert through one notifier of agent.toml.
    if (argc > 1 && std::string_view{argv[1]} == "notify")
        return vitals::notify_command({argv + 2, argv + argc});
    // `vitalsd silence NAME --for 2h` and `vitalsd maintenance on|off`: quieting, for scripts.
    if (argc > 1 && std::string_view{argv[1]} == "silence")
        return vitals::silence_command({argv + 2, argv + argc});
    if (argc > 1 && std::string_view{argv[1]} == "maintenance")
        return vitals::maintenance_command({argv + 2, argv + argc});
    const auto parsed = vitals::parse_options({argv + 1, argv + argc});
    if (const auto *problem = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "vitalsd: %s\n", problem->c_str());
        return EX_USAGE;
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
        return EX_USAGE;
    }
    try {
        return run(options);
    } catch (const std::exception &e) {
        // Startup failures such as a port already in use.
        std::fprintf(stderr, "vitalsd: %s\n", e.what());
        return 1;
    }
}

} // namespace

int main(int argc, char **argv) {
    // isolation = "process": the agent starts this same binary as a plugin worker. Not
    // guarded: a worker's exit status is for its agent to read ("worker exited with code 3").
    if (argc >= 3 && argv[1] == vitals::plugin_worker_flag)
        return vitals::run_plugin_worker(std::atoi(argv[2]));
    // From here on only main ends the process with a status of its choosing: a plugin's
    // exit(0) must not pass for a clean stop.
    vitals::guard_exit();
    const int code = agent_main(argc, argv);
    vitals::allow_exit();
    return code;
}
