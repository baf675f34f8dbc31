// SPDX-License-Identifier: MIT
#include "http/server/response_head.hpp"

#include <sstream>
#include <string_view>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

namespace vitals {
namespace {

std::string without_line_breaks(std::string_view text) {
    std::string clean;
    clean.reserve(text.size());
    for (const char c : text)
        if (c != '\r' && c != '\n') clean.push_back(c);
    return clean;
}

std::string written(const Poco::Net::HTTPResponse &head) {
    std::ostringstream out;
    head.write(out);
    return std::move(out).str();
}

} // namespace

std::string response_head(const HttpResponse &response, std::size_t length, bool keep_alive) {
    Poco::Net::HTTPResponse head{static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status)};
    head.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    head.setDate(Poco::Timestamp{});
    head.set("Server", "vitals");
    head.setContentType(without_line_breaks(response.content_type));
    head.setContentLength64(static_cast<Poco::Int64>(length));
    // HTTP/1.1 keeps the connection unless told (Poco's setKeepAlive() would write
    // "Keep-Alive" and "Close"; "close" is how clients commonly look for it).
    if (!keep_alive) head.set("Connection", "close");
    for (const auto &[name, value] : response.headers)
        head.set(without_line_breaks(name), without_line_breaks(value));
    return written(head);
}

std::string interim_continue() {
    Poco::Net::HTTPResponse go_on{Poco::Net::HTTPResponse::HTTP_CONTINUE};
    go_on.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    return written(go_on);
}

} // namespace vitals
