// SPDX-License-Identifier: MIT
#include "alerts/delivery_queue.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace vitals {

DeliveryQueue::DeliveryQueue(std::string notifier, std::shared_ptr<Notifier> sender,
                             std::size_t capacity, std::shared_ptr<NotifierHealth> health,
                             AlertLedger &ledger, std::shared_ptr<Clock> clock)
    : notifier_(std::move(notifier)), health_(std::move(health)), ledger_(ledger),
      clock_(std::move(clock)), sender_(std::move(sender)),
      capacity_(std::max<std::size_t>(1, capacity)) {
    thread_ = std::thread{[this] { run(); }};
}

DeliveryQueue::~DeliveryQueue() {
    stop();
}

void DeliveryQueue::push(Alert alert, bool from_ledger) {
    const std::lock_guard lock{mutex_};
    if (!from_ledger) ledger_.queued({notifier_, alert});
    alerts_.push_back(std::move(alert));
    drop_beyond(capacity_);
    health_->queued.store(alerts_.size());
    clock_->notify_all(wake_);
}

void DeliveryQueue::reconfigure(std::shared_ptr<Notifier> sender, std::size_t capacity) {
    const std::lock_guard lock{mutex_};
    sender_ = std::move(sender);
    capacity_ = std::max<std::size_t>(1, capacity);
    drop_beyond(capacity_);
    health_->queued.store(alerts_.size());
}

void DeliveryQueue::stop() {
    {
        const std::lock_guard lock{mutex_};
        stopping_ = true;
        clock_->notify_all(wake_);
    }
    if (thread_.joinable()) thread_.join();
}

std::size_t DeliveryQueue::discard() {
    stop();
    const std::lock_guard lock{mutex_};
    const std::size_t count = alerts_.size();
    for (const auto &alert : alerts_)
        ledger_.dequeued(notifier_, alert.id);
    alerts_.clear();
    health_->queued.store(0);
    return count;
}

std::size_t DeliveryQueue::size() const {
    const std::lock_guard lock{mutex_};
    return alerts_.size();
}

void DeliveryQueue::drop_beyond(std::size_t capacity) {
    std::size_t dropped = 0;
    while (alerts_.size() > capacity) {
        ledger_.dequeued(notifier_, alerts_.front().id);
        alerts_.pop_front();
        ++dropped;
    }
    if (dropped == 0) return;
    health_->dropped.fetch_add(dropped);
    log(LogLevel::warning, "alerts", "notifier {}: queue full ({} alerts), dropped the {} oldest",
        notifier_, capacity, dropped);
}

bool DeliveryQueue::wait(std::unique_lock<std::mutex> &lock, Clock::TimePoint until) {
    while (!stopping_ && clock_->now() < until)
        clock_->wait_until(wake_, lock, until);
    return !stopping_;
}

void DeliveryQueue::run() {
    Duration backoff = first_backoff;
    std::unique_lock lock{mutex_};
    while (true) {
        while (!stopping_ && alerts_.empty())
            clock_->wait_until(wake_, lock, Clock::TimePoint::max());
        if (stopping_) return;
        const Alert alert = alerts_.front();
        const std::shared_ptr<Notifier> sender = sender_;
        lock.unlock();
        const DeliveryOutcome outcome = sender->deliver(alert);
        lock.lock();
        const bool still_first = !alerts_.empty() && alerts_.front().id == alert.id;
        if (outcome.kind == DeliveryOutcome::Kind::retry) {
            health_->retried.fetch_add(1);
            health_->failed(outcome.error, clock_->system_now());
            log(LogLevel::warning, "alerts",
                "notifier {}: alert {} for {} not delivered, trying again in {} s: {}", notifier_,
                alert.id, alert.check,
                std::chrono::duration_cast<std::chrono::seconds>(backoff).count(), outcome.error);
            if (!wait(lock, clock_->now() + backoff)) return;
            backoff = std::min<Duration>(backoff * 2, max_backoff);
            continue;
        }
        backoff = first_backoff;
        if (outcome.ok()) {
            health_->delivered.fetch_add(1);
            health_->ok.store(true);
        } else {
            health_->rejected.fetch_add(1);
            health_->failed(outcome.error, clock_->system_now());
            log(LogLevel::error, "alerts",
                "notifier {}: alert {} for {} refused, not sent again: {}", notifier_, alert.id,
                alert.check, outcome.error);
        }
        // A full queue may have dropped it meanwhile: only what is still first goes.
        if (still_first) {
            ledger_.dequeued(notifier_, alert.id);
            alerts_.pop_front();
        }
        health_->queued.store(alerts_.size());
    }
}

} // namespace vitals
