// SPDX-License-Identifier: MIT
#include "checks/host_context.hpp"

#include <fmt/format.h>

#include "checks/plugin_text.hpp"
#include "config/table_reader.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

const char *CreateContext::default_text(std::string_view key) const {
    const vitals_param_spec *spec = plugin_.find_param(key);
    return spec ? spec->default_value : nullptr;
}

void CreateContext::error(std::string_view key, std::string message) {
    // Plugin text (param_error) reaches the log and --check-config's output: cleaned as
    // result messages are.
    message = clean_plugin_text(message, RunContext::max_message_bytes, secrets.get());
    const std::string path =
        "check." + check_.name + ".params" + (key.empty() ? "" : "." + std::string{key});
    const toml::node *value = key.empty() ? nullptr : node(key);
    SourceLocation where = value ? location_of(value->source()) : check_.where;
    // A value read from a secret reference was written by the agent, not in the file.
    const auto &references = check_.params.from_references();
    if (const auto reference = references.find(key); reference != references.end())
        where = reference->second;
    errors_.push_back({std::move(where), path, std::move(message)});
}

void RunContext::set_result(int32_t status, const char *message) {
    status_code_ = status;
    message_ = clean_plugin_text(message ? message : "", max_message_bytes, secrets.get());
}

RunContext::RunContext(std::string check, std::shared_ptr<const Secrets> check_secrets,
                       std::chrono::steady_clock::time_point deadline, CheckTiming timing,
                       const RunHistory &history, std::shared_ptr<MetricIntake> intake)
    : vitals_context(std::move(check), std::move(check_secrets), timing), deadline_(deadline),
      intake_(intake ? std::move(intake) : std::make_shared<MetricIntake>(check_name, secrets)),
      cancel_timer_(deadline) {
    run_info.previous_status = history.previous ? static_cast<int32_t>(*history.previous) : -1;
    run_info.attempt = history.attempt();
}

bool RunContext::add_metric(const char *name, double value, const char *unit) {
    return keep(intake_->plain(name, value, unit));
}

bool RunContext::add_metric_ex(const vitals_metric *metric) {
    return keep(intake_->extended(metric));
}

bool RunContext::keep(std::optional<Metric> metric) {
    if (!metric) {
        ++dropped_metrics_;
        return false;
    }
    // One name and label set, one series: a repeat replaces the earlier value.
    for (auto &existing : metrics_) {
        if (existing.name == metric->name && existing.labels == metric->labels) {
            existing = std::move(*metric);
            return true;
        }
    }
    if (metrics_.size() >= max_metrics) {
        ++dropped_metrics_;
        intake_->drop(metric->name, MetricDrop::too_many_metrics,
                      fmt::format("at most {}", max_metrics));
        return false;
    }
    metrics_.push_back(std::move(*metric));
    return true;
}

CheckResult RunContext::take_result() {
    CheckResult result;
    result.metrics = std::move(metrics_);
    if (!status_code_) {
        result.status = Status::error;
        result.message = "plugin reported no result";
    } else if (const auto status = status_from_abi(*status_code_)) {
        result.status = *status;
        result.message = std::move(message_);
    } else {
        result.status = Status::error;
        result.message =
            fmt::format("plugin reported invalid status {}: {}", *status_code_, message_);
    }
    return result;
}

} // namespace vitals
