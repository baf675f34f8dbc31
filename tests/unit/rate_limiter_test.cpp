// Requests per second per client: a token bucket each, driven by the times the test
// gives it. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "http/server/rate_limiter.hpp"

namespace {

using namespace std::chrono_literals;
using vitals::RateLimiter;

/// Far from the clock's epoch, as a steady clock's readings are: the limiter's first
/// cleanup is due 10 s after the epoch.
const RateLimiter::Clock::time_point t0 = RateLimiter::Clock::time_point{} + 1h;

/// How many requests in a row `client` may make at `now`, asking at most `up_to` times.
int allowed_in_a_row(RateLimiter &limiter, const std::string &client,
                     RateLimiter::Clock::time_point now, int up_to = 100) {
    unsigned retry_after = 0;
    for (int made = 0; made < up_to; ++made)
        if (!limiter.allow(client, now, retry_after)) return made;
    return up_to;
}

/// The Retry-After a refused request from `client` at `now` gets (0 if it was allowed).
unsigned retry_after_at(RateLimiter &limiter, const std::string &client,
                        RateLimiter::Clock::time_point now) {
    unsigned retry_after = 0;
    return limiter.allow(client, now, retry_after) ? 0 : retry_after;
}

} // namespace

TEST_CASE("rate limiter: a rate of 0 turns limiting off") {
    RateLimiter limiter{0, 1};
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0, 1000) == 1000);
}

TEST_CASE("rate limiter: a new client may make its burst at once, then waits") {
    RateLimiter limiter{2, 5};
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0) == 5);
    CHECK(retry_after_at(limiter, "10.0.0.1", t0) == 1);
}

TEST_CASE("rate limiter: a burst of 0 still allows one request") {
    RateLimiter limiter{1, 0};
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0) == 1);
}

TEST_CASE("rate limiter: tokens come back at the rate, and no faster") {
    RateLimiter limiter{2, 3};
    REQUIRE(allowed_in_a_row(limiter, "10.0.0.1", t0) == 3);
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0 + 250ms) == 0); // half a token
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0 + 500ms) == 1);
    // 1.5 s after that: three tokens. Then 7 s idle, fourteen tokens' worth (and before
    // the cleanup, 10 s after the first request, could start the bucket afresh): still
    // three, as the burst is the most a bucket holds.
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0 + 2s) == 3);
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0 + 9s) == 3);
}

TEST_CASE("rate limiter: Retry-After is the whole seconds until the next token, at least 1") {
    RateLimiter limiter{0.25, 1}; // a token every 4 s
    REQUIRE(allowed_in_a_row(limiter, "10.0.0.1", t0) == 1);
    CHECK(retry_after_at(limiter, "10.0.0.1", t0) == 4);
    CHECK(retry_after_at(limiter, "10.0.0.1", t0 + 1s) == 3);
    CHECK(retry_after_at(limiter, "10.0.0.1", t0 + 3500ms) == 1);
    CHECK(retry_after_at(limiter, "10.0.0.1", t0 + 4s) == 0); // allowed again

    RateLimiter fast{100, 1};
    REQUIRE(allowed_in_a_row(fast, "10.0.0.1", t0) == 1);
    CHECK(retry_after_at(fast, "10.0.0.1", t0) == 1); // 10 ms away, said as 1 s
}

TEST_CASE("rate limiter: each client address has a bucket of its own") {
    RateLimiter limiter{1, 2};
    REQUIRE(allowed_in_a_row(limiter, "10.0.0.1", t0) == 2);
    CHECK(allowed_in_a_row(limiter, "10.0.0.2", t0) == 2);
    CHECK(allowed_in_a_row(limiter, "::1", t0) == 2);
    CHECK(allowed_in_a_row(limiter, "10.0.0.1", t0) == 0);
}

TEST_CASE("rate limiter: the cleanup of full buckets keeps the ones still refilling") {
    // A token every 10 s, burst 5: a drained bucket takes 50 s to fill again. The cleanup
    // runs at most every 10 s, on any client's request; forgetting this bucket would hand
    // the client a full burst again.
    RateLimiter limiter{0.1, 5};
    REQUIRE(allowed_in_a_row(limiter, "drained", t0) == 5);
    REQUIRE(allowed_in_a_row(limiter, "passer-by", t0 + 10s) == 5); // runs the cleanup
    CHECK(allowed_in_a_row(limiter, "drained", t0 + 10s) == 1);
    // Full again at t0 + 60 s: forgotten or not, the same burst.
    REQUIRE(allowed_in_a_row(limiter, "passer-by", t0 + 2min) == 5);
    CHECK(allowed_in_a_row(limiter, "drained", t0 + 2min) == 5);
}
