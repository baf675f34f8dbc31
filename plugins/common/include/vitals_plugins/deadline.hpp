// The deadline a shipped plugin works to within one run, and that deadline in the forms
// system calls and client libraries take. SPDX-License-Identifier: MIT
#pragma once

#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <optional>

namespace vitals::plugins {

using Clock = std::chrono::steady_clock;

/// How much earlier than the host's own deadline a run should give up: a tenth of the time
/// left, at most `cap`. The run's own "timed out after ..." then reaches the host before the
/// host gives up on it and discards a late result as a timeout without details.
inline std::chrono::nanoseconds
deadline_margin(std::chrono::nanoseconds time_left,
                std::chrono::nanoseconds cap = std::chrono::milliseconds{100}) {
    return std::min<std::chrono::nanoseconds>(time_left / 10, cap);
}

/// The deadline this run works to: a little before the host's own (see deadline_margin), or
/// nothing when no time is left at all.
inline std::optional<Clock::time_point> work_deadline(std::chrono::nanoseconds time_left) {
    if (time_left <= std::chrono::nanoseconds::zero()) return std::nullopt;
    return Clock::now() + (time_left - deadline_margin(time_left));
}

/// The poll() timeout for what is left: rounded up, so that poll never returns early in a
/// busy loop of zero-millisecond waits, and never negative, which poll reads as "forever".
inline int poll_timeout_ms(std::chrono::nanoseconds left) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(
        std::max(left, std::chrono::nanoseconds::zero()));
    return static_cast<int>(std::min<std::chrono::milliseconds::rep>(ms.count(), INT_MAX));
}

/// What is left before the deadline as a timeval, at least a millisecond: client libraries
/// read a zero timeval as "no timeout at all" (hiredis) or fail at once without saying
/// "timeout" (rabbitmq-c).
inline timeval timeval_until(Clock::time_point deadline) {
    const auto left =
        std::max<std::chrono::nanoseconds>(deadline - Clock::now(), std::chrono::milliseconds{1});
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    return timeval{.tv_sec = static_cast<time_t>(micros / 1'000'000),
                   .tv_usec = static_cast<suseconds_t>(micros % 1'000'000)};
}

} // namespace vitals::plugins
