// SPDX-License-Identifier: MIT
#include "checks/metric_intake.hpp"

#include <cmath>
#include <cstddef>

#include <fmt/format.h>

#include "checks/metric_name.hpp"
#include "checks/plugin_text.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

/// The members ABI 1.1 defined; a plugin built against a later 1.x passes more.
constexpr std::size_t metric_struct_1_1_bytes =
    offsetof(vitals_metric, max) + sizeof(vitals_metric::max);

/// Shown for a metric whose name cannot be read or is empty.
constexpr std::string_view unnamed = "(no name)";

bool is_agent_label(std::string_view name, const Labels &check_labels) {
    // `instance` is on every series already (the host name), as Prometheus' own target label.
    return is_reserved_label_name(name) || name == "instance" || check_labels.contains(name);
}

} // namespace

std::string_view to_string(MetricDrop reason) {
    switch (reason) {
    case MetricDrop::invalid_name:
        return "the name is not [a-zA-Z_][a-zA-Z0-9_]* of at most 128 bytes";
    case MetricDrop::not_finite:
        return "the value is not a finite number";
    case MetricDrop::too_many_metrics:
        return "too many metrics in one run";
    case MetricDrop::struct_too_small:
        return "its vitals_metric is smaller than ABI 1.1's (struct_size not set?)";
    case MetricDrop::unknown_kind:
        return "the kind is neither VITALS_METRIC_GAUGE nor VITALS_METRIC_COUNTER";
    case MetricDrop::invalid_label_name:
        return "a label name is not [a-zA-Z_][a-zA-Z0-9_]* or starts with \"__\"";
    case MetricDrop::agent_label:
        return "a label name is one the agent writes on the series itself";
    case MetricDrop::repeated_label:
        return "a label name is given twice";
    case MetricDrop::missing_label_value:
        return "a label's value is NULL";
    case MetricDrop::too_many_labels:
        return "too many labels";
    }
    return "dropped";
}

MetricIntake::MetricIntake(std::string check, std::shared_ptr<const Secrets> secrets,
                           Labels check_labels)
    : check_(std::move(check)), secrets_(std::move(secrets)),
      check_labels_(std::move(check_labels)) {}

std::string MetricIntake::clean(const char *text, std::size_t max_bytes) const {
    return clean_plugin_text(text ? text : "", max_bytes, secrets_.get());
}

void MetricIntake::drop(std::string_view name, MetricDrop reason, std::string_view detail) {
    const std::string shown = name.empty() ? std::string{unnamed} : std::string{name};
    // Past the limit every further metric is dropped for the same reason: said once, naming
    // the first, rather than once for each.
    const bool whole_run = reason == MetricDrop::too_many_metrics;
    const auto key = std::pair{whole_run ? std::string{} : shown, reason};
    if (logged_.contains(key)) return;
    if (logged_.size() >= max_remembered_drops) {
        if (!told_forgetting_)
            log(LogLevel::warning, "check",
                "{}: dropped metrics of {} kinds already; further drops are not named", check_,
                max_remembered_drops);
        told_forgetting_ = true;
        return;
    }
    logged_.insert(key);
    // The name is cleaned plugin text (secrets redacted); label values are never shown.
    log(LogLevel::warning, "check", "{}: dropped metric \"{}\"{}: {}{}{}", check_, shown,
        whole_run ? " and any after it" : "", to_string(reason), detail.empty() ? "" : ": ",
        detail);
}

std::optional<std::string> MetricIntake::checked_name(const char *name, double value) {
    // Cut a little past the limit, so an overlong name is shown as such and still refused.
    std::string cleaned = clean(name, max_metric_name_bytes + 1);
    if (!is_valid_metric_name(cleaned)) {
        drop(cleaned, MetricDrop::invalid_name);
        return std::nullopt;
    }
    if (!std::isfinite(value)) {
        drop(cleaned, MetricDrop::not_finite);
        return std::nullopt;
    }
    return cleaned;
}

std::optional<Metric> MetricIntake::plain(const char *name, double value, const char *unit) {
    auto checked = checked_name(name, value);
    if (!checked) return std::nullopt;
    return Metric{std::move(*checked), value, clean(unit, max_metric_name_bytes)};
}

std::optional<Metric> MetricIntake::extended(const vitals_metric *metric) {
    // struct_size first: nothing past it may be read.
    if (!metric || metric->struct_size < metric_struct_1_1_bytes) {
        drop(unnamed, MetricDrop::struct_too_small,
             metric ? fmt::format("struct_size {}, at least {} expected", metric->struct_size,
                                  metric_struct_1_1_bytes)
                    : std::string{"a NULL metric"});
        return std::nullopt;
    }
    auto name = checked_name(metric->name, metric->value);
    if (!name) return std::nullopt;
    Metric kept{std::move(*name), metric->value, clean(metric->unit, max_metric_name_bytes)};
    if (metric->kind != VITALS_METRIC_GAUGE && metric->kind != VITALS_METRIC_COUNTER) {
        drop(kept.name, MetricDrop::unknown_kind, fmt::format("kind {}", metric->kind));
        return std::nullopt;
    }
    kept.kind = metric->kind == VITALS_METRIC_COUNTER ? MetricKind::counter : MetricKind::gauge;
    if (!add_labels(*metric, kept)) return std::nullopt;
    thresholds(*metric, kept);
    return kept;
}

bool MetricIntake::add_labels(const vitals_metric &from, Metric &to) {
    if (from.label_count == 0) return true;
    if (from.label_count > max_labels || !from.labels) {
        drop(to.name, MetricDrop::too_many_labels,
             from.labels ? fmt::format("{}, at most {}", from.label_count, max_labels)
                         : fmt::format("label_count {} with labels NULL", from.label_count));
        return false;
    }
    for (std::size_t i = 0; i < from.label_count; ++i) {
        const vitals_label &label = from.labels[i];
        const std::string name = clean(label.name, max_label_name_bytes + 1);
        const std::string detail = fmt::format("label \"{}\"", name);
        if (!label.name || name.size() > max_label_name_bytes || !is_valid_label_name(name)) {
            drop(to.name, MetricDrop::invalid_label_name, detail);
            return false;
        }
        if (is_agent_label(name, check_labels_)) {
            drop(to.name, MetricDrop::agent_label, detail);
            return false;
        }
        if (!label.value) {
            drop(to.name, MetricDrop::missing_label_value, detail);
            return false;
        }
        if (!to.labels.emplace(name, clean(label.value, max_label_value_bytes)).second) {
            drop(to.name, MetricDrop::repeated_label, detail);
            return false;
        }
    }
    return true;
}

void MetricIntake::thresholds(const vitals_metric &from, Metric &to) const {
    // A non-finite threshold is as good as none: JSON and perfdata cannot write it.
    const auto given = [&](std::uint32_t bit, double value) -> std::optional<double> {
        if ((from.has & bit) && std::isfinite(value)) return value;
        return std::nullopt;
    };
    to.warn = given(VITALS_METRIC_HAS_WARN, from.warn);
    to.crit = given(VITALS_METRIC_HAS_CRIT, from.crit);
    to.min = given(VITALS_METRIC_HAS_MIN, from.min);
    to.max = given(VITALS_METRIC_HAS_MAX, from.max);
}

} // namespace vitals
