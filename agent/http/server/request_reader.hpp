// One request head, from bytes to Poco's parse, within the server's limits.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <Poco/Net/HTTPRequest.h>

namespace vitals {

struct RequestLimits {
    std::size_t max_head_bytes = 8 * 1024; ///< request line and header fields
    std::size_t max_headers = 100;
    std::size_t max_body_bytes = 64 * 1024;
    std::chrono::milliseconds request_timeout{5000}; ///< first byte to whole request; each reply
};

/// A request the server answers itself (408, 413, 414, 431, 400...) before any route.
struct RefusedRequest {
    int status;
    std::string reason;
};

/// The client closed (or reset) the connection before a whole request head arrived:
/// there is no one to answer.
struct ClientGone {};

/// Where a head's bytes come from: the next byte (0-255), or one of these.
using ByteSource = std::function<int()>;
constexpr int end_of_input = -1;
constexpr int out_of_time = -2;

/// Poco parses the request line and header fields, fed one byte at a time so that it
/// never takes a byte of the body or of a pipelined request, and cut off at the limits
/// (bytes and lines in the head, the deadline). Then the head must pass
/// check_request_head(). Throws RefusedRequest (408 late, 414 or 431 too large, 400
/// malformed, or a refusal of check_request_head) or ClientGone.
Poco::Net::HTTPRequest read_request_head(const ByteSource &next_byte, const RequestLimits &limits);

/// For tests and the fuzzer: a whole head (and whatever follows) already in memory.
Poco::Net::HTTPRequest read_request_head(std::string_view bytes, const RequestLimits &limits);

} // namespace vitals
