// Running an on_failure action's command: bounded in time, its output's tail kept.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <stop_token>
#include <string>
#include <vector>

#include "core/duration.hpp"

namespace vitals {

struct CommandRun {
    enum class End {
        exited,      ///< `code` is its exit status
        signalled,   ///< `code` is the signal that ended it
        timed_out,   ///< killed, with its whole process group, at the timeout
        not_started, ///< `error` says why (no such program, ...)
        stopped,     ///< killed because the agent is stopping
    };
    End end = End::not_started;
    int code = 0;
    /// The last `tail_bytes` of what it wrote to stdout and stderr together, as written.
    std::string output_tail;
    std::string error;
};

/// Runs `argv` (argv[0] found on PATH unless it holds a '/') in a session of its own with
/// stdin from /dev/null, `environment` added to the agent's, until it exits, `timeout`
/// passes or `stop` is requested. At the timeout or a stop, whatever it started in its
/// process group is killed with it; once it has exited by itself, what it started in the
/// background is left running (a restart action's daemon).
CommandRun run_command(const std::vector<std::string> &argv,
                       const std::vector<std::string> &environment, Duration timeout,
                       std::size_t tail_bytes, std::stop_token stop);

} // namespace vitals
