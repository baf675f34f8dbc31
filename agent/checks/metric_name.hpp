// The one rule for a plugin metric's name. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>

namespace vitals {

/// Longer names are refused rather than cut: two names cut alike would become one series.
inline constexpr std::size_t max_metric_name_bytes = 128;

/// Prometheus' rule for a metric name without colons, [a-zA-Z_][a-zA-Z0-9_]*, at most
/// max_metric_name_bytes long. The name becomes a label value in /metrics and a JSON key
/// part in health+json, so "disk free" or "cpu-load" would be legal there; it is refused all
/// the same, so that a plugin's metric names read alike everywhere and can one day become
/// series names of their own.
bool is_valid_metric_name(std::string_view name);

} // namespace vitals
