// What a check's earlier runs ended with, as run_info() tells the next. SPDX-License-Identifier:
// MIT
#pragma once

#include <cstdint>
#include <optional>

#include "core/status.hpp"

namespace vitals {

/// The check's own runs so far, as the plugin sees them through run_info(): the last status,
/// and how many results in a row were not ok. A result returned after its deadline counts as
/// the error the scheduler recorded for it (a timeout), whatever the plugin said.
struct RunHistory {
    std::optional<Status> previous; ///< nullopt before the first run
    std::uint32_t failures_in_a_row = 0;

    /// 1, plus the non-ok results just before this run (vitals_run_info.attempt).
    std::uint32_t attempt() const { return failures_in_a_row + 1; }
    /// The history after one more run that ended with `status`.
    void add(Status status) {
        previous = status;
        failures_in_a_row = status == Status::ok ? 0 : failures_in_a_row + 1;
    }
};

} // namespace vitals
