// The body of POST /health/checks/<name>: a push check's report. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "checks/check_result.hpp"
#include "config/push_rules.hpp"

namespace vitals {

/// The same bounds a plugin's result has.
inline constexpr std::size_t max_push_message_bytes = 4096;
inline constexpr std::size_t max_push_metrics = 128;
inline constexpr std::size_t max_push_metric_name_bytes = 128;

/// Why a report was refused: the HTTP status (400, 413 or 415) and a sentence
/// naming the field at fault.
struct PushProblem {
    int http_status = 400;
    std::string detail;
};

/// Reads a report. Two forms:
///  - JSON (`application/json`, or any body starting with '{'):
///    {"status": "ok|warning|error", "message": "...", "duration_seconds": 1.5,
///     "metrics": [{"name": "rows", "value": 42, "unit": ""}]}
///    status is required; every other field is optional; unknown fields are refused.
///  - a Nagios-style line (`text/plain`, or any other body): "<code> <output>" with
///    code 0 ok, 1 warning, 2 error (CRITICAL), 3 error (UNKNOWN), and output as a
///    Nagios plugin prints it: the first line is the message, `| label=value[UOM]`
///    performance data becomes metrics.
/// The result ends at `received` (it started duration_seconds earlier).
std::variant<CheckResult, PushProblem>
parse_push_report(std::string_view content_type, std::string_view body,
                  std::chrono::system_clock::time_point received);

} // namespace vitals
