// A clock that moves only when a test moves it. SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/clock.hpp"
#include "core/duration.hpp"

namespace vitals::test {

/// Time stands still until advance_to(): a test runs an hour of schedule in
/// milliseconds, and no thread sleeps on the real clock. A thread in wait_until()
/// sleeps until time reaches its `until` or notify_*() wakes it, nothing else (not even
/// a spurious wake-up). settle() waits until every thread of the code under test sleeps
/// so, with its time still to come: everything due by now() has happened.
class ManualClock final : public Clock {
public:
    /// Starts at a whole hour (grids of due times line up with the tests' arithmetic),
    /// the wall clock at the real one's current second.
    ManualClock()
        : start_(std::chrono::hours{1000}), now_(start_),
          system_start_(
              std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())) {}

    TimePoint now() const override {
        const std::lock_guard guard{mutex_};
        return now_;
    }
    SystemTime system_now() const override {
        const std::lock_guard guard{mutex_};
        return system_start_ + std::chrono::duration_cast<SystemTime::duration>(now_ - start_);
    }
    TimePoint start() const { return start_; }

    void wait_until(std::condition_variable &wake, std::unique_lock<std::mutex> &lock,
                    TimePoint until) override {
        Sleeper sleeper{&wake, lock.mutex(), until};
        {
            const std::lock_guard guard{mutex_};
            if (until <= now_) return;
            sleepers_.push_back(&sleeper);
            changed_.notify_all();
        }
        // Whoever wakes it holds `lock`'s mutex meanwhile (see advance_to), so the
        // wake-up cannot come between this look and the wait.
        while (!woken(sleeper))
            wake.wait(lock);
    }
    void notify_one(std::condition_variable &wake) override { wake_sleepers_on(wake, 1); }
    void notify_all(std::condition_variable &wake) override {
        wake_sleepers_on(wake, std::numeric_limits<std::size_t>::max());
    }

    /// Moves time on to `time` (never back) and wakes whoever sleeps until then.
    void advance_to(TimePoint time) {
        std::vector<std::mutex *> mutexes;
        {
            const std::lock_guard guard{mutex_};
            now_ = std::max(now_, time);
            for (const Sleeper *sleeper : sleepers_)
                if (sleeper->until <= now_ &&
                    std::find(mutexes.begin(), mutexes.end(), sleeper->mutex) == mutexes.end())
                    mutexes.push_back(sleeper->mutex);
        }
        // Each sleeper is woken with its own mutex held, as notify_*() requires of its
        // callers: else one between registering and waiting would miss it.
        for (std::mutex *mutex : mutexes) {
            const std::lock_guard held{*mutex};
            const std::lock_guard guard{mutex_};
            std::erase_if(sleepers_, [&](Sleeper *sleeper) {
                if (sleeper->mutex != mutex || sleeper->until > now_) return false;
                wake_locked(*sleeper);
                return true;
            });
        }
    }
    void advance(Duration step) { advance_to(now() + step); }

    /// The earliest time a sleeper waits for, if any has a limit.
    std::optional<TimePoint> next_wakeup() const {
        const std::lock_guard guard{mutex_};
        std::optional<TimePoint> next;
        for (const Sleeper *sleeper : sleepers_)
            if (sleeper->until != TimePoint::max() && (!next || sleeper->until < *next))
                next = sleeper->until;
        return next;
    }

    /// Waits until `threads()` threads sleep in wait_until, each until a time still to
    /// come or until notified, and none has a wake-up on its way. `threads` must count
    /// every thread that may still act on its own (a pool's size, which a thread that
    /// leaves lowers before its last notify_*()). Throws if that takes 10 real seconds: the
    /// code under test has hung.
    void settle(const std::function<std::size_t()> &threads) {
        std::unique_lock lock{mutex_};
        const auto asleep = [&] {
            return static_cast<std::size_t>(
                std::count_if(sleepers_.begin(), sleepers_.end(),
                              [&](const Sleeper *sleeper) { return sleeper->until > now_; }));
        };
        if (!changed_.wait_for(lock, std::chrono::seconds{10},
                               [&] { return asleep() == threads(); }))
            throw std::runtime_error("ManualClock::settle: threads still awake after 10 s");
    }

    /// How many sleeps have ended, by time or by notify_*(): each a thread woken up.
    std::uint64_t wakeups() const {
        const std::lock_guard guard{mutex_};
        return wakeups_;
    }

private:
    struct Sleeper {
        std::condition_variable *wake;
        std::mutex *mutex;
        TimePoint until;
        bool woken = false;
    };

    bool woken(const Sleeper &sleeper) const {
        const std::lock_guard guard{mutex_};
        return sleeper.woken;
    }
    /// With mutex_ held; the caller then takes `sleeper` off sleepers_.
    void wake_locked(Sleeper &sleeper) {
        sleeper.woken = true;
        ++wakeups_;
        sleeper.wake->notify_all();
        changed_.notify_all();
    }
    void wake_sleepers_on(std::condition_variable &wake, std::size_t count) {
        const std::lock_guard guard{mutex_};
        std::erase_if(sleepers_, [&](Sleeper *sleeper) {
            if (count == 0 || sleeper->wake != &wake) return false;
            --count;
            wake_locked(*sleeper);
            return true;
        });
        // Even with nobody to wake: a thread leaving a pool notifies as it goes, and
        // settle() must count the pool again.
        changed_.notify_all();
    }

    const TimePoint start_;
    mutable std::mutex mutex_;
    std::condition_variable changed_; ///< a sleeper came or went: for settle()
    TimePoint now_;
    const SystemTime system_start_;
    std::vector<Sleeper *> sleepers_;
    std::uint64_t wakeups_ = 0;
};

} // namespace vitals::test
