// What a process uses, from /proc: memory, CPU time, threads, age and open files; and its CPU
// percent between two runs. SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vitals::plugins::process {

/// One process's use of the machine now.
struct Usage {
    pid_t pid = 0;
    std::uint64_t start_ticks = 0; ///< since boot: with the PID, names the process across runs
    std::uint64_t cpu_ticks = 0;   ///< user + system time
    std::uint64_t resident_bytes = 0;
    std::uint64_t threads = 0;
    std::chrono::nanoseconds age{};
    std::optional<std::uint64_t> open_files; ///< only when asked for: it lists /proc/PID/fd
    std::optional<double> cpu_percent;       ///< of one CPU, since the previous run (CpuSampler)
};

/// A process's usage, or why there is none: `gone` when it exited meanwhile, which is no
/// problem, else `problem` ("cannot list /proc/42/fd: permission denied").
struct UsageRead {
    std::optional<Usage> usage;
    bool gone = false;
    std::string problem;
};

UsageRead read_usage(pid_t pid, bool count_open_files);

/// CPU percent of one CPU (a process busy on two CPUs shows 200) between one run and the next.
/// A process first seen in a run has no percent until the following one.
class CpuSampler {
public:
    /// Sets cpu_percent of every process also seen by the previous call, and remembers these.
    void sample(std::vector<Usage> &usages, std::chrono::steady_clock::time_point now);

private:
    struct Seen {
        std::uint64_t start_ticks;
        std::uint64_t cpu_ticks;
    };
    std::map<pid_t, Seen> previous_;
    std::optional<std::chrono::steady_clock::time_point> previous_time_;
};

} // namespace vitals::plugins::process
