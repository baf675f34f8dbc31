// One push check's reports and deadline. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "checks/check_result.hpp"
#include "core/duration.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// Where a push check's reports arrive (from POST /health/checks/<name>) and
/// where its ttl is watched (by its scheduled look, see PushRunner). Both
/// record into the result store under this one lock, so a report and an
/// expiry land in the order they happened: an expiry decided just before a
/// report can never be recorded after it.
class PushInbox {
public:
    PushInbox(std::string check, Duration ttl);

    /// Where reports and expiries go. Until attached (a configuration being
    /// validated, not served) they are dropped.
    void attach(ResultStore &results);
    /// Records a report at once; the ttl starts again.
    void accept(CheckResult report);
    /// Once the ttl has passed since the last report (or since the check was
    /// taken on), records the error "no report for <ttl>", once per silence.
    void expire_if_due();

    Duration ttl() const { return ttl_; }

    /// Where the ttl stands: kept across restarts (state/), so a nightly job that
    /// reported before a restart is not in error after it.
    struct Deadline {
        std::chrono::system_clock::time_point last_heard; ///< the last report, or taken on
        bool expiry_recorded = false;                     ///< the ttl ran out and that was recorded
        bool operator==(const Deadline &) const = default;
    };
    Deadline deadline() const;
    /// Takes back a deadline saved by a previous run of the agent.
    void resume(const Deadline &saved);

private:
    using SteadyClock = std::chrono::steady_clock;

    const std::string check_;
    const Duration ttl_;
    mutable std::mutex mutex_;
    ResultStore *results_ = nullptr;
    SteadyClock::time_point last_heard_;
    bool expiry_recorded_ = false;
};

} // namespace vitals
