// SPDX-License-Identifier: MIT
#include "http/server/request_policy.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include <vitals_plugins/text.hpp>

namespace vitals {
namespace {

bool is_token(std::string_view text) {
    constexpr std::string_view punctuation = "!#$%&'*+-.^_`|~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               punctuation.find(c) != std::string_view::npos;
    });
}

bool is_field_value(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

RefusedRequest refuse(int status, std::string reason) {
    return {status, std::move(reason)};
}

std::optional<RefusedRequest> check_version(const std::string &version) {
    if (version == "HTTP/1.1" || version == "HTTP/1.0") return std::nullopt;
    if (version.rfind("HTTP/", 0) == 0 && version.size() == 8 && version[6] == '.')
        return refuse(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    return refuse(400, "malformed HTTP version");
}

std::optional<RefusedRequest> check_fields(const Poco::Net::HTTPRequest &head) {
    for (const auto &[name, value] : head) {
        if (!is_token(name)) return refuse(400, "malformed header name");
        if (!is_field_value(value)) return refuse(400, "control characters in a header value");
    }
    return std::nullopt;
}

/// Every Content-Length field must say the same number, in digits only.
std::variant<std::size_t, RefusedRequest> body_length(const Poco::Net::HTTPRequest &head,
                                                      const RequestLimits &limits) {
    std::optional<std::size_t> length;
    for (auto field = head.find("Content-Length"); field != head.end(); ++field) {
        if (!plugins::equal_ignoring_case(field->first, "Content-Length")) break;
        const std::string &text = field->second;
        std::size_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc{} || end != text.data() + text.size())
            return refuse(400, "malformed Content-Length");
        if (length && *length != value) return refuse(400, "conflicting Content-Length");
        length = value;
    }
    if (length.value_or(0) > limits.max_body_bytes) return refuse(413, "request body too large");
    return length.value_or(0);
}

} // namespace

std::variant<std::size_t, RefusedRequest> check_request_head(const Poco::Net::HTTPRequest &head,
                                                             const RequestLimits &limits) {
    if (!is_token(head.getMethod())) return refuse(400, "malformed method");
    if (auto refused = check_version(head.getVersion())) return *refused;
    if (auto refused = check_fields(head)) return *refused;
    if (head.has("Transfer-Encoding"))
        return refuse(501, "Transfer-Encoding is not supported; send Content-Length");
    if (head.has("Expect") && !plugins::equal_ignoring_case(head.get("Expect"), "100-continue"))
        return refuse(417, "unsupported expectation");
    return body_length(head, limits);
}

} // namespace vitals
