// `vitalsd push CHECK STATUS [MESSAGE]`: a report from a script. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace vitals {

/// Exit codes, for scripts: 0 the agent recorded the report; 1 the agent refused it
/// (unknown check, not a push check, bad report; its reason on stderr); 64 usage;
/// 69 the agent could not be reached; 77 no permission (401/403); 78 configuration.
int push_command(const std::vector<std::string> &args);

std::string push_usage_text();

} // namespace vitals
