// SPDX-License-Identifier: MIT
#include "http/health_json.hpp"

#include "core/utc_time.hpp"

#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace vitals {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr new_object() {
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

std::string stringify(const Object::Ptr &object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

Array::Ptr metrics_json(const std::vector<Metric> &metrics) {
    Array::Ptr array = new Array;
    for (const auto &metric : metrics) {
        Object::Ptr item = new_object();
        item->set("name", metric.name);
        item->set("value", metric.value);
        item->set("unit", metric.unit);
        array->add(item);
    }
    return array;
}

Array::Ptr strings_json(const std::vector<std::string> &items) {
    Array::Ptr array = new Array;
    for (const auto &item : items)
        array->add(item);
    return array;
}

void fill_check(Object &json, const CheckState &state) {
    json.set("status", std::string{to_string(effective_status(state))});
    json.set("message", state.last ? state.last->message : std::string{"no result yet"});
    json.set("plugin", state.info.plugin);
    if (!state.info.description.empty()) json.set("description", state.info.description);
    json.set("groups", strings_json(state.info.groups));
    json.set("pending", !state.last.has_value());
    if (state.last) {
        json.set("metrics", metrics_json(state.last->metrics));
        json.set("duration_seconds", to_seconds(state.last->duration));
        json.set("last_run", format_utc(state.last->started));
        json.set("status_since", format_utc(state.status_since));
        json.set("consecutive", static_cast<Poco::UInt64>(state.consecutive));
    } else {
        json.set("metrics", Array::Ptr{new Array}); // a raw pointer would not convert back
        json.set("duration_seconds", Poco::Dynamic::Var{});
        json.set("last_run", Poco::Dynamic::Var{});
        json.set("status_since", Poco::Dynamic::Var{});
        json.set("consecutive", 0);
    }
    json.set("interval_seconds", to_seconds(state.info.interval));
    json.set("timeout_seconds", to_seconds(state.info.timeout));
}

} // namespace

Status effective_status(const CheckState &state) {
    return state.last ? state.last->status : Status::error;
}

Status aggregate_status(const std::vector<CheckState> &states) {
    Status status = Status::ok;
    for (const auto &state : states)
        status = worst(status, effective_status(state));
    return status;
}

std::string render_aggregate(const std::vector<CheckState> &states) {
    Object::Ptr root = new_object();
    root->set("status", std::string{to_string(aggregate_status(states))});
    Object::Ptr checks = new_object();
    for (const auto &state : states) {
        Object::Ptr check = new_object();
        fill_check(*check, state);
        checks->set(state.info.name, check);
    }
    root->set("checks", checks);
    return stringify(root);
}

std::string render_check(const CheckState &state) {
    Object::Ptr root = new_object();
    root->set("name", state.info.name);
    fill_check(*root, state);
    return stringify(root);
}

std::string render_error(std::string_view error, std::string_view detail) {
    Object::Ptr root = new_object();
    root->set("error", std::string{error});
    root->set("detail", std::string{detail});
    return stringify(root);
}

} // namespace vitals
