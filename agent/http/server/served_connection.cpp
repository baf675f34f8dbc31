// SPDX-License-Identifier: MIT
#include "http/server/served_connection.hpp"

#include <Poco/Exception.h>

#include "core/log.hpp"
#include "http/router.hpp"
#include "http/server/request_policy.hpp"
#include "http/server/request_target.hpp"
#include "http/server/response_head.hpp"

namespace vitals {
namespace {

using Clock = ServerSession::Clock;

/// Bodies this small go out in one write with their head.
constexpr std::size_t coalesce_below = 16 * 1024;

HttpHeaders headers_of(const Poco::Net::HTTPRequest &head) {
    HttpHeaders headers;
    for (const auto &[name, value] : head) {
        // Repeated fields are one comma-separated list (RFC 9110 §5.3).
        const auto [slot, added] = headers.emplace(name, value);
        if (!added) slot->second += ", " + value;
    }
    return headers;
}

} // namespace

ServedConnection::ServedConnection(const Poco::Net::StreamSocket &socket, const ServingRules &rules,
                                   std::string peer, std::optional<ConnectionBoard::Seat> seat)
    : TCPServerConnection(socket), rules_(rules), peer_(std::move(peer)),
      session_(socket, rules.params), seat_(std::move(seat)) {}

void ServedConnection::run() {
    try {
        if (!seat_) {
            refuse_busy();
            return;
        }
        // The first request must come within the request timeout (a new connection has
        // not earned a keep-alive yet), the next ones within the keep-alive timeout.
        const auto max_requests = rules_.params->getMaxKeepAliveRequests();
        auto wait = rules_.limits.request_timeout;
        for (int served = 1; session_.wait_for_request(wait); ++served) {
            const bool last = max_requests > 0 && served >= max_requests;
            if (!seat_->begin_request() || !serve_one(last)) return;
            seat_->end_request();
            wait =
                std::chrono::milliseconds{rules_.params->getKeepAliveTimeout().totalMilliseconds()};
        }
    } catch (const ClientGone &) {
        // Not an error: the client closed or reset the connection; there is no one to answer.
    } catch (const Poco::Exception &e) {
        // A reset, a timeout writing to a client that stopped reading: theirs, not ours.
        log(LogLevel::debug, "http", "connection from {} ended: {}", peer_, e.displayText());
    } catch (const std::exception &e) {
        log(LogLevel::warning, "http", "connection from {} ended: {}", peer_, e.what());
    }
}

bool ServedConnection::serve_one(bool last) {
    const auto deadline = Clock::now() + rules_.limits.request_timeout;
    Poco::Net::HTTPRequest head;
    try {
        head = session_.read_head(rules_.limits, deadline);
    } catch (const RefusedRequest &refused) {
        refuse(refused.status, refused.reason);
        return false;
    }
    const auto framing = check_request_head(head, rules_.limits);
    if (const auto *refused = std::get_if<RefusedRequest>(&framing)) {
        refuse(refused->status, refused->reason);
        return false;
    }
    const std::size_t body_length = std::get<std::size_t>(framing);

    HttpRequest request;
    request.method = head.getMethod();
    request.headers = headers_of(head);
    request.peer = peer_;
    if (body_length > 0) {
        if (head.getExpectContinue()) session_.send(interim_continue(), deadline);
        try {
            request.body = session_.read_body(body_length, deadline);
        } catch (const RefusedRequest &refused) {
            refuse(refused.status, refused.reason);
            return false;
        }
    }
    const bool head_only = request.method == "HEAD";
    auto target = parse_request_target(head.getURI());
    if (const auto *bad = std::get_if<BadTarget>(&target)) {
        refuse(bad->status, bad->reason);
        return false;
    }
    auto &[path, query] = std::get<RequestTarget>(target);
    request.path = std::move(path);
    request.query = std::move(query);

    const HttpResponse response = answer(request);
    const bool keep_alive = head.getKeepAlive() && !last;
    respond(response, head_only, keep_alive, Clock::now() + rules_.limits.request_timeout);
    return keep_alive;
}

HttpResponse ServedConnection::answer(HttpRequest &request) {
    try {
        return rules_.dispatch(request);
    } catch (const std::exception &e) {
        log(LogLevel::error, "http", "{} {}: {}", request.method, request.path, e.what());
        return error_response(500, "see the agent log");
    }
}

void ServedConnection::respond(const HttpResponse &response, bool head_only, bool keep_alive,
                               Clock::time_point deadline) {
    const std::string_view body = response.payload();
    std::string bytes = response_head(response, body.size(), keep_alive);
    if (head_only) {
        session_.send(bytes, deadline);
    } else if (body.size() < coalesce_below) {
        bytes.append(body);
        session_.send(bytes, deadline);
    } else {
        session_.send(bytes, deadline);
        session_.send(body, deadline);
    }
}

void ServedConnection::refuse(int status, std::string_view reason) {
    respond(error_response(status, reason), false, false, Clock::now() + std::chrono::seconds{1});
    session_.linger();
}

void ServedConnection::refuse_busy() {
    // Read the request first (briefly): closing with it unread would reset the
    // connection, and the client would see a reset instead of this answer.
    Poco::Net::HTTPRequest head;
    try {
        head = session_.read_head(rules_.limits, Clock::now() + std::chrono::seconds{1});
    } catch (const RefusedRequest &) {
        // Malformed or slow: the answer is "busy" all the same.
    }
    auto response = error_response(503, "too many connections; try again");
    response.headers.emplace("Retry-After", "1"); // not operator[]: GCC 12's -Wrestrict misfires
    respond(response, head.getMethod() == "HEAD", false, Clock::now() + std::chrono::seconds{1});
    session_.linger();
}

} // namespace vitals
