// SPDX-License-Identifier: MIT
#include "http/router.hpp"

#include <algorithm>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/String.h>
#include <vitals_plugins/text.hpp>

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

HttpResponse error_response(int status, std::string_view detail) {
    std::string error = Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    Poco::toLowerInPlace(error);
    return json_response(status, render_error(error, detail));
}

HttpResponse json_response(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers["Cache-Control"] = "no-store";
    return response;
}

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
    return plugins::compare_ignoring_case(a, b) < 0;
}

HttpResponse access_denied(const Caller &caller, Scope needs) {
    const std::string detail = "this route needs the " + std::string{to_string(needs)} + " scope";
    if (!caller.presented_credentials) {
        auto response = json_response(401, render_error("unauthorized", detail));
        response.headers["WWW-Authenticate"] = "Bearer realm=\"vitals\"";
        return response;
    }
    return json_response(403, render_error("forbidden", detail));
}

void Router::get(std::string pattern, Handler handler, Scope needs) {
    add("GET", pattern, std::move(handler), needs);
}

void Router::post(std::string pattern, Handler handler, Scope needs) {
    add("POST", pattern, std::move(handler), needs);
}

void Router::del(std::string pattern, Handler handler, Scope needs) {
    add("DELETE", pattern, std::move(handler), needs);
}

void Router::add(std::string method, std::string_view pattern, Handler handler, Scope needs) {
    Route route;
    route.method = std::move(method);
    for (auto segment : split_path(pattern))
        route.segments.emplace_back(segment);
    route.needs = needs;
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
    const std::string_view method =
        request.method == "HEAD" ? std::string_view{"GET"} : std::string_view{request.method};
    std::vector<std::string_view> allowed;
    for (const auto &route : routes_) {
        const auto captures = match(route, path);
        if (!captures) continue;
        if (route.method != method) {
            if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end())
                allowed.push_back(route.method);
            continue;
        }
        if (request.caller.scope < route.needs) return access_denied(request.caller, route.needs);
        return route.handler(request, *captures);
    }
    if (allowed.empty()) return json_response(404, render_error("not found", request.path));
    std::string allow;
    for (const auto m : allowed)
        allow +=
            std::string{allow.empty() ? "" : ", "} + std::string{m} + (m == "GET" ? ", HEAD" : "");
    auto response =
        json_response(405, render_error("method not allowed", request.method + " " + request.path));
    response.headers["Allow"] = allow;
    return response;
}

} // namespace vitals
