// An alert as the engine would make it, for the notifier tests. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

#include "alerts/alert.hpp"
#include "config/notifier_definition.hpp"

namespace vitals::test::alerts {

/// web went from ok to error a second ago on host1.
inline Alert sample_alert(AlertKind kind = AlertKind::firing) {
    Alert alert;
    alert.id = 7;
    alert.kind = kind;
    alert.check = "web";
    alert.status = kind == AlertKind::resolved ? Status::ok : Status::error;
    alert.previous = kind == AlertKind::resolved ? Status::error : Status::ok;
    alert.message = "GET / answered 502";
    alert.description = "the shop's front page";
    alert.at = std::chrono::system_clock::now();
    alert.since = alert.at - std::chrono::seconds{1};
    alert.host = "host1";
    alert.labels = {{"instance", "host1"}, {"team", "shop"}};
    alert.groups = {"frontend"};
    alert.link = "http://host1:8080/#check-web";
    return alert;
}

inline NotifierDefinition notifier_definition(std::string name, NotifierType type) {
    NotifierDefinition definition;
    definition.name = std::move(name);
    definition.type = type;
    definition.timeout = std::chrono::seconds{5};
    return definition;
}

} // namespace vitals::test::alerts
