// The process plugin's limits through the real vitalsd, against a helper process (hog.c) the
// test tells to allocate memory, spin, open files and start threads. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "plugins_system/hog.hpp"
#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;
namespace fs = std::filesystem;

constexpr double mib = 1024.0 * 1024.0;

std::string unique_tag() {
    static std::atomic<int> counter{0};
    return "vitals-hog-" + std::to_string(::getpid()) + "x" + std::to_string(++counter);
}

/// A process check on the hog's PID file, with `limits`.
std::string hog_check(const std::string &name, const fs::path &pid_file,
                      const std::string &limits) {
    return check_toml(name, "process", "pid_file = " + quoted(pid_file.string()) + ", " + limits);
}

fs::path pid_file_of(const TempDir &dir, const Hog &hog) {
    return dir.write("hog" + std::to_string(hog.pid()) + ".pid", std::to_string(hog.pid()) + "\n");
}

/// The first result whose metric `name` satisfies `done`: a run may read the hog halfway
/// through a command, so the test waits for the figure, then looks at the status.
template <typename Done>
Object::Ptr wait_for_metric(std::uint16_t port, const std::string &check, const std::string &name,
                            Done done) {
    return wait_until(
        port, check,
        [&](const Object::Ptr &json) {
            const auto value = metric(json, name);
            return value && done(*value);
        },
        10s);
}

std::string size_of(double bytes) {
    return quoted(toml_number(bytes / mib) + "MiB");
}

} // namespace

TEST_CASE("process limits: resident memory turns warning, then error, as the process grows") {
    TempDir dir;
    Hog hog{unique_tag()};
    const auto pid_file = pid_file_of(dir, hog);
    const double base = hog.resident_bytes();
    Agent agent{hog_check("hog", pid_file,
                          "memory_warning = " + size_of(base + 32 * mib) +
                              ", memory_error = " + size_of(base + 160 * mib))};
    const auto small = wait_for_status(agent.port(), "hog", "ok");
    CHECK(required_metric(small, "memory_bytes") == doctest::Approx(base).epsilon(0.2));
    CHECK(metric_unit(small, "memory_bytes") == "bytes");

    hog.command("memory 64");
    const auto grown = wait_for_metric(agent.port(), "hog", "memory_bytes",
                                       [&](double bytes) { return bytes >= base + 64 * mib; });
    CHECK(status_of(grown) == "warning");
    CHECK(contains(message_of(grown), "; pid " + std::to_string(hog.pid()) + " memory "));

    hog.command("memory 128");
    const auto huge = wait_for_metric(agent.port(), "hog", "memory_bytes",
                                      [&](double bytes) { return bytes >= base + 192 * mib; });
    CHECK(status_of(huge) == "error");
    CHECK(http_get(agent.port(), "/health/checks/hog").status == 503);
    expect_promtool_clean(agent.port());
}

TEST_CASE("process limits: CPU percent over the interval, from idle to a busy CPU") {
    TempDir dir;
    Hog hog{unique_tag()};
    const auto pid_file = pid_file_of(dir, hog);
    Agent agent{hog_check("warn", pid_file, "cpu_warning = 10") +
                hog_check("fail", pid_file, "cpu_warning = 5, cpu_error = 10")};
    // The first run has nothing to compare with: no CPU figure until the second.
    const auto idle = wait_until(agent.port(), "fail", [](const Object::Ptr &json) {
        return metric(json, "cpu_percent").has_value();
    });
    CHECK(status_of(idle) == "ok");
    CHECK(required_metric(idle, "cpu_percent") < 5);
    CHECK(metric_unit(idle, "cpu_percent") == "percent");

    hog.command("spin");
    const auto busy = wait_for_status(agent.port(), "fail", "error");
    CHECK(required_metric(busy, "cpu_percent") >= 10);
    CHECK(contains(message_of(busy), " cpu "));
    const auto warned = wait_for_status(agent.port(), "warn", "warning");
    CHECK(required_metric(warned, "cpu_percent") >= 10);
}

TEST_CASE("process limits: open files and threads") {
    TempDir dir;
    Hog hog{unique_tag()};
    const auto pid_file = pid_file_of(dir, hog);
    const double files = hog.open_files();
    Agent agent{
        hog_check("files", pid_file,
                  "open_files_warning = " + std::to_string(static_cast<int>(files) + 20) +
                      ", open_files_error = " + std::to_string(static_cast<int>(files) + 40)) +
        hog_check("threads", pid_file, "threads_warning = 5, threads_error = 20")};
    const auto few_files = wait_for_status(agent.port(), "files", "ok");
    CHECK(required_metric(few_files, "open_files") == files);
    const auto one_thread = wait_for_status(agent.port(), "threads", "ok");
    CHECK(required_metric(one_thread, "threads") == 1);

    hog.command("files 30");
    const auto more_files = wait_for_metric(agent.port(), "files", "open_files",
                                            [&](double count) { return count == files + 30; });
    CHECK(status_of(more_files) == "warning");
    CHECK(contains(message_of(more_files), " open files "));
    hog.command("files 30");
    const auto most_files = wait_for_metric(agent.port(), "files", "open_files",
                                            [&](double count) { return count == files + 60; });
    CHECK(status_of(most_files) == "error");

    hog.command("threads 8");
    const auto some = wait_for_metric(agent.port(), "threads", "threads",
                                      [](double count) { return count == 9; });
    CHECK(status_of(some) == "warning");
    hog.command("threads 16");
    const auto many = wait_for_metric(agent.port(), "threads", "threads",
                                      [](double count) { return count == 25; });
    CHECK(status_of(many) == "error");
    CHECK(contains(message_of(many), " threads 25 >= 20"));
}

TEST_CASE("process limits: age, as too old and as too young") {
    TempDir dir;
    Hog hog{unique_tag()};
    const auto pid_file = pid_file_of(dir, hog);
    Agent agent{hog_check("fine", pid_file, "max_age_warning = \"1h\"") +
                hog_check("stuck", pid_file, "max_age_error = \"1ms\"") +
                hog_check("restarted", pid_file, "min_age_warning = \"1h\"")};
    const auto fine = wait_until_not_pending(agent.port(), "fine", 10s);
    CHECK(status_of(fine) == "ok");
    CHECK(required_metric(fine, "oldest_age") > 0);
    CHECK(required_metric(fine, "oldest_age") < 3600);
    CHECK(metric_unit(fine, "oldest_age") == "seconds");
    const auto stuck = wait_until_not_pending(agent.port(), "stuck", 10s);
    CHECK(status_of(stuck) == "error");
    CHECK(contains(message_of(stuck), " age "));
    CHECK(contains(message_of(stuck), " >= 0.0s"));
    const auto restarted = wait_until_not_pending(agent.port(), "restarted", 10s);
    CHECK(status_of(restarted) == "warning");
    CHECK(contains(message_of(restarted), " < 1.0h"));
}

TEST_CASE("process limits: aggregate = sum judges the total of every matching process") {
    const std::string tag = unique_tag();
    Hog first{tag};
    Hog second{tag};
    first.command("memory 64");
    second.command("memory 64");
    const double one = std::max(first.resident_bytes(), second.resident_bytes());
    const double both = first.resident_bytes() + second.resident_bytes();
    const std::string pattern = "pattern = " + quoted(tag + "$");
    Agent agent{
        check_toml("each", "process", pattern + ", memory_error = " + size_of(one + 32 * mib)) +
        check_toml("sum", "process",
                   pattern + ", aggregate = \"sum\", memory_error = " + size_of(both - 32 * mib))};
    const auto each = wait_until_not_pending(agent.port(), "each", 10s);
    CHECK(status_of(each) == "ok");
    CHECK(required_metric(each, "count") == 2);
    CHECK(required_metric(each, "memory_bytes") == doctest::Approx(one).epsilon(0.05));
    const auto sum = wait_until_not_pending(agent.port(), "sum", 10s);
    CHECK(status_of(sum) == "error");
    CHECK(required_metric(sum, "memory_bytes") == doctest::Approx(both).epsilon(0.05));
    CHECK(contains(message_of(sum), "; total memory "));
}

TEST_CASE("process limits: parameters are validated") {
    const std::string target = "name = \"cron\", ";
    const auto check = check_config(
        check_toml("size", "process", target + "memory_warning = \"lots\"") +
        check_toml("order", "process",
                   target + "memory_warning = \"2GiB\", memory_error = \"1GiB\"") +
        check_toml("cpu", "process", target + "cpu_error = -1") +
        check_toml("files", "process", target + "open_files_warning = 0") +
        check_toml("threads", "process", target + "threads_error = 1.5") +
        check_toml("young", "process",
                   target + "min_age_warning = \"1m\", min_age_error = \"1h\"") +
        check_toml("zero_age", "process", target + "max_age_error = \"0s\"") +
        check_toml("aggregate", "process", target + "aggregate = \"avg\"") +
        check_toml("fine", "process",
                   target + "aggregate = \"sum\", memory_warning = \"1GiB\", memory_error = "
                            "\"2GiB\", cpu_warning = 150, cpu_error = 300, open_files_warning = "
                            "1000, open_files_error = 2000, threads_warning = 100, threads_error "
                            "= 200, max_age_warning = \"1d\", max_age_error = \"2d\", "
                            "min_age_warning = \"10m\", min_age_error = \"1m\""));
    expect_rejected(check, "check.size.params.memory_warning", "must be a size such as");
    expect_rejected(check, "check.order.params.memory_warning",
                    "must not be above memory_error (2.0 GiB > 1.0 GiB)");
    expect_rejected(check, "check.cpu.params.cpu_error", "must be a percentage of one CPU");
    expect_rejected(check, "check.files.params.open_files_warning", "must be 1 or more, got 0");
    expect_rejected(check, "check.threads.params.threads_error", "expected an integer");
    expect_rejected(check, "check.young.params.min_age_error",
                    "must not be above min_age_warning (1.0h > 1.0m): a younger process is worse");
    expect_rejected(check, "check.zero_age.params.max_age_error", "must be longer than zero");
    expect_rejected(check, "check.aggregate.params.aggregate", "must be \"each\" or \"sum\"");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 8);
}
