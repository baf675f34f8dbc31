// The file_age plugin through the real vitalsd, on files whose modification time the test
// sets with utimensat. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;

/// Sets a file's modification time to `age` before now (negative: in the future).
void set_age(const std::filesystem::path &file, std::chrono::seconds age) {
    const auto when = std::chrono::system_clock::now() - age;
    const auto since_epoch = when.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const timespec times[2] = {
        {0, UTIME_OMIT}, // access time: leave it
        {static_cast<time_t>(seconds.count()),
         static_cast<long>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count())}};
    REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
}

std::string file_check(const std::string &name, const std::filesystem::path &file,
                       const std::string &extra = "") {
    return check_toml(name, "file_age",
                      "path = " + quoted(file.string()) + (extra.empty() ? "" : ", " + extra));
}

} // namespace

TEST_CASE("file_age: ok, warning and error by the age utimensat gave each file") {
    TempDir dir;
    const auto fresh = dir.write("fresh", "done\n");
    const auto stale = dir.write("stale", "done\n");
    const auto dead = dir.write("dead", "done\n");
    set_age(fresh, std::chrono::seconds{30});
    set_age(stale, std::chrono::minutes{10});
    set_age(dead, std::chrono::hours{2});
    const std::string limits = "warning_age = \"5m\", error_age = \"1h\"";
    Agent agent{file_check("fresh", fresh, limits) + file_check("stale", stale, limits) +
                file_check("dead", dead, limits)};

    const auto ok = wait_until_not_pending(agent.port(), "fresh", 10s);
    CHECK(status_of(ok) == "ok");
    CHECK(message_of(ok).starts_with(fresh.string() + " modified "));
    CHECK(contains(message_of(ok), "s ago (5 B)"));
    // Thirty seconds plus however long the agent took to get there.
    CHECK(required_metric(ok, "age_seconds") >= 30);
    CHECK(required_metric(ok, "age_seconds") < 60);
    CHECK(metric_unit(ok, "age_seconds") == "seconds");
    CHECK(required_metric(ok, "size_bytes") == 5);
    CHECK(metric_unit(ok, "size_bytes") == "bytes");

    const auto warning = wait_until_not_pending(agent.port(), "stale", 10s);
    CHECK(status_of(warning) == "warning");
    CHECK(contains(message_of(warning), " modified 10m "));
    CHECK(contains(message_of(warning), ": older than 5m"));
    CHECK(required_metric(warning, "age_seconds") == doctest::Approx(600).epsilon(0.05));

    const auto error = wait_until_not_pending(agent.port(), "dead", 10s);
    CHECK(status_of(error) == "error");
    CHECK(contains(message_of(error), " modified 2h ago"));
    CHECK(contains(message_of(error), ": older than 1h"));
    CHECK(http_get(agent.port(), "/health/checks/dead").status == 503);
}

TEST_CASE("file_age: a heartbeat touched again turns the check ok within an interval") {
    TempDir dir;
    const auto beat = dir.write("heartbeat", "");
    set_age(beat, std::chrono::hours{3});
    Agent agent{file_check("cron", beat, "error_age = \"1h\"")};
    CHECK(status_of(wait_for_status(agent.port(), "cron", "error")) == "error");

    set_age(beat, std::chrono::seconds{0}); // what `touch` does when the cron job finishes
    const auto touched = wait_for_status(agent.port(), "cron", "ok");
    CHECK(required_metric(touched, "age_seconds") < 30);
}

TEST_CASE("file_age: a missing file is an error that clears once the file appears") {
    TempDir dir;
    const auto path = dir.path() / "later";
    Agent agent{file_check("later", path, "warning_age = \"1h\"")};
    const auto missing = wait_for_status(agent.port(), "later", "error");
    CHECK(message_of(missing) == path.string() + " does not exist");
    CHECK_FALSE(metric(missing, "age_seconds").has_value());

    dir.write("later", "x");
    const auto present = wait_for_status(agent.port(), "later", "ok");
    CHECK(contains(message_of(present), path.string() + " modified "));
}

TEST_CASE("file_age: min_size fails a file that is too small, whatever its age") {
    TempDir dir;
    const auto empty = dir.write("empty", "");
    const auto full = dir.write("full", "0123456789");
    Agent agent{file_check("empty", empty, "min_size = 1") +
                file_check("full", full, "min_size = 10")};
    const auto small = wait_until_not_pending(agent.port(), "empty", 10s);
    CHECK(status_of(small) == "error");
    CHECK(contains(message_of(small), "(0 B): smaller than 1 byte"));
    CHECK(required_metric(small, "size_bytes") == 0);
    CHECK(status_of(wait_until_not_pending(agent.port(), "full", 10s)) == "ok");
}

TEST_CASE("file_age: a modification time in the future is reported as such") {
    TempDir dir;
    const auto ahead = dir.write("ahead", "x");
    set_age(ahead, -std::chrono::seconds{std::chrono::hours{1}});
    Agent agent{file_check("ahead", ahead, "warning_age = \"1m\"")};
    const auto check = wait_until_not_pending(agent.port(), "ahead", 10s);
    CHECK(status_of(check) == "ok");
    CHECK(contains(message_of(check), " in the future"));
    CHECK(required_metric(check, "age_seconds") < -3000);
}

TEST_CASE("file_age: parameters are validated") {
    const auto check = check_config(
        check_toml("no_path", "file_age", "warning_age = \"1h\"") +
        check_toml("relative", "file_age", "path = \"var/heartbeat\"") +
        check_toml("zero", "file_age", "path = \"/x\", warning_age = \"0s\"") +
        check_toml("order", "file_age", "path = \"/x\", warning_age = \"2h\", error_age = \"1h\"") +
        check_toml("word", "file_age", "path = \"/x\", error_age = \"soon\"") +
        check_toml("negative", "file_age", "path = \"/x\", min_size = -1") +
        check_toml("fine", "file_age",
                   "path = \"/x\", warning_age = \"25h\", error_age = \"2d\", min_size = 1"));
    expect_rejected(check, "check.no_path.params.path", "missing required parameter 'path'");
    expect_rejected(check, "check.relative.params.path", "must be an absolute path");
    expect_rejected(check, "check.zero.params.warning_age", "must be longer than zero");
    expect_rejected(check, "check.order.params.warning_age",
                    "must not be longer than error_age (2h > 1h)");
    expect_rejected(check, "check.word.params.error_age", "\"soon\" is not a duration");
    expect_rejected(check, "check.negative.params.min_size", "must be 0 or more bytes");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 6);
}
