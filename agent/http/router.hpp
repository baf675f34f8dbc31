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
/// captures one non-empty path segment; a trailing slash is optional. Each
/// route has a method (GET routes also answer HEAD; the server drops the body)
/// and the scope a caller needs. Routes are tried in registration order; a
/// path that matches only under other methods is 405 with `Allow`.
class Router {
public:
    using Handler = std::function<HttpResponse(const HttpRequest &, const Captures &)>;

    void get(std::string pattern, Handler handler, Scope needs = Scope::read);
    void post(std::string pattern, Handler handler, Scope needs = Scope::write);
    void del(std::string pattern, Handler handler, Scope needs = Scope::write); ///< DELETE
    HttpResponse handle(const HttpRequest &request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        Scope needs;
        Handler handler;
    };
    void add(std::string method, std::string_view pattern, Handler handler, Scope needs);
    static std::optional<Captures> match(const Route &route,
                                         const std::vector<std::string_view> &path);

    std::vector<Route> routes_;
};

HttpResponse json_response(int status, std::string body);

/// A JSON error ({"error": "request timeout", "detail": ...}) named after the status's
/// standard reason phrase: for requests the server refuses before any route.
HttpResponse error_response(int status, std::string_view detail);

/// 401 (no credentials, with `WWW-Authenticate`) or 403 (not enough scope); the body
/// says which scope is needed and nothing about checks.
HttpResponse access_denied(const Caller &caller, Scope needs);

} // namespace vitals
