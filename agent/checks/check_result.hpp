// The outcome of one run. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/labels.hpp"
#include "core/duration.hpp"
#include "core/status.hpp"

namespace vitals {

/// vitals_metric_kind: how a consumer may treat the values over time.
enum class MetricKind : std::uint8_t { gauge = 0, counter = 1 };

constexpr std::string_view to_string(MetricKind kind) {
    return kind == MetricKind::counter ? "counter" : "gauge";
}

/// "gauge" or "counter" as a kind; nullopt for another word.
constexpr std::optional<MetricKind> metric_kind_named(std::string_view word) {
    if (word == "gauge") return MetricKind::gauge;
    if (word == "counter") return MetricKind::counter;
    return std::nullopt;
}

/// One measurement. A 1.0 plugin (add_metric) sets name, value and unit; the rest stays at
/// its defaults, which every output writes exactly as before 1.1.
struct Metric {
    std::string name;
    double value = 0;
    std::string unit;
    MetricKind kind = MetricKind::gauge;
    /// The plugin's own labels (add_metric_ex), never one of the agent's or the check's.
    Labels labels{};
    /// Threshold metadata as Nagios perfdata carries it; unset when the plugin gave none.
    std::optional<double> warn{};
    std::optional<double> crit{};
    std::optional<double> min{};
    std::optional<double> max{};
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
