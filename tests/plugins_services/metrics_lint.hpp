// The agent's /metrics read by promtool, for the service plugins' metrics.
// SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/agent_fixture.hpp"
#include "support/temp_dir.hpp"

#include <string>

namespace vitals::test::services {

/// Fetches /metrics and runs `promtool check metrics` on it; CHECKs it is clean, and returns
/// the exposition for further checks.
inline std::string lint_metrics(std::uint16_t agent_port) {
    const auto reply = http_get(agent_port, "/metrics");
    REQUIRE(reply.status == 200);
    const TempDir dir;
    const auto file = dir.write("metrics.txt", reply.body);
    const auto lint =
        run_command({"sh", "-c", "promtool check metrics < '" + file.string() + "'"}, {}, 30s);
    INFO(lint.output, "\n", reply.body);
    CHECK(lint.exit_code == 0);
    return reply.body;
}

} // namespace vitals::test::services
