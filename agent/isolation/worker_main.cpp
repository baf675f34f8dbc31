// SPDX-License-Identifier: MIT
//
// The worker is the agent's own binary, so it runs exactly the in-process code path
// (InProcessRunner: validation, create(), run() with the same host functions and limits on
// messages and metrics). What process isolation adds lives in the agent: a deadline it can
// enforce with SIGKILL, and a crash that costs this process only.
#include "isolation/worker_main.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <poll.h>
#include <pthread.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <sysexits.h>

#include "checks/in_process_runner.hpp"
#include "core/log.hpp"
#include "isolation/wire.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {
namespace {

using namespace std::chrono_literals;

constexpr int exit_ok = 0;
constexpr int exit_protocol = 2; ///< the agent sent something this worker does not understand

/// Once the agent has hung up, how long an idle worker may take to destroy its instance
/// before the watchdog ends it regardless.
constexpr auto hangup_grace = 1s;
constexpr std::size_t watchdog_stack_bytes = 64 * 1024;

bool read_exact(int fd, char *data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::read(fd, data, size);
        if (n > 0) {
            data += n;
            size -= static_cast<std::size_t>(n);
        } else if (n == 0 || errno != EINTR) {
            return false;
        }
    }
    return true;
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n >= 0)
            bytes.remove_prefix(static_cast<std::size_t>(n));
        else if (errno != EINTR)
            return false;
    }
    return true;
}

/// The next message; nullopt at end-of-file or on a malformed frame.
std::optional<wire::Message> read_message(int fd) {
    char prefix[wire::frame_prefix_bytes];
    if (!read_exact(fd, prefix, sizeof prefix)) return std::nullopt;
    const std::uint32_t length = wire::frame_length(prefix);
    if (length > wire::max_frame_bytes) return std::nullopt;
    std::string payload(length, '\0');
    if (!read_exact(fd, payload.data(), payload.size())) return std::nullopt;
    return wire::decode(payload);
}

/// A worker whose agent died would otherwise live on, stuck in a plugin that never returns:
/// this thread notices the hang-up even then. (PR_SET_PDEATHSIG would fire when the *thread*
/// that spawned the worker exits, and the scheduler replaces threads.)
void *watch_agent(void *socket) {
    pollfd fd{static_cast<int>(reinterpret_cast<std::intptr_t>(socket)), POLLRDHUP, 0};
    while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
    }
    std::this_thread::sleep_for(hangup_grace); // an idle worker exits by itself meanwhile
    ::_exit(exit_ok);
}

void start_watchdog(int fd) {
    pthread_attr_t attributes;
    ::pthread_attr_init(&attributes);
    ::pthread_attr_setstacksize(&attributes, watchdog_stack_bytes);
    ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (const int rc = ::pthread_create(&thread, &attributes, &watch_agent,
                                        reinterpret_cast<void *>(static_cast<std::intptr_t>(fd))))
        log(LogLevel::warning, "worker", "cannot start the watchdog thread: {}", strerror(rc));
    ::pthread_attr_destroy(&attributes);
}

void limit_memory(std::uint64_t bytes) {
    if (bytes == 0) return;
    const rlimit limit{static_cast<rlim_t>(bytes), static_cast<rlim_t>(bytes)};
    if (::setrlimit(RLIMIT_AS, &limit) != 0)
        log(LogLevel::warning, "worker", "cannot set memory_limit: {}", strerror(errno));
}

/// RLIMIT_CPU counts the process's whole life; moving the soft limit before every call makes
/// `limit` a budget per call (rounded up to whole seconds, the limit's unit). Past it the
/// kernel sends SIGXCPU, whose default action ends the worker.
void allow_cpu_time(Duration limit) {
    if (limit <= Duration::zero()) return;
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto used = std::chrono::seconds{usage.ru_utime.tv_sec + usage.ru_stime.tv_sec} +
                      std::chrono::microseconds{usage.ru_utime.tv_usec + usage.ru_stime.tv_usec};
    const auto budget = std::chrono::ceil<std::chrono::seconds>(used + limit);
    rlimit current{};
    ::getrlimit(RLIMIT_CPU, &current);
    current.rlim_cur = static_cast<rlim_t>(budget.count());
    if (current.rlim_max != RLIM_INFINITY)
        current.rlim_cur = std::min(current.rlim_cur, current.rlim_max);
    if (::setrlimit(RLIMIT_CPU, &current) != 0)
        log(LogLevel::warning, "worker", "cannot set cpu_time_limit: {}", strerror(errno));
}

/// Loads the plugin and creates the instance as the agent would in process; problems carry
/// the same dotted keys (the agent maps them back to its own file and line).
std::unique_ptr<InProcessRunner> create_instance(const wire::CreateRequest &request,
                                                 std::vector<wire::Problem> &problems) {
    const std::string check_key = "check." + request.check_name;
    CheckDefinition definition;
    definition.name = request.check_name;
    definition.interval = request.interval;
    definition.timeout = request.timeout;
    definition.labels = request.labels;
    definition.where = {"(plugin worker)", 0, 0};
    try {
        ResolvedSecrets secret_params;
        for (const auto &key : request.secret_params)
            secret_params.emplace(key, definition.where);
        definition.params = CheckParams{std::make_shared<const toml::table>(toml::parse(
                                            request.params_toml, std::string_view{"(params)"})),
                                        std::move(secret_params)};
    } catch (const toml::parse_error &e) {
        problems.push_back(
            {check_key + ".params",
             fmt::format("plugin worker could not read the params: {}", e.description())});
        return nullptr;
    }
    std::shared_ptr<const PluginLibrary> plugin;
    try {
        plugin = PluginLibrary::open(request.plugin_file);
    } catch (const PluginLoadError &e) {
        // Worded as the agent words a refusal it meets itself (check_builder.cpp).
        const auto name = std::filesystem::path{request.plugin_file}.stem().string();
        problems.push_back(
            {check_key + ".plugin", fmt::format("plugin '{}' refused: {}", name, e.what())});
        return nullptr;
    }
    definition.plugin = plugin->name();
    ConfigErrors errors;
    auto runner = InProcessRunner::create(definition, std::move(plugin), errors);
    for (auto &error : errors)
        problems.push_back({std::move(error.key), std::move(error.message)});
    return runner;
}

int serve(int fd) {
    auto first = read_message(fd);
    if (!first) return exit_ok; // the agent went away before asking anything
    const auto *create = std::get_if<wire::CreateRequest>(&*first);
    if (!create) return exit_protocol;
    set_log_level(static_cast<LogLevel>(create->log_level));
    start_watchdog(fd);
    // Before the plugin is loaded, so its constructors and create() are bounded too.
    limit_memory(create->memory_limit);
    allow_cpu_time(create->cpu_time_limit);
    const Duration cpu_time_limit = create->cpu_time_limit;

    wire::CreateReply created;
    std::unique_ptr<InProcessRunner> runner;
    try {
        runner = create_instance(*create, created.problems);
    } catch (const std::exception &e) { // realistically bad_alloc under memory_limit
        created.problems.push_back(
            {"check." + create->check_name, fmt::format("plugin worker failed: {}", e.what())});
    }
    if (!write_all(fd, wire::encode(created)) || !runner) return exit_ok;

    while (auto message = read_message(fd)) {
        const auto *run = std::get_if<wire::RunRequest>(&*message);
        if (!run) return exit_protocol;
        allow_cpu_time(cpu_time_limit);
        RunHistory history;
        history.failures_in_a_row = run->failures_in_a_row;
        if (run->previous_status >= 0) history.previous = status_from_abi(run->previous_status);
        wire::RunReply reply{
            runner->run(std::chrono::steady_clock::now() + run->time_left, history)};
        if (!write_all(fd, wire::encode(reply))) break;
    }
    return exit_ok; // end-of-file: the agent is done with this check; destroy() runs now
}

} // namespace

int run_plugin_worker(int fd) {
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISSOCK(status.st_mode)) {
        std::fprintf(stderr,
                     "vitalsd: %s is how the agent starts its own plugin workers "
                     "(isolation = \"process\"); it is not for use by hand\n",
                     std::string{plugin_worker_flag}.c_str());
        return EX_USAGE;
    }
    // Keep the socket out of anything the plugin executes.
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return serve(fd);
    } catch (const std::exception &e) {
        log(LogLevel::error, "worker", "plugin worker failed: {}", e.what());
        return 1;
    }
}

} // namespace vitals
