// The agent's end of one plugin worker process. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

#include <vitals_plugins/child_process.hpp>
#include <vitals_plugins/fd.hpp>

#include "isolation/wire.hpp"

namespace vitals {

/// The descriptor number the worker finds its socket on (`--plugin-worker 3`).
inline constexpr int worker_socket_fd = 3;

/// "plugin crashed: SIGSEGV" or "worker exited with code 3", from a waitpid() status;
/// `during` (" in create()") follows the verb.
std::string describe_worker_exit(int wait_status, std::string_view during = "");

/// A worker: `program --plugin-worker 3 CHECK`, in a process group of its own, with a
/// socketpair on descriptor 3 and nothing else of the agent's open. Not thread-safe: one
/// caller at a time.
class WorkerProcess {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    /// Starts the worker; throws std::system_error when it cannot. `check` is only shown in
    /// `ps`, so operators can tell workers apart.
    WorkerProcess(const std::filesystem::path &program, const std::string &check);
    /// An idle worker is asked to finish (its socket is closed, so it destroys the instance
    /// and exits) and given `idle_exit_grace`; a busy one is killed. Either way it is reaped.
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess &) = delete;
    WorkerProcess &operator=(const WorkerProcess &) = delete;

    enum class Outcome {
        ok,
        timeout, ///< `until` passed first
        gone,    ///< the worker closed its socket or exited: call reap()
        garbage, ///< it sent a frame that does not decode
    };

    Outcome send(const wire::Message &message, TimePoint until);
    /// Waits until one whole message is in, or `until`.
    Outcome receive(wire::Message &message, TimePoint until);

    /// SIGKILLs the whole process group and reaps the worker; returns its wait status.
    int kill();
    /// After `gone`: gives it a moment to finish dying, kills what is left of its group and
    /// reaps it; returns its wait status.
    int reap();

    pid_t pid() const { return process_.pid(); }

    static constexpr std::chrono::milliseconds idle_exit_grace{1000};

private:
    plugins::UniqueFd socket_;      ///< ours of the pair: set before process_ starts
    plugins::ChildProcess process_; ///< after socket_, so that it is started second
    bool busy_ = false;             ///< a request is out and its reply not yet in
    std::string inbox_;             ///< bytes received but not yet a whole frame
};

} // namespace vitals
