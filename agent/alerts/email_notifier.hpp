// Alerts as e-mail over SMTP: STARTTLS or TLS, AUTH when a username is set.
// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/Context.h>

#include "alerts/notifier.hpp"
#include "config/notifier_definition.hpp"

namespace vitals {

/// "[Vitals] web: ok → error on host1": what every alert's e-mail is titled.
std::string email_subject(const Alert &alert);

class EmailNotifier final : public Notifier {
public:
    explicit EmailNotifier(NotifierDefinition definition);
    /// One message to every `to`, through Poco's SMTP client: a 5xx answer (a refused
    /// sender, recipient or login) is rejected, anything else that fails is retried.
    DeliveryOutcome deliver(const Alert &alert) override;

private:
    void send(const Alert &alert);

    NotifierDefinition definition_;
    Poco::Net::Context::Ptr tls_;
};

} // namespace vitals
