// SPDX-License-Identifier: MIT
#include "checks/bounded_create.hpp"

#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "checks/plugin_session.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

using Clock = std::chrono::steady_clock;

/// One create() call, shared by the thread that waits for it and the thread that makes it:
/// whichever is done with it last frees it, so a call given up on owns what it still uses.
struct CreateCall {
    CreateCall(const CheckDefinition &check, std::shared_ptr<const PluginLibrary> library)
        : definition(check), plugin(std::move(library)) {}

    const CheckDefinition definition;
    const std::shared_ptr<const PluginLibrary> plugin; ///< loaded while create() may run in it
    const Clock::time_point started = Clock::now();
    ConfigErrors errors; ///< the calling thread's until it is joined

    std::mutex mutex;
    std::condition_variable_any returned;
    std::unique_ptr<InProcessRunner> runner; // guarded by mutex
    bool done = false;                       // guarded by mutex
    bool abandoned = false;                  // guarded by mutex
};

/// Checks whose create() was given up on and has not returned yet, and since when.
struct StuckCreates {
    std::mutex mutex;
    std::map<std::string, Clock::time_point> since;
};

StuckCreates &stuck_creates() {
    // Never destroyed: a call left behind may return while the process exits.
    static auto *stuck = new StuckCreates;
    return *stuck;
}

std::optional<Clock::time_point> stuck_since(const std::string &check) {
    auto &stuck = stuck_creates();
    const std::lock_guard lock{stuck.mutex};
    const auto found = stuck.since.find(check);
    if (found == stuck.since.end()) return std::nullopt;
    return found->second;
}

std::string elapsed_since(Clock::time_point start) {
    return format_duration(std::chrono::round<std::chrono::milliseconds>(Clock::now() - start));
}

/// The body of a create() thread: hands the instance over, or, when the wait was given up,
/// destroys it unused (on this thread, as create() ran on it).
void make_instance(const std::shared_ptr<CreateCall> &call) {
    auto runner = InProcessRunner::create(call->definition, call->plugin, call->errors);
    {
        const std::lock_guard lock{call->mutex};
        if (!call->abandoned) {
            call->runner = std::move(runner);
            call->done = true;
            call->returned.notify_all();
            return;
        }
    }
    const bool made = runner != nullptr;
    runner.reset();
    {
        auto &stuck = stuck_creates();
        const std::lock_guard lock{stuck.mutex};
        stuck.since.erase(call->definition.name);
    }
    log(LogLevel::warning, "check", "{}: create() returned after {}, too late: {}",
        call->definition.name, elapsed_since(call->started),
        made ? "its instance was destroyed unused" : "it did not make an instance");
}

/// A thread that takes no asynchronous signal: the agent takes its own on one thread
/// (sigwait), and at startup, before it blocks them, a thread left in a plugin would
/// otherwise be the one a later SIGHUP or SIGTERM reaches, with their default action.
template <class Body> std::thread start_without_signals(Body body) {
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    try {
        std::thread thread{std::move(body)};
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        return thread;
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        throw;
    }
}

} // namespace

Duration create_time_limit(const CheckDefinition &definition) {
    return std::max(definition.timeout, min_create_time_limit);
}

std::unique_ptr<InProcessRunner> create_within_limit(const CheckDefinition &definition,
                                                     std::shared_ptr<const PluginLibrary> plugin,
                                                     ConfigErrors &errors, std::stop_token stop) {
    const auto refuse = [&](std::string why) {
        errors.push_back({definition.where, "check." + definition.name, std::move(why)});
        return nullptr;
    };
    if (stop.stop_requested()) return refuse("not created: the agent is stopping");
    if (const auto since = stuck_since(definition.name))
        return refuse(fmt::format(
            "plugin '{}': an earlier create() of this check has not returned after {}; none "
            "is started again until it does (restarting the agent ends it)",
            plugin->name(), elapsed_since(*since)));

    const auto call = std::make_shared<CreateCall>(definition, std::move(plugin));
    const Duration limit = create_time_limit(definition);
    std::thread thread;
    try {
        thread = start_without_signals([call] { make_instance(call); });
    } catch (const std::system_error &e) {
        return refuse(fmt::format("cannot start a thread for create(): {}", e.what()));
    }
    std::unique_lock lock{call->mutex};
    if (call->returned.wait_until(lock, stop, call->started + limit, [&] { return call->done; })) {
        lock.unlock();
        thread.join();
        errors.insert(errors.end(), std::make_move_iterator(call->errors.begin()),
                      std::make_move_iterator(call->errors.end()));
        return std::move(call->runner);
    }
    // Before the call can see `abandoned`, so that its return always finds itself listed.
    call->abandoned = true;
    {
        auto &stuck = stuck_creates();
        const std::lock_guard stuck_lock{stuck.mutex};
        stuck.since.emplace(definition.name, call->started);
    }
    lock.unlock();
    thread.detach();
    const std::string &name = call->plugin->name();
    if (stop.stop_requested())
        return refuse(fmt::format("plugin '{}' was still in create() after {} when the agent "
                                  "began to stop; left to finish on a thread of its own",
                                  name, elapsed_since(call->started)));
    // The library's init() runs on the same thread, before the first create(): bounded with it.
    const char *function =
        PluginSession::in_init_or_deinit(*call->plugin) ? "init() (or deinit())" : "create()";
    return refuse(fmt::format("plugin '{}' has not returned from {} within {} (the "
                              "check's timeout, at least {}); the check is refused. {} "
                              "must not block: the call is left to finish on a thread of its "
                              "own, and whatever it makes is destroyed unused",
                              name, function, format_duration(limit),
                              format_duration(min_create_time_limit), function));
}

} // namespace vitals
