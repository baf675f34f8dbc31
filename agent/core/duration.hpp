// Human durations such as "500ms", "10s", "1m30s". SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vitals {

using Duration = std::chrono::nanoseconds;

/// What parse_duration accepts, for error messages.
inline constexpr std::string_view duration_syntax_hint =
    "a duration such as \"500ms\", \"10s\", \"5m\" or \"1h30m\" (units ns, us, ms, s, m, h, d)";

/// Parses one or more <number><unit> parts; nullopt when malformed or negative.
std::optional<Duration> parse_duration(std::string_view text);

/// Short human form: "250ms", "1.5s", "2m", "1h30m". Exact: parse_duration reads it
/// back as the same duration.
std::string format_duration(Duration duration);

inline double to_seconds(Duration duration) {
    return std::chrono::duration<double>(duration).count();
}

} // namespace vitals
