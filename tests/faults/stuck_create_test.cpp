// A plugin whose create() never returns, met by a hot reload of the real vitalsd: the reload
// is refused after create()'s time limit, later edits still apply, and SIGTERM still drains
// and stops the agent. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "fault_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace std::chrono_literals;

/// A drop-in whose check's create() sleeps that long, with the check's own timeout.
std::string stuck_check(const std::string &timeout, const std::string &sleep = "1h") {
    return "[check.stuck]\nplugin = \"fault_slow_create\"\ninterval = \"" + timeout +
           "\"\ntimeout = \"" + timeout + "\"\nparams = { sleep = \"" + sleep + "\" }\n";
}

/// Drops `stuck.toml` in and waits until the agent is inside its create(); returns the log
/// offset from before the drop-in.
std::size_t reload_into_stuck_create(FaultAgent &agent, const std::string &timeout) {
    const auto before = agent.log().size();
    agent.dir().write("conf.d/stuck.toml", stuck_check(timeout));
    agent.process().signal(SIGHUP); // the watcher would reload too: one more, coalesced
    REQUIRE(agent.process().wait_for_log("sleeping in create()", before,
                                         10s * sanitizer_slowdown) != std::string::npos);
    return before;
}

/// After SIGTERM, /health/ready turns 503 with the draining reason.
void check_draining(std::uint16_t port) {
    const auto give_up = Clock::now() + 5s * sanitizer_slowdown;
    HttpReply ready;
    do {
        ready = http_get(port, "/health/ready");
        if (ready.status == 503) break;
        std::this_thread::sleep_for(20ms);
    } while (Clock::now() < give_up);
    CHECK(ready.status == 503);
    CHECK(ready.body.find("draining") != std::string::npos);
}

} // namespace

TEST_CASE("a create() that never returns refuses the reload at its limit, and later edits apply") {
    FaultAgent agent{healthy_checks};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until_not_pending(agent.port(), "healthy");

    // A timeout below the 5 s floor: create() gets the floor.
    const auto before = reload_into_stuck_create(agent, "1s");
    const auto refused =
        agent.process().wait_for_log("the running configuration stays in force", before, 30s);
    REQUIRE(refused != std::string::npos);
    const std::string reload_log = agent.log().substr(before, refused - before);
    CHECK(reload_log.find("stuck.toml:1:1: check.stuck: plugin 'fault_slow_create' has not "
                          "returned from create() within 5s") != std::string::npos);
    CHECK(http_get(agent.port(), "/health/checks/stuck").status == 404);
    check_healthy_on_schedule(agent.port(), 1s);

    // The next edit, without the stuck check, is applied.
    const auto edited = agent.log().size();
    std::filesystem::remove(agent.dir().path() / "conf.d/stuck.toml");
    agent.dir().write("conf.d/later.toml", "[check.later]\nplugin = \"sleepy\"\n");
    REQUIRE(agent.process().wait_for_log("configuration reloaded", edited, 30s) !=
            std::string::npos);
    wait_until_not_pending(agent.port(), "later");

    agent.process().signal(SIGTERM);
    CHECK(agent.process().wait_for_exit(30s) == 0);
}

TEST_CASE("a create() that returns after its limit has its instance destroyed, unused") {
    FaultAgent agent{healthy_checks};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    // Written once, so the watcher reloads once: a second reload in the 6 s would find the
    // first call still going and be refused at once, and later ones wait their turn.
    agent.dir().write("conf.d/stuck.toml", stuck_check("1s", "6s"));
    const auto refused =
        agent.process().wait_for_log("the running configuration stays in force", 0, 30s);
    REQUIRE(refused != std::string::npos);
    REQUIRE(agent.process().wait_for_log("stuck: create() returned after", refused, 30s) !=
            std::string::npos);
    CHECK(agent.log().find("too late: its instance was destroyed unused") != std::string::npos);
    CHECK(http_get(agent.port(), "/health/checks/stuck").status == 404);

    // Once that call has returned, the check's create() is called again.
    const auto fixed = agent.log().size();
    agent.dir().write("conf.d/stuck.toml", stuck_check("1s", "0s"));
    REQUIRE(agent.process().wait_for_log("configuration reloaded", fixed, 30s) !=
            std::string::npos);
    wait_until(agent.port(), "stuck", message_starts_with("created at last"));
}

TEST_CASE("SIGTERM while a reload waits in create() drains at once and stops the agent") {
    // create()'s limit is the check's timeout, 10 minutes: only giving up ends the wait.
    std::string shutdown_delay = "1s";
    bool second_sigterm = false;
    SUBCASE("one SIGTERM: the reload is given up and the agent exits 0") {}
    SUBCASE("a second SIGTERM exits at once") {
        shutdown_delay = "10m";
        second_sigterm = true;
    }
    FaultAgent agent{healthy_checks, "shutdown_delay = \"" + shutdown_delay + "\"\n"};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    reload_into_stuck_create(agent, "10m");
    agent.process().signal(SIGTERM);
    check_draining(agent.port());
    if (second_sigterm) agent.process().signal(SIGTERM);
    CHECK(agent.process().wait_for_exit(30s) == 0);
}
