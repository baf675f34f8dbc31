// SPDX-License-Identifier: MIT
#include "alerts/webhook_notifier.hpp"

#include "alerts/alert_json.hpp"
#include "alerts/http_post.hpp"
#include "alerts/tls_client.hpp"

namespace vitals {

WebhookNotifier::WebhookNotifier(NotifierDefinition definition)
    : definition_(std::move(definition)),
      tls_(tls_client_context(definition_.ca_file, definition_.verify)) {}

DeliveryOutcome WebhookNotifier::deliver(const Alert &alert) {
    HttpPost post;
    post.url = definition_.urls.front();
    post.body = definition_.format == "slack" ? slack_json(alert) : alert_json(alert);
    post.headers = definition_.headers;
    if (!definition_.token.empty())
        post.headers.emplace_back("Authorization", "Bearer " + definition_.token);
    post.timeout = definition_.timeout;
    post.tls = tls_;
    return post_json(post);
}

} // namespace vitals
