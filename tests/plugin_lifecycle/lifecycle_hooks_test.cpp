// ABI 1.1's init(), deinit() and destroy_ex() through the real vitalsd, in process and in
// isolated workers. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "plugin_lifecycle/lifecycle_support.hpp"
#include "support/eventually.hpp"

namespace {

using namespace vitals::test;

const std::string schedule = "interval = \"200ms\"\ntimeout = \"150ms\"\n";

/// Sends SIGHUP and waits for the reload to be done.
void reload(Agent &agent) {
    const auto before = agent.log().size();
    agent.process().signal(SIGHUP);
    REQUIRE(eventually([&] { return has(agent.log().substr(before), "configuration reloaded"); },
                       std::chrono::seconds{10}));
}

} // namespace

TEST_CASE("abi 1.1 lifecycle: init once before every create, destroy_ex then deinit at shutdown") {
    Agent agent{lifecycle_check("first", schedule) + lifecycle_check("second", schedule),
                "",
                {"--log-level", "debug"},
                lifecycle_plugin_dirs()};
    wait_until_not_pending(agent.port(), "first");
    wait_until_not_pending(agent.port(), "second");
    const std::string pid = std::to_string(agent.process().pid());
    stop_agent(agent);

    const auto log = agent.log();
    CHECK(occurrences(log, "] lifecycle: init #") == 1);
    const auto init = logged_at(log, "] lifecycle: init #1 pid=" + pid +
                                         " path=" + VITALS_LIFECYCLE_PLUGIN_DIR + "/lifecycle.so");
    CHECK(init < logged_at(log, "] first: create: check=first interval_ms=200 timeout_ms=150 "
                                "attempt=0 previous=-1 pid=" +
                                    pid));
    CHECK(init < logged_at(log, "] second: create: check=second"));
    // destroy_ex() logs as its check, and gets the check's run_info.
    const auto first_gone =
        logged_at(log, "] first: destroy_ex: check=first interval_ms=200 timeout_ms=150");
    const auto second_gone = logged_at(log, "] second: destroy_ex: check=second");
    const auto deinit = logged_at(log, "] lifecycle: deinit #1 pid=" + pid + " live_instances=0");
    CHECK(deinit > first_gone);
    CHECK(deinit > second_gone);
    CHECK(occurrences(log, "deinit #") == 1);
    CHECK(!has(log, "destroy() called although destroy_ex is set"));
}

TEST_CASE("abi 1.1 lifecycle: a reload that drops the last check deinits the library") {
    const std::string lifecycle_checks = lifecycle_check("only", schedule);
    Agent agent{lifecycle_checks, "", {"--log-level", "debug"}, lifecycle_plugin_dirs()};
    wait_until_not_pending(agent.port(), "only");

    // Unchanged, the check and its library's session stay.
    reload(agent);
    // (A reload creates every check anew and keeps the old instance of an unchanged one: the
    // new instance is destroyed at once, with the library's session still held.)
    CHECK(occurrences(agent.log(), "] lifecycle: init #") == 1);
    CHECK(!has(agent.log(), "] lifecycle: deinit #"));

    agent.dir().write("conf.d/checks.toml", "[check.other]\nplugin = \"push\"\nttl = \"1m\"\n");
    reload(agent);
    REQUIRE(eventually([&] { return has(agent.log(), "] lifecycle: deinit #1"); }));
    const auto dropped = agent.log();
    CHECK(logged_at(dropped, "] only: destroy_ex: check=only") <
          logged_at(dropped, "] lifecycle: deinit #1"));

    // Brought back: the library was unloaded (its counters start again at 1), and init()
    // runs again before its create().
    agent.dir().write("conf.d/checks.toml", lifecycle_checks);
    reload(agent);
    wait_until_not_pending(agent.port(), "only");
    const auto back = agent.log();
    CHECK(occurrences(back, "] lifecycle: init #1") == 2);
    const auto second_init = back.rfind("] lifecycle: init #1");
    CHECK(logged_at(back, "] lifecycle: deinit #1") < second_init);
    CHECK(second_init < back.rfind("] only: create: "));
}

TEST_CASE("abi 1.1 lifecycle: an init that refuses refuses the plugin with the reason it logged") {
    TempDir dir;
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0", lifecycle_plugin_dirs());
    dir.write("conf.d/checks.toml",
              lifecycle_check("here", "", "lifecycle_refusing") + "\n" +
                  lifecycle_check("also_here", "", "lifecycle_refusing") + "\n" +
                  lifecycle_check("isolated", "isolation = \"process\"\n", "lifecycle_refusing"));
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78); // EX_CONFIG
    const std::string refusal =
        "plugin 'lifecycle_refusing' refused: " + std::string{VITALS_LIFECYCLE_PLUGIN_DIR} +
        "/lifecycle_refusing.so: init() returned 7: no licence file at "
        "/nonexistent/licence";
    // Each check names it at its plugin key (line 2 of its table), in process and isolated.
    CHECK(has(result.output, "checks.toml:2:10: check.here.plugin: " + refusal));
    CHECK(has(result.output, "checks.toml:5:10: check.also_here.plugin: " + refusal));
    CHECK(has(result.output, "checks.toml:8:10: check.isolated.plugin: " + refusal));
    // Once per process: the second in-process check is refused without another init().
    CHECK(occurrences(result.output, "[plugin] lifecycle_refusing: no licence file") == 2);
    CHECK(!has(result.output, "create: "));
}

TEST_CASE("abi 1.1 lifecycle: an init that does not return is bounded like create") {
    TempDir dir;
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0", lifecycle_plugin_dirs());
    dir.write("conf.d/checks.toml",
              lifecycle_check("stuck", "timeout = \"1s\"\n", "lifecycle_hanging"));
    const auto start = std::chrono::steady_clock::now();
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78); // EX_CONFIG
    // Given up at create()'s limit (the timeout, at least 5 s), not after init()'s minute.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{30});
    CHECK(has(result.output, "check.stuck: plugin 'lifecycle_hanging' has not returned from "
                             "init() (or deinit()) within 5s"));
}

TEST_CASE(
    "abi 1.1 lifecycle: a plugin with destroy_ex and no destroy loads, runs and is destroyed") {
    Agent agent{lifecycle_check("lean", schedule, "lifecycle_destroy_ex_only"),
                "",
                {},
                lifecycle_plugin_dirs()};
    const auto check = wait_until_not_pending(agent.port(), "lean");
    CHECK(text(check, "status") == "ok");
    stop_agent(agent);
    const auto log = agent.log();
    CHECK(logged_at(log, "] lean: destroy_ex: check=lean") <
          logged_at(log, "] lifecycle_destroy_ex_only: deinit #1"));
}

TEST_CASE("abi 1.1 lifecycle: isolated checks init and deinit in each worker, never in the agent") {
    const std::string isolated = schedule + "isolation = \"process\"\n";
    Agent agent{lifecycle_check("one", isolated) + lifecycle_check("two", isolated),
                "",
                {},
                lifecycle_plugin_dirs()};
    wait_until_not_pending(agent.port(), "one");
    wait_until_not_pending(agent.port(), "two");
    const std::string agent_pid = "pid=" + std::to_string(agent.process().pid()) + " ";
    stop_agent(agent);
    const auto log = agent.log();
    CHECK(occurrences(log, "] lifecycle: init #1 pid=") == 2); // one per worker process
    CHECK(occurrences(log, "] lifecycle: init #2") == 0);
    CHECK(occurrences(log, "] lifecycle: deinit #1 pid=") == 2);
    CHECK(!has(log, "init #1 " + agent_pid));
    CHECK(logged_at(log, "] one: destroy_ex: check=one") < log.rfind("] lifecycle: deinit #1"));
}

TEST_CASE("abi 1.1 lifecycle: agent.toml's log_level applies before the first create") {
    // No --log-level: the level comes from agent.toml alone, and create() logs at debug.
    Agent agent{
        lifecycle_check("early", schedule), "log_level = \"debug\"\n", {}, lifecycle_plugin_dirs()};
    wait_until_not_pending(agent.port(), "early");
    logged_at(agent.log(), "] early: create: check=early");
}
