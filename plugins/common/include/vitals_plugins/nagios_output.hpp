// Nagios plugin output: the status line, long text and performance data.
// SPDX-License-Identifier: MIT
//
// Pure parsing, no I/O: the exec plugin reads its commands' output with it, and the agent
// the plain-text push reports. The format is the one in the Monitoring Plugins Development
// Guidelines (https://www.monitoring-plugins.org/doc/guidelines.html):
//
//     TEXT OUTPUT | OPTIONAL PERFDATA
//     LONG TEXT LINE 1
//     LONG TEXT LINE 2 | PERFDATA LINE 2
//     PERFDATA LINE 3
//
// with perfdata items `'label'=value[UOM];[warn];[crit];[min];[max]` separated by spaces.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::plugins {

/// One performance data item as the plugin printed it.
struct PerfItem {
    std::string label; ///< unquoted, '' already turned into '
    double value = 0;
    std::string uom;  ///< "", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB" or "c"
    std::string warn; ///< threshold ranges, kept as text ("10", "~:5", "@1:2", "")
    std::string crit;
    std::optional<double> min;
    std::optional<double> max;
};

/// A plugin's standard output, taken apart.
struct PluginOutput {
    std::string text;      ///< the first line before '|', trimmed: the check's message
    std::string long_text; ///< later lines that are not performance data
    std::vector<PerfItem> perfdata;
    std::vector<std::string> skipped; ///< why each invalid perfdata item was left out
};

/// A metric ready for the host: lower_snake_case name, unit from the vocabulary.
struct Metric {
    std::string name;
    double value = 0;
    std::string unit;
    bool counter = false; ///< UOM "c": a continuous counter
    /// warn and crit as single numbers, where the range was a plain "N" (Nagios' 0..N, which
    /// is what a threshold number means); a range such as "10:" or "@1:2" gives none.
    std::optional<double> warn{};
    std::optional<double> crit{};
    std::optional<double> min{};
    std::optional<double> max{};
};

/// A perfdata threshold range as one number: "10" gives 10, any other range nullopt.
std::optional<double> threshold_number(std::string_view range);

/// Parses a plugin's standard output. `complete` is false when the output was cut at a
/// size limit: the last, unfinished line then gives no performance data, since a number cut
/// in half would read as a wrong value rather than a missing one.
PluginOutput parse_output(std::string_view output, bool complete = true);

/// Parses the items of one stretch of performance data; invalid items are skipped (and
/// described in `skipped` when given), never fatal.
std::vector<PerfItem> parse_perfdata(std::string_view text,
                                     std::vector<std::string> *skipped = nullptr);

/// The metric unit for a UOM ("ms" -> "milliseconds", "" -> ""), or nullopt for a UOM
/// outside the guidelines' list.
std::optional<std::string> unit_for_uom(std::string_view uom);

/// A lower_snake_case metric name for a perfdata label: "Round Trip" -> "round_trip",
/// "/var/log" -> "var_log", "/" -> "root", "5min" -> "metric_5min".
std::string metric_name(std::string_view label);

/// The items as metrics, with names made unique ("x", "x_2", ...) in output order.
std::vector<Metric> to_metrics(const std::vector<PerfItem> &items);

/// Text fit for a one-line message: control characters become spaces, and leading and
/// trailing white space goes.
std::string one_line(std::string_view text);

} // namespace vitals::plugins
