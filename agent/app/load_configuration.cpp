// SPDX-License-Identifier: MIT
#include "app/load_configuration.hpp"

#include <algorithm>
#include <system_error>
#include <tuple>

#include "app/check_builder.hpp"
#include "config/config_reader.hpp"
#include "config/dependencies.hpp"
#include "config/notify_targets.hpp"
#include "core/log.hpp"
#include "http/health_routes.hpp"

namespace vitals {
namespace fs = std::filesystem;

AgentSettings default_settings(const std::optional<fs::path> &agent_file) {
    AgentSettings settings;
    settings.plugin_dirs = {VITALS_PACKAGED_PLUGIN_DIR};
    settings.state_dir = VITALS_DEFAULT_STATE_DIR;
    if (agent_file) {
        settings.conf_d = fs::absolute(*agent_file).parent_path() / "conf.d";
        return settings;
    }
#ifdef VITALS_SOURCE_CONF_D
    settings.conf_d = VITALS_SOURCE_CONF_D;
    settings.plugin_dirs = {VITALS_SOURCE_PLUGIN_DIR};
#else
    settings.conf_d = fs::path{VITALS_PACKAGED_CONFIG}.parent_path() / "conf.d";
#endif
    return settings;
}

std::optional<fs::path> locate_agent_file(const std::optional<fs::path> &given) {
    if (given) return given;
    std::error_code ec;
    if (fs::exists(VITALS_PACKAGED_CONFIG, ec)) return fs::path{VITALS_PACKAGED_CONFIG};
    return std::nullopt;
}

LoadedConfiguration load_configuration(const std::optional<fs::path> &agent_file,
                                       const AgentSettings &defaults, std::stop_token stop,
                                       ConfiguredLogLevel log_level) {
    auto read = read_configuration(agent_file, defaults);
    if (log_level == ConfiguredLogLevel::apply)
        if (const auto level = log_level_from_string(read.config.agent.log_level))
            set_log_level(*level);
    // Startup, reload and --check-config all come through here: each says it once.
    for (const auto &skipped : read.skipped)
        log(LogLevel::warning, "config", "{}", skipped.to_string());
    auto plugins = PluginCatalog::lazy(read.config.agent.plugin_dirs);
    return validate_configuration(std::move(read), std::move(plugins), std::move(stop));
}

LoadedConfiguration validate_configuration(ConfigReadResult read, PluginCatalog plugins,
                                           std::stop_token stop) {
    LoadedConfiguration loaded{
        std::move(read.config), std::move(plugins), {}, std::move(read.errors)};
    loaded.checks = build_checks(loaded.config, loaded.plugins, loaded.errors, std::move(stop));
    validate_endpoints(loaded.config, loaded.errors);
    validate_dependencies(loaded.config.checks, loaded.errors);
    validate_notify_targets(loaded.config, loaded.errors);
    // Report in reading order (toml++ iterates keys alphabetically, not by line).
    std::stable_sort(loaded.errors.begin(), loaded.errors.end(), [](const auto &a, const auto &b) {
        return std::tie(a.where.file, a.where.line, a.where.column) <
               std::tie(b.where.file, b.where.line, b.where.column);
    });
    return loaded;
}

} // namespace vitals
