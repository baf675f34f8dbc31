// A push check's inbox on the real clock: a report is recorded at once, and silence past
// the ttl becomes an error, dated when the ttl ran out. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "push/push_inbox.hpp"
#include "results/result_store.hpp"

namespace {

using namespace vitals;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

} // namespace

TEST_CASE("push inbox: a report is recorded at once, an expiry once per silence") {
    CheckInfo info;
    info.name = "job";
    info.ttl = 150ms;
    ResultStore results{{info}};
    PushInbox inbox{"job", 150ms};
    inbox.expire_if_due(); // not attached: nothing to record into, nothing happens
    inbox.attach(results);
    CheckResult report;
    report.status = Status::warning;
    report.message = "slow";
    report.started = Clock::now();
    inbox.accept(report);
    CHECK(results.find("job")->last->message == "slow");
    inbox.expire_if_due(); // within the ttl
    CHECK(results.history("job").size() == 1);
    // Noticed long after the ttl: a busy machine may delay the report's own date by as
    // much as it likes short of that, and the two dates stay told apart.
    std::this_thread::sleep_for(600ms);
    inbox.expire_if_due();
    inbox.expire_if_due(); // the same silence: recorded once
    const auto history = results.history("job");
    REQUIRE(history.size() == 2);
    CHECK(history[0].status == Status::error);
    CHECK(history[0].message == "no report for 150ms");
    // Dated when the ttl ran out, not when it was noticed.
    CHECK(history[0].started - history[1].started >= 150ms);
    CHECK(history[0].started - history[1].started < 600ms);
    inbox.accept(report);
    CHECK(results.find("job")->reported == Status::warning);
}
