// `vitalsd notify --test NAME`: one test alert through a notifier of agent.toml, to see that
// it reaches someone. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace vitals {

/// Exit codes, for scripts: 0 delivered; 1 the receiver rejected it; 69 not delivered but
/// worth retrying (receiver down, 5xx, timeout; the agent would retry); 64 usage (an unknown
/// NAME among them); 78 configuration.
int notify_command(const std::vector<std::string> &args);

std::string notify_usage_text();

} // namespace vitals
