// Fuzzes the HTTP/1.x request head parser with the bytes a client sends.
// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "http/server/request_head.hpp"
#include "http_invariants.hpp"

namespace {

using vitals::HeadParse;
using vitals::NeedMoreBytes;
using vitals::RejectedRequest;
using vitals::RequestHead;
using vitals::RequestLimits;

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_clean_value(std::string_view value) {
    return std::none_of(value.begin(), value.end(),
                        [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

void check_head(std::string_view received, const RequestHead &head, const RequestLimits &limits) {
    // The head ends at the first blank line, within the limit.
    FUZZ_CHECK(head.head_bytes >= 4 && head.head_bytes <= received.size());
    FUZZ_CHECK(head.head_bytes <= limits.max_head_bytes);
    FUZZ_CHECK(received.substr(head.head_bytes - 4, 4) == "\r\n\r\n");
    FUZZ_CHECK(received.find("\r\n\r\n") == head.head_bytes - 4);

    FUZZ_CHECK(!head.method.empty());
    FUZZ_CHECK(std::all_of(head.method.begin(), head.method.end(), is_token_char));
    FUZZ_CHECK(!head.target.empty() && is_clean_value(head.target));
    FUZZ_CHECK(head.target.find(' ') == std::string::npos);
    FUZZ_CHECK(head.headers.size() <= limits.max_headers);
    for (const auto &[name, value] : head.headers) {
        FUZZ_CHECK(!name.empty() && std::all_of(name.begin(), name.end(), is_token_char));
        FUZZ_CHECK(is_clean_value(value));
    }
    // Framing a proxy in front could read differently is refused, never passed on.
    FUZZ_CHECK(head.headers.count("transfer-encoding") == 0);
    FUZZ_CHECK(head.content_length <= limits.max_body_bytes);

    // The server parses as bytes arrive: every shorter prefix must wait for more, and
    // what follows the head (a body, a pipelined request) must not change it.
    for (const std::size_t cut : {head.head_bytes - 1, head.head_bytes / 2, std::size_t{0}}) {
        const auto partial = vitals::parse_request_head(received.substr(0, cut), limits);
        FUZZ_CHECK(std::holds_alternative<NeedMoreBytes>(partial));
    }
    const auto alone = vitals::parse_request_head(received.substr(0, head.head_bytes), limits);
    const auto *same = std::get_if<RequestHead>(&alone);
    FUZZ_CHECK(same && same->method == head.method && same->target == head.target &&
               same->headers == head.headers && same->content_length == head.content_length &&
               same->keep_alive == head.keep_alive);

    // What the server does next with the target.
    const auto target = vitals::parse_request_target(head.target);
    if (const auto *accepted = std::get_if<vitals::RequestTarget>(&target))
        vitals_fuzz::check_accepted_target(*accepted);
}

void check(std::string_view received, const RequestLimits &limits) {
    const HeadParse parsed = vitals::parse_request_head(received, limits);
    if (const auto *rejected = std::get_if<RejectedRequest>(&parsed)) {
        FUZZ_CHECK(rejected->status >= 400 && rejected->status <= 599);
        FUZZ_CHECK(!rejected->reason.empty());
    } else if (std::holds_alternative<NeedMoreBytes>(parsed)) {
        // Waiting is only right while the head is incomplete and within the limit.
        FUZZ_CHECK(received.find("\r\n\r\n") == std::string_view::npos);
        FUZZ_CHECK(received.size() <= limits.max_head_bytes);
        FUZZ_CHECK(received.find('\0') == std::string_view::npos);
    } else {
        check_head(received, std::get<RequestHead>(parsed), limits);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view received{reinterpret_cast<const char *>(data), size};
    check(received, RequestLimits{});
    // Tight limits too, so inputs of a few hundred bytes reach the limit checks.
    const std::size_t knob = size ? data[0] : 0;
    check(received, RequestLimits{64 + knob, knob % 8, knob * 4});
    return 0;
}
