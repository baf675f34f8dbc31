// `vitalsd silence` and `vitalsd maintenance`: quieting a check or the whole agent from a
// deploy script. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace vitals {

/// `vitalsd silence NAME --for 2h [--reason TEXT]` and `vitalsd silence NAME --lift`.
/// Exit codes, as `vitalsd push`: 0 done; 1 refused by the agent (unknown check, bad
/// duration; its reason on stderr); 64 usage; 69 agent unreachable; 77 no permission
/// (401/403); 78 configuration.
int silence_command(const std::vector<std::string> &args);

/// `vitalsd maintenance on [--reason TEXT] [--for 30m]` and `vitalsd maintenance off`.
/// Exit codes as silence_command's.
int maintenance_command(const std::vector<std::string> &args);

std::string silence_usage_text();
std::string maintenance_usage_text();

} // namespace vitals
