// SPDX-License-Identifier: MIT
#include "http/server/response_writer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "http/health_json.hpp"
#include "http/router.hpp"

namespace vitals {
namespace {

void append_clean(std::string &out, std::string_view text) {
    for (const char c : text)
        if (c != '\r' && c != '\n') out.push_back(c);
}

void append_header(std::string &out, std::string_view name, std::string_view value) {
    append_clean(out, name);
    out.append(": ");
    append_clean(out, value);
    out.append("\r\n");
}

/// The Date header's value, formatted once per second per thread.
std::string_view http_date() {
    thread_local std::time_t cached_second = 0;
    thread_local char text[40] = {};
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm utc{};
        ::gmtime_r(&now, &utc);
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached_second = now;
    }
    return text;
}

} // namespace

std::string_view reason_phrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

void write_response(const HttpResponse &response, bool head_only, bool keep_alive,
                    std::string &out) {
    out.reserve(out.size() + 256 + (head_only ? 0 : response.body.size()));
    fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", response.status,
                   reason_phrase(response.status));
    append_header(out, "Date", http_date());
    append_header(out, "Server", "vitals");
    append_header(out, "Content-Type", response.content_type);
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", response.body.size());
    if (!keep_alive) out.append("Connection: close\r\n");
    for (const auto &[name, value] : response.headers)
        append_header(out, name, value);
    out.append("\r\n");
    if (!head_only) out.append(response.body);
}

HttpResponse error_response(int status, std::string_view detail) {
    // "bad request", like the router's own errors.
    std::string error{reason_phrase(status)};
    std::transform(error.begin(), error.end(), error.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return json_response(status, render_error(error, detail));
}

} // namespace vitals
