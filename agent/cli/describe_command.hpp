// `vitalsd describe --plugin PATH [--json]`: a plugin's parameter table, for its docs.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace vitals {

/// Prints what the plugin says of itself (cli/plugin_description.hpp) as Markdown, or
/// JSON with --json. Exit codes: 0 printed; 64 bad usage; 78 the file is not a plugin this
/// agent loads (why on stderr). Loading a plugin runs no more of it than its entry.
int describe_command(const std::vector<std::string> &args);

std::string describe_usage_text();

} // namespace vitals
