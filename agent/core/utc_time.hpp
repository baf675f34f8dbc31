// Wall-clock times as text. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>

namespace vitals {

/// RFC 3339 UTC with milliseconds, e.g. "2026-11-21T10:00:00.123Z".
std::string format_utc(std::chrono::system_clock::time_point time);

} // namespace vitals
