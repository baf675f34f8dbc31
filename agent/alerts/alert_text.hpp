// An alert in words, for people: a subject line and a plain text body. SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "alerts/alert.hpp"

namespace vitals {

/// One line: "web: ok → error on host1", "web: error → ok on host1 (resolved)",
/// "web: still error on host1 (reminder)", "test alert from host1".
std::string alert_summary(const Alert &alert);

/// Every field of the alert, one "Name: value" line each, for an e-mail or a chat message.
std::string alert_text(const Alert &alert);

} // namespace vitals
