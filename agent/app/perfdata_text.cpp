// SPDX-License-Identifier: MIT
#include "app/perfdata_text.hpp"

#include <array>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace vitals {
namespace {

/// The guidelines' UOM for one of the agent's unit words.
std::optional<std::string_view> uom_for(std::string_view unit) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> uoms{{
        {"seconds", "s"},
        {"milliseconds", "ms"},
        {"microseconds", "us"},
        {"percent", "%"},
        {"bytes", "B"},
        {"kilobytes", "KB"},
        {"megabytes", "MB"},
        {"gigabytes", "GB"},
        {"terabytes", "TB"},
        {"counter", "c"},
        {"", ""},
    }};
    for (const auto &[word, uom] : uoms)
        if (word == unit) return uom;
    return std::nullopt;
}

/// The name, and its labels written as in /metrics; quoted, ' doubled, when labelled.
std::string perfdata_label(const Metric &metric) {
    if (metric.labels.empty()) return metric.name;
    std::string label = metric.name + '{';
    for (const auto &[name, value] : metric.labels) {
        if (label.back() != '{') label += ',';
        label += name + "=\"";
        for (const char c : value) {
            if (c == '"' || c == '\\') label += '\\';
            label += c;
        }
        label += '"';
    }
    label += '}';
    std::string quoted = "'";
    for (const char c : label)
        quoted += c == '\'' ? std::string{"''"} : std::string{c};
    return quoted + "'";
}

} // namespace

std::string perfdata_text(const Metric &metric) {
    const auto uom = uom_for(metric.unit);
    std::string_view shown_uom = uom.value_or("");
    if (metric.kind == MetricKind::counter && metric.unit.empty()) shown_uom = "c";
    std::string text = fmt::format("{}={}{}", perfdata_label(metric), metric.value, shown_uom);

    const std::optional<double> fields[] = {metric.warn, metric.crit, metric.min, metric.max};
    std::size_t last_set = 0; // one past the last field given
    for (std::size_t i = 0; i < std::size(fields); ++i)
        if (fields[i]) last_set = i + 1;
    for (std::size_t i = 0; i < last_set; ++i) {
        text += ';';
        if (fields[i]) fmt::format_to(std::back_inserter(text), "{}", *fields[i]);
    }

    std::string notes;
    if (!uom) notes = metric.unit;
    if (metric.kind == MetricKind::counter && shown_uom != "c")
        notes += notes.empty() ? "counter" : ", counter";
    if (!notes.empty()) text += " (" + notes + ")";
    return text;
}

} // namespace vitals
