// The JSON bodies of POST .../silence and POST /health/maintenance.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/duration.hpp"

namespace vitals {

/// `{"for": "2h", "reason": "..."}`: how long, and why.
struct SilenceRequest {
    std::optional<Duration> length; ///< "for"
    std::string reason;
};

/// A silence or maintenance lasts at least this and at most `longest_silence`: an expiry a
/// person can mean, and one that ends before it is forgotten.
inline constexpr Duration shortest_silence = std::chrono::seconds{1};
inline constexpr Duration longest_silence = std::chrono::hours{30 * 24};
inline constexpr std::size_t max_reason_bytes = 512;

/// The request, or a sentence for the 400 answer. `for` is required when
/// `length_required` (a silence), optional otherwise (maintenance); an empty body is `{}`.
std::variant<SilenceRequest, std::string> parse_silence_request(std::string_view body,
                                                                bool length_required);

} // namespace vitals
