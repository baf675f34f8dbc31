// `vitalsd run --plugin PATH`: a plugin author's debugging loop. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "app/run_once.hpp"
#include "sdk/sdk_fixture.hpp"
#include "support/agent_process.hpp"

namespace {

using namespace vitals;
using namespace vitals::test;
using Pairs = std::vector<std::pair<std::string, std::string>>;

const std::string sleepy = std::string{VITALS_TEST_PLUGIN_DIR} + "/sleepy.so";
const std::string abi_plugin = std::string{VITALS_ABI_PLUGIN_DIR} + "/abi_v1_0.so";

CommandResult run(std::vector<std::string> args) {
    TempDir dir;
    args.insert(args.begin(), "run");
    return run_vitalsd(dir.path(), std::move(args));
}

std::string problem(const std::vector<std::string> &args) {
    const auto parsed = parse_run_once_options(args);
    const auto *message = std::get_if<std::string>(&parsed);
    return message ? *message : "";
}

} // namespace

TEST_CASE("run once: options") {
    const auto parsed =
        parse_run_once_options({"--plugin", "x.so", "--param", "a=1", "--param=b=c=d", "--name",
                                "mine", "--timeout", "250ms", "--log-level", "debug"});
    REQUIRE(std::holds_alternative<RunOnceOptions>(parsed));
    const auto &options = std::get<RunOnceOptions>(parsed);
    CHECK(options.plugin == "x.so");
    CHECK(options.params == Pairs{{"a", "1"}, {"b", "c=d"}});
    CHECK(options.name == "mine");
    CHECK(options.timeout == std::chrono::milliseconds{250});
    CHECK(options.log_level == "debug");

    CHECK(problem({}) == "--plugin PATH is required");
    CHECK(problem({"--plugin"}) == "--plugin needs a PATH");
    CHECK(problem({"--plugin", "x.so", "--param", "novalue"}) ==
          "--param needs KEY=VALUE, got \"novalue\"");
    CHECK(problem({"--plugin", "x.so", "--param", "=1"}) == "--param needs KEY=VALUE, got \"=1\"");
    CHECK(problem({"--plugin", "x.so", "--param", "a=1", "--param", "a=2"}) ==
          "--param a is given twice");
    CHECK(contains(problem({"--plugin", "x.so", "--timeout", "soon"}), "--timeout: \"soon\""));
    CHECK(contains(problem({"--plugin", "x.so", "--timeout", "0s"}), "--timeout"));
    CHECK(contains(problem({"--plugin", "x.so", "--name", "a b"}), "not a check name"));
    CHECK(contains(problem({"--plugin", "x.so", "--frobnicate"}), "unknown option"));
    CHECK(std::get<RunOnceOptions>(parse_run_once_options({"--help"})).show_help);
}

TEST_CASE("run once: --param values are TOML values, else text") {
    const auto params = params_from_arguments({{"int", "85"},
                                               {"float", "2.5"},
                                               {"bool", "true"},
                                               {"list", R"(["a", "b"])"},
                                               {"quoted", R"("x y")"},
                                               {"text", "hello world"},
                                               {"duration", "10s"},
                                               {"empty", ""},
                                               {"injected", "1\nother = 2"}},
                                              nullptr);
    CHECK(params["int"].value<std::int64_t>() == 85);
    CHECK(params["float"].value<double>() == 2.5);
    CHECK(params["bool"].value<bool>() == true);
    REQUIRE(params["list"].is_array());
    CHECK(params["list"].as_array()->size() == 2);
    CHECK(params["quoted"].value<std::string>() == "x y");
    CHECK(params["text"].value<std::string>() == "hello world");
    CHECK(params["duration"].value<std::string>() == "10s");
    CHECK(params["empty"].value<std::string>() == "");
    CHECK(params["injected"].value<std::string>() == "1\nother = 2");
    CHECK(params.size() == 9);
}

TEST_CASE("run once: the plugin's declared types decide between text and list") {
    const auto plugin = PluginLibrary::open(abi_plugin);
    const auto params = params_from_arguments(
        {{"text", "5432"}, {"items", "a, b,c"}, {"count", "7"}, {"ratio", "1"}}, plugin.get());
    CHECK(params["text"].value<std::string>() == "5432"); // declared a string
    REQUIRE(params["items"].is_array());                  // declared a list
    CHECK(params["items"][2].value<std::string>() == "c");
    CHECK(params["items"].as_array()->size() == 3);
    CHECK(params["count"].value<std::int64_t>() == 7);
    CHECK(params["ratio"].value<std::int64_t>() == 1); // a float param takes an integer
    const auto array = params_from_arguments({{"items", R"(["x"])"}}, plugin.get());
    CHECK(array["items"][0].value<std::string>() == "x");
}

TEST_CASE("run once: prints the result and exits 0, 1 or 2 as Nagios plugins do") {
    const auto ok = run({"--plugin", sleepy, "--param", "message=all good", "--param",
                         "extra_metric=temperature", "--param", "extra_unit=celsius"});
    INFO(ok.output);
    CHECK(ok.exit_code == 0);
    CHECK(contains(ok.output, "check     sleepy (plugin sleepy "));
    CHECK(contains(ok.output, "param     message = 'all good'"));
    CHECK(contains(ok.output, "status    ok\n"));
    CHECK(contains(ok.output, "message   all good\n"));
    CHECK(contains(ok.output, "metric    runs=1\n"));
    CHECK(contains(ok.output, "metric    temperature=42.5 (celsius)\n"));
    CHECK(contains(ok.output, "duration  "));

    const auto warning = run({"--plugin", sleepy, "--param", "status=warning"});
    CHECK(warning.exit_code == 1);
    CHECK(contains(warning.output, "status    warning\n"));

    const auto error = run({"--plugin", sleepy, "--param", "status=error", "--name", "db"});
    CHECK(error.exit_code == 2);
    CHECK(contains(error.output, "check     db (plugin sleepy"));

    const auto thrown = run({"--plugin", sleepy, "--param", "status=throw"});
    CHECK(thrown.exit_code == 2);
    CHECK(contains(thrown.output, "message   check threw: sleepy was told to throw"));
}

TEST_CASE("run once: refused parameters exit 78 with every problem, as --check-config has them") {
    const auto refused = run({"--plugin", sleepy, "--param", "sleep=5", "--param", "nosuch=1"});
    INFO(refused.output);
    CHECK(refused.exit_code == 78);
    CHECK(contains(refused.output, "vitalsd run: params.nosuch: unknown parameter 'nosuch'"));
    CHECK(contains(refused.output, "vitalsd run: params.sleep: "));
    CHECK(contains(refused.output, "2 problem(s); the check was not run"));
    CHECK(!contains(refused.output, "\nstatus    ")); // no result; a param line may say "status"

    // Rejected by the plugin itself (param_error / Params::reject).
    const auto rejected = run({"--plugin", sleepy, "--param", "reject=not today"});
    CHECK(rejected.exit_code == 78);
    CHECK(contains(rejected.output, "params.reject: not today"));

    const auto frozen = run({"--plugin", abi_plugin, "--param", "status=9"});
    CHECK(frozen.exit_code == 78);
    CHECK(contains(frozen.output, "params.status: must be 0, 1 or 2"));
}

TEST_CASE("run once: a run past --timeout is an error at the timeout") {
    const auto started = std::chrono::steady_clock::now();
    const auto slow = run({"--plugin", sleepy, "--param", "sleep=20s", "--timeout", "300ms"});
    const auto took = std::chrono::steady_clock::now() - started;
    INFO(slow.output);
    CHECK(slow.exit_code == 2);
    CHECK(contains(slow.output, "status    error\nmessage   timed out after 300ms\n"));
    CHECK(took < std::chrono::seconds{10});
}

TEST_CASE("run once: secrets are not printed, plugin log lines are") {
    const auto result = run({"--plugin", abi_plugin, "--param", "token=s3cret", "--log-level",
                             "debug", "--param", "text=shown"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "param     token = (secret)"));
    CHECK(!contains(result.output, "s3cret"));
    CHECK(contains(result.output, "abi_v1_0 created"));
    CHECK(contains(result.output, "text=shown"));
}

TEST_CASE("run once: a shipped plugin, and files that are no plugin") {
    const auto uptime = run({"--plugin", std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/uptime.so"});
    CHECK(uptime.exit_code == 0);
    CHECK(contains(uptime.output, "metric    uptime="));
    CHECK(contains(uptime.output, "s\nduration")); // seconds, as perfdata's UOM

    // A 1.1 plugin's labels, counters and thresholds, as Nagios perfdata writes them.
    const auto labelled = run({"--plugin", std::string{VITALS_TEST_PLUGIN_DIR} + "/labelled.so"});
    CHECK(labelled.exit_code == 0);
    CHECK(contains(labelled.output, R"(metric    'requests{code="200",method="get"}'=42c)"));
    CHECK(contains(labelled.output, "metric    latency=120ms;200\n"));
    CHECK(contains(labelled.output, R"(metric    'temperature{sensor="a \"b\" \\ c d é"}')"
                                    R"(=61.5;70;90;-40;150 (celsius))"));

    const auto missing = run({"--plugin", "/nonexistent/x.so"});
    CHECK(missing.exit_code == 78);
    CHECK(contains(missing.output, "/nonexistent/x.so"));

    const auto bad = run({"--plugin", std::string{VITALS_BAD_PLUGIN_DIR} + "/wrong_abi.so"});
    CHECK(bad.exit_code == 78);
    CHECK(contains(bad.output, "plugin ABI"));

    const auto usage = run({"--param", "a=1"});
    CHECK(usage.exit_code == 64);
    CHECK(contains(usage.output, "vitalsd run: --plugin PATH is required"));

    const auto help = run({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.output, "--param KEY=VALUE"));
}
