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
