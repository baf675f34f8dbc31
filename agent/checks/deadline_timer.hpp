// A descriptor that becomes readable at a deadline: cancel_fd(). SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

namespace vitals {

/// A timerfd armed at one steady_clock time point (CLOCK_MONOTONIC, as steady_clock is on
/// Linux), made only when first asked for: most runs never call cancel_fd(), and a descriptor
/// per run would count against the agent's limit for nothing. Readable (POLLIN) from the
/// deadline on, and closed with this object. Not thread-safe: one run's thread uses it.
class DeadlineTimer {
public:
    explicit DeadlineTimer(std::chrono::steady_clock::time_point deadline) : deadline_(deadline) {}
    ~DeadlineTimer();
    DeadlineTimer(const DeadlineTimer &) = delete;
    DeadlineTimer &operator=(const DeadlineTimer &) = delete;

    /// The descriptor, made and armed on the first call; -1 when it cannot be made (then
    /// every later call says -1 too, without trying again).
    int fd();

private:
    std::chrono::steady_clock::time_point deadline_;
    int fd_ = -1;
    bool tried_ = false;
};

} // namespace vitals
