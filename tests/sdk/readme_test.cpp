// The README's plugin snippets, extracted between their markers and built exactly as
// printed against an installed SDK, then run in the SDK's mock host.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vitals/testing.hpp>

#include <filesystem>
#include <string>

#include "sdk/sdk_fixture.hpp"
#include "support/markdown_snippet.hpp"

namespace {

using namespace vitals::test;
namespace fs = std::filesystem;

} // namespace

TEST_CASE("readme: the C++ plugin and its CMake line build as printed and run") {
    TempDir dir;
    const fs::path sdk = dir.path() / "sdk";
    install_sdk(sdk);
    const auto source =
        dir.write("project/file_exists.cpp", markdown_snippet(VITALS_README, "file_exists.cpp"));
    // The README's line, after what every out-of-tree project starts with.
    dir.write("project/CMakeLists.txt",
              "cmake_minimum_required(VERSION 3.25)\nproject(file_exists LANGUAGES CXX)\n"
              "find_package(Vitals REQUIRED)\n" +
                  markdown_snippet(VITALS_README, "CMakeLists.txt"));
    const fs::path build = dir.path() / "build";
    build_project(dir.path() / "project", build, sdk, dir.path() / "stage");

    vitals::testing::Host host;
    vitals::testing::Plugin plugin{host, (build / "file_exists.so").string()};
    REQUIRE_FALSE(plugin.refusal());
    auto present = plugin.create({{"path", source.string()}});
    INFO(present.problem_text());
    REQUIRE(present.created());
    const auto found = present.run();
    CHECK(found.status == VITALS_STATUS_OK);
    CHECK(found.message == source.string() + " exists");

    auto absent = plugin.create({{"path", (dir.path() / "absent").string()}});
    const auto missing = absent.run();
    CHECK(missing.status == VITALS_STATUS_ERROR);
    CHECK(missing.message == (dir.path() / "absent").string() + " is missing");
    CHECK(host.misuses().empty());
}
