// Requests for driving a Router directly, without a server. SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "http/http_types.hpp"

namespace vitals::test {

/// A request for `target` ("/path?query"), as an anonymous caller with every scope
/// (what a server with no tokens configured grants).
inline HttpRequest make_request(std::string method, const std::string &target) {
    HttpRequest request;
    request.method = std::move(method);
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    return request;
}

inline HttpRequest get_request(const std::string &target) {
    return make_request("GET", target);
}

} // namespace vitals::test
