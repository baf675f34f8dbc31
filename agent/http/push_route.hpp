// POST /health/checks/<name>: reports for push checks. SPDX-License-Identifier: MIT
#pragma once

#include "http/router.hpp"
#include "push/push_board.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// Registers the route (write scope). 404 for an unknown check, 409 for a
/// check that is not a push check, 400/413 for a body parse_push_report
/// refuses; 200 once the report is recorded. Both must outlive the router.
void add_push_route(Router &router, const ResultStore &results, const PushBoard &board);

} // namespace vitals
