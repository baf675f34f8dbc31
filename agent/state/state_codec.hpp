// A check's saved state as JSON text, and back. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/result_store.hpp"

namespace vitals::state {

/// Times on disk: microseconds since the Unix epoch (a status's time is its result's end,
/// a start plus a duration, and must read back equal).
std::int64_t to_micros(std::chrono::system_clock::time_point time);
std::chrono::system_clock::time_point from_micros(std::int64_t micros);

/// Statuses on disk: their words ("ok"), so a reader of the file needs no table.
std::optional<Status> status_from_text(const std::string &word);

/// What of `state` a later agent takes back: the last result and its counters (not the
/// check's settings, which come from the configuration then; not the counts since start).
std::string encode_state(const CheckState &state);
/// nullopt when `text` is not what encode_state writes.
std::optional<CheckState> decode_state(const std::string &text);

std::string encode_history(const std::vector<HistoryEntry> &history);
std::optional<std::vector<HistoryEntry>> decode_history(const std::string &text);

} // namespace vitals::state
