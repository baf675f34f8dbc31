// The built-in /health routes. SPDX-License-Identifier: MIT
#pragma once

#include "http/router.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// Registers every built-in route. Handlers only read result snapshots:
/// a request never runs a check.
Router health_router(const ResultStore &results);

/// 200 for ok and warning, 503 for error.
int http_status_for(Status status);

} // namespace vitals
