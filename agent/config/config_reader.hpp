// conf.d → Configuration. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>

#include "config/configuration.hpp"

namespace vitals {

struct ConfigReadResult {
    Configuration config;
    ConfigErrors errors; ///< every problem found; the config is usable only when empty
};

/// Reads agent.toml (when given; otherwise `defaults` stand) and then every
/// *.toml in its conf.d in name order. Relative paths in agent.toml are
/// resolved against agent.toml's directory. Never throws for bad input.
ConfigReadResult read_configuration(const std::optional<std::filesystem::path> &agent_file,
                                    const AgentSettings &defaults);

/// True for names usable as a check or group name (they appear in URLs).
bool is_valid_name(std::string_view name);

} // namespace vitals
