// Parsing an HTTP/1.x request head from the bytes received so far. SPDX-License-Identifier: MIT
//
// Kept free of sockets so it can be tested and fuzzed on plain strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "http/http_types.hpp"

namespace vitals {

struct RequestLimits {
    std::size_t max_head_bytes = 8 * 1024; ///< request line and headers together
    std::size_t max_headers = 100;
    std::size_t max_body_bytes = 64 * 1024;
};

struct RequestHead {
    std::string method;
    std::string target; ///< as sent: "/health?verbose=0"
    HttpHeaders headers;
    std::size_t head_bytes = 0; ///< bytes up to and including the blank line
    std::size_t content_length = 0;
    bool keep_alive = true;
    bool expects_continue = false; ///< "Expect: 100-continue"
};

/// The whole head has not arrived yet (and what has is within the limits).
struct NeedMoreBytes {};

/// The request cannot be served: answer `status` and close the connection.
struct RejectedRequest {
    int status;
    std::string reason;
};

using HeadParse = std::variant<NeedMoreBytes, RequestHead, RejectedRequest>;

/// Parses the head at the start of `received`. Strict where leniency helps
/// request smuggling or hides attacks (bare LF, obsolete line folding, NULs,
/// Transfer-Encoding, conflicting Content-Length), standard everywhere else.
HeadParse parse_request_head(std::string_view received, const RequestLimits &limits);

} // namespace vitals
