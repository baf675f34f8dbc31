// SPDX-License-Identifier: MIT
#include "alerts/make_notifier.hpp"

#include "alerts/alertmanager_notifier.hpp"
#include "alerts/email_notifier.hpp"
#include "alerts/exec_notifier.hpp"
#include "alerts/webhook_notifier.hpp"

namespace vitals {

std::unique_ptr<Notifier> make_notifier(const NotifierDefinition &definition) {
    switch (definition.type) {
    case NotifierType::alertmanager:
        return std::make_unique<AlertmanagerNotifier>(definition);
    case NotifierType::webhook:
        return std::make_unique<WebhookNotifier>(definition);
    case NotifierType::email:
        return std::make_unique<EmailNotifier>(definition);
    case NotifierType::exec:
        return std::make_unique<ExecNotifier>(definition);
    }
    return std::make_unique<WebhookNotifier>(definition);
}

} // namespace vitals
