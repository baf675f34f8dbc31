// SPDX-License-Identifier: MIT
#include "push/push_inbox.hpp"

#include <algorithm>

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

namespace {

using SystemDuration = std::chrono::system_clock::duration;

} // namespace

PushInbox::Deadline PushInbox::deadline() const {
    const std::lock_guard lock{mutex_};
    const auto ago = std::chrono::duration_cast<SystemDuration>(SteadyClock::now() - last_heard_);
    return {std::chrono::system_clock::now() - ago, expiry_recorded_};
}

void PushInbox::resume(const Deadline &saved) {
    const std::lock_guard lock{mutex_};
    // The steady clock does not run across a restart: carry over how long ago it was. A
    // saved time in the future (the clock stepped back) counts as now.
    const auto ago =
        std::max(SystemDuration{}, std::chrono::system_clock::now() - saved.last_heard);
    last_heard_ = SteadyClock::now() - std::chrono::duration_cast<SteadyClock::duration>(ago);
    expiry_recorded_ = saved.expiry_recorded;
}

} // namespace vitals
