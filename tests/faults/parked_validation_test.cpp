// Disabled checks validated in a plugin worker: their typos still stop the agent, their
// plugins stay out of it, and a plugin crashing as it validates costs only the worker.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "fault_fixture.hpp"
#include "support/proc_maps.hpp"

using namespace vitals::test;

namespace {

constexpr const char *enabled_check = R"(
[check.steady]
plugin = "sleepy"
interval = "1h"
)";

/// A disabled postgres check; `params` is its inline table's inside.
std::string parked_postgres(const std::string &params) {
    return "\n[check.parked_db]\nplugin = \"postgres\"\nenabled = false\nparams = { " + params +
           " }\n";
}

/// Sends SIGHUP and waits until the log, past what it held before, shows `outcome`.
void reload_expecting(FaultAgent &agent, const std::string &outcome) {
    const auto before = agent.log().size();
    agent.process().signal(SIGHUP);
    const auto give_up = Clock::now() + 20s;
    while (agent.log().find(outcome, before) == std::string::npos) {
        REQUIRE_MESSAGE(Clock::now() < give_up, "no '" << outcome << "' in:\n" << agent.log());
        std::this_thread::sleep_for(20ms);
    }
}

} // namespace

TEST_CASE("parked checks: a disabled check's plugin is validated in a worker, never loaded here") {
    TempDir dir;
    const auto config = write_agent_toml(
        dir, "", "127.0.0.1:0",
        {VITALS_SHIPPED_PLUGIN_DIR, VITALS_TEST_PLUGIN_DIR, VITALS_FAULT_PLUGIN_DIR});
    dir.write("conf.d/checks.toml",
              std::string{enabled_check} + parked_postgres("host = \"127.0.0.1\", prot = 5432"));
    // The typo stops the agent as it would were the check enabled, at its line.
    const auto refused = run_vitalsd(dir.path(), {"--config", config.string()});
    CHECK(refused.exit_code == 78);
    CHECK_MESSAGE(refused.output.find((dir.path() / "conf.d/checks.toml").string() + ":9:") !=
                      std::string::npos,
                  refused.output);
    CHECK(refused.output.find("check.parked_db.params.prot") != std::string::npos);

    dir.write("conf.d/checks.toml",
              std::string{enabled_check} + parked_postgres("host = \"127.0.0.1\", port = 5432"));
    AgentProcess agent{dir.path(), {"--config", config.string()}};
    const auto port = agent.wait_for_port(20s);
    REQUIRE(http_get(port, "/health/live").status == 200);
    for (const std::string library : {"postgres.so", "libpq.so", "libssl.so", "libcrypto.so"})
        CHECK_MESSAGE(!maps(agent.pid(), library), library);
}

TEST_CASE("parked checks: a plugin crashing as it validates a disabled check fails only the "
          "reload") {
    FaultAgent agent{enabled_check};
    agent.dir().write("conf.d/parked.toml", "[check.parked_crash]\nplugin = \"fault_segfault\"\n"
                                            "enabled = false\nparams = { in_create = true }\n");
    reload_expecting(agent, "the running configuration stays in force");
    const std::string log = agent.log();
    CHECK_MESSAGE(log.find("check.parked_crash: validating the disabled check(s) parked_crash in "
                           "a plugin worker: plugin crashed in create(): SIGSEGV") !=
                      std::string::npos,
                  log);
    CHECK(agent.alive());
    CHECK(http_get(agent.port(), "/health/live").status == 200);

    // Fixed, the same drop-in loads, and the plugin still never entered the agent.
    agent.dir().write("conf.d/parked.toml", "[check.parked_crash]\nplugin = \"fault_segfault\"\n"
                                            "enabled = false\n");
    reload_expecting(agent, "configuration reloaded");
    CHECK_FALSE(maps(agent.pid(), "fault_segfault.so"));
}
