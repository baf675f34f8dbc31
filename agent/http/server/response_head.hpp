// A response's status line and header fields, as Poco writes them. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>

#include "http/http_types.hpp"

namespace vitals {

/// The head of `response` for a body of `length` bytes, with Date, Server,
/// Content-Type, Content-Length and Connection. Header names and values a route built
/// from untrusted text lose any CR or LF, so no header can be injected.
std::string response_head(const HttpResponse &response, std::size_t length, bool keep_alive);

/// "100 Continue", for a client that waits for it before sending a body.
std::string interim_continue();

} // namespace vitals
