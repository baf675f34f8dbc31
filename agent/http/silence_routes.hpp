// Silences and maintenance over HTTP. SPDX-License-Identifier: MIT
#pragma once

#include "alerts/silence_board.hpp"
#include "http/router.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// POST / DELETE /health/checks/<name>/silence and /health/maintenance (write scope),
/// GET /health/silences (read scope). A silence names a check the agent runs (404
/// otherwise) and needs `for`; lifting one of a check since removed still works. Who
/// silenced is the access token's name, or "anonymous". Both must outlive the router.
void add_silence_routes(Router &router, const ResultStore &results, SilenceBoard &board);

/// The JSON of a silence, as GET /health/silences lists it and POST answers it.
std::string silence_json(const Silence &silence);
/// {"reason", "by", "since", "until"} (until null when open-ended).
std::string maintenance_json(const Maintenance &maintenance);

} // namespace vitals
