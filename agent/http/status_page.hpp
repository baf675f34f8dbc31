// GET /: the status page, rendered here for its first paint. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/silence_board.hpp"
#include "http/router.hpp"
#include "results/agent_status.hpp"
#include "results/result_store.hpp"
#include "results/verdict.hpp"

namespace vitals {

/// What the page shows, taken at one moment.
struct StatusPageInput {
    std::string agent_name; ///< the host's name
    AgentFacts facts;
    std::vector<CheckState> checks; ///< every check, in name order
    std::map<std::string, std::vector<HistoryEntry>, std::less<>> histories; ///< newest first
    std::chrono::system_clock::time_point now;
    /// false for a caller without the read scope: the overall status, nothing about checks.
    bool details = true;
    /// `?status=`, `?group=` and `?label=name=value`: the filters, so they work with
    /// JavaScript off too.
    std::string status_filter;
    std::string group_filter;
    std::string label_filter;
    int refresh_ms = 2000; ///< how often the script polls /health?history
    /// Checks silenced now (by a silence or an open window), by name.
    std::map<std::string, Quiet, std::less<>> silenced;
    std::optional<Maintenance> maintenance; ///< the agent's maintenance mode, when on
};

/// "silenced until 2026-12-06T12:00:00Z by ops: disk swap", or "... (window sun 02:00-04:00)".
std::string silenced_text(const Quiet &quiet);

/// The whole page: HTML with the CSS and script inlined, every value escaped.
std::string render_status_page(const StatusPageInput &input);

/// How a check shows: "ok", "warning", "error", or "pending" before its first result.
std::string_view display_status(const Verdict &verdict);

/// "42ms", "1.5s", "2m 5s", "3h 4m", "2d 1h".
std::string format_span(double seconds);

/// GET / (and HEAD): the page for the read scope, a minimal one for probe, a sign-in
/// challenge below that or at `/?login` (see status_page_access.hpp).
void add_status_page(Router &router, const ResultStore &results, const AgentStatus &agent,
                     const SilenceBoard *silences = nullptr);

} // namespace vitals
