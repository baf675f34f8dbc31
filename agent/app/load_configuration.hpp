// conf.d + plugins → checks ready to schedule, or every reason why not. SPDX-License-Identifier:
// MIT
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "checks/check.hpp"
#include "config/config_reader.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_catalog.hpp"

namespace vitals {

struct LoadedConfiguration {
    Configuration config;
    PluginCatalog plugins;
    std::vector<std::shared_ptr<Check>> checks;
    ConfigErrors errors; ///< the configuration is usable only when empty
};

/// Whether agent.toml's log_level is applied as soon as it is read, before any plugin is
/// loaded or created (at startup, unless --log-level or --check-config says otherwise), so
/// that what init() and create() log at debug is there at startup too.
enum class ConfiguredLogLevel { keep, apply };

/// The one validation path, shared by startup, reload and `--check-config`. `stop` gives
/// up waiting for plugins' create() (a reload the agent's shutdown overtakes).
LoadedConfiguration load_configuration(const std::optional<std::filesystem::path> &agent_file,
                                       const AgentSettings &defaults, std::stop_token stop = {},
                                       ConfiguredLogLevel log_level = ConfiguredLogLevel::keep);

/// The second half of load_configuration, for a configuration read some other way
/// (from memory, when fuzzing): checks built against `plugins`, then what only the
/// whole configuration can tell (endpoints, dependencies).
LoadedConfiguration validate_configuration(ConfigReadResult read, PluginCatalog plugins,
                                           std::stop_token stop = {});

/// Built-in settings: the packaged locations, or, for a source build
/// without /etc/vitals/agent.toml, the repository's conf.d and the build's
/// plugins. `agent_file` is where agent.toml was found, if anywhere.
AgentSettings default_settings(const std::optional<std::filesystem::path> &agent_file);

/// The agent.toml to read: --config, else the packaged one if present,
/// else none (built-in defaults).
std::optional<std::filesystem::path>
locate_agent_file(const std::optional<std::filesystem::path> &given);

} // namespace vitals
