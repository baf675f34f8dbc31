// GET /metrics: the Prometheus text exposition format 0.0.4. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "results/result_store.hpp"

namespace vitals {

/// What the agent knows about itself, fixed once a configuration is in force.
struct AgentFacts {
    std::string version;
    std::string abi; ///< "1.0"
    std::chrono::system_clock::time_point started;
    std::vector<std::pair<std::string, std::string>> plugins; ///< name, version
    bool config_ok = true;
    std::size_t config_errors = 0;
    std::chrono::system_clock::time_point config_loaded;
};

inline constexpr const char *prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const std::vector<CheckState> &checks, const AgentFacts &facts,
                           std::chrono::system_clock::time_point now);

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

} // namespace vitals
