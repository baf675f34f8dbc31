// Every response style, one file each. SPDX-License-Identifier: MIT
#pragma once

#include "http/response_style.hpp"

namespace vitals::styles {

/// `view` over `check` alone, for the styles whose answer for one check is their
/// aggregate of it.
HealthView view_of(const CheckState &check, const HealthView &view);

const ResponseStyle &vitals();      ///< native JSON (docs/api.md, docs/vitals-health.schema.json)
const ResponseStyle &health_json(); ///< IETF draft "Health Check Response Format for HTTP APIs"
const ResponseStyle &probes();      ///< {"status": "success"|"error", "details": [...]}
const ResponseStyle &updown();      ///< {"status": "UP"|"DOWN", "timestamp", "components"}
const ResponseStyle &plain();       ///< text "OK" (a /live that only says the process runs)
const ResponseStyle &ready();       ///< {"status": "READY"|"NOT READY", "reason", "timestamp"}
const ResponseStyle &nested();      ///< {"cache": {"data": {"status": "working", ...}}}
const ResponseStyle &
system_check(); ///< {"code": "OK", "ok": true} / {"code": "ERROR", "error": true}

} // namespace vitals::styles
