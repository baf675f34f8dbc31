// SPDX-License-Identifier: MIT
#include "http/push_report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <vitals_plugins/nagios_output.hpp>
#include <vitals_plugins/text.hpp>

#include "core/utf8.hpp"

namespace vitals {
namespace {

using Poco::Dynamic::Var;
using Problem = PushProblem;

std::string_view media_type(std::string_view content_type) {
    return plugins::trim(content_type.substr(0, content_type.find(';')), " ");
}

/// Pushed text reaches JSON, HTML and logs as plugin text does, and is cleaned the same
/// way: one line (line breaks and tabs become spaces, other control characters go). Invalid
/// UTF-8 is refused rather than repaired: the pusher is there to hear about it.
std::optional<Problem> clean_text(const std::string &field, std::string &value,
                                  std::size_t max_bytes) {
    if (!is_valid_utf8(value)) return Problem{400, field + ": not valid UTF-8"};
    // Valid UTF-8: every byte below 0x80 is a character of its own.
    std::erase_if(value, [](char c) {
        return c != '\n' && c != '\r' && c != '\t' &&
               (static_cast<unsigned char>(c) < 0x20 || c == 0x7f);
    });
    std::replace_if(
        value.begin(), value.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; },
        ' ');
    if (value.size() > max_bytes)
        return Problem{400, fmt::format("{}: longer than {} bytes", field, max_bytes)};
    return std::nullopt;
}

std::optional<Problem> require_keys(const Poco::JSON::Object &object, const std::string &where,
                                    const std::set<std::string> &allowed) {
    for (const auto &[key, value] : object)
        if (!allowed.contains(key))
            return Problem{400, fmt::format("{}unknown field \"{}\" (expected: {})", where, key,
                                            fmt::join(allowed, ", "))};
    return std::nullopt;
}

std::optional<Problem> read_metric(const Var &item, std::size_t index, Metric &metric) {
    const std::string where = fmt::format("metrics[{}]", index);
    if (item.type() != typeid(Poco::JSON::Object::Ptr))
        return Problem{400, where + ": expected an object {\"name\", \"value\", \"unit\"}"};
    const auto object = item.extract<Poco::JSON::Object::Ptr>();
    if (auto problem = require_keys(*object, where + ": ", {"name", "value", "unit"}))
        return problem;
    const Var name = object->get("name");
    if (name.isEmpty() || !name.isString())
        return Problem{400, where + ".name: required, a non-empty string"};
    metric.name = name.toString();
    if (auto problem = clean_text(where + ".name", metric.name, max_push_metric_name_bytes))
        return problem;
    if (metric.name.empty()) return Problem{400, where + ".name: required, a non-empty string"};
    const Var value = object->get("value");
    if (value.isEmpty() || !value.isNumeric() || value.isBoolean())
        return Problem{400, where + ".value: required, a number"};
    metric.value = value.convert<double>();
    if (!std::isfinite(metric.value)) return Problem{400, where + ".value: not a finite number"};
    const Var unit = object->get("unit");
    if (!unit.isEmpty()) {
        if (!unit.isString()) return Problem{400, where + ".unit: expected a string"};
        metric.unit = unit.toString();
        if (auto problem = clean_text(where + ".unit", metric.unit, max_push_metric_name_bytes))
            return problem;
    }
    return std::nullopt;
}

std::variant<CheckResult, Problem> parse_json(std::string_view body) {
    Var root;
    try {
        Poco::JSON::Parser parser;
        root = parser.parse(std::string{body});
    } catch (const Poco::Exception &e) {
        return Problem{400, "body: not valid JSON (" + e.message() + ")"};
    }
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
        return Problem{400, "body: expected a JSON object such as {\"status\": \"ok\"}"};
    const auto object = root.extract<Poco::JSON::Object::Ptr>();
    if (auto problem =
            require_keys(*object, "", {"status", "message", "metrics", "duration_seconds"}))
        return *problem;

    CheckResult result;
    const Var status = object->get("status");
    const std::string status_hint = "status: required, one of \"ok\", \"warning\", \"error\"";
    if (status.isEmpty() || !status.isString()) return Problem{400, status_hint};
    const std::string word = status.toString();
    if (word == "ok")
        result.status = Status::ok;
    else if (word == "warning")
        result.status = Status::warning;
    else if (word == "error")
        result.status = Status::error;
    else
        return Problem{400, status_hint + fmt::format(", got \"{}\"", word)};

    if (const Var message = object->get("message"); !message.isEmpty()) {
        if (!message.isString()) return Problem{400, "message: expected a string"};
        result.message = message.toString();
        if (auto problem = clean_text("message", result.message, max_push_message_bytes))
            return *problem;
    }
    if (const Var duration = object->get("duration_seconds"); !duration.isEmpty()) {
        if (!duration.isNumeric() || duration.isBoolean())
            return Problem{400, "duration_seconds: expected a number of seconds"};
        const double seconds = duration.convert<double>();
        if (!std::isfinite(seconds) || seconds < 0 || seconds > 366.0 * 24 * 3600)
            return Problem{400, "duration_seconds: expected 0 or more seconds (at most a year)"};
        result.duration =
            std::chrono::duration_cast<Duration>(std::chrono::duration<double>{seconds});
    }
    if (const Var metrics = object->get("metrics"); !metrics.isEmpty()) {
        if (metrics.type() != typeid(Poco::JSON::Array::Ptr))
            return Problem{400, "metrics: expected an array of {\"name\", \"value\", \"unit\"}"};
        const auto array = metrics.extract<Poco::JSON::Array::Ptr>();
        if (array->size() > max_push_metrics)
            return Problem{400, fmt::format("metrics: more than {}", max_push_metrics)};
        std::set<std::string> names;
        for (std::size_t i = 0; i < array->size(); ++i) {
            Metric metric;
            if (auto problem = read_metric(array->get(static_cast<unsigned>(i)), i, metric))
                return *problem;
            if (!names.insert(metric.name).second)
                return Problem{
                    400, fmt::format("metrics[{}].name: \"{}\" appears twice", i, metric.name)};
            result.metrics.push_back(std::move(metric));
        }
    }
    return result;
}

/// "<code> <Nagios plugin output>", for `curl --data-binary "0 backup done" ...`.
std::variant<CheckResult, Problem> parse_nagios_line(std::string_view body) {
    if (!is_valid_utf8(body)) return Problem{400, "body: not valid UTF-8"};
    const std::string_view text = plugins::trim(body);
    const std::string hint = "body: expected \"<code> <message>\" with code 0 (ok), 1 (warning), "
                             "2 (critical) or 3 (unknown), e.g. \"0 backup done\"";
    int code = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), code);
    const bool separated = end == text.data() + text.size() || *end == ' ' || *end == '\t' ||
                           *end == '\n' || *end == '\r';
    if (error != std::errc{} || !separated) return Problem{400, hint};
    if (code < 0 || code > 3) return Problem{400, hint + fmt::format(", got code {}", code)};

    const auto output = plugins::parse_output(plugins::trim(text.substr(end - text.data())));
    CheckResult result;
    result.status = code == 0 ? Status::ok : code == 1 ? Status::warning : Status::error;
    result.message = output.text;
    if (code == 3 && !result.message.starts_with("UNKNOWN"))
        result.message = "UNKNOWN" + (result.message.empty() ? "" : ": " + result.message);
    if (auto problem = clean_text("message", result.message, max_push_message_bytes))
        return *problem;
    for (auto &metric : plugins::to_metrics(output.perfdata)) {
        if (result.metrics.size() == max_push_metrics) break;
        // The JSON form's bound on names, so neither form puts a huge name into /metrics.
        if (metric.name.size() > max_push_metric_name_bytes)
            return Problem{400, fmt::format("metrics[{}].name: the perfdata label makes a name "
                                            "longer than {} bytes",
                                            result.metrics.size(), max_push_metric_name_bytes)};
        result.metrics.push_back({std::move(metric.name), metric.value, std::move(metric.unit)});
    }
    return result;
}

} // namespace

std::variant<CheckResult, PushProblem>
parse_push_report(std::string_view content_type, std::string_view body,
                  std::chrono::system_clock::time_point received) {
    if (body.size() > max_push_body_bytes)
        return Problem{413, fmt::format("body: larger than {} bytes", max_push_body_bytes)};
    const std::string_view type = media_type(content_type);
    const bool json =
        plugins::equal_ignoring_case(type, "application/json") ||
        (!plugins::equal_ignoring_case(type, "text/plain") && plugins::trim(body).starts_with('{'));
    auto parsed = json ? parse_json(body) : parse_nagios_line(body);
    if (auto *result = std::get_if<CheckResult>(&parsed)) {
        result->started =
            received -
            std::chrono::duration_cast<std::chrono::system_clock::duration>(result->duration);
    }
    return parsed;
}

} // namespace vitals
