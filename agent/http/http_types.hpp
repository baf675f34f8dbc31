// Requests and responses as the routes see them, free of Poco. SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <memory>
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
    /// The name of the token presented, or "anonymous": who silenced a check, say.
    std::string name = "anonymous";
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
    /// A cached render, shared by every request that reads it instead of copied into
    /// `body`: a thousand slow readers of one big page hold one copy of it.
    std::shared_ptr<const std::string> shared_body;

    /// What goes on the wire: the shared render when there is one, else `body`.
    std::string_view payload() const { return shared_body ? *shared_body : body; }
};

} // namespace vitals
