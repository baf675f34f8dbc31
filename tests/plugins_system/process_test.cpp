// The process plugin through the real vitalsd, against `sleep` processes the test starts
// under names of its own and kills by PID. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;
namespace fs = std::filesystem;

/// A child process running `program` with `argv`, killed by PID and reaped when the test
/// ends, however it ends. It also dies with the test process (PR_SET_PDEATHSIG).
class Child {
public:
    Child(const std::string &program, std::vector<std::string> argv) {
        std::vector<char *> args;
        for (auto &arg : argv)
            args.push_back(arg.data());
        args.push_back(nullptr);
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            // Only async-signal-safe calls between fork and exec.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(126);
            ::execv(program.c_str(), args.data());
            ::_exit(127);
        }
        wait_until_started(program);
    }
    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;
    ~Child() {
        kill();
        reap();
    }

    pid_t pid() const { return pid_; }

    /// SIGKILL without reaping: the child stays behind as a zombie until reap().
    void kill() const {
        if (!reaped_) ::kill(pid_, SIGKILL);
    }
    void reap() {
        if (reaped_) return;
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
    }

private:
    /// Until the child has exec'd: before that /proc shows the test binary's name under its PID.
    void wait_until_started(const std::string &program) const {
        const auto proc_exe = "/proc/" + std::to_string(pid_) + "/exe";
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < give_up) {
            std::error_code error;
            if (fs::read_symlink(proc_exe, error) == fs::canonical(program)) return;
            std::this_thread::sleep_for(5ms);
        }
        FAIL("child " << pid_ << " did not exec " << program);
    }

    pid_t pid_ = -1;
    bool reaped_ = false;
};

/// A tag no other process on the machine carries: PID of the test plus a counter.
std::string unique_tag() {
    static std::atomic<int> counter{0};
    return std::to_string(::getpid()) + "x" + std::to_string(++counter);
}

/// /bin/sleep copied under `name` into `dir`: the kernel names a process after the file it
/// executes, so this gives the child a process name (comm) of the test's choosing.
std::string sleep_named(const TempDir &dir, const std::string &name) {
    const auto copy = dir.path() / name;
    fs::copy_file("/bin/sleep", copy);
    fs::permissions(copy, fs::perms::owner_all);
    return copy.string();
}

} // namespace

TEST_CASE("process: by name, ok while it runs and an error once killed, zombie or reaped") {
    TempDir dir;
    const std::string name = "vs" + unique_tag(); // well within the 15 bytes of comm
    REQUIRE(name.size() <= 15);
    Child child{sleep_named(dir, name), {name, "300"}};

    Agent agent{check_toml("worker", "process", "name = " + quoted(name))};
    const auto running = wait_for_status(agent.port(), "worker", "ok");
    CHECK(message_of(running) ==
          "1 process named " + name + " (pid " + std::to_string(child.pid()) + ")");
    CHECK(required_metric(running, "count") == 1);
    CHECK(metric_unit(running, "count") == "count");

    // Killed but not yet reaped by its parent: a zombie, which runs nothing.
    child.kill();
    const auto zombie = wait_for_status(agent.port(), "worker", "error");
    CHECK(message_of(zombie) == "no process named " + name + ", expected at least 1");
    CHECK(required_metric(zombie, "count") == 0);
    CHECK(http_get(agent.port(), "/health/checks/worker").status == 503);

    child.reap();
    const auto before = consecutive(zombie);
    const auto gone = wait_until(agent.port(), "worker", [before](const Object::Ptr &json) {
        return consecutive(json) > before;
    });
    CHECK(status_of(gone) == "error");
    CHECK(required_metric(gone, "count") == 0);
}

TEST_CASE("process: a name longer than the kernel keeps matches through argv[0]") {
    TempDir dir;
    const std::string name = "vitals_long_sleeper_" + unique_tag();
    REQUIRE(name.size() > 15);
    Child child{sleep_named(dir, name), {(dir.path() / name).string(), "300"}};
    // Same first 15 bytes, so the same comm, but another full name: must not match.
    const std::string other = name.substr(0, 15) + "_other";

    Agent agent{check_toml("long", "process", "name = " + quoted(name)) +
                check_toml("other", "process", "name = " + quoted(other))};
    const auto found = wait_for_status(agent.port(), "long", "ok");
    CHECK(contains(message_of(found), "(pid " + std::to_string(child.pid()) + ")"));
    CHECK(required_metric(found, "count") == 1);
    const auto missing = wait_until_not_pending(agent.port(), "other", 10s);
    CHECK(status_of(missing) == "error");
    CHECK(required_metric(missing, "count") == 0);
}

TEST_CASE("process: a command-line pattern counts every match, against min and max") {
    const std::string tag = "vitals-marker-" + unique_tag();
    std::vector<std::unique_ptr<Child>> children;
    for (int i = 0; i < 3; ++i)
        children.push_back(std::make_unique<Child>(
            "/bin/sleep", std::vector<std::string>{tag + "-sleeper", "300"}));
    // The pattern is a regular expression: "[-]" proves it is not taken literally.
    const std::string pattern = quoted(tag + "[-]sleeper 300$");

    Agent agent{check_toml("at_most_two", "process", "pattern = " + pattern + ", max = 2") +
                check_toml("at_least_three", "process", "pattern = " + pattern + ", min = 3")};

    const auto too_many = wait_for_status(agent.port(), "at_most_two", "error");
    CHECK(required_metric(too_many, "count") == 3);
    CHECK(contains(message_of(too_many), "3 processes matching \"" + tag + "[-]sleeper 300$\""));
    CHECK(contains(message_of(too_many), "expected at most 2"));
    for (const auto &child : children)
        CHECK(contains(message_of(too_many), std::to_string(child->pid())));
    CHECK(status_of(wait_for_status(agent.port(), "at_least_three", "ok")) == "ok");

    children.pop_back(); // killed and reaped
    const auto two = wait_for_status(agent.port(), "at_most_two", "ok");
    CHECK(required_metric(two, "count") == 2);
    const auto short_one = wait_for_status(agent.port(), "at_least_three", "error");
    CHECK(contains(message_of(short_one), "2 processes matching"));
    CHECK(contains(message_of(short_one), "expected at least 3"));
}

TEST_CASE("process: a pid file, alone or with a name that must match") {
    TempDir dir;
    const std::string name = "vp" + unique_tag();
    Child child{sleep_named(dir, name), {name, "300"}};
    const auto pid = std::to_string(child.pid());
    const std::string pid_file = dir.write("run/app.pid", pid + "\n").string();
    const std::string missing = (dir.path() / "run" / "missing.pid").string();
    const std::string garbage = dir.write("run/garbage.pid", "not a pid\n").string();

    Agent agent{check_toml("by_file", "process", "pid_file = " + quoted(pid_file)) +
                check_toml("wrong_name", "process",
                           "pid_file = " + quoted(pid_file) + ", name = \"vitals-nobody\"") +
                check_toml("missing", "process", "pid_file = " + quoted(missing)) +
                check_toml("garbage", "process", "pid_file = " + quoted(garbage))};

    const auto running = wait_for_status(agent.port(), "by_file", "ok");
    CHECK(message_of(running) == "1 process from " + pid_file + " (pid " + pid + ")");
    CHECK(required_metric(running, "count") == 1);

    const auto wrong = wait_until_not_pending(agent.port(), "wrong_name", 10s);
    CHECK(status_of(wrong) == "error");
    CHECK(contains(message_of(wrong), "pid " + pid + " is another process"));

    const auto absent = wait_until_not_pending(agent.port(), "missing", 10s);
    CHECK(status_of(absent) == "error");
    CHECK(contains(message_of(absent), missing + " does not exist"));

    const auto unreadable = wait_until_not_pending(agent.port(), "garbage", 10s);
    CHECK(status_of(unreadable) == "error");
    CHECK(contains(message_of(unreadable), "does not hold a process ID: \"not a pid\""));

    child.kill();
    child.reap();
    const auto dead = wait_for_status(agent.port(), "by_file", "error");
    CHECK(contains(message_of(dead), "pid " + pid + " is not running"));
    CHECK(required_metric(dead, "count") == 0);
}

TEST_CASE("process: min = 0 and max = 0 assert that nothing runs") {
    const std::string name = "vn" + unique_tag();
    Agent agent{check_toml("absent", "process", "name = " + quoted(name) + ", min = 0, max = 0")};
    const auto check = wait_until_not_pending(agent.port(), "absent", 10s);
    CHECK(status_of(check) == "ok");
    CHECK(message_of(check) == "no process named " + name);
}

TEST_CASE("process: parameters are validated") {
    const auto check =
        check_config(check_toml("nothing", "process", "min = 1") +
                     check_toml("path_name", "process", "name = \"/usr/sbin/cron\"") +
                     check_toml("empty_name", "process", "name = \"\"") +
                     check_toml("bad_regex", "process", "pattern = \"worker(\"") +
                     check_toml("relative", "process", "pid_file = \"run/app.pid\"") +
                     check_toml("negative", "process", "name = \"cron\", min = -1") +
                     check_toml("inverted", "process", "name = \"cron\", min = 3, max = 2") +
                     check_toml("fraction", "process", "name = \"cron\", max = 1.5") +
                     check_toml("fine", "process",
                                "name = \"cron\", pattern = \"^/usr/sbin/cron\", pid_file = "
                                "\"/run/crond.pid\", min = 0, max = 1"));
    expect_rejected(check, "check.nothing.params", "set at least one of name, pattern or pid_file");
    expect_rejected(check, "check.path_name.params.name", "is a process name, not a path");
    expect_rejected(check, "check.empty_name.params.name", "must not be empty");
    expect_rejected(check, "check.bad_regex.params.pattern",
                    "is not a valid extended regular expression");
    expect_rejected(check, "check.relative.params.pid_file", "must be an absolute path");
    expect_rejected(check, "check.negative.params.min", "must be 0 or more, got -1");
    expect_rejected(check, "check.inverted.params.max", "must not be below min (2 < 3)");
    expect_rejected(check, "check.fraction.params.max", "expected an integer");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE(!key.starts_with("check.fine."), key << ": " << message);
    CHECK(check.problems.size() == 8);
}
