// Alerts to Prometheus Alertmanager's API v2, which groups, inhibits, silences and routes
// them. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <Poco/Net/Context.h>

#include "alerts/notifier.hpp"
#include "config/notifier_definition.hpp"

namespace vitals {

/// Every alert a check raises is one Alertmanager alert named "VitalsCheck" (the check is the
/// `check` label), so that one route, one inhibition rule or one silence covers every check
/// of a fleet, and `group_by: [instance]` groups a host's.
inline constexpr std::string_view alertmanager_alertname = "VitalsCheck";

/// The JSON array posted for `alert` at `now`: one alert, or two when the status went from
/// one bad status to another (the old severity resolved, the new one firing, since
/// Alertmanager tells alerts apart by their labels). Firing alerts end `resend` × 4 after
/// `now`, as Prometheus does, so an agent that dies leaves nothing firing for ever.
std::string alertmanager_body(const Alert &alert, std::chrono::system_clock::time_point now,
                              Duration resend);

class AlertmanagerNotifier final : public Notifier {
public:
    explicit AlertmanagerNotifier(NotifierDefinition definition);
    /// Posted to every URL (an HA cluster gossips, but each member must hear of the alert):
    /// delivered when one took it, retried when none did and one may later, rejected when
    /// every one refused it.
    DeliveryOutcome deliver(const Alert &alert) override;
    Duration resend_interval() const override { return definition_.resend; }

private:
    NotifierDefinition definition_;
    Poco::Net::Context::Ptr tls_;
};

} // namespace vitals
