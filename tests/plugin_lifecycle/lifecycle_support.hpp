// What the ABI 1.1 lifecycle tests share: the test plugins' directory, conf.d snippets and
// reading the agent's log. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <vector>

#include "support/agent_fixture.hpp"

namespace vitals::test {

/// Where the lifecycle plugins are (and nothing else, so only they can load).
inline std::vector<std::string> lifecycle_plugin_dirs() {
    return {VITALS_LIFECYCLE_PLUGIN_DIR};
}

/// A check of plugin `plugin`; `extra` is more of its keys, one per line.
inline std::string lifecycle_check(const std::string &name, const std::string &extra = "",
                                   const std::string &plugin = "lifecycle") {
    return "[check." + name + "]\nplugin = \"" + plugin + "\"\n" + extra;
}

inline std::size_t occurrences(const std::string &text, const std::string &part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

inline bool has(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

/// Where `part` first appears in the log; FAILs the test (showing the log) when it does not.
inline std::size_t logged_at(const std::string &log, const std::string &part) {
    const auto at = log.find(part);
    INFO(log);
    REQUIRE_MESSAGE(at != std::string::npos, "not logged: " << part);
    return at;
}

/// SIGTERM, then the exit: instances destroyed, libraries deinit()ed.
inline void stop_agent(Agent &agent) {
    agent.process().signal(SIGTERM);
    REQUIRE(agent.process().wait_for_exit(std::chrono::seconds{20}) == 0);
}

} // namespace vitals::test
