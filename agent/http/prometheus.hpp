// GET /metrics: the Prometheus text exposition format 0.0.4. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "alerts/silence_board.hpp"
#include "results/agent_status.hpp"
#include "results/result_store.hpp"

namespace vitals {

inline constexpr const char *prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// With `silences`, vitals_check_silenced and vitals_agent_maintenance too.
std::string render_metrics(const std::vector<std::shared_ptr<const CheckState>> &checks,
                           const AgentFacts &facts, std::chrono::system_clock::time_point now,
                           const SilenceBoard *silences = nullptr);

/// Escapes a label value: backslash, double quote and newline; a byte that is not UTF-8
/// becomes U+FFFD.
std::string escape_label_value(std::string_view value);

} // namespace vitals
