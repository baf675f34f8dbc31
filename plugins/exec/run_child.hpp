// Running one external command under a deadline. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace vitals_exec {

using Clock = std::chrono::steady_clock;

/// What to run and how long it may take. Everything the child needs is prepared here,
/// before any process is created.
struct ChildSpec {
    std::string program;            ///< the executable's absolute path
    std::vector<std::string> argv;  ///< argv[0] included
    std::vector<std::string> envp;  ///< "NAME=value", the child's whole environment
    std::string working_dir;        ///< absolute
    std::size_t max_output = 65536; ///< bytes kept of stdout, and of stderr; the rest is drained
    Clock::time_point deadline;     ///< when the process group gets SIGTERM
    std::chrono::nanoseconds grace; ///< SIGTERM to SIGKILL
    std::chrono::nanoseconds reap_wait; ///< how long to wait for death after SIGKILL
};

struct ChildOutcome {
    enum class End {
        exited,       ///< `code` is the exit status
        signalled,    ///< `code` is the signal number
        timed_out,    ///< killed at the deadline
        spawn_failed, ///< `code` is the errno of posix_spawn (or of pipe2)
        vanished,     ///< exited, but something else reaped it: the status is lost
    };
    End end = End::spawn_failed;
    int code = 0;
    std::string out; ///< up to max_output bytes of stdout
    std::string err; ///< up to max_output bytes of stderr
    bool out_truncated = false;
    bool err_truncated = false;
    std::chrono::nanoseconds elapsed{}; ///< from spawn until exit, or until SIGTERM
};

/// Runs `spec` as the leader of a new session (so of its own process group), stdin
/// /dev/null, stdout and stderr to pipes, no other descriptor, default signal handling.
/// Returns once it has exited and been reaped. At the deadline the whole process group gets
/// SIGTERM, then SIGKILL after the grace time; when the leader exits by itself, whatever it
/// left running in its group gets SIGKILL. Groups still running when the process exits (or
/// the plugin is unloaded) get SIGKILL too. Thread-safe: any number may run at once.
ChildOutcome run_child(const ChildSpec &spec);

} // namespace vitals_exec
