// One client connection: requests in through Poco, the routes, replies out through Poco.
// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnection.h>

#include "http/http_types.hpp"
#include "http/server/connection_board.hpp"
#include "http/server/server_session.hpp"

namespace vitals {

/// Turns a complete request into a response; runs on the connection's thread.
using Dispatch = std::function<HttpResponse(HttpRequest &)>;

/// What every connection of one server shares.
struct ServingRules {
    RequestLimits limits;
    Poco::Net::HTTPServerParams::Ptr params; ///< keep-alive timeout, requests per connection
    Dispatch dispatch;
};

/// Runs on a thread of Poco's pool for as long as the client keeps the connection
/// (Poco's TCPServerDispatcher starts it). Without a seat on the board the server is
/// full: the client gets a 503 instead of a reset.
class ServedConnection : public Poco::Net::TCPServerConnection {
public:
    ServedConnection(const Poco::Net::StreamSocket &socket, const ServingRules &rules,
                     std::string peer, std::optional<ConnectionBoard::Seat> seat);

    void run() override;

private:
    /// Serves one request (`last`: the last one the connection may make); false when
    /// the connection ends after it.
    bool serve_one(bool last);
    HttpResponse answer(HttpRequest &request);
    void respond(const HttpResponse &response, bool head_only, bool keep_alive,
                 ServerSession::Clock::time_point deadline);
    /// A reply the server makes itself, after which the connection closes.
    void refuse(int status, std::string_view reason);
    void refuse_busy();

    const ServingRules &rules_;
    std::string peer_;
    ServerSession session_; ///< closes the socket when destroyed: declared before seat_
    std::optional<ConnectionBoard::Seat> seat_;
};

} // namespace vitals
