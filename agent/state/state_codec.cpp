// SPDX-License-Identifier: MIT
#include "state/state_codec.hpp"

#include <array>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace vitals::state {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::int64_t to_nanos(Duration duration) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

std::string to_text(const Poco::Dynamic::Var &value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

Poco::Dynamic::Var parse(const std::string &text) {
    Poco::JSON::Parser parser;
    return parser.parse(text);
}

Status status_of(const Object &object, const std::string &key) {
    const auto status = status_from_text(object.getValue<std::string>(key));
    if (!status) throw Poco::DataException("unknown status in " + key);
    return *status;
}

template <std::size_t N> Array::Ptr counts_array(const std::array<std::uint64_t, N> &counts) {
    Array::Ptr array = new Array;
    for (const auto count : counts)
        array->add(count);
    return array;
}

template <std::size_t N>
std::array<std::uint64_t, N> counts_of(const Object &object, const std::string &key) {
    const auto array = object.getArray(key);
    if (!array || array->size() != N) throw Poco::DataException("expected " + key);
    std::array<std::uint64_t, N> counts{};
    for (std::size_t i = 0; i < N; ++i)
        counts[i] = array->getElement<std::uint64_t>(static_cast<unsigned>(i));
    return counts;
}

/// The thresholds a metric may carry, by their key in a stored row.
template <class M> auto thresholds_of(M &metric) {
    return std::array<std::pair<const char *, decltype(&metric.warn)>, 4>{{{"warn", &metric.warn},
                                                                           {"crit", &metric.crit},
                                                                           {"min", &metric.min},
                                                                           {"max", &metric.max}}};
}

/// A 1.0 metric is stored as before 1.1 (name, value, unit): kind, labels and thresholds
/// are written only when they say something.
Object::Ptr metric_object(const Metric &metric) {
    Object::Ptr entry = new Object;
    entry->set("name", metric.name);
    entry->set("value", metric.value);
    entry->set("unit", metric.unit);
    if (metric.kind != MetricKind::gauge) entry->set("kind", std::string{to_string(metric.kind)});
    if (!metric.labels.empty()) {
        Object::Ptr labels = new Object;
        for (const auto &[name, value] : metric.labels)
            labels->set(name, value);
        entry->set("labels", labels);
    }
    for (const auto &[key, value] : thresholds_of(metric))
        if (*value) entry->set(key, **value);
    return entry;
}

/// Reads rows written before 1.1 too: every member after unit is optional.
Metric metric_of(const Object &entry) {
    Metric metric{entry.getValue<std::string>("name"), entry.getValue<double>("value"),
                  entry.getValue<std::string>("unit")};
    if (entry.has("kind")) {
        const auto kind = metric_kind_named(entry.getValue<std::string>("kind"));
        if (!kind) throw Poco::DataException("unknown metric kind");
        metric.kind = *kind;
    }
    if (const auto labels = entry.getObject("labels"))
        for (const auto &[name, value] : *labels)
            metric.labels.emplace(name, value.convert<std::string>());
    for (const auto &[key, value] : thresholds_of(metric))
        if (entry.has(key)) *value = entry.getValue<double>(key);
    return metric;
}

Object::Ptr result_object(const CheckResult &result) {
    Object::Ptr object = new Object;
    object->set("status", std::string{to_string(result.status)});
    object->set("message", result.message);
    Array::Ptr metrics = new Array;
    for (const auto &metric : result.metrics)
        metrics->add(metric_object(metric));
    object->set("metrics", metrics);
    object->set("duration_ns", to_nanos(result.duration));
    object->set("started", to_micros(result.started));
    object->set("suppressed", result.suppressed);
    return object;
}

CheckResult result_of(const Object &object) {
    CheckResult result;
    result.status = status_of(object, "status");
    result.message = object.getValue<std::string>("message");
    const auto metrics = object.getArray("metrics");
    if (!metrics) throw Poco::DataException("expected metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto metric = metrics->getObject(static_cast<unsigned>(i));
        if (!metric) throw Poco::DataException("expected a metric");
        result.metrics.push_back(metric_of(*metric));
    }
    result.duration = std::chrono::nanoseconds{object.getValue<std::int64_t>("duration_ns")};
    result.started = from_micros(object.getValue<std::int64_t>("started"));
    result.suppressed = object.getValue<bool>("suppressed");
    return result;
}

} // namespace

std::int64_t to_micros(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_micros(std::int64_t micros) {
    return std::chrono::system_clock::time_point{std::chrono::microseconds{micros}};
}

std::optional<Status> status_from_text(const std::string &word) {
    for (const Status status : {Status::ok, Status::warning, Status::error})
        if (to_string(status) == word) return status;
    return std::nullopt;
}

std::string encode_state(const CheckState &state) {
    Object::Ptr object = new Object;
    if (state.last) object->set("last", result_object(*state.last));
    object->set("reported", std::string{to_string(state.reported)});
    object->set("status_since", to_micros(state.status_since));
    object->set("consecutive", state.consecutive);
    object->set("at_least", counts_array(state.at_least));
    object->set("at_most", counts_array(state.at_most));
    object->set("declared_at", to_micros(state.declared_at));
    return to_text(object);
}

std::optional<CheckState> decode_state(const std::string &text) {
    try {
        const auto object = parse(text).extract<Object::Ptr>();
        CheckState state;
        if (const auto last = object->getObject("last")) state.last = result_of(*last);
        state.reported = status_of(*object, "reported");
        state.status_since = from_micros(object->getValue<std::int64_t>("status_since"));
        state.consecutive = object->getValue<std::uint64_t>("consecutive");
        state.at_least = counts_of<3>(*object, "at_least");
        state.at_most = counts_of<3>(*object, "at_most");
        state.declared_at = from_micros(object->getValue<std::int64_t>("declared_at"));
        return state;
    } catch (const Poco::Exception &) {
        return std::nullopt;
    } catch (const std::exception &) { // a Dynamic::Var of another type: std::bad_cast
        return std::nullopt;
    }
}

std::string encode_history(const std::vector<HistoryEntry> &history) {
    Array::Ptr array = new Array;
    for (const auto &entry : history) {
        Object::Ptr object = new Object;
        object->set("status", std::string{to_string(entry.status)});
        object->set("message", entry.message);
        object->set("started", to_micros(entry.started));
        object->set("duration_ns", to_nanos(entry.duration));
        object->set("changed", entry.status_changed);
        if (!entry.action.empty()) object->set("action", entry.action);
        array->add(object);
    }
    return to_text(array);
}

std::optional<std::vector<HistoryEntry>> decode_history(const std::string &text) {
    try {
        const auto array = parse(text).extract<Array::Ptr>();
        std::vector<HistoryEntry> history;
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto object = array->getObject(static_cast<unsigned>(i));
            if (!object) return std::nullopt;
            history.push_back(
                {status_of(*object, "status"), object->getValue<std::string>("message"),
                 from_micros(object->getValue<std::int64_t>("started")),
                 std::chrono::nanoseconds{object->getValue<std::int64_t>("duration_ns")},
                 object->getValue<bool>("changed"),
                 // Absent in state written before actions existed, and when none ran.
                 object->optValue<std::string>("action", "")});
        }
        return history;
    } catch (const Poco::Exception &) {
        return std::nullopt;
    } catch (const std::exception &) {
        return std::nullopt;
    }
}

} // namespace vitals::state
