// File descriptors in the shipped plugins and the agent: who closes them, and waiting on one
// with a deadline. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <utility>

namespace vitals::plugins {

/// Owns a descriptor so that every way out of a function, exceptions included, closes it:
/// a plugin runs inside the agent for months, and a leaked descriptor per run adds up. The
/// agent's own descriptors (plugin images, worker sockets) are held the same way.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
    UniqueFd &operator=(UniqueFd &&other) noexcept {
        reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }

    /// Closes the descriptor held, if any (unless it is `fd` itself), and holds `fd` instead.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0 && fd_ != fd) ::close(fd_);
        fd_ = fd;
    }

    /// Hands the descriptor over to a new owner (a client library) without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

/// Waits until `fd` is ready for `events` or the deadline passes: 0 when ready, ETIMEDOUT
/// after the deadline, else an errno value. Errors and hang-ups count as ready: whoever reads
/// or writes next is the one to find and describe them.
inline int wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const std::chrono::nanoseconds left = deadline - Clock::now();
        if (left <= std::chrono::nanoseconds::zero()) return ETIMEDOUT;
        pollfd waiting{.fd = fd, .events = events, .revents = 0};
        const int ready = ::poll(&waiting, 1, poll_timeout_ms(left));
        if (ready < 0 && errno == EINTR) continue; // a signal says nothing about the descriptor
        if (ready < 0) return errno;
        if (ready > 0) return 0;
        // ready == 0: the deadline test above decides, not poll's rounding.
    }
}

} // namespace vitals::plugins
