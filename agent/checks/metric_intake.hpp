// What the host keeps of the metrics a plugin reports, and why it drops the rest.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <vitals/plugin.h>

#include "checks/check_result.hpp"
#include "checks/secrets.hpp"
#include "config/labels.hpp"

namespace vitals {

/// Why a metric was dropped; each is logged once per check and metric.
enum class MetricDrop {
    invalid_name,
    not_finite,
    too_many_metrics,
    struct_too_small,
    unknown_kind,
    invalid_label_name,
    agent_label,
    repeated_label,
    missing_label_value,
    too_many_labels,
};

std::string_view to_string(MetricDrop reason);

/// One check's gate for metrics: validates and cleans each (add_metric and add_metric_ex
/// alike) and logs each drop naming the metric and the reason, once per check × metric ×
/// reason, so a plugin that drops the same metric every run logs it once, not every run.
/// Lives as long as the check's runner, across runs. Not thread-safe: one check's runs are
/// serialised.
class MetricIntake {
public:
    static constexpr std::size_t max_labels = 16;
    static constexpr std::size_t max_label_name_bytes = 128;
    /// As a check's configured labels: a word or a name, not a text.
    static constexpr std::size_t max_label_value_bytes = 256;
    /// How many check × metric × reason keys are remembered; past it a drop is still
    /// counted by the caller but no longer named, so a plugin inventing names cannot
    /// grow the agent's memory or its log.
    static constexpr std::size_t max_remembered_drops = 256;

    /// `check_labels` are the check's own labels: a plugin label may not reuse their names.
    MetricIntake(std::string check, std::shared_ptr<const Secrets> secrets,
                 Labels check_labels = {});

    /// A 1.0 metric (add_metric), or nullopt after logging why it was dropped.
    std::optional<Metric> plain(const char *name, double value, const char *unit);
    /// A 1.1 metric (add_metric_ex), or nullopt after logging why it was dropped.
    std::optional<Metric> extended(const vitals_metric *metric);

    /// Logs (once) that `name`, already cleaned, was dropped for `reason`.
    void drop(std::string_view name, MetricDrop reason, std::string_view detail = {});

private:
    std::string clean(const char *text, std::size_t max_bytes) const;
    std::optional<std::string> checked_name(const char *name, double value);
    bool add_labels(const vitals_metric &from, Metric &to);
    void thresholds(const vitals_metric &from, Metric &to) const;

    std::string check_;
    std::shared_ptr<const Secrets> secrets_;
    Labels check_labels_;
    std::set<std::pair<std::string, MetricDrop>, std::less<>> logged_;
    bool told_forgetting_ = false;
};

} // namespace vitals
