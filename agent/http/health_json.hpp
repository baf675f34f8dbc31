// The native JSON form of check states. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "core/status.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// A check that has not finished a run yet counts as an error: a probe must
/// not report health the agent has not measured.
Status effective_status(const CheckState &state);

/// The worst effective status; ok for no checks (the agent itself is up).
Status aggregate_status(const std::vector<CheckState> &states);

/// {"status": ..., "checks": {name: {...}, ...}}
std::string render_aggregate(const std::vector<CheckState> &states);

/// {"name": ..., "status": ..., ...} for one check.
std::string render_check(const CheckState &state);

/// {"error": ..., ...extra} for 4xx answers.
std::string render_error(std::string_view error, std::string_view detail);

} // namespace vitals
