// SPDX-License-Identifier: MIT
#include "checks/host_context.hpp"

#include <cmath>

#include <fmt/format.h>

#include "config/table_reader.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {
namespace {

// Cut at a UTF-8 character boundary so the stored message stays valid text.
std::string truncate_utf8(const char *text, std::size_t max_bytes) {
    std::string value{text ? text : ""};
    if (value.size() <= max_bytes) return value;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value.resize(cut);
    return value + "…";
}

} // namespace

const char *CreateContext::default_text(std::string_view key) const {
    const vitals_param_spec *spec = plugin_.find_param(key);
    return spec ? spec->default_value : nullptr;
}

void CreateContext::error(std::string_view key, std::string message) {
    const std::string path = "check." + check_.name + ".params" + (key.empty() ? "" : "." + std::string{key});
    const toml::node *value = key.empty() ? nullptr : node(key);
    SourceLocation where = value ? location_of(value->source()) : check_.where;
    errors_.push_back({std::move(where), path, std::move(message)});
}

void RunContext::set_result(int32_t status, const char *message) {
    status_code_ = status;
    message_ = truncate_utf8(message, max_message_bytes);
}

void RunContext::add_metric(const char *name, double value, const char *unit) {
    if (!name || !*name || !std::isfinite(value) || metrics_.size() >= max_metrics) {
        ++dropped_metrics_;
        return;
    }
    metrics_.push_back({truncate_utf8(name, max_metric_name_bytes), value,
                        truncate_utf8(unit, max_metric_name_bytes)});
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
        result.message = fmt::format("plugin reported invalid status {}: {}", *status_code_, message_);
    }
    return result;
}

} // namespace vitals
