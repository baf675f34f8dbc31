// Every route, registered in one place. SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "alerts/silence_board.hpp"
#include "config/configuration.hpp"
#include "http/prometheus.hpp"
#include "http/router.hpp"
#include "push/push_board.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// The built-in routes (the status page at /, and POST /health/checks/<name>
/// when there is a `push` board), then agent.toml's [[endpoint]]s. Handlers
/// only read result snapshots: a request never runs a check (a push report is
/// recorded, not run). With a `silences` board, the silence and maintenance routes, each
/// check's silence in its JSON, and readiness 503 in maintenance. `results`, `agent`,
/// `push` and `silences` must outlive the router.
Router health_router(const ResultStore &results, const std::vector<EndpointDefinition> &endpoints,
                     const AgentStatus &agent, const PushBoard *push = nullptr,
                     SilenceBoard *silences = nullptr);

/// Checks what only a whole configuration can tell: the style exists, named
/// checks exist, paths are well-formed and do not collide.
void validate_endpoints(const Configuration &config, ConfigErrors &errors);

} // namespace vitals
