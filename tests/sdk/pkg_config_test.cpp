// vitals.pc as a plugin author without CMake uses it: from an SDK installed into a
// temporary prefix, compile sdk/examples/c with `pkg-config --cflags` and the linker flags
// it names, then run the plugin in the SDK's mock host. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vitals/testing.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "sdk/sdk_fixture.hpp"

namespace {

using namespace vitals::test;
namespace fs = std::filesystem;

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

} // namespace

TEST_CASE("pkg-config: vitals.pc from an install under any prefix builds a plugin without CMake") {
    TempDir dir;
    const fs::path sdk = dir.path() / "sdk";
    install_sdk(sdk);
    // Only this install: PKG_CONFIG_LIBDIR replaces the default search path.
    const std::string pkg_config =
        "PKG_CONFIG_LIBDIR=" + quote((sdk / VITALS_INSTALL_PKGCONFIGDIR).string()) + " pkg-config ";
    CHECK(trimmed(must_run(pkg_config + "--modversion vitals")) == VITALS_VERSION);
    CHECK(trimmed(must_run(pkg_config + "--variable=abi_version vitals")) == "1.1");
    const std::string cflags = trimmed(must_run(pkg_config + "--cflags vitals"));
    REQUIRE(cflags.rfind("-I", 0) == 0);
    CHECK(fs::equivalent(cflags.substr(2), sdk / VITALS_INSTALL_INCLUDEDIR));

    const fs::path plugin_file = dir.path() / "open_files.so";
    must_run(quote(VITALS_C_COMPILER) + " $(" + pkg_config + "--cflags vitals) " +
             VITALS_EXAMPLE_FLAGS +
             " -std=c99 -Wall -Wpedantic -Werror -fPIC -fvisibility=hidden " + "-shared -o " +
             quote(plugin_file.string()) + " " +
             quote(std::string{VITALS_EXAMPLES_DIR} + "/c/open_files.c") + " $(" + pkg_config +
             "--variable=plugin_ldflags vitals)");
    CHECK(exported_symbols(plugin_file) == std::vector<std::string>{"vitals_plugin_entry"});

    vitals::testing::Host host;
    vitals::testing::Plugin plugin{host, plugin_file.string()};
    auto check = plugin.create({{"warning", 100}, {"error", 100}});
    INFO(check.problem_text());
    REQUIRE(check.created());
    const auto result = check.run();
    CHECK(result.status == VITALS_STATUS_OK);
    REQUIRE(result.metric("open_files") != nullptr);
    CHECK(result.metric("open_files")->value > 0);
}
