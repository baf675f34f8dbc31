// on_failure actions: their configuration, every mistake located, and the rate limit on a
// manual clock. Running them is tested through the real vitalsd (integration/actions_test).
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "alerts/action_command.hpp"
#include "alerts/failure_actions.hpp"
#include "alerts/run_limit.hpp"
#include "config/config_reader.hpp"
#include "support/manual_clock.hpp"

namespace {

using namespace std::chrono_literals;
using namespace vitals;

ConfigReadResult read_checks(const std::string &toml) {
    return read_configuration(std::nullopt, {ConfigText{"/etc/vitals/conf.d/web.toml", toml}},
                              AgentSettings{});
}

std::string describe(const ConfigErrors &errors) {
    std::string text;
    for (const auto &error : errors)
        text += "\n  " + error.to_string();
    return text;
}

/// The one error reading `toml` gives: its line and key.
ConfigError only_error(const std::string &toml) {
    const auto result = read_checks(toml);
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors.front().where.file == "/etc/vitals/conf.d/web.toml");
    return result.errors.front();
}

const std::string check_head = "[check.web]\nplugin = \"tcp\"\nparams = { port = 80 }\n";

} // namespace

TEST_CASE("actions: on_failure inline reads every key") {
    const auto result =
        read_checks(check_head + "on_failure = { run = [\"systemctl\", \"restart\", \"nginx\"], "
                                 "after = 3, max = \"2/10m\", timeout = \"5s\" }\n");
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.empty());
    REQUIRE(result.config.checks.size() == 1);
    const auto &action = result.config.checks.front().on_failure;
    REQUIRE(action);
    CHECK(action->run == std::vector<std::string>{"systemctl", "restart", "nginx"});
    CHECK_FALSE(action->shell);
    CHECK(action->after == 3);
    CHECK(action->max_runs == 2);
    CHECK(action->window == 10min);
    CHECK(action->timeout == 5s);
    CHECK(action->where.line == 4);
}

TEST_CASE("actions: a [check.x.on_failure] table reads as the inline form, with defaults") {
    const auto result =
        read_checks(check_head + "\n[check.web.on_failure]\nrun = [\"nginx -s reload\"]\n"
                                 "shell = true\n");
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.empty());
    const auto &action = result.config.checks.front().on_failure;
    REQUIRE(action);
    CHECK(action->shell);
    CHECK(action->after == 1);
    CHECK(action->max_runs == 3);
    CHECK(action->window == 15min);
    CHECK(action->timeout == 30s);
}

TEST_CASE("actions: a check without on_failure has none") {
    const auto result = read_checks(check_head);
    REQUIRE(result.errors.empty());
    CHECK_FALSE(result.config.checks.front().on_failure);
}

TEST_CASE("actions: every on_failure mistake is an error at its file, line and key") {
    struct Case {
        std::string line;
        std::string key;
        std::string says;
    };
    const std::vector<Case> cases{
        {"on_failure = { after = 3 }", "check.web.on_failure.run", "missing"},
        {"on_failure = { run = [] }", "check.web.on_failure.run", "the command to run"},
        {"on_failure = { run = [\"\"] }", "check.web.on_failure.run", "the command to run"},
        {"on_failure = { run = \"systemctl restart nginx\" }", "check.web.on_failure.run", "array"},
        {"on_failure = { run = [\"x\", 3] }", "check.web.on_failure.run", "string"},
        {"on_failure = { run = [\"x\"], after = 0 }", "check.web.on_failure.after", "1"},
        {"on_failure = { run = [\"x\"], max = \"3\" }", "check.web.on_failure.max", "RUNS/WINDOW"},
        {"on_failure = { run = [\"x\"], max = \"0/15m\" }", "check.web.on_failure.max", "1 to 100"},
        {"on_failure = { run = [\"x\"], max = \"three/15m\" }", "check.web.on_failure.max",
         "1 to 100"},
        {"on_failure = { run = [\"x\"], max = \"3/10ms\" }", "check.web.on_failure.max", "window"},
        {"on_failure = { run = [\"x\"], max = \"3/soon\" }", "check.web.on_failure.max", "window"},
        {"on_failure = { run = [\"x\"], timeout = \"2h\" }", "check.web.on_failure.timeout", ""},
        {"on_failure = { run = [\"x\"], retries = 2 }", "check.web.on_failure.retries", "unknown"},
        {"on_failure = [\"systemctl\"]", "check.web.on_failure", "table"},
    };
    for (const auto &bad : cases) {
        CAPTURE(bad.line);
        const ConfigError error = only_error(check_head + bad.line + "\n");
        CHECK(error.where.line == 4);
        CHECK(error.key == bad.key);
        CHECK_MESSAGE(error.message.find(bad.says) != std::string::npos, error.message);
    }
}

TEST_CASE("actions: the rate limit allows max runs in any window, then the oldest's end") {
    test::ManualClock clock;
    RunLimit limit{3, 15min};
    for (int run = 0; run < 3; ++run) {
        REQUIRE(limit.allows(clock.now()));
        limit.record(clock.now());
        clock.advance(1min);
    }
    // Three runs at 0, 1 and 2 minutes: none more until 15 minutes after the first.
    CHECK_FALSE(limit.allows(clock.now()));
    const auto first = clock.now() - 3min;
    CHECK(limit.next_allowed(clock.now()) == first + 15min);
    clock.advance_to(first + 15min - 1ms);
    CHECK_FALSE(limit.allows(clock.now()));
    clock.advance_to(first + 15min);
    CHECK(limit.allows(clock.now()));
    limit.record(clock.now());
    // The runs at 1 and 2 minutes are still in the window, with the new one.
    CHECK_FALSE(limit.allows(clock.now()));
    clock.advance_to(first + 16min);
    CHECK(limit.allows(clock.now()));
}

TEST_CASE("actions: a window of one run holds back until it has passed") {
    test::ManualClock clock;
    RunLimit limit{1, 10s};
    CHECK(limit.allows(clock.now()));
    limit.record(clock.now());
    clock.advance(9s);
    CHECK_FALSE(limit.allows(clock.now()));
    clock.advance(1s);
    CHECK(limit.allows(clock.now()));
}

TEST_CASE("actions: an outcome says how the command ended, and its label") {
    FailureAction action;
    action.timeout = 30s;
    CommandRun run;
    run.end = CommandRun::End::exited;
    CHECK(describe_run(run, action, "") == "exit 0");
    CHECK(outcome_of(run) == "ok");
    run.code = 3;
    CHECK(describe_run(run, action, "no such unit") == "exit 3: no such unit");
    CHECK(outcome_of(run) == "failed");
    run.end = CommandRun::End::timed_out;
    CHECK(describe_run(run, action, "") == "timed out after 30s, killed");
    CHECK(outcome_of(run) == "timeout");
    run.end = CommandRun::End::signalled;
    run.code = 9;
    CHECK(describe_run(run, action, "") == "killed by signal 9");
    CHECK(outcome_of(run) == "failed");
    run.end = CommandRun::End::not_started;
    run.error = "x: not found on PATH";
    CHECK(describe_run(run, action, "") == "not started: x: not found on PATH");
    CHECK(outcome_of(run) == "failed");
}
