// agent.toml's [isolation] edited on a live agent: the checks it moves restart in (or out
// of) a worker, with the new limits; the others keep running. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <thread>

#include "fault_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace std::chrono_literals;

const char *checks = R"(
[check.switched]
plugin = "sleepy"
interval = "100ms"

[check.steady]
plugin = "sleepy"
interval = "1h"
isolation = "in_process"
)";

/// Rewrites agent.toml with `isolation` as its [isolation] table, reloads, and waits for
/// the reload to be logged.
void reload_with(FaultAgent &agent, const std::string &isolation) {
    const auto file = agent.dir().path() / "agent.toml";
    std::string text = read_text(file);
    text.resize(text.find("[isolation]") == std::string::npos ? text.size()
                                                              : text.find("[isolation]"));
    agent.dir().write("agent.toml", text + isolation);
    const auto before = agent.log().size();
    agent.process().signal(SIGHUP);
    const auto give_up = Clock::now() + 10s;
    while (agent.log().find("configuration reloaded", before) == std::string::npos) {
        REQUIRE(Clock::now() < give_up);
        std::this_thread::sleep_for(20ms);
    }
}

/// The PID of the agent's one worker once that has held for half a second (a reload also
/// starts and ends workers of its own while it validates), or 0 when there is none.
pid_t settled_worker(pid_t agent) {
    const auto give_up = Clock::now() + 10s * sanitizer_slowdown;
    while (Clock::now() < give_up) {
        const auto before = workers_of(agent);
        std::this_thread::sleep_for(500ms);
        const auto after = workers_of(agent);
        if (before.size() == after.size() && before.size() <= 1 &&
            (after.empty() || before.front().pid == after.front().pid))
            return after.empty() ? 0 : after.front().pid;
    }
    FAIL("the agent's workers did not settle");
    return 0;
}

/// The soft RLIMIT_CPU of a process, in seconds, from /proc/<pid>/limits.
long cpu_limit_of(pid_t pid) {
    const std::string limits = read_text("/proc/" + std::to_string(pid) + "/limits");
    const auto line = limits.find("Max cpu time");
    REQUIRE(line != std::string::npos);
    const std::string soft = limits.substr(line + 26, limits.find(' ', line + 26) - line - 26);
    return soft == "unlimited" ? -1 : std::stol(soft);
}

/// The check (interval 100 ms) runs several times a second.
void check_keeps_running(std::uint16_t port, const std::string &check) {
    const auto progress = watch_runs(port, {check}, 1s).front();
    INFO(check << ": " << progress.runs << " runs in " << progress.window.count() << " ms");
    CHECK(progress.runs >= 3);
}

} // namespace

TEST_CASE("editing [isolation] moves the checks it names into and out of workers") {
    FaultAgent agent{checks};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until_not_pending(agent.port(), "switched");
    const auto steady = wait_until_not_pending(agent.port(), "steady");
    CHECK(settled_worker(agent.pid()) == 0);

    // The check says nothing about isolation, so agent.toml's plugins list decides.
    reload_with(agent, "[isolation]\nplugins = [\"sleepy\"]\ncpu_time_limit = \"1h\"\n");
    const pid_t worker = settled_worker(agent.pid());
    REQUIRE(worker != 0);
    CHECK(cpu_limit_of(worker) >= 3600);
    check_keeps_running(agent.port(), "switched");

    // A worker's limits changed: the check restarts in a worker that has them.
    reload_with(agent, "[isolation]\nplugins = [\"sleepy\"]\ncpu_time_limit = \"2h\"\n");
    const pid_t replaced = settled_worker(agent.pid());
    REQUIRE(replaced != 0);
    CHECK(replaced != worker);
    CHECK(cpu_limit_of(replaced) >= 7200);

    // Back in process: the worker goes, the check goes on.
    reload_with(agent, "");
    CHECK(settled_worker(agent.pid()) == 0);
    check_keeps_running(agent.port(), "switched");

    // The check that chose in_process itself was never restarted (interval 1 h).
    const auto kept = wait_until_not_pending(agent.port(), "steady");
    CHECK(text(kept, "last_run") == text(steady, "last_run"));
}
