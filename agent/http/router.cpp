// SPDX-License-Identifier: MIT
#include "http/router.hpp"

#include "http/health_json.hpp"

namespace vitals {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> segments;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return segments;
}

bool is_capture(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

} // namespace

HttpResponse json_response(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers["Cache-Control"] = "no-store";
    return response;
}

void Router::get(std::string pattern, Handler handler) {
    Route route;
    for (auto segment : split_path(pattern))
        route.segments.emplace_back(segment);
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

std::optional<Captures> Router::match(const Route &route,
                                      const std::vector<std::string_view> &path) {
    if (route.segments.size() != path.size()) return std::nullopt;
    Captures captures;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const std::string &segment = route.segments[i];
        if (is_capture(segment))
            captures.emplace(segment.substr(1, segment.size() - 2), path[i]);
        else if (segment != path[i])
            return std::nullopt;
    }
    return captures;
}

HttpResponse Router::handle(const HttpRequest &request) const {
    const auto path = split_path(request.path);
    for (const auto &route : routes_) {
        const auto captures = match(route, path);
        if (!captures) continue;
        if (request.method != "GET" && request.method != "HEAD") {
            auto response = json_response(
                405, render_error("method not allowed", request.method + " " + request.path));
            response.headers["Allow"] = "GET, HEAD";
            return response;
        }
        return route.handler(request, *captures);
    }
    return json_response(404, render_error("not found", request.path));
}

} // namespace vitals
