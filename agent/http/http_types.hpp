// Requests and responses as the routes see them, free of Poco. SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace vitals {

struct HttpRequest {
    std::string method; ///< "GET", "HEAD", ...
    std::string path;   ///< percent-decoded
    std::string query;  ///< raw, without '?'
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::map<std::string, std::string> headers;
};

} // namespace vitals
