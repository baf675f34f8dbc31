// Monit-style limits on what matched processes use: resident memory, CPU, open files, threads
// and age, each with a warning and an error level, per process or summed.
// SPDX-License-Identifier: MIT
#pragma once

#include "process_usage.hpp"

#include <vitals/plugin.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace vitals::plugins::process {

/// One measure's warning and error levels.
struct Levels {
    std::optional<double> warning;
    std::optional<double> error;
    bool set() const { return warning || error; }
};

/// What the limits make of the processes of one run.
struct Judgement {
    vitals::Status status = vitals::Status::ok;
    std::vector<std::string> reasons; ///< "pid 42 memory 612.0 MiB >= 500.0 MiB"
    struct Metric {
        const char *name;
        double value;
        const char *unit;
    };
    std::vector<Metric> metrics;
};

class ResourceLimits {
public:
    /// The limits in the parameters (see process_params in process.cpp), checked.
    explicit ResourceLimits(const vitals::Params &params);

    /// Whether any limit needs the open files counted, which lists /proc/PID/fd.
    bool count_open_files() const;

    /// Judges the usages of one run. Every measure is reported as a metric: the largest value
    /// among the processes, or their sum with `aggregate = "sum"` (ages are never summed).
    Judgement judge(const std::vector<Usage> &usages) const;

    /// The measures, in the order of their keys and metrics.
    enum Measure { memory, cpu, open_files, threads, max_age, min_age, measures };

private:
    std::array<Levels, measures> levels_;
    bool sum_ = false;
};

} // namespace vitals::plugins::process
