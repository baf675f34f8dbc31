// SPDX-License-Identifier: MIT
#include "http/silence_request.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>
#include <vitals_plugins/text.hpp>

#include "core/utf8.hpp"

namespace vitals {
namespace {

using Poco::Dynamic::Var;

std::optional<std::string> unknown_key(const Poco::JSON::Object &object) {
    for (const auto &[key, value] : object)
        if (key != "for" && key != "reason")
            return fmt::format("{}: unknown key (expected \"for\" and \"reason\")", key);
    return std::nullopt;
}

} // namespace

std::variant<SilenceRequest, std::string> parse_silence_request(std::string_view body,
                                                                bool length_required) {
    const std::string_view trimmed = plugins::trim(body, " \t\r\n");
    Var root;
    try {
        root = Poco::JSON::Parser{}.parse(trimmed.empty() ? std::string{"{}"} : std::string{body});
    } catch (const Poco::Exception &e) {
        return "body: not valid JSON (" + e.message() + ")";
    }
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
        return std::string{"body: expected a JSON object such as {\"for\": \"2h\", \"reason\": "
                           "\"disk swap\"}"};
    const auto object = root.extract<Poco::JSON::Object::Ptr>();
    if (auto problem = unknown_key(*object)) return *problem;
    SilenceRequest request;
    const Var length = object->get("for");
    static_assert(shortest_silence == std::chrono::seconds{1} &&
                  longest_silence == std::chrono::hours{30 * 24});
    const std::string length_hint = "for: a duration from 1s to 30d, e.g. \"30m\" or \"2h\"";
    if (length.isEmpty()) {
        if (length_required) return "for: required (a silence must end); " + length_hint;
    } else {
        const auto parsed = length.isString() ? parse_duration(length.toString()) : std::nullopt;
        if (!parsed || *parsed < shortest_silence || *parsed > longest_silence) return length_hint;
        request.length = *parsed;
    }
    if (const Var reason = object->get("reason"); !reason.isEmpty()) {
        if (!reason.isString()) return std::string{"reason: expected a string"};
        request.reason = reason.toString();
        if (!is_valid_utf8(request.reason)) return std::string{"reason: not valid UTF-8"};
        if (request.reason.size() > max_reason_bytes)
            return fmt::format("reason: longer than {} bytes", max_reason_bytes);
        // One line: it is shown in JSON, HTML and logs.
        for (char &c : request.reason)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return request;
}

} // namespace vitals
