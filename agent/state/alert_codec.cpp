// SPDX-License-Identifier: MIT
#include "state/alert_codec.hpp"

#include <array>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "state/state_codec.hpp"

namespace vitals::state {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::array kinds{AlertKind::firing, AlertKind::resolved, AlertKind::reminder,
                           AlertKind::test};

Status status_named(const Object &object, const std::string &key) {
    const auto status = status_from_text(object.getValue<std::string>(key));
    if (!status) throw Poco::DataException("unknown status in " + key);
    return *status;
}

AlertKind kind_named(const std::string &word) {
    for (const AlertKind kind : kinds)
        if (to_string(kind) == word) return kind;
    throw Poco::DataException("unknown alert kind " + word);
}

} // namespace

std::string encode_alert(const Alert &alert) {
    Object object;
    object.set("id", alert.id);
    object.set("kind", std::string{to_string(alert.kind)});
    object.set("check", alert.check);
    object.set("status", std::string{to_string(alert.status)});
    object.set("previous", std::string{to_string(alert.previous)});
    object.set("message", alert.message);
    object.set("description", alert.description);
    object.set("since", to_micros(alert.since));
    object.set("at", to_micros(alert.at));
    object.set("host", alert.host);
    Object::Ptr labels = new Object;
    for (const auto &[name, value] : alert.labels)
        labels->set(name, value);
    object.set("labels", labels);
    Array::Ptr groups = new Array;
    for (const auto &group : alert.groups)
        groups->add(group);
    object.set("groups", groups);
    object.set("link", alert.link);
    object.set("action", alert.action);
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(object, out);
    return out.str();
}

std::optional<Alert> decode_alert(const std::string &text) {
    try {
        Poco::JSON::Parser parser;
        const auto object = parser.parse(text).extract<Object::Ptr>();
        Alert alert;
        alert.id = object->getValue<std::uint64_t>("id");
        alert.kind = kind_named(object->getValue<std::string>("kind"));
        alert.check = object->getValue<std::string>("check");
        alert.status = status_named(*object, "status");
        alert.previous = status_named(*object, "previous");
        alert.message = object->getValue<std::string>("message");
        alert.description = object->getValue<std::string>("description");
        alert.since = from_micros(object->getValue<std::int64_t>("since"));
        alert.at = from_micros(object->getValue<std::int64_t>("at"));
        alert.host = object->getValue<std::string>("host");
        const auto labels = object->getObject("labels");
        if (!labels) return std::nullopt;
        for (const auto &[name, value] : *labels)
            alert.labels.emplace(name, value.toString());
        const auto groups = object->getArray("groups");
        if (!groups) return std::nullopt;
        for (const auto &group : *groups)
            alert.groups.push_back(group.toString());
        alert.link = object->getValue<std::string>("link");
        alert.action = object->getValue<std::string>("action");
        return alert;
    } catch (const Poco::Exception &) {
        return std::nullopt; // not what encode_alert writes: its queue entry is dropped
    }
}

} // namespace vitals::state
