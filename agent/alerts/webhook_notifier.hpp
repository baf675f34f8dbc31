// Alerts posted as JSON to a URL: our own documented body, or Slack's and Mattermost's.
// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/Context.h>

#include "alerts/notifier.hpp"
#include "config/notifier_definition.hpp"

namespace vitals {

class WebhookNotifier final : public Notifier {
public:
    explicit WebhookNotifier(NotifierDefinition definition);
    /// One POST to the URL with the headers and bearer token; see post_json for outcomes.
    DeliveryOutcome deliver(const Alert &alert) override;

private:
    NotifierDefinition definition_;
    Poco::Net::Context::Ptr tls_;
};

} // namespace vitals
