// SPDX-License-Identifier: MIT
#include "checks/deadline_timer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/log.hpp"

namespace vitals {
namespace {

constexpr long nanoseconds_per_second = 1'000'000'000;

timespec to_timespec(std::chrono::steady_clock::time_point when) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch());
    // it_value zero disarms a timer: a deadline at (or before) the clock's epoch fires at once.
    const auto count = std::max<std::chrono::nanoseconds::rep>(ns.count(), 1);
    return {static_cast<time_t>(count / nanoseconds_per_second),
            static_cast<long>(count % nanoseconds_per_second)};
}

} // namespace

DeadlineTimer::~DeadlineTimer() {
    if (fd_ >= 0) ::close(fd_);
}

int DeadlineTimer::fd() {
    if (tried_) return fd_;
    tried_ = true;
    static_assert(std::chrono::steady_clock::is_steady);
    const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) {
        log(LogLevel::warning, "host", "cannot make a cancel_fd: {}", std::strerror(errno));
        return -1;
    }
    // An absolute time: a deadline already past makes it readable at once.
    const itimerspec at{{0, 0}, to_timespec(deadline_)};
    if (::timerfd_settime(fd, TFD_TIMER_ABSTIME, &at, nullptr) != 0) {
        log(LogLevel::warning, "host", "cannot arm a cancel_fd: {}", std::strerror(errno));
        ::close(fd);
        return -1;
    }
    fd_ = fd;
    return fd_;
}

} // namespace vitals
