// ManualClock, the time the scheduler's unit tests run on. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/manual_clock.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

/// A thread that sleeps on the clock until `until`, or until notified, once.
struct Sleeper {
    ManualClock &clock;
    std::mutex mutex;
    std::condition_variable wake;
    std::atomic<bool> awake{false};
    std::thread thread;

    Sleeper(ManualClock &on, Clock::TimePoint until) : clock(on) {
        thread = std::thread{[this, until] {
            std::unique_lock lock{mutex};
            clock.wait_until(wake, lock, until);
            awake = true;
        }};
    }
    ~Sleeper() {
        if (thread.joinable()) thread.join();
    }
};

} // namespace

TEST_CASE("manual clock: time moves only when told, the wall clock with it") {
    ManualClock clock;
    const auto start = clock.now();
    const auto wall = clock.system_now();
    CHECK(clock.now() == start);
    clock.advance(90s);
    CHECK(clock.now() - start == 90s);
    CHECK(clock.system_now() - wall == 90s);
    clock.advance_to(start); // never back
    CHECK(clock.now() - start == 90s);
}

TEST_CASE("manual clock: a sleeper wakes when time reaches its time, not before") {
    ManualClock clock;
    Sleeper sleeper{clock, clock.now() + 10s};
    clock.settle([] { return 1; });
    CHECK(clock.next_wakeup() == clock.now() + 10s);
    clock.advance(9s);
    clock.settle([] { return 1; }); // still asleep: its time is yet to come
    CHECK_FALSE(sleeper.awake);
    clock.advance(1s);
    sleeper.thread.join();
    CHECK(sleeper.awake);
    CHECK(clock.wakeups() == 1);
    CHECK_FALSE(clock.next_wakeup());
}

TEST_CASE("manual clock: a notified sleeper wakes with time standing still") {
    ManualClock clock;
    Sleeper sleeper{clock, Clock::TimePoint::max()};
    clock.settle([] { return 1; });
    CHECK_FALSE(clock.next_wakeup()); // no time of its own
    {
        const std::lock_guard lock{sleeper.mutex};
        clock.notify_all(sleeper.wake);
    }
    CHECK(clock.wakeups() == 1);
    sleeper.thread.join();
    CHECK(sleeper.awake);
}

TEST_CASE("manual clock: a wait for a time already passed does not sleep") {
    ManualClock clock;
    std::mutex mutex;
    std::condition_variable wake;
    std::unique_lock lock{mutex};
    clock.wait_until(wake, lock, clock.now());
    CHECK(clock.wakeups() == 0);
}
