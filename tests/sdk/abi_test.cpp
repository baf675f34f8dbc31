// A plugin built against the frozen ABI 1.0 header keeps working. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <Poco/DigestEngine.h>
#include <Poco/DigestStream.h>
#include <Poco/SHA2Engine.h>

#include "sdk/sdk_fixture.hpp"
#include "support/agent_fixture.hpp"
#include "support/check_fixture.hpp"

namespace {

using namespace vitals;
using namespace vitals::test;

const std::string abi_plugin = std::string{VITALS_ABI_PLUGIN_DIR} + "/abi_v1_0.so";

std::string sha256_of(const std::string &file) {
    std::ifstream in{file, std::ios::binary};
    REQUIRE(in);
    Poco::SHA2Engine engine{Poco::SHA2Engine::SHA_256};
    Poco::DigestOutputStream digest{engine};
    digest << in.rdbuf();
    digest.close();
    return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace

TEST_CASE("abi 1.0: the frozen header is unchanged") {
    // tests/abi/v1.0 is what 1.0 plugins were compiled with: change the SDK's header,
    // never this copy (see tests/abi/README.md).
    CHECK(sha256_of(VITALS_FROZEN_HEADER) ==
          "c84f112dca5d1084262bca7a14fc8e12b2fdc9f1ab9d17321db785a515798153");
}

TEST_CASE("abi 1.0: a plugin built against the frozen header loads with its 1.0 descriptor") {
    const auto plugin = PluginLibrary::open(abi_plugin);
    CHECK(plugin->name() == "abi_v1_0");
    CHECK(plugin->descriptor().abi_major == 1);
    CHECK(plugin->descriptor().abi_minor == 0);
    CHECK(std::string{plugin->descriptor().version} == "1.0.0");
    CHECK(plugin->params().size() == 8);
    const auto *token = plugin->find_param("token");
    REQUIRE(token != nullptr);
    CHECK(token->secret != 0);
    CHECK(exported_symbols(abi_plugin) == std::vector<std::string>{"vitals_plugin_entry"});
}

TEST_CASE("abi 1.0: every 1.0 host function works for it, defaults included") {
    auto definition = test::definition("abi", "abi_v1_0", "");
    ConfigErrors errors;
    auto check = create_check(definition, PluginLibrary::open(abi_plugin), errors);
    REQUIRE_MESSAGE(check, (errors.empty() ? "" : errors.front().to_string()));
    const auto result = check->run(std::chrono::steady_clock::now() + std::chrono::seconds{5});
    CHECK(result.status == Status::ok);
    CHECK(result.message ==
          "text=hello count=3 ratio=0.5 flag=1 wait_ms=250 items=a,b token=0 time_left=yes");
    REQUIRE(result.metrics.size() == 2);
    CHECK(result.metrics[0].name == "count");
    CHECK(result.metrics[0].value == 3);
    CHECK(result.metrics[0].unit == "count");
    CHECK(result.metrics[1].value == 50);
    CHECK(result.metrics[1].unit == "percent");
}

TEST_CASE("abi 1.0: its param_error reaches the user with file and line") {
    auto definition = test::definition("abi", "abi_v1_0", "status = 7\ncount = \"x\"");
    ConfigErrors errors;
    auto check = create_check(definition, PluginLibrary::open(abi_plugin), errors);
    CHECK(!check);
    REQUIRE(errors.size() == 1); // the type error: the host stops before create()
    CHECK(errors[0].key == "check.abi.params.count");
    CHECK(errors[0].where.line == 2);

    definition = test::definition("abi", "abi_v1_0", "status = 7");
    errors.clear();
    check = create_check(definition, PluginLibrary::open(abi_plugin), errors);
    CHECK(!check);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].to_string() == "inline.toml:1:10: check.abi.params.status: must be 0, 1 or 2");
}

TEST_CASE("abi 1.0: the current vitalsd runs it and serves its results") {
    Agent agent{"[check.old_plugin]\nplugin = \"abi_v1_0\"\ninterval = \"1s\"\n"
                "params = { text = \"from 1.0\", count = 7, ratio = 1, flag = false, "
                "wait = \"1m\", items = [\"p\", \"q\"], token = \"s3cret\", status = 1 }\n",
                "",
                {"--log-level", "debug"},
                {VITALS_ABI_PLUGIN_DIR}};
    const auto check = wait_until_not_pending(agent.port(), "old_plugin");
    CHECK(text(check, "status") == "warning");
    CHECK(text(check, "message") ==
          "text=from 1.0 count=7 ratio=1 flag=0 wait_ms=60000 items=p,q token=1 time_left=yes");
    CHECK(metric(check, "count") == 7.0);
    CHECK(metric(check, "ratio") == 100.0);
    const auto log = agent.log();
    CHECK(contains(log, "abi_v1_0 created")); // host->log at debug
    CHECK(!contains(log, "s3cret"));
}

TEST_CASE("abi 1.1: the frozen header is unchanged") {
    // tests/abi/v1.1 is what 1.1 plugins were compiled with (see tests/abi/README.md).
    CHECK(sha256_of(VITALS_FROZEN_HEADER_1_1) ==
          "59d0f3b5fc0af794fb119be33a3de1879165ede39edd2dc1dc8a0541ca716481");
}

TEST_CASE("abi 1.0 and 1.1: plugins built against each run side by side in one vitalsd") {
    Agent agent{"[check.old_plugin]\nplugin = \"abi_v1_0\"\ninterval = \"1s\"\n"
                "[check.new_plugin]\nplugin = \"abi_v1_1\"\ninterval = \"1s\"\n"
                "params = { port = 8080, mode = \"thorough\" }\n",
                "",
                {},
                {VITALS_ABI_PLUGIN_DIR}};
    const auto old_check = wait_until_not_pending(agent.port(), "old_plugin");
    CHECK(text(old_check, "status") == "ok");
    CHECK(metric(old_check, "count") == 3.0);

    const auto new_check = wait_until_not_pending(agent.port(), "new_plugin");
    CHECK(text(new_check, "status") == "ok");
    // run_info, cancel_fd (not yet readable) and add_metric_ex, each found in the table.
    CHECK(text(new_check, "message") ==
          "name=new_plugin port=8080 mode=thorough cancel_ready=0 kept=1");
    CHECK(metric(new_check, "probes") == 8080.0);
    const auto log = agent.log();
    CHECK(contains(log, "abi_v1_1 init"));
}

TEST_CASE("abi 1.1: its declared range and choices reach the user at file, line and key") {
    const auto plugin = PluginLibrary::open(std::string{VITALS_ABI_PLUGIN_DIR} + "/abi_v1_1.so");
    CHECK(plugin->descriptor().abi_minor == 1);
    auto definition = test::definition("abi", "abi_v1_1", "port = 0\nmode = \"slow\"");
    ConfigErrors errors;
    auto check = create_check(definition, plugin, errors);
    CHECK(!check);
    REQUIRE(errors.size() == 2); // both, whatever order the keys are read in
    const auto error_at = [&](const std::string &key) {
        for (const auto &error : errors)
            if (error.key == key) return error;
        FAIL("no error at " << key);
        return ConfigError{};
    };
    const auto port = error_at("check.abi.params.port");
    CHECK(port.where.line == 1);
    CHECK(contains(port.message, "65535"));
    const auto mode = error_at("check.abi.params.mode");
    CHECK(mode.where.line == 2);
    CHECK(contains(mode.message, "\"thorough\""));
}
