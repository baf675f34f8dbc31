// SPDX-License-Identifier: MIT
#include "alerts/alert_json.hpp"

#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "alerts/alert_text.hpp"
#include "core/utc_time.hpp"

namespace vitals {
namespace {

Poco::JSON::Object::Ptr ordered_object() {
    return new Poco::JSON::Object{Poco::JSON_PRESERVE_KEY_ORDER};
}

std::string to_text(const Poco::JSON::Object::Ptr &object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

/// Slack's attachment colours: green, amber, red.
std::string_view colour_of(const Alert &alert) {
    if (alert.kind == AlertKind::test) return "#439fe0";
    switch (alert.status) {
    case Status::ok:
        return "good";
    case Status::warning:
        return "warning";
    case Status::error:
        return "danger";
    }
    return "danger";
}

/// Slack reads &, < and > in text as markup (<url|label>, <!channel>): a message from a
/// check must not ping a channel.
std::string slack_escaped(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '&')
            escaped += "&amp;";
        else if (c == '<')
            escaped += "&lt;";
        else if (c == '>')
            escaped += "&gt;";
        else
            escaped += c;
    }
    return escaped;
}

} // namespace

std::string alert_json(const Alert &alert) {
    auto body = ordered_object();
    body->set("version", alert_json_version);
    body->set("id", alert.id);
    body->set("kind", std::string{to_string(alert.kind)});
    body->set("check", alert.check);
    body->set("status", std::string{to_string(alert.status)});
    body->set("previous_status", std::string{to_string(alert.previous)});
    body->set("summary", alert_summary(alert));
    body->set("message", alert.message);
    body->set("description", alert.description);
    body->set("since", format_utc(alert.since));
    body->set("at", format_utc(alert.at));
    body->set("host", alert.host);
    auto labels = ordered_object();
    for (const auto &[name, value] : alert.labels)
        labels->set(name, value);
    body->set("labels", labels);
    Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
    for (const auto &group : alert.groups)
        groups->add(group);
    body->set("groups", groups);
    body->set("link", alert.link);
    body->set("action", alert.action);
    return to_text(body);
}

std::string slack_json(const Alert &alert) {
    const auto field = [](std::string_view title, const std::string &value, bool is_short) {
        auto object = ordered_object();
        object->set("title", std::string{title});
        object->set("value", value);
        object->set("short", is_short);
        return object;
    };
    Poco::JSON::Array::Ptr fields = new Poco::JSON::Array;
    fields->add(field("Check", alert.check, true));
    fields->add(field("Status", std::string{to_string(alert.status)}, true));
    fields->add(field("Host", alert.host, true));
    fields->add(field("Since", format_utc(alert.since), true));
    if (!alert.description.empty()) fields->add(field("Description", alert.description, false));
    if (!alert.action.empty()) fields->add(field("Last action", alert.action, false));

    auto attachment = ordered_object();
    const std::string summary = alert_summary(alert);
    attachment->set("fallback", summary);
    attachment->set("color", std::string{colour_of(alert)});
    attachment->set("title", summary);
    if (!alert.link.empty()) attachment->set("title_link", alert.link);
    attachment->set("text", slack_escaped(alert.message));
    attachment->set("fields", fields);
    attachment->set(
        "ts",
        std::chrono::duration_cast<std::chrono::seconds>(alert.at.time_since_epoch()).count());
    Poco::JSON::Array::Ptr attachments = new Poco::JSON::Array;
    attachments->add(attachment);

    auto body = ordered_object();
    body->set("text", slack_escaped(summary));
    body->set("attachments", attachments);
    return to_text(body);
}

} // namespace vitals
