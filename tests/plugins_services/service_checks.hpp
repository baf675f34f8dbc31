// conf.d snippets and JSON waits shared by the service plugin tests. SPDX-License-Identifier: MIT
#pragma once

#include "support/agent_fixture.hpp"

#include <chrono>
#include <string>

namespace vitals::test::services {

/// A TOML basic string: "text" with backslashes and quotes escaped.
inline std::string toml_string(const std::string &text) {
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '\\' || c == '"') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

/// One [check.<name>] table; `params` is the inside of an inline table ("host = ..., ...").
/// A short interval so that a stop or a restart shows within a second; a timeout longer than
/// it so that a slow run on a busy machine is not mistaken for a dead service.
inline std::string check_toml(const std::string &name, const std::string &plugin,
                              const std::string &params, const std::string &interval = "500ms",
                              const std::string &timeout = "2s") {
    return "[check." + name + "]\nplugin = " + toml_string(plugin) +
           "\ninterval = " + toml_string(interval) + "\ntimeout = " + toml_string(timeout) +
           "\nparams = { " + params + " }\n\n";
}

/// Waits until the check has a result with this status; FAILs with the last answer if not.
inline Object::Ptr wait_for_status(std::uint16_t port, const std::string &name,
                                   const std::string &status,
                                   std::chrono::milliseconds limit = std::chrono::seconds{10}) {
    return wait_until(
        port, name,
        [&](const Object::Ptr &json) {
            return !json->getValue<bool>("pending") && text(json, "status") == status;
        },
        limit);
}

/// `vitalsd --check-config` on a conf.d holding `checks`.
inline CommandResult check_config(const std::string &checks) {
    const TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml", checks);
    return run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
}

} // namespace vitals::test::services
