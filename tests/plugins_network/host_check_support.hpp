// What the x509_file, ntp and ping tests share beyond network_support.hpp: problems that
// `vitalsd --check-config` prints with their file:line, a command's output, and /metrics run
// through promtool. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "network_support.hpp"

namespace vitals::test::network {

/// Runs a shell command line; its exit code and its output, stderr included.
inline CommandResult shell_output(const std::string &command_line) {
    FILE *pipe = ::popen((command_line + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    CommandResult result;
    char buffer[4096];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// One problem `vitalsd --check-config` printed: "checks.toml:5:10: check.x.params.k: message".
struct ConfigProblem {
    int line = 0;
    std::string message;
};

/// Every problem `vitalsd --check-config` finds in `checks` (conf.d/checks.toml), by key.
inline std::map<std::string, ConfigProblem> config_problems(const std::string &checks,
                                                            int &exit_code) {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml", checks);
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    exit_code = result.exit_code;
    static const std::regex problem{R"(^.*checks\.toml:(\d+):\d+: (check\.[^ :]+): (.*)$)"};
    std::map<std::string, ConfigProblem> problems;
    std::istringstream lines{result.output};
    for (std::string text; std::getline(lines, text);) {
        std::smatch match;
        if (std::regex_match(text, match, problem))
            problems[match[2]] = {std::stoi(match[1]), match[3]};
    }
    INFO(result.output);
    CHECK(exit_code == (problems.empty() ? 0 : 78));
    return problems;
}

/// Asserts that `key` was reported at `line` with a message containing `fragment`.
inline void expect_problem(const std::map<std::string, ConfigProblem> &problems,
                           const std::string &key, int line, const std::string &fragment) {
    CAPTURE(key);
    const auto found = problems.find(key);
    REQUIRE_MESSAGE(found != problems.end(), "no problem reported for " << key);
    CHECK(found->second.line == line);
    CHECK_MESSAGE(contains(found->second.message, fragment),
                  "\"" << found->second.message << "\" lacks \"" << fragment << "\"");
}

/// The line of `check_toml()`'s n-th table (from 0) that holds its params.
constexpr int params_line(int table) {
    return table * 6 + 5;
}

/// Asserts that the agent's /metrics passes `promtool check metrics` and shows `sample`.
inline void expect_promtool_clean(Agent &agent, const std::string &sample) {
    const auto reply = http_get(agent.port(), "/metrics");
    REQUIRE(reply.status == 200);
    TempDir dir;
    const auto file = dir.write("metrics.txt", reply.body);
    const auto lint = shell_output("promtool check metrics < '" + file.string() + "'");
    INFO(lint.output, "\n", reply.body);
    CHECK(lint.exit_code == 0);
    CHECK(contains(reply.body, sample));
}

} // namespace vitals::test::network
