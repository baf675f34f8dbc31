// ScheduleLag: how late runs start, as /metrics shows it. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>

#include "scheduler/schedule_lag.hpp"

using namespace vitals;
using namespace std::chrono_literals;

TEST_CASE("schedule lag: a histogram with cumulative buckets, sum and count") {
    ScheduleLag lag;
    const ScheduleLag::TimePoint now{std::chrono::hours{1}};
    for (const Duration sample : std::initializer_list<Duration>{50us, 800us, 1ms, 4ms, 30ms, 20s})
        lag.record(sample, now);
    lag.record(-3ms, now); // an early start counts as no lag
    const auto snapshot = lag.snapshot(now);
    const auto at = [&](double bound) {
        const auto it = std::find(ScheduleLag::bounds.begin(), ScheduleLag::bounds.end(), bound);
        REQUIRE(it != ScheduleLag::bounds.end());
        return snapshot.cumulative[static_cast<std::size_t>(it - ScheduleLag::bounds.begin())];
    };
    CHECK(at(0.0001) == 2); // -3 ms (as 0) and 50 µs
    CHECK(at(0.001) == 4);  // a bound is inclusive: 1 ms is in le="0.001"
    CHECK(at(0.005) == 5);
    CHECK(at(0.05) == 6);
    CHECK(at(10) == 6); // 20 s lies beyond every bound: only in +Inf, that is the count
    CHECK(snapshot.count == 7);
    CHECK(snapshot.sum_seconds == doctest::Approx(20.03585));
}

TEST_CASE("schedule lag: the maximum covers about the last minute, then ages out") {
    ScheduleLag lag;
    const ScheduleLag::TimePoint t{std::chrono::hours{1}};
    CHECK(lag.snapshot(t).recent_max_seconds == 0);
    lag.record(30ms, t + 1s);
    lag.record(2ms, t + 45s);
    CHECK(lag.snapshot(t + 50s).recent_max_seconds == doctest::Approx(0.030));
    // 70 s on, the 30 ms run is older than the window; the 2 ms one is not.
    CHECK(lag.snapshot(t + 71s).recent_max_seconds == doctest::Approx(0.002));
    CHECK(lag.snapshot(t + 5min).recent_max_seconds == 0);
    // The count and histogram never age: Prometheus computes rates from them.
    CHECK(lag.snapshot(t + 5min).count == 2);
}
