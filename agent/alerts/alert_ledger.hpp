// What the alert engine keeps across restarts, so a change already told is never told
// again and an alert still waiting for its receiver is not lost. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "alerts/alert.hpp"

namespace vitals {

/// The status one notifier was last told of for one check.
struct NotifiedStatus {
    std::string check;
    std::string notifier;
    Status status = Status::ok; ///< as that notifier sees it: ok below its min_status
    std::chrono::system_clock::time_point sent_at{};     ///< the last alert (or resend)
    std::chrono::system_clock::time_point reminded_at{}; ///< the last reminder, or sent_at
    bool operator==(const NotifiedStatus &) const = default;
};

/// An alert decided on and not yet delivered.
struct QueuedAlert {
    std::string notifier;
    Alert alert;
};

/// Where the engine's decisions are kept; the state layer implements it on state.db. Calls
/// only take note (a write follows within about a second, as for results): nothing the
/// engine does waits for the disk.
class AlertLedger {
public:
    struct Contents {
        std::vector<NotifiedStatus> notified;
        std::vector<QueuedAlert> queued; ///< oldest first
        std::uint64_t last_alert_id = 0;
    };

    virtual ~AlertLedger() = default;
    /// What a previous agent left; empty after the first call.
    virtual Contents take_saved_alerts() = 0;
    virtual void notified(const NotifiedStatus &status) = 0;
    /// The check is gone, or the notifier: its row goes.
    virtual void forget_notified(const std::string &check, const std::string &notifier) = 0;
    virtual void queued(const QueuedAlert &alert) = 0;
    /// Delivered, refused for good, or dropped from a full queue.
    virtual void dequeued(const std::string &notifier, std::uint64_t alert_id) = 0;

protected:
    AlertLedger() = default;
    AlertLedger(const AlertLedger &) = default;
    AlertLedger &operator=(const AlertLedger &) = default;
};

/// Keeps nothing: state_dir = "".
class ForgetfulLedger final : public AlertLedger {
public:
    Contents take_saved_alerts() override { return {}; }
    void notified(const NotifiedStatus &) override {}
    void forget_notified(const std::string &, const std::string &) override {}
    void queued(const QueuedAlert &) override {}
    void dequeued(const std::string &, std::uint64_t) override {}
};

} // namespace vitals
