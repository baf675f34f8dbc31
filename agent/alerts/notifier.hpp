// Where alerts go: one [[notifier]] of agent.toml, a way of delivering one alert.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "alerts/alert.hpp"
#include "core/duration.hpp"

namespace vitals {

/// How one attempt went.
struct DeliveryOutcome {
    enum class Kind {
        delivered,
        retry,    ///< the receiver is down or said "later" (5xx, 429, a timeout): try again
        rejected, ///< the receiver refused this alert for good (4xx): retrying cannot help
    };
    Kind kind = Kind::delivered;
    /// Why not delivered, for the log, /health and /metrics: no secret, no body of ours.
    std::string error;

    static DeliveryOutcome delivered() { return {}; }
    static DeliveryOutcome retry(std::string why) { return {Kind::retry, std::move(why)}; }
    static DeliveryOutcome rejected(std::string why) { return {Kind::rejected, std::move(why)}; }
    bool ok() const { return kind == Kind::delivered; }
};

/// Delivers alerts to one receiver. deliver() blocks for at most the notifier's timeout
/// (one attempt; the delivery queue retries) and never throws. It is called from one
/// thread at a time.
class Notifier {
public:
    virtual ~Notifier() = default;
    virtual DeliveryOutcome deliver(const Alert &alert) = 0;
    /// How often a firing alert is sent again while it lasts, for receivers that forget
    /// one otherwise (Alertmanager resolves an alert it has not heard of for a while);
    /// zero: never.
    virtual Duration resend_interval() const { return Duration{}; }

protected:
    Notifier() = default;
    Notifier(const Notifier &) = default;
    Notifier &operator=(const Notifier &) = default;
};

} // namespace vitals
