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
