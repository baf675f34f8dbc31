// SPDX-License-Identifier: MIT
#include "config/labels.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace vitals {
namespace {

/// A label value is shown beside every series and result: a word or a name, not a text.
constexpr std::size_t max_label_value_bytes = 256;
/// Each label is written on every series of the check.
constexpr std::size_t max_labels = 32;

bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

bool is_reserved_label_name(std::string_view name) {
    // The label names of /metrics (http/prometheus.cpp) and the keys beside them in JSON.
    static constexpr std::array<std::string_view, 13> reserved{
        "check", "plugin", "metric", "unit",    "status", "result", "group",
        "le",    "lane",   "window", "version", "abi",    "job"};
    return std::find(reserved.begin(), reserved.end(), name) != reserved.end();
}

bool is_valid_label_name(std::string_view name) {
    if (name.empty() || name.starts_with("__")) return false;
    if (!is_ascii_letter(name.front()) && name.front() != '_') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return is_ascii_letter(c) || (c >= '0' && c <= '9') || c == '_';
    });
}

Labels read_labels(const toml::table &table, const std::string &key_path, ConfigErrors &errors) {
    Labels labels;
    TableReader reader{table, key_path, errors};
    for (const auto &[key, node] : table) {
        const std::string name{key.str()};
        if (!is_valid_label_name(name)) {
            reader.invalid(name, fmt::format("\"{}\" is not a label name: letters, digits and "
                                             "'_', not starting with a digit or \"__\"",
                                             name));
        } else if (is_reserved_label_name(name)) {
            reader.invalid(name, fmt::format("\"{}\" is a label of the agent's own", name));
        } else if (auto value = reader.text(name, max_label_value_bytes)) {
            labels.emplace(name, std::move(*value));
        }
    }
    if (labels.size() > max_labels)
        errors.push_back({location_of(table.source()), key_path,
                          fmt::format("at most {} labels (got {})", max_labels, labels.size())});
    return labels;
}

} // namespace vitals
