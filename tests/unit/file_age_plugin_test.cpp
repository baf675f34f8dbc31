// The shipped file_age plugin, unit-tested through <vitals/testing.hpp>: the built .so
// loaded into the SDK's mock host, no agent. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vitals/testing.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using vitals::testing::Host;
using vitals::testing::Plugin;
using vitals::testing::Problem;

const std::string file_age_so = std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/file_age.so";

/// Sets a file's modification time to `age` before now.
void set_age(const std::filesystem::path &file, std::chrono::seconds age) {
    const auto since_epoch = (std::chrono::system_clock::now() - age).time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(seconds.count()), 0}};
    REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
}

} // namespace

TEST_CASE("file_age plugin: warns by the file's age and reports age and size") {
    vitals::test::TempDir dir;
    const auto heartbeat = dir.write("heartbeat", "alive\n");
    set_age(heartbeat, 2h);
    Host host;
    Plugin plugin{host, file_age_so};
    auto check =
        plugin.create({{"path", heartbeat.string()}, {"warning_age", "1h"}, {"error_age", "3h"}});
    INFO(check.problem_text());
    REQUIRE(check.created());

    const auto result = check.run();
    CHECK(result.status == VITALS_STATUS_WARNING);
    CHECK(result.message == heartbeat.string() + " modified 2h ago (6 B): older than 1h");
    REQUIRE(result.metric("age_seconds") != nullptr);
    CHECK(result.metric("age_seconds")->value == doctest::Approx(7200).epsilon(0.01));
    CHECK(result.metric("age_seconds")->unit == "seconds");
    CHECK(result.metric("size_bytes")->value == 6);
    CHECK(host.misuses().empty());
}

TEST_CASE("file_age plugin: a missing file is an error naming it") {
    vitals::test::TempDir dir;
    Host host;
    Plugin plugin{host, file_age_so};
    auto check = plugin.create({{"path", (dir.path() / "gone").string()}});
    REQUIRE(check.created());
    const auto result = check.run();
    CHECK(result.status == VITALS_STATUS_ERROR);
    CHECK(result.message == (dir.path() / "gone").string() + " does not exist");
    CHECK(result.metrics.empty());
}

TEST_CASE("file_age plugin: every parameter problem is reported at once") {
    Host host;
    Plugin plugin{host, file_age_so};
    auto check = plugin.create({{"path", "relative/heartbeat"},
                                {"min_size", -1},
                                {"warning_age", "2h"},
                                {"error_age", "1h"}});
    CHECK_FALSE(check.created());
    const auto &problems = check.problems();
    REQUIRE(problems.size() == 3);
    CHECK(problems[0] == Problem{"path", "must be an absolute path, got \"relative/heartbeat\""});
    CHECK(problems[1] == Problem{"min_size", "must be 0 or more bytes, got -1"});
    CHECK(problems[2].key == "warning_age");

    CHECK(
        plugin.create({}).problems() ==
        std::vector<Problem>{{"path", "missing required parameter 'path' for plugin 'file_age'"}});
}
