// Requests per second per client address. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vitals {

/// A token bucket per client address, shared by every connection.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    /// `per_second` 0 turns limiting off.
    RateLimiter(double per_second, unsigned burst);

    /// True when `client` may make a request now; otherwise `retry_after` says
    /// when the next one would be allowed (whole seconds, at least 1).
    bool allow(const std::string &client, Clock::time_point now, unsigned &retry_after);

private:
    struct Bucket {
        double tokens;
        Clock::time_point refilled;
    };
    void forget_idle(Clock::time_point now);

    double per_second_;
    double burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    Clock::time_point last_cleanup_{};
};

} // namespace vitals
