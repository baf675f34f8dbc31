// Raising the file descriptor limit to what the HTTP server needs. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>

#include "core/descriptor_limit.hpp"

namespace {

rlimit current() {
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    return limit;
}

/// Sets the soft limit for the test and puts the original back after (each test
/// case runs in a process of its own under CTest).
class SoftLimit {
public:
    explicit SoftLimit(rlim_t soft) : saved_(current()) {
        rlimit lowered = saved_;
        lowered.rlim_cur = soft;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    }
    ~SoftLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    rlim_t hard() const { return saved_.rlim_max; }

private:
    rlimit saved_;
};

} // namespace

TEST_CASE("descriptor limit: a low soft limit is raised to what is wanted, never lowered") {
    SoftLimit low{256};
    const rlim_t wanted = std::min<rlim_t>(2048, low.hard());
    REQUIRE(wanted > 512);
    const auto raised = vitals::raise_descriptor_limit(wanted);
    CHECK(raised.before == 256);
    CHECK(raised.now == wanted);
    CHECK(current().rlim_cur == wanted);
    const auto again = vitals::raise_descriptor_limit(512);
    CHECK(again.before == wanted);
    CHECK(again.now == wanted);
    CHECK(current().rlim_cur == wanted);
}

TEST_CASE("descriptor limit: no further than the hard limit") {
    SoftLimit low{256};
    const auto raised = vitals::raise_descriptor_limit(low.hard() + 1000);
    CHECK(raised.now == low.hard());
    CHECK(current().rlim_cur == low.hard());
}
