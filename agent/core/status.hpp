// Check status words. SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string_view>

namespace vitals {

/// A check's outcome; ordered so that the worst of several is the maximum.
enum class Status { ok = 0, warning = 1, error = 2 };

std::string_view to_string(Status status);

/// Maps an ABI status code; nullopt for a value outside the ABI.
std::optional<Status> status_from_abi(int code);

inline Status worst(Status a, Status b) {
    return a > b ? a : b;
}

} // namespace vitals
