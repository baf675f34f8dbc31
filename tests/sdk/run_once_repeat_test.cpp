// `vitalsd run --plugin` for a plugin author: effective parameters, --json, --repeat, and
// declared limits refused as the agent refuses them. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "sdk/sdk_fixture.hpp"
#include "support/agent_fixture.hpp"
#include "support/agent_process.hpp"

namespace {

using namespace vitals::test;

const std::string sleepy = std::string{VITALS_TEST_PLUGIN_DIR} + "/sleepy.so";
const std::string limited = std::string{VITALS_TEST_PLUGIN_DIR} + "/limited.so";

CommandResult run(std::vector<std::string> args) {
    TempDir dir;
    args.insert(args.begin(), "run");
    return run_vitalsd(dir.path(), std::move(args));
}

/// The JSON objects of `output`, one a line; other lines (a log line on stderr) skipped.
std::vector<Poco::JSON::Object::Ptr> json_lines(const std::string &output) {
    std::vector<Poco::JSON::Object::Ptr> objects;
    std::istringstream lines{output};
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("{")) continue;
        Poco::JSON::Parser parser;
        objects.push_back(parser.parse(line).extract<Poco::JSON::Object::Ptr>());
    }
    return objects;
}

double metric_value(const Poco::JSON::Object::Ptr &run, const std::string &name) {
    const auto metrics = run->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i)
        if (metrics->getObject(i)->getValue<std::string>("name") == name)
            return metrics->getObject(i)->getValue<double>("value");
    FAIL("no metric ", name);
    return 0;
}

} // namespace

TEST_CASE("run once: the parameters shown are the effective ones, defaults marked") {
    const auto result =
        run({"--plugin", sleepy, "--param", "message=hi", "--param", "credential=hunter2"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "param     message = 'hi'\n"));
    CHECK(contains(result.output, "param     sleep = '0s' (default)\n"));
    CHECK(contains(result.output, "param     status = 'ok' (default)\n"));
    CHECK(contains(result.output, "param     extra_unit = '' (default)\n"));
    CHECK(contains(result.output, "param     credential = (secret)\n"));
    CHECK(!contains(result.output, "hunter2"));
    CHECK(!contains(result.output, "param     reject")); // no default: not set

    const auto listed = run({"--plugin", limited});
    CHECK(contains(listed.output, "param     colours = [ 'red', 'blue' ] (default)\n"));
    CHECK(contains(listed.output, "param     port = 80 (default)\n"));
}

TEST_CASE("run once: --repeat runs the one instance again, and its counters move") {
    const auto result = run({"--plugin", sleepy, "--repeat", "3"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "run       1 of 3\nstatus    ok\n"));
    CHECK(contains(result.output, "metric    runs=1\n"));
    CHECK(contains(result.output, "run       3 of 3\nstatus    ok\n"));
    CHECK(contains(result.output, "metric    runs=3\n"));
    CHECK(!contains(result.output, "run       4"));

    // The exit status is the worst run's.
    TempDir dir;
    const auto words = dir.write("status", "ok,warning,ok");
    const auto mixed =
        run({"--plugin", sleepy, "--param", "status_file=" + words.string(), "--repeat", "3"});
    INFO(mixed.output);
    CHECK(contains(mixed.output, "status    warning\n"));
    CHECK(mixed.exit_code == 1);

    CHECK(run({"--plugin", sleepy, "--repeat", "0"}).exit_code == 64);
    CHECK(contains(run({"--plugin", sleepy, "--repeat", "x"}).output,
                   "--repeat: expected a number from 1 to 1000000, got \"x\""));
}

TEST_CASE("run once: --json prints each run as a line of JSON") {
    const auto result = run({"--plugin", sleepy, "--json", "--repeat", "2", "--param",
                             "message=fine", "--param", "credential=hunter2"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(!contains(result.output, "status    "));
    CHECK(!contains(result.output, "hunter2"));
    const auto runs = json_lines(result.output);
    REQUIRE(runs.size() == 2);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto &each = runs[i];
        CHECK(each->getValue<std::string>("check") == "sleepy");
        CHECK(each->getValue<std::string>("plugin") == "sleepy");
        CHECK(each->getValue<int>("run") == static_cast<int>(i + 1));
        CHECK(each->getValue<std::string>("status") == "ok");
        CHECK(each->getValue<std::string>("message") == "fine");
        CHECK(each->getValue<double>("duration_seconds") >= 0);
        CHECK(metric_value(each, "runs") == static_cast<double>(i + 1));
        const auto params = each->getObject("params");
        CHECK(params->getValue<std::string>("message") == "fine");
        CHECK(params->getValue<std::string>("sleep") == "0s");
        CHECK(params->getValue<std::string>("credential") == "(secret)");
        const auto defaulted = each->getArray("defaulted");
        REQUIRE(defaulted);
        CHECK(defaulted->getElement<std::string>(0) == "sleep");
    }

    const auto failing =
        run({"--plugin", sleepy, "--json", "--param", "status=error", "--param", "message=down"});
    CHECK(failing.exit_code == 2);
    const auto error = json_lines(failing.output);
    REQUIRE(error.size() == 1);
    CHECK(error[0]->getValue<std::string>("status") == "error");
    CHECK(error[0]->getValue<std::string>("message") == "down");
}

TEST_CASE("run once: a value outside the declared range or choices names them") {
    const auto result = run({"--plugin", limited, "--param", "port=70000", "--param", "mode=slow"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output,
                   "vitalsd run: params.port: expected an integer from 1 to 65535, got 70000"));
    CHECK(
        contains(result.output,
                 "vitalsd run: params.mode: expected one of \"fast\", \"thorough\", got \"slow\""));
    const auto fine = run({"--plugin", limited, "--param", "port=8080", "--param", "wait=2s"});
    CHECK(fine.exit_code == 0);
    CHECK(
        contains(fine.output, "message   port 8080, count 3, wait 2000 ms, mode fast, 2 colours"));
}

TEST_CASE("agent: conf.d values outside a plugin's declared limits are file:line:key errors") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    const auto checks = dir.write("conf.d/limits.toml", R"([check.web]
plugin = "limited"
params = { port = 0, wait = "50ms" }

[check.colours]
plugin = "limited"
params.colours = ["red", "mauve"]
params.mode = "careful"
)");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code != 0);
    const std::string file = checks.string();
    CHECK(contains(result.output, file + ":3:19: check.web.params.port: expected an integer from "
                                         "1 to 65535, got 0"));
    CHECK(contains(result.output, file + ":3:29: check.web.params.wait: expected a duration from "
                                         "100ms to 1m, got 50ms"));
    CHECK(contains(result.output, file + ":7:18: check.colours.params.colours: item 2: expected "
                                         "one of \"red\", \"green\", \"blue\", got \"mauve\""));
    CHECK(contains(result.output, file + ":8:15: check.colours.params.mode: expected one of "
                                         "\"fast\", \"thorough\", got \"careful\""));
    CHECK(contains(result.output, "4 configuration error(s)"));
}
