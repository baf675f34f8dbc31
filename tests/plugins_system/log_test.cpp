// The log plugin through the real vitalsd, on a file the test writes, rotates and truncates
// while the agent follows it. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include <filesystem>
#include <optional>
#include <string>

#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;
namespace fs = std::filesystem;

/// Appends `text` in one write(), as a logging process does.
void append(const fs::path &file, const std::string &text) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE_MESSAGE(fd >= 0, "cannot open " << file);
    const ssize_t written = ::write(fd, text.data(), text.size());
    ::close(fd);
    REQUIRE(written == static_cast<ssize_t>(text.size()));
}

/// A log check every second, so that what the test writes right after one result is read,
/// all of it, by the next run.
std::string log_check(const std::string &name, const fs::path &file, const std::string &extra) {
    return check_toml(name, "log", "path = " + quoted(file.string()) + ", " + extra);
}

/// "2026-12-06T20:29:59.081Z", the agent's timestamps.
std::chrono::system_clock::time_point time_of(const std::string &text) {
    std::tm utc{};
    int millis = 0;
    REQUIRE(std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon,
                        &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis) == 7);
    utc.tm_year -= 1900;
    utc.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(::timegm(&utc)) +
           std::chrono::milliseconds{millis};
}

/// A log check's results one run after another: each step waits for the run after the last.
class Results {
public:
    Results(std::uint16_t port, std::string name) : port_(port), name_(std::move(name)) {}

    /// The first result.
    Object::Ptr first() {
        last_ = wait_until_not_pending(port_, name_, 10s);
        return last_;
    }

    /// Waits, if need be, until the next run is at least 300 ms away: what the test writes
    /// right after this is all there when that run starts, and none of it while it reads.
    /// A run it lets pass had nothing new to read.
    void ready_to_write() {
        for (int passed = 0; passed < 10; ++passed) {
            const auto left = time_of(text(last_, "next_run")) - std::chrono::system_clock::now();
            if (left > 300ms) return;
            next();
        }
        FAIL("the check never had 300 ms to spare before its next run");
    }

    /// The result of the run after the one last seen.
    Object::Ptr next() {
        const std::string seen = text(last_, "last_run");
        last_ = wait_until(
            port_, name_,
            [&seen](const Object::Ptr &json) { return text(json, "last_run") != seen; }, 10s);
        return last_;
    }

private:
    std::uint16_t port_;
    std::string name_;
    Object::Ptr last_;
};

double matches(const Object::Ptr &check) {
    return required_metric(check, "matches");
}

} // namespace

TEST_CASE("log: starts at the end, then counts new matching lines against warning and error") {
    TempDir dir;
    const auto file = dir.write("app.log", "ERROR old one\nERROR old two\n");
    Agent agent{log_check("app", file,
                          "pattern = \"ERR(OR)\", exclude = \"harmless\", warning = 2, error = 3")};
    Results results{agent.port(), "app"};

    const auto start = results.first();
    CHECK(status_of(start) == "ok");
    CHECK(message_of(start) == "following " + file.string() + " from its end; no line read yet");
    CHECK(matches(start) == 0);

    results.ready_to_write();
    append(file, "ERROR one\nINFO fine\n");
    const auto one = results.next();
    CHECK(status_of(one) == "ok");
    CHECK(message_of(one) ==
          "1 of 2 new lines in " + file.string() + " match /ERR(OR)/; last: \"ERROR one\"");
    CHECK(matches(one) == 1);
    CHECK(required_metric(one, "lines") == 2);
    CHECK(required_metric(one, "read_bytes") == 20);
    CHECK(metric_unit(one, "read_bytes") == "bytes");
    CHECK(metric_unit(one, "matches") == "count");

    results.ready_to_write();
    append(file, "ERROR two\nERROR harmless\r\nERROR three\r\n");
    const auto two = results.next();
    CHECK(status_of(two) == "warning");
    CHECK(matches(two) == 2);
    CHECK(contains(message_of(two), "2 of 3 new lines"));
    CHECK(contains(message_of(two), "warning at 2; last: \"ERROR three\""));

    results.ready_to_write();
    append(file, "ERROR 4\nERROR 5\nERROR 6\n");
    const auto three = results.next();
    CHECK(status_of(three) == "error");
    CHECK(matches(three) == 3);
    CHECK(contains(message_of(three), ", error at 3; last: \"ERROR 6\""));
    CHECK(http_get(agent.port(), "/health/checks/app").status == 503);
    expect_promtool_clean(agent.port());

    // Nothing new: the errors were reported once, not again.
    const auto quiet = results.next();
    CHECK(status_of(quiet) == "ok");
    CHECK(matches(quiet) == 0);
    CHECK(required_metric(quiet, "lines") == 0);
}

TEST_CASE("log: follows a rotated file to its end, then the new file from its start") {
    TempDir dir;
    const auto file = dir.write("app.log", "");
    const auto rotated = dir.path() / "app.log.1";
    Agent agent{log_check("app", file, "pattern = \"^ERROR\", warning = 10")};
    Results results{agent.port(), "app"};
    results.first();

    results.ready_to_write();
    // logrotate's "create": rename, the writer adds a last line to the old file, a new file.
    append(file, "ERROR before\n");
    fs::rename(file, rotated);
    append(rotated, "ERROR old tail without newline");
    append(file, "ERROR new one\n");
    const auto switched = results.next();
    CHECK(matches(switched) == 3);
    CHECK(contains(message_of(switched), "; rotated; last: \"ERROR new one\""));

    results.ready_to_write();
    append(file, "ERROR new two\n");
    const auto after = results.next();
    CHECK(matches(after) == 1);
    CHECK(contains(message_of(after), "last: \"ERROR new two\""));

    // Renamed with no new file yet: the renamed one is still followed, without complaint.
    results.ready_to_write();
    const auto moved = dir.path() / "app.log.2";
    fs::rename(file, moved);
    append(moved, "ERROR still written to the old name\n");
    const auto gap = results.next();
    CHECK(status_of(gap) == "ok");
    CHECK(matches(gap) == 1);
    CHECK(contains(message_of(gap), "last: \"ERROR still written to the old name\""));

    results.ready_to_write();
    append(file, "ERROR in the fresh file\n");
    const auto fresh = results.next();
    CHECK(matches(fresh) == 1);
    CHECK(contains(message_of(fresh), "; rotated; last: \"ERROR in the fresh file\""));
}

TEST_CASE("log: a truncated file is read again from its start") {
    TempDir dir;
    const auto file =
        dir.write("app.log", "INFO a line long enough to be longer than what follows\n");
    Agent agent{log_check("app", file, "pattern = \"ERROR\"")};
    Results results{agent.port(), "app"};
    results.first();

    results.ready_to_write();
    // logrotate's "copytruncate": same file, cut to nothing, written again.
    fs::resize_file(file, 0);
    append(file, "ERROR after truncation\n");
    const auto truncated = results.next();
    CHECK(status_of(truncated) == "warning");
    CHECK(matches(truncated) == 1);
    CHECK(contains(message_of(truncated), "; truncated; last: \"ERROR after truncation\""));

    results.ready_to_write();
    append(file, "INFO calm\n");
    const auto calm = results.next();
    CHECK(status_of(calm) == "ok");
    CHECK(matches(calm) == 0);
    CHECK(required_metric(calm, "lines") == 1);
}

TEST_CASE("log: a restarted agent starts at the end again and never rereads old lines") {
    TempDir dir;
    const auto file = dir.write("app.log", "");
    const std::string check = log_check("app", file, "pattern = \"ERROR\"");
    {
        Agent agent{check};
        Results results{agent.port(), "app"};
        results.first();
        results.ready_to_write();
        append(file, "ERROR seen by the first agent\n");
        CHECK(matches(results.next()) == 1);
    }
    append(file, "ERROR written while no agent ran\n");
    Agent agent{check};
    Results results{agent.port(), "app"};
    const auto start = results.first();
    CHECK(status_of(start) == "ok");
    CHECK(matches(start) == 0);
    results.ready_to_write();
    append(file, "ERROR seen by the second agent\n");
    const auto next = results.next();
    CHECK(matches(next) == 1);
    CHECK(contains(message_of(next), "last: \"ERROR seen by the second agent\""));
}

TEST_CASE("log: a missing file is an error until it is created, then read from its start") {
    TempDir dir;
    const auto file = dir.path() / "later.log";
    Agent agent{log_check("later", file, "pattern = \"ERROR\"")};
    Results results{agent.port(), "later"};
    const auto missing = results.first();
    CHECK(status_of(missing) == "error");
    CHECK(message_of(missing) == file.string() + " does not exist");

    results.ready_to_write();
    append(file, "ERROR the first line\n");
    const auto created = results.next();
    CHECK(status_of(created) == "warning");
    CHECK(matches(created) == 1);
    CHECK(contains(message_of(created), "; created; last: \"ERROR the first line\""));
}

TEST_CASE("log: max_read bounds one run, the rest comes in the next runs, long lines cut") {
    TempDir dir;
    const auto file = dir.write("app.log", "");
    Agent agent{log_check("app", file, "pattern = \"ERROR\", max_read = 131072")};
    Results results{agent.port(), "app"};
    results.first();

    // 300 KiB of filler, a 100 KiB line that matches, then a short match.
    std::string filler;
    while (filler.size() < 300 * 1024)
        filler += "INFO filler line to be read in more than one run\n";
    const std::string long_line = "ERROR long " + std::string(100 * 1024, 'x') + "\n";
    results.ready_to_write();
    append(file, filler + long_line + "ERROR at the end\n");
    const double total = static_cast<double>(fs::file_size(file));

    const auto bounded = results.next();
    CHECK(required_metric(bounded, "read_bytes") == 131072);
    CHECK(required_metric(bounded, "behind_bytes") > 0);
    CHECK(contains(message_of(bounded), " left for later"));
    double read = required_metric(bounded, "read_bytes");
    double found = matches(bounded);
    auto last = bounded;
    for (int run = 0; run < 6 && required_metric(last, "behind_bytes") > 0; ++run) {
        last = results.next();
        CHECK(required_metric(last, "read_bytes") <= 131072);
        read += required_metric(last, "read_bytes");
        found += matches(last);
    }
    CHECK(required_metric(last, "behind_bytes") == 0);
    // A partial line left at a run's end is read again by the next: at least everything once.
    CHECK(read >= total);
    CHECK(found == 2);
    CHECK(contains(message_of(last), "last: \"ERROR at the end\""));
}

TEST_CASE("log: parameters are validated") {
    const auto check = check_config(
        check_toml("relative", "log", "path = \"app.log\", pattern = \"ERROR\"") +
        check_toml("no_pattern", "log", "path = \"/var/log/app.log\"") +
        check_toml("empty", "log", "path = \"/var/log/app.log\", pattern = \"\"") +
        check_toml("bad_regex", "log", "path = \"/var/log/app.log\", pattern = \"ERR(\"") +
        check_toml("bad_exclude", "log",
                   "path = \"/var/log/app.log\", pattern = \"E\", exclude = \"[x\"") +
        check_toml("zero", "log", "path = \"/var/log/app.log\", pattern = \"E\", warning = 0") +
        check_toml("inverted", "log",
                   "path = \"/var/log/app.log\", pattern = \"E\", warning = 5, error = 2") +
        check_toml("tiny_read", "log",
                   "path = \"/var/log/app.log\", pattern = \"E\", max_read = 1000") +
        check_toml("fine", "log",
                   "path = \"/var/log/app.log\", pattern = \"E\", exclude = \"x\", warning = 1, "
                   "error = 5, max_read = 1048576"));
    expect_rejected(check, "check.relative.params.path", "must be an absolute path");
    expect_rejected(check, "check.no_pattern.params.pattern", "missing");
    expect_rejected(check, "check.empty.params.pattern", "must not be empty");
    expect_rejected(check, "check.bad_regex.params.pattern", "is not a valid regular expression");
    expect_rejected(check, "check.bad_exclude.params.exclude", "is not a valid regular expression");
    expect_rejected(check, "check.zero.params.warning", "must be 1 or more, got 0");
    expect_rejected(check, "check.inverted.params.warning", "must not be above error (5 > 2)");
    expect_rejected(check, "check.tiny_read.params.max_read", "must be from 131072");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 8);
}
