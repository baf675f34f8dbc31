// One notifier's alerts waiting for their receiver, sent in order by a thread of its own.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alert_ledger.hpp"
#include "alerts/notifier.hpp"
#include "core/clock.hpp"
#include "results/agent_status.hpp"

namespace vitals {

/// Alerts go out oldest first, one at a time: a receiver that is down holds the ones
/// behind it (their order is what a reader of them expects), retried with a backoff that
/// doubles from `first_backoff` to `max_backoff`. A full queue drops its oldest alert,
/// counted. Every alert queued or gone is told to the ledger, so a restart resumes the
/// queue where it was.
class DeliveryQueue {
public:
    static constexpr auto first_backoff = std::chrono::seconds{1};
    static constexpr auto max_backoff = std::chrono::minutes{5};

    DeliveryQueue(std::string notifier, std::shared_ptr<Notifier> sender, std::size_t capacity,
                  std::shared_ptr<NotifierHealth> health, AlertLedger &ledger,
                  std::shared_ptr<Clock> clock);
    ~DeliveryQueue();
    DeliveryQueue(const DeliveryQueue &) = delete;
    DeliveryQueue &operator=(const DeliveryQueue &) = delete;

    /// Adds `alert` at the back (told to the ledger unless `from_ledger`).
    void push(Alert alert, bool from_ledger = false);
    /// A reload changed the notifier's definition: later attempts use `sender`, and a
    /// smaller capacity drops the oldest now.
    void reconfigure(std::shared_ptr<Notifier> sender, std::size_t capacity);
    /// Ends the thread once an attempt in flight returns (each is bounded by the
    /// notifier's timeout). What is still queued stays in the ledger. Idempotent.
    void stop();
    /// Stops, and tells the ledger every alert still queued is gone (the notifier was
    /// removed); returns how many there were.
    std::size_t discard();

    std::size_t size() const;

private:
    void run();
    void drop_beyond(std::size_t capacity);
    /// Sleeps until `until` or a stop; false once stopping.
    bool wait(std::unique_lock<std::mutex> &lock, Clock::TimePoint until);

    const std::string notifier_;
    const std::shared_ptr<NotifierHealth> health_;
    AlertLedger &ledger_;
    const std::shared_ptr<Clock> clock_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::shared_ptr<Notifier> sender_;
    std::size_t capacity_;
    std::deque<Alert> alerts_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace vitals
