// What makes a check a push (passive) check. SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string_view>

#include "core/duration.hpp"

namespace vitals {

/// `plugin = "push"`: built into the agent; it wins over a plugin file of that name.
inline constexpr std::string_view push_plugin_name = "push";

/// Larger report bodies are refused with 413 before they are parsed; [http]
/// max_body_size cannot go above it.
inline constexpr std::size_t max_push_body_bytes = 64 * 1024;

/// How often the agent looks whether a push check's ttl has passed: a tenth of
/// the ttl, between 100ms and 1s, so an expiry is on record soon after it happens
/// at little cost (a look is a lock and a comparison).
inline Duration push_evaluation_interval(Duration ttl) {
    return std::clamp<Duration>(ttl / 10, std::chrono::milliseconds{100}, std::chrono::seconds{1});
}

} // namespace vitals
