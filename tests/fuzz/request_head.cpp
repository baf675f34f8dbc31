// Fuzzes the server's reading of a request head: our glue (byte feed, limits, policy)
// on top of Poco's parser, with the bytes a client sends. SPDX-License-Identifier: MIT
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include <Poco/Net/HTTPRequest.h>

#include "http/server/request_policy.hpp"
#include "http/server/request_reader.hpp"
#include "http_invariants.hpp"

namespace {

using vitals::ClientGone;
using vitals::RefusedRequest;
using vitals::RequestLimits;

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_clean_value(std::string_view value) {
    return std::none_of(value.begin(), value.end(),
                        [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

/// Reads a head the way the server does, counting the bytes it takes.
struct Reading {
    std::variant<Poco::Net::HTTPRequest, RefusedRequest, ClientGone> outcome;
    std::size_t taken = 0;
};

Reading read(std::string_view received, const RequestLimits &limits) {
    Reading reading{ClientGone{}};
    const vitals::ByteSource source = [&]() -> int {
        return reading.taken < received.size()
                   ? static_cast<unsigned char>(received[reading.taken++])
                   : vitals::end_of_input;
    };
    try {
        reading.outcome = vitals::read_request_head(source, limits);
    } catch (const RefusedRequest &refused) {
        reading.outcome = refused;
    } catch (const ClientGone &gone) {
        reading.outcome = gone;
    }
    return reading;
}

void check_accepted(std::string_view received, const Reading &reading,
                    const Poco::Net::HTTPRequest &head, const RequestLimits &limits) {
    // The head is taken whole, within the limits, and nothing after it.
    FUZZ_CHECK(reading.taken <= limits.max_head_bytes);
    FUZZ_CHECK(received.substr(0, reading.taken).find('\0') == std::string_view::npos);
    FUZZ_CHECK(received.substr(0, reading.taken).ends_with("\n"));
    FUZZ_CHECK(static_cast<std::size_t>(head.size()) <= limits.max_headers);

    // The same bytes alone give the same head: what follows (a body, a pipelined
    // request) does not change it.
    const Reading alone = read(received.substr(0, reading.taken), limits);
    const auto *same = std::get_if<Poco::Net::HTTPRequest>(&alone.outcome);
    FUZZ_CHECK(same && same->getMethod() == head.getMethod() && same->getURI() == head.getURI() &&
               same->size() == head.size());

    const auto framing = vitals::check_request_head(head, limits);
    if (const auto *refused = std::get_if<RefusedRequest>(&framing)) {
        FUZZ_CHECK(refused->status >= 400 && refused->status <= 599);
        return;
    }
    // What reaches the routes: a token method, token names, clean values, no framing a
    // proxy in front could read differently, a body within the limit.
    FUZZ_CHECK(std::all_of(head.getMethod().begin(), head.getMethod().end(), is_token_char));
    for (const auto &[name, value] : head) {
        FUZZ_CHECK(!name.empty() && std::all_of(name.begin(), name.end(), is_token_char));
        FUZZ_CHECK(is_clean_value(value));
    }
    FUZZ_CHECK(!head.has("Transfer-Encoding"));
    FUZZ_CHECK(std::get<std::size_t>(framing) <= limits.max_body_bytes);

    const auto target = vitals::parse_request_target(head.getURI());
    if (const auto *accepted = std::get_if<vitals::RequestTarget>(&target))
        vitals_fuzz::check_accepted_target(*accepted);
}

void check(std::string_view received, const RequestLimits &limits) {
    const Reading reading = read(received, limits);
    if (const auto *refused = std::get_if<RefusedRequest>(&reading.outcome)) {
        FUZZ_CHECK(refused->status >= 400 && refused->status <= 599);
        FUZZ_CHECK(!refused->reason.empty());
        FUZZ_CHECK(reading.taken <= limits.max_head_bytes + 1);
    } else if (std::holds_alternative<ClientGone>(reading.outcome)) {
        // Waiting for more is only right while within the limit, with no NUL seen.
        FUZZ_CHECK(reading.taken == received.size());
        FUZZ_CHECK(received.size() <= limits.max_head_bytes);
        FUZZ_CHECK(received.find('\0') == std::string_view::npos);
    } else {
        check_accepted(received, reading, std::get<Poco::Net::HTTPRequest>(reading.outcome),
                       limits);
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
