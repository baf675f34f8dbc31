// Labels an operator gives checks: [labels] in agent.toml, `labels` of a check.
// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "config/config_error.hpp"
#include "config/table_reader.hpp"

namespace vitals {

/// Label name → value, sorted by name: the order they are written in everywhere.
using Labels = std::map<std::string, std::string, std::less<>>;

/// Names the agent's own series and JSON use already (check, plugin, metric, ...).
bool is_reserved_label_name(std::string_view name);

/// Prometheus' rule: [a-zA-Z_][a-zA-Z0-9_]*, and no leading "__" (reserved for Prometheus).
bool is_valid_label_name(std::string_view name);

/// A table of labels, every value a string; a bad name or value is an error at
/// `reader`'s key path and the label is left out.
Labels read_labels(const toml::table &table, const std::string &key_path, ConfigErrors &errors);

} // namespace vitals
