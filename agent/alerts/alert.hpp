// One alert: a check's reported status changed (or is still bad, or is being tested), as
// every notifier receives it. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/labels.hpp"
#include "core/status.hpp"

namespace vitals {

enum class AlertKind {
    firing,   ///< the check's reported status became warning or error (or worse)
    resolved, ///< it is ok again after a firing alert
    reminder, ///< still not ok, `repeat` after the last firing alert or reminder
    test,     ///< `vitalsd notify --test`: no check changed
};

std::string_view to_string(AlertKind kind);

struct Alert {
    /// Unique for this agent and kept across restarts: receivers may deduplicate by it.
    std::uint64_t id = 0;
    AlertKind kind = AlertKind::firing;
    std::string check;
    Status status = Status::error;                 ///< now
    Status previous = Status::ok;                  ///< before the change (for a reminder: the same)
    std::string message;                           ///< the check's last message, secrets redacted
    std::string description;                       ///< the check's `description`, may be empty
    std::chrono::system_clock::time_point since{}; ///< when `status` began
    std::chrono::system_clock::time_point at{};    ///< when this alert was made
    std::string host;                              ///< the host name, as the `instance` label
    Labels labels; ///< every label of the check, `instance` included
    std::vector<std::string> groups;
    std::string link; ///< the check on the status page; empty if unknown
    /// The last on_failure action's outcome ("exit 0: ...output tail"); empty if none ran.
    std::string action;
};

} // namespace vitals
