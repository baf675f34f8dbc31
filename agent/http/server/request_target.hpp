// The request target: from what the client sent to the path the router matches.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace vitals {

struct RequestTarget {
    std::string path;  ///< percent-decoded, valid UTF-8, no "." or ".." segments
    std::string query; ///< raw, without '?'
};

struct BadTarget {
    int status; ///< 400
    std::string reason;
};

/// Accepts origin-form ("/a/b?q") and absolute-form ("http://host/a/b?q"). Refuses
/// what no route can mean and what path tricks rely on: dot segments, encoded
/// slashes and NULs, malformed percent escapes, control characters, invalid UTF-8.
std::variant<RequestTarget, BadTarget> parse_request_target(std::string_view target);

} // namespace vitals
