// Path patterns → handlers, in one table. SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.hpp"

namespace vitals {

/// Values of a pattern's "<...>" segments, by name ("name", "token", ...).
using Captures = std::map<std::string, std::string, std::less<>>;

/// Matches "/health/checks/<name>"-style patterns: a "<...>" segment
/// captures one non-empty path segment; a trailing slash is optional. GET
/// and HEAD only; HEAD is answered by the GET handler (the server drops the
/// body). Routes are tried in registration order.
class Router {
public:
    using Handler = std::function<HttpResponse(const HttpRequest &, const Captures &)>;

    void get(std::string pattern, Handler handler);
    HttpResponse handle(const HttpRequest &request) const;

private:
    struct Route {
        std::vector<std::string> segments;
        Handler handler;
    };
    static std::optional<Captures> match(const Route &route,
                                         const std::vector<std::string_view> &path);

    std::vector<Route> routes_;
};

HttpResponse json_response(int status, std::string body);

} // namespace vitals
