// SPDX-License-Identifier: MIT
#include "http/server/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace vitals {

RateLimiter::RateLimiter(double per_second, unsigned burst)
    : per_second_(per_second), burst_(std::max(1.0, static_cast<double>(burst))) {}

bool RateLimiter::allow(const std::string &client, Clock::time_point now, unsigned &retry_after) {
    if (per_second_ <= 0) return true;
    const std::lock_guard lock{mutex_};
    forget_idle(now);
    auto [slot, added] = buckets_.try_emplace(client, Bucket{burst_, now});
    Bucket &bucket = slot->second;
    const std::chrono::duration<double> elapsed = now - bucket.refilled;
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed.count() * per_second_);
    bucket.refilled = now;
    if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return true;
    }
    retry_after =
        static_cast<unsigned>(std::max(1.0, std::ceil((1 - bucket.tokens) / per_second_)));
    return false;
}

/// A bucket full again is the same as no bucket: drop those now and then, so
/// many one-off clients do not grow the table for ever.
void RateLimiter::forget_idle(Clock::time_point now) {
    if (now - last_cleanup_ < std::chrono::seconds{10}) return;
    last_cleanup_ = now;
    const auto refill_time = std::chrono::duration<double>(burst_ / per_second_);
    std::erase_if(buckets_,
                  [&](const auto &entry) { return now - entry.second.refilled > refill_time; });
}

} // namespace vitals
