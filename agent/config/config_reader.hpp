// conf.d → Configuration. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/configuration.hpp"

namespace vitals {

struct ConfigReadResult {
    Configuration config;
    ConfigErrors errors; ///< every problem found; the config is usable only when empty
    /// conf.d entries named *.toml that could not be read as files, and why: warnings,
    /// since the rest of the configuration is good (a stray dangling symlink must not keep
    /// the agent from starting), but never passed over in silence.
    ConfigErrors skipped;
};

/// Reads agent.toml (when given; otherwise `defaults` stand) and then every
/// *.toml in its conf.d in name order. Relative paths in agent.toml are
/// resolved against agent.toml's directory. Never throws for bad input.
ConfigReadResult read_configuration(const std::optional<std::filesystem::path> &agent_file,
                                    const AgentSettings &defaults);

/// A configuration file's text, already in memory, and the path it stands for.
struct ConfigText {
    std::filesystem::path
        file; ///< named in errors; relative paths in it resolve against its directory
    std::string text;
};

/// read_configuration over texts instead of files (fuzzing, tests): `conf_d_files`
/// stand for conf.d's files, in the order given, and agent.toml's conf_d is not read.
ConfigReadResult read_configuration(const std::optional<ConfigText> &agent_file,
                                    const std::vector<ConfigText> &conf_d_files,
                                    const AgentSettings &defaults);

} // namespace vitals
