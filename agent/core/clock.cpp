// SPDX-License-Identifier: MIT
#include "core/clock.hpp"

namespace vitals {

namespace {

class RealClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
    SystemTime system_now() const override { return std::chrono::system_clock::now(); }
    void wait_until(std::condition_variable &wake, std::unique_lock<std::mutex> &lock,
                    TimePoint until) override {
        // No deadline at all is a plain wait: wait_until(max) overflows converting to the
        // condition variable's own clock.
        if (until == TimePoint::max())
            wake.wait(lock);
        else
            wake.wait_until(lock, until);
    }
    void notify_one(std::condition_variable &wake) override { wake.notify_one(); }
    void notify_all(std::condition_variable &wake) override { wake.notify_all(); }
};

} // namespace

std::shared_ptr<Clock> real_clock() {
    static const std::shared_ptr<Clock> clock = std::make_shared<RealClock>();
    return clock;
}

} // namespace vitals
