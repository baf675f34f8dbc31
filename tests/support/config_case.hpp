// agent.toml and conf.d written to a temporary directory and read as the agent reads them.
// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>

#include "config/config_reader.hpp"
#include "support/temp_dir.hpp"

namespace vitals::test {

struct ConfigCase {
    TempDir dir;

    /// Reads agent.toml holding `agent_toml` (after a conf_d naming the directory's conf.d/)
    /// and, when `checks` is not empty, conf.d/checks.toml holding it.
    ConfigReadResult read(const std::string &agent_toml, const std::string &checks = "") const {
        std::filesystem::create_directories(dir.path() / "conf.d");
        if (!checks.empty()) dir.write("conf.d/checks.toml", checks);
        const auto file = dir.write("agent.toml", "conf_d = \"" + (dir.path() / "conf.d").string() +
                                                      "\"\n" + agent_toml);
        return read_configuration(file, AgentSettings{});
    }
};

/// Every error, one "file:line:column: key: message" a line.
inline std::string errors_of(const ConfigReadResult &result) {
    std::string all;
    for (const auto &error : result.errors)
        all += error.to_string() + "\n";
    return all;
}

} // namespace vitals::test
