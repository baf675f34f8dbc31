// Checks: the host side of the ABI, driven through real plugins. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>

#include "checks/host_context.hpp"
#include "support/check_fixture.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

ConfigErrors create_errors(const CheckDefinition &definition) {
    ConfigErrors errors;
    const auto check = create_check(definition, test_plugin(definition.plugin), errors);
    CHECK(check == nullptr);
    return errors;
}

CheckResult run_once(const std::string &params) {
    return make_check(definition("c", "sleepy", params))
        ->run(std::chrono::steady_clock::now() + 5s);
}

} // namespace

TEST_CASE("checks: declared defaults apply when a parameter is absent") {
    const auto result = run_once("");
    CHECK(result.status == Status::ok);
    CHECK(result.message == "slept");
}

TEST_CASE("checks: a run reports status, message and metrics") {
    const auto result = run_once("status = \"warning\"\nmessage = \"disk is filling\"");
    CHECK(result.status == Status::warning);
    CHECK(result.message == "disk is filling");
    REQUIRE(result.metrics.size() == 2);
    CHECK(result.metrics[0].name == "runs");
    CHECK(result.metrics[0].value == 1);
    CHECK(result.duration > 0ns);
}

TEST_CASE("checks: an exception in run() becomes an error result with its text") {
    const auto result = run_once("status = \"throw\"");
    CHECK(result.status == Status::error);
    CHECK(result.message == "check threw: sleepy was told to throw");
}

TEST_CASE("checks: a run that sets no result is an error") {
    const auto result = run_once("status = \"none\"");
    CHECK(result.status == Status::error);
    CHECK(result.message == "plugin reported no result");
}

TEST_CASE("checks: unknown parameter is refused before create(), at its line") {
    const auto errors = create_errors(definition("c", "sleepy", "sleep = \"1s\"\nslep = \"2s\"\n"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "check.c.params.slep");
    CHECK(errors[0].where.file == "inline.toml");
    CHECK(errors[0].where.line == 2);
    CHECK(errors[0].message.find("unknown parameter 'slep'") != std::string::npos);
    CHECK(errors[0].message.find("sleep, status") != std::string::npos);
}

TEST_CASE("checks: wrong parameter type and bad duration are refused at their lines") {
    auto errors = create_errors(definition("c", "sleepy", "status = 3\n\nsleep = \"ten\"\n"));
    REQUIRE(errors.size() == 2);
    std::sort(errors.begin(), errors.end(),
              [](auto &a, auto &b) { return a.where.line < b.where.line; });
    CHECK(errors[0].key == "check.c.params.status");
    CHECK(errors[0].where.line == 1);
    CHECK(errors[0].message == "expected a string, got integer");
    CHECK(errors[1].key == "check.c.params.sleep");
    CHECK(errors[1].where.line == 3);
    CHECK(errors[1].message.find("\"ten\" is not a duration") != std::string::npos);
}

TEST_CASE("checks: a value the plugin rejects is reported with its line") {
    const auto errors = create_errors(definition("c", "sleepy", "\nreject = \"not today\"\n"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "check.c.params.reject");
    CHECK(errors[0].where.line == 2);
    CHECK(errors[0].message == "not today");
}

TEST_CASE("checks: a missing required parameter names the check") {
    const auto errors = create_errors(definition("web", "tcp", "port = 80\n"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message.find("missing required parameter 'host'") != std::string::npos);
    CHECK(errors[0].key == "check.web.params.host");
}

TEST_CASE("checks: float parameters accept integers") {
    ConfigErrors errors;
    const auto check = create_check(definition("d", "disk", "warning = 70\nerror = 80.5\n"),
                                    test_plugin("disk"), errors);
    CHECK(errors.empty());
    CHECK(check != nullptr);
}

TEST_CASE("checks: host functions called in the wrong phase are refused, not obeyed") {
    // time_left_ns during create() has no deadline to report: the host answers 0.
    const vitals_host_api &api = host_api();
    CHECK(api.struct_size == sizeof(vitals_host_api));
    CHECK(api.abi_major == VITALS_ABI_MAJOR);
    CheckDefinition def = definition("c", "sleepy", "");
    ConfigErrors errors;
    CreateContext create{def, *test_plugin("sleepy"), errors};
    CHECK(api.time_left_ns(&create) == 0);
    api.set_result(&create, VITALS_STATUS_OK, "ignored");
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    const char *value = nullptr;
    CHECK(api.param_string(&run, "status", &value) != 0);
    CHECK(value == nullptr);
    CHECK(api.time_left_ns(&run) > 0);
}

TEST_CASE("checks: results are bounded and cleaned") {
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    const vitals_host_api &api = host_api();
    for (int i = 0; i < 1000; ++i)
        api.add_metric(&run, ("m" + std::to_string(i)).c_str(), i, "");
    api.add_metric(&run, "nan", std::numeric_limits<double>::quiet_NaN(), "");
    api.add_metric(&run, nullptr, 1, "");
    const std::string huge(100000, 'x');
    api.set_result(&run, VITALS_STATUS_WARNING, huge.c_str());
    CHECK(run.dropped_metrics() == 1000 - RunContext::max_metrics + 2);
    const auto result = run.take_result();
    CHECK(result.metrics.size() == RunContext::max_metrics);
    CHECK(result.message.size() <= RunContext::max_message_bytes + 3);
    CHECK(result.status == Status::warning);
}

TEST_CASE("checks: an invalid status code becomes an error naming it") {
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    host_api().set_result(&run, 7, "confused");
    const auto result = run.take_result();
    CHECK(result.status == Status::error);
    CHECK(result.message == "plugin reported invalid status 7: confused");
}

TEST_CASE("checks: plugin text is made valid UTF-8") {
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    host_api().set_result(&run, VITALS_STATUS_OK,
                          "caf\xc3\xa9 \xff\xfe ok \xe2\x9c\x93 \xed\xa0\x80");
    CHECK(run.take_result().message == "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd ok \xe2\x9c\x93 "
                                       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("checks: a repeated metric name replaces the earlier value") {
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    host_api().add_metric(&run, "latency", 1, "seconds");
    host_api().add_metric(&run, "latency", 2, "seconds");
    host_api().set_result(&run, VITALS_STATUS_OK, "");
    const auto result = run.take_result();
    REQUIRE(result.metrics.size() == 1);
    CHECK(result.metrics[0].value == 2);
}
