// An alert waiting in a notifier's queue as JSON text, and back. SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "alerts/alert.hpp"

namespace vitals::state {

std::string encode_alert(const Alert &alert);
/// nullopt when `text` is not what encode_alert writes.
std::optional<Alert> decode_alert(const std::string &text);

} // namespace vitals::state
