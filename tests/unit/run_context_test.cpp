// ABI 1.1's run context on the host side: run_info() from a check's history, and cancel_fd().
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>

#include "checks/check.hpp"
#include "checks/host_context.hpp"
#include "support/check_fixture.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

/// Reports the statuses it is given in turn, and keeps the history each run was handed.
class ScriptedRunner final : public PluginRunner {
public:
    ScriptedRunner(std::vector<Status> statuses, std::vector<RunHistory> &seen)
        : statuses_(std::move(statuses)), seen_(seen) {}

    CheckResult run(std::chrono::steady_clock::time_point, const RunHistory &history) override {
        seen_.push_back(history);
        CheckResult result;
        result.status = statuses_[(seen_.size() - 1) % statuses_.size()];
        return result;
    }

private:
    std::vector<Status> statuses_;
    std::vector<RunHistory> &seen_;
};

bool readable(int fd, int wait_ms) {
    pollfd ready{fd, POLLIN, 0};
    return ::poll(&ready, 1, wait_ms) == 1 && (ready.revents & POLLIN) != 0;
}

} // namespace

TEST_CASE("run context: a check's runs count the non-ok results in a row before each") {
    std::vector<RunHistory> seen;
    Check check{definition("c", "sleepy", ""), "test",
                std::make_unique<ScriptedRunner>(
                    std::vector{Status::error, Status::warning, Status::ok, Status::error}, seen)};
    const auto later = std::chrono::steady_clock::now() + 1h;
    for (int i = 0; i < 5; ++i)
        check.run(later);
    REQUIRE(seen.size() == 5);
    CHECK(!seen[0].previous);
    CHECK(seen[0].attempt() == 1);
    CHECK(seen[1].previous == Status::error);
    CHECK(seen[1].attempt() == 2);
    CHECK(seen[2].previous == Status::warning);
    CHECK(seen[2].attempt() == 3);
    CHECK(seen[3].previous == Status::ok);
    CHECK(seen[3].attempt() == 1);
    CHECK(seen[4].previous == Status::error);
    CHECK(seen[4].attempt() == 2);
}

TEST_CASE("run context: a run that returns after its deadline counts as an error") {
    std::vector<RunHistory> seen;
    Check check{definition("c", "sleepy", ""), "test",
                std::make_unique<ScriptedRunner>(std::vector{Status::ok}, seen)};
    check.run(std::chrono::steady_clock::now() - 1ms); // the scheduler recorded a timeout
    check.run(std::chrono::steady_clock::now() + 1h);
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].previous == Status::error);
    CHECK(seen[1].attempt() == 2);
}

TEST_CASE("run context: run_info gives the check, its schedule and its history") {
    RunHistory history;
    history.add(Status::warning);
    history.add(Status::error);
    RunContext run{"disk_root", nullptr, std::chrono::steady_clock::now() + 1s, {30s, 5s}, history};
    const vitals_run_info *info = host_api().run_info(&run);
    REQUIRE(info != nullptr);
    CHECK(info->struct_size == sizeof(vitals_run_info));
    CHECK(std::string{info->check_name} == "disk_root");
    CHECK(info->interval_ns == 30'000'000'000);
    CHECK(info->timeout_ns == 5'000'000'000);
    CHECK(info->attempt == 3);
    CHECK(info->previous_status == VITALS_STATUS_ERROR);

    // Outside run(): no attempt, no previous status.
    const auto definition = test::definition("disk_root", "sleepy", "", 30s, 5s);
    ConfigErrors errors;
    const auto plugin = test_plugin("sleepy");
    CreateContext create{definition, *plugin, errors};
    info = host_api().run_info(&create);
    CHECK(std::string{info->check_name} == "disk_root");
    CHECK(info->interval_ns == 30'000'000'000);
    CHECK(info->attempt == 0);
    CHECK(info->previous_status == -1);
}

TEST_CASE("run context: cancel_fd becomes readable at the deadline and is closed after the run") {
    int fd = -1;
    {
        RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 200ms};
        fd = host_api().cancel_fd(&run);
        REQUIRE(fd >= 0);
        CHECK(host_api().cancel_fd(&run) == fd); // one descriptor per run
        CHECK(!readable(fd, 0));
        const auto start = std::chrono::steady_clock::now();
        CHECK(readable(fd, 5000));
        CHECK(std::chrono::steady_clock::now() - start >= 150ms);
    }
    CHECK(::fcntl(fd, F_GETFD) == -1); // closed with the run's context
    CHECK(errno == EBADF);

    RunContext late{"c", nullptr, std::chrono::steady_clock::now() - 1s};
    CHECK(readable(host_api().cancel_fd(&late), 0)); // past already: readable at once

    // Outside run() there is none.
    const auto definition = test::definition("c", "sleepy", "");
    ConfigErrors errors;
    const auto plugin = test_plugin("sleepy");
    CreateContext create{definition, *plugin, errors};
    CHECK(host_api().cancel_fd(&create) == -1);
}
