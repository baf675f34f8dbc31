// The outcome of one run. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "core/status.hpp"

namespace vitals {

struct Metric {
    std::string name;
    double value = 0;
    std::string unit;
};

struct CheckResult {
    Status status = Status::error;
    std::string message;
    std::vector<Metric> metrics;
    Duration duration{};
    std::chrono::system_clock::time_point started{};
    /// Not run because a dependency is failing (depends_on).
    bool suppressed = false;
    /// Nothing happened worth recording: a push check's look found its report
    /// still within the ttl. The result store ignores it.
    bool no_news = false;
};

} // namespace vitals
