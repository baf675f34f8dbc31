// SPDX-License-Identifier: MIT
#include "push/push_inbox.hpp"

#include "results/verdict.hpp"

namespace vitals {

PushInbox::PushInbox(std::string check, Duration ttl)
    : check_(std::move(check)), ttl_(ttl), last_heard_(SteadyClock::now()) {}

void PushInbox::attach(ResultStore &results) {
    const std::lock_guard lock{mutex_};
    results_ = &results;
}

void PushInbox::accept(CheckResult report) {
    const std::lock_guard lock{mutex_};
    last_heard_ = SteadyClock::now();
    expiry_recorded_ = false;
    if (results_) results_->record(check_, std::move(report));
}

void PushInbox::expire_if_due() {
    const std::lock_guard lock{mutex_};
    const auto now = SteadyClock::now();
    const auto deadline = last_heard_ + ttl_;
    if (expiry_recorded_ || now < deadline || !results_) return;
    expiry_recorded_ = true;
    CheckResult expiry;
    expiry.status = Status::error;
    expiry.message = no_report_message(ttl_);
    // Dated when the ttl ran out, not when this look noticed, so "since" is exact.
    expiry.started =
        std::chrono::system_clock::now() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(now - deadline);
    results_->record(check_, std::move(expiry));
}

} // namespace vitals
