// The time the agent reads and the waits it times by it, injectable. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace vitals {

/// Where a component that plans by time gets it: now(), and the sleeps that wait for a
/// time to come. Production passes real_clock(); a test passes a manual clock
/// (tests/support/manual_clock.hpp) that moves only when told, so an hour of schedule
/// runs in milliseconds and no test sleeps.
///
/// Wake-ups go through the clock as well as the waits. A manual clock then knows which
/// threads sleep with nothing left to wake them before time moves again, and a test
/// can wait for exactly that moment instead of for a while.
///
/// Thread-safe.
class Clock {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using SystemTime = std::chrono::system_clock::time_point;

    virtual ~Clock() = default;

    /// Monotonic: what due times, deadlines and run durations are measured by.
    virtual TimePoint now() const = 0;
    /// The wall clock, for timestamps shown to people and the age of results.
    virtual SystemTime system_now() const = 0;
    /// Sleeps on `wake`, with `lock` released, until woken through notify_one/notify_all
    /// or until `until` (TimePoint::max(): no limit). May return before either: the
    /// caller looks at what it waits for again.
    virtual void wait_until(std::condition_variable &wake, std::unique_lock<std::mutex> &lock,
                            TimePoint until) = 0;
    /// Wakes a thread waiting on `wake` in wait_until. Call with the waiters' mutex held.
    virtual void notify_one(std::condition_variable &wake) = 0;
    /// Wakes every thread waiting on `wake` in wait_until. Call with the waiters' mutex held.
    virtual void notify_all(std::condition_variable &wake) = 0;
};

/// std::chrono::steady_clock and system_clock, waits on the condition variable itself.
/// Shared, so a thread left behind in a plugin can still use it after its owner is gone.
std::shared_ptr<Clock> real_clock();

} // namespace vitals
