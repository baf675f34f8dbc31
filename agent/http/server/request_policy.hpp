// What the server accepts of a request head Poco has parsed. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <variant>

#include <Poco/Net/HTTPRequest.h>

#include "http/server/request_reader.hpp"

namespace vitals {

/// Poco's parser is lenient (RFC 9112 lets a server be): it takes any version string,
/// names with spaces and control characters in values. This refuses what a proxy in
/// front could read differently (request smuggling) or no route can mean: a version
/// other than HTTP/1.0 and 1.1 (505), Transfer-Encoding (501: bodies are small, send
/// Content-Length), conflicting or malformed Content-Length (400), a body over the
/// limit (413), an expectation other than 100-continue (417), a malformed method,
/// field name or value (400). Gives the body's length when the head is acceptable.
std::variant<std::size_t, RefusedRequest> check_request_head(const Poco::Net::HTTPRequest &head,
                                                             const RequestLimits &limits);

} // namespace vitals
