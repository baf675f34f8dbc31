// SPDX-License-Identifier: MIT
#include "alerts/alertmanager_notifier.hpp"

#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fmt/format.h>

#include "alerts/alert_text.hpp"
#include "alerts/http_post.hpp"
#include "alerts/tls_client.hpp"
#include "core/utc_time.hpp"

namespace vitals {
namespace {

using Clock = std::chrono::system_clock;

/// How many resend intervals a firing alert lasts unless told again (Prometheus: 4).
constexpr int lifetime_in_resends = 4;

Poco::JSON::Object::Ptr alert_entry(const Alert &alert, Status severity, Clock::time_point ends) {
    Poco::JSON::Object::Ptr labels = new Poco::JSON::Object{Poco::JSON_PRESERVE_KEY_ORDER};
    // The check's own labels first: the four Vitals sets are what routes and silences rely on.
    for (const auto &[name, value] : alert.labels)
        labels->set(name, value);
    const bool test = alert.kind == AlertKind::test;
    labels->set("alertname", std::string{test ? "VitalsTest" : alertmanager_alertname});
    labels->set("check", alert.check);
    labels->set("severity", std::string{to_string(severity)});
    if (!alert.host.empty() && !alert.labels.contains("instance"))
        labels->set("instance", alert.host);

    Poco::JSON::Object::Ptr annotations = new Poco::JSON::Object{Poco::JSON_PRESERVE_KEY_ORDER};
    annotations->set("summary", alert_summary(alert));
    if (!alert.message.empty()) annotations->set("message", alert.message);
    if (!alert.description.empty()) annotations->set("description", alert.description);
    if (!alert.action.empty()) annotations->set("action", alert.action);

    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object{Poco::JSON_PRESERVE_KEY_ORDER};
    entry->set("labels", labels);
    entry->set("annotations", annotations);
    entry->set("startsAt", format_utc(alert.since));
    entry->set("endsAt", format_utc(ends));
    if (!alert.link.empty()) entry->set("generatorURL", alert.link);
    return entry;
}

/// Alertmanager's base URL, as its --web.external-url, with the API's path added unless given.
std::string alerts_endpoint(const std::string &url) {
    constexpr std::string_view path = "api/v2/alerts";
    if (url.ends_with(path)) return url;
    return url + (url.ends_with('/') ? "" : "/") + std::string{path};
}

} // namespace

std::string alertmanager_body(const Alert &alert, Clock::time_point now, Duration resend) {
    const auto lasts = std::chrono::duration_cast<Clock::duration>(resend * lifetime_in_resends);
    Poco::JSON::Array::Ptr alerts = new Poco::JSON::Array;
    switch (alert.kind) {
    case AlertKind::resolved:
        // The labels of the alert that fired: its severity was the status before.
        alerts->add(alert_entry(alert, alert.previous, alert.at));
        break;
    case AlertKind::firing:
        if (alert.previous != Status::ok && alert.previous != alert.status)
            alerts->add(alert_entry(alert, alert.previous, alert.at));
        alerts->add(alert_entry(alert, alert.status, now + lasts));
        break;
    case AlertKind::reminder:
    case AlertKind::test:
        alerts->add(alert_entry(alert, alert.status, now + lasts));
        break;
    }
    std::ostringstream out;
    alerts->stringify(out);
    return out.str();
}

AlertmanagerNotifier::AlertmanagerNotifier(NotifierDefinition definition)
    : definition_(std::move(definition)),
      tls_(tls_client_context(definition_.ca_file, definition_.verify)) {}

DeliveryOutcome AlertmanagerNotifier::deliver(const Alert &alert) {
    HttpPost post;
    post.body = alertmanager_body(alert, Clock::now(), definition_.resend);
    post.timeout = definition_.timeout;
    post.tls = tls_;
    bool delivered = false;
    bool retry = false;
    std::string errors;
    for (const auto &url : definition_.urls) {
        post.url = alerts_endpoint(url);
        const auto outcome = post_json(post);
        delivered = delivered || outcome.ok();
        retry = retry || outcome.kind == DeliveryOutcome::Kind::retry;
        if (!outcome.ok()) errors += (errors.empty() ? "" : "; ") + outcome.error;
    }
    if (delivered) return DeliveryOutcome::delivered();
    return retry ? DeliveryOutcome::retry(std::move(errors))
                 : DeliveryOutcome::rejected(std::move(errors));
}

} // namespace vitals
