// Result store: what status a check reports, given its results and thresholds.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "results/result_store.hpp"

using namespace vitals;

namespace {

/// A store of one check, "c", with these thresholds.
ResultStore store_with(unsigned failure_threshold, unsigned success_threshold) {
    CheckInfo info;
    info.name = "c";
    info.failure_threshold = failure_threshold;
    info.success_threshold = success_threshold;
    return ResultStore{{info}};
}

/// Records each status in turn; returns the reported status after each.
std::vector<Status> reported_after(ResultStore &store, const std::vector<Status> &results) {
    std::vector<Status> reported;
    for (const Status status : results) {
        CheckResult result;
        result.status = status;
        store.record("c", result);
        reported.push_back(store.find("c")->reported);
    }
    return reported;
}

constexpr Status ok = Status::ok, warning = Status::warning, error = Status::error;

} // namespace

TEST_CASE("results: the first result is reported as it is") {
    auto store = store_with(3, 3);
    CHECK(reported_after(store, {error}) == std::vector{error});
}

TEST_CASE("results: a worse status needs failure_threshold results in a row") {
    auto store = store_with(3, 1);
    CHECK(reported_after(store, {ok, error, error, ok, error, error, error}) ==
          std::vector{ok, ok, ok, ok, ok, ok, error});
}

TEST_CASE("results: warning and error count together as failures") {
    auto store = store_with(3, 1);
    // Every result after the first is a failure: the third reports what all three reached.
    CHECK(reported_after(store, {ok, warning, error, warning, error, warning}) ==
          std::vector{ok, ok, ok, warning, warning, warning});
    // Once errors alone fill the threshold, error.
    CHECK(reported_after(store, {error, error, error}) == std::vector{warning, warning, error});
}

TEST_CASE("results: warning is better than error, so it is a success from error") {
    auto store = store_with(1, 2);
    CHECK(reported_after(store, {error, ok, warning, ok, ok}) ==
          std::vector{error, error, warning, warning, ok});
}

TEST_CASE("results: counting does not restart when the reported status changes") {
    // The last failure_threshold results decide: the error that completed a run of
    // failures (reporting warning) is also the first of three errors in a row.
    auto store = store_with(3, 1);
    CHECK(reported_after(store, {ok, warning, warning, error, error, error}) ==
          std::vector{ok, ok, ok, warning, warning, error});
}

TEST_CASE("results: thresholds of 1 report every result at once") {
    auto store = store_with(1, 1);
    CHECK(reported_after(store, {ok, warning, error, ok, error, warning}) ==
          std::vector{ok, warning, error, ok, error, warning});
}

TEST_CASE("results: startup is complete once every startup check has passed, and stays so") {
    const auto in = [](std::string name, std::vector<std::string> groups) {
        CheckInfo info;
        info.name = std::move(name);
        info.groups = std::move(groups);
        return info;
    };
    const auto result = [](Status status) {
        CheckResult r;
        r.status = status;
        return r;
    };
    ResultStore store{{in("a", {"startup"}), in("b", {"startup", "live"}), in("c", {})}};
    CHECK_FALSE(store.startup_complete());
    store.record("a", result(error));
    store.record("c", result(ok));
    CHECK_FALSE(store.startup_complete());
    store.record("a", result(warning)); // passed: warning is not a failure to start
    store.record("a", result(ok));      // again: counted once
    CHECK_FALSE(store.startup_complete());
    store.record("b", result(ok));
    CHECK(store.startup_complete());
    store.record("b", result(error));
    store.reconcile({in("a", {"startup"}), in("d", {"startup"})}, {});
    CHECK(store.startup_complete()); // Kubernetes does not ask the startup probe again

    ResultStore none{{in("c", {})}};
    CHECK(none.startup_complete());
    ResultStore later{{in("a", {"startup"})}};
    later.reconcile({in("a", {}), in("b", {"startup"})}, {}); // a left the group, b joined
    CHECK_FALSE(later.startup_complete());
    later.record("b", result(ok));
    CHECK(later.startup_complete());
}

TEST_CASE("results: the status a check is reported with, as depends_on asks for it") {
    CheckInfo info;
    info.name = "db";
    info.interval = std::chrono::seconds{10};
    info.timeout = std::chrono::seconds{1};
    info.failure_threshold = 2;
    ResultStore store{{info}};
    const auto now = std::chrono::system_clock::now();
    CHECK_FALSE(store.reported_status("db", now)); // no result yet: pending, not failing
    CHECK_FALSE(store.reported_status("unknown", now));
    const auto result = [&](Status status, std::chrono::system_clock::time_point started) {
        CheckResult r;
        r.status = status;
        r.started = started;
        return r;
    };
    store.record("db", result(ok, now));
    CHECK(store.reported_status("db", now) == ok);
    store.record("db", result(error, now)); // one error of the two its threshold asks for
    CHECK(store.reported_status("db", now) == ok);
    store.record("db", result(error, now));
    CHECK(store.reported_status("db", now) == error);
    store.record("db", result(ok, now));
    CHECK(store.reported_status("db", now) == ok);
    // Judged at `now`: a result older than two intervals and a timeout is stale, an error.
    CHECK(store.reported_status("db", now + std::chrono::seconds{22}) == error);
}
