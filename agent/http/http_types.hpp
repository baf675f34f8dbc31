// Requests and responses as the routes see them, free of Poco. SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/scope.hpp"

namespace vitals {

/// Header names compare case-insensitively (RFC 9110 §5.1).
struct CaseInsensitiveLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
};
using HttpHeaders = std::map<std::string, std::string, CaseInsensitiveLess>;

/// Who is asking, as the access check found: the scope their credentials grant
/// and whether they presented any (a denial is 401 without, 403 with).
struct Caller {
    Scope scope = Scope::write;
    bool presented_credentials = false;
};

struct HttpRequest {
    std::string method; ///< "GET", "HEAD", ...
    std::string path;   ///< percent-decoded
    std::string query;  ///< raw, without '?'
    HttpHeaders headers;
    std::string body;
    std::string peer; ///< the client's address, for rate limits and logs
    Caller caller;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::map<std::string, std::string> headers;
};

} // namespace vitals
