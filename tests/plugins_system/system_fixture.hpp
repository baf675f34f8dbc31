// Helpers shared by the system plugin tests: conf.d snippets, --check-config
// problems by key, numbers in TOML, and what /proc says. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/agent_fixture.hpp"

namespace vitals::test::system {

using namespace std::chrono_literals;

/// A check that runs every second; `params` is the inside of an inline table.
inline std::string check_toml(const std::string &name, const std::string &plugin,
                              const std::string &params, const std::string &interval = "1s") {
    return "[check." + name + "]\nplugin = \"" + plugin + "\"\ninterval = \"" + interval +
           "\"\ntimeout = \"5s\"\nparams = { " + params + " }\n\n";
}

/// A number as TOML reads it, locale-independent, with enough digits to keep thresholds apart.
inline std::string toml_number(double value) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::fixed, 4);
    REQUIRE(error == std::errc{});
    return {buffer.data(), end};
}

inline std::string quoted(const std::string &text) {
    return "\"" + text + "\"";
}

inline bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

inline std::string read_text(const std::string &path) {
    std::ifstream file{path};
    REQUIRE_MESSAGE(file.is_open(), "cannot read " << path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

/// What `vitalsd --check-config` said about a conf.d: exit code and message per key.
struct ConfigCheck {
    int exit_code = -1;
    std::string output;
    std::map<std::string, std::string> problems; ///< "check.x.params.key" -> message

    /// The message for `key`; FAILs (naming everything reported) when there is none.
    std::string message(const std::string &key) const {
        const auto found = problems.find(key);
        if (found == problems.end())
            FAIL("no problem reported for " << key << "; got:\n" << output);
        return found == problems.end() ? std::string{} : found->second;
    }
};

/// Runs the real `vitalsd --check-config` on `checks` as conf.d/checks.toml.
inline ConfigCheck check_config(const std::string &checks) {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml", checks);
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    ConfigCheck check{result.exit_code, result.output, {}};
    // "file:line:column: key: message", one problem a line.
    static const std::regex line{R"(^.*:\d+:\d+: (check\.[^ :]+): (.*)$)"};
    std::istringstream lines{result.output};
    std::string text;
    while (std::getline(lines, text)) {
        std::smatch match;
        if (std::regex_match(text, match, line)) check.problems[match[1]] = match[2];
    }
    return check;
}

/// Asserts that --check-config rejected `key` with a message containing `fragment`.
inline void expect_rejected(const ConfigCheck &check, const std::string &key,
                            const std::string &fragment) {
    CAPTURE(key);
    CHECK(check.exit_code == 78);
    const std::string message = check.message(key);
    CHECK_MESSAGE(contains(message, fragment),
                  key << ": \"" << message << "\" lacks \"" << fragment << "\"");
}

/// The message of a check, for CHECKs that read better with it.
inline std::string message_of(const Object::Ptr &check) {
    return text(check, "message");
}

inline std::string status_of(const Object::Ptr &check) {
    return text(check, "status");
}

/// Waits until the check has a result with status `status`; a generous limit, since checks
/// start after a splay of up to a second and this box may be busy.
inline Object::Ptr wait_for_status(std::uint16_t port, const std::string &name,
                                   const std::string &status,
                                   std::chrono::milliseconds limit = 10s) {
    return wait_until(
        port, name,
        [&status](const Object::Ptr &json) {
            return !json->getValue<bool>("pending") && text(json, "status") == status;
        },
        limit);
}

/// The value of a metric that must be there.
inline double required_metric(const Object::Ptr &check, const std::string &name) {
    const auto value = metric(check, name);
    REQUIRE_MESSAGE(value.has_value(), "no metric " << name);
    return *value;
}

/// The unit a metric was reported with ("" when absent).
inline std::string metric_unit(const Object::Ptr &check, const std::string &name) {
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto item = metrics->getObject(static_cast<unsigned>(i));
        if (text(item, "name") == name) return text(item, "unit");
    }
    return "";
}

inline std::vector<std::string> metric_names(const Object::Ptr &check) {
    std::vector<std::string> names;
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i)
        names.push_back(text(metrics->getObject(static_cast<unsigned>(i)), "name"));
    return names;
}

/// Asserts that promtool finds nothing wrong with the agent's /metrics, which carries every
/// check's metrics converted to base units.
inline void expect_promtool_clean(std::uint16_t port) {
    const auto reply = http_get(port, "/metrics");
    REQUIRE(reply.status == 200);
    TempDir dir;
    const auto file = dir.write("metrics.txt", reply.body);
    FILE *pipe = popen(("promtool check metrics < '" + file.string() + "' 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    std::array<char, 4096> buffer{};
    while (const std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe))
        output.append(buffer.data(), n);
    const int status = pclose(pipe);
    INFO(output, "\n", reply.body);
    CHECK(status == 0);
}

} // namespace vitals::test::system
