// One client connection of the event-driven server: bytes in, requests out, replies back.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/http_types.hpp"
#include "http/server/request_head.hpp"
#include "http/server/transport.hpp"

namespace vitals {

struct ConnectionLimits {
    RequestLimits request;
    std::chrono::milliseconds keep_alive_timeout{5000}; ///< idle between requests
    std::chrono::milliseconds request_timeout{
        5000};                    ///< first byte to whole request; also per reply
    unsigned max_requests = 1000; ///< per connection; 0: no limit
};

/// Turns a complete request into a response; runs on the event loop's thread.
using Dispatch = std::function<HttpResponse(HttpRequest &)>;

/// Which events the connection waits for next; `close` ends it.
struct Interest {
    bool read = false;
    bool write = false;
    bool close = false;
};

/// Never blocks: reads what the socket has, answers every complete request
/// (pipelined ones in order), writes what the socket takes, and keeps the rest
/// for the next readiness event. All deadlines are checked by `expire`.
class Connection {
public:
    using Clock = std::chrono::steady_clock;

    Connection(std::unique_ptr<Transport> transport, std::string peer,
               const ConnectionLimits &limits, Clock::time_point now);

    /// After epoll reported the socket readable and/or writable.
    Interest on_ready(const Dispatch &dispatch, Clock::time_point now);
    /// Closes a connection past its deadline: a slow request gets a 408 first (best effort).
    bool expired(Clock::time_point now);
    /// Idle between requests, nothing pending: safe to close to make room for a new client.
    bool idle() const;
    Clock::time_point idle_since() const { return last_activity_; }
    /// The client's address.
    const std::string &peer() const { return peer_; }

private:
    enum class State { reading, closing_after_write, closed };

    bool read_available(Clock::time_point now);
    void serve_buffered(const Dispatch &dispatch, Clock::time_point now);
    void respond(const HttpResponse &response, bool head_only, bool keep_alive);
    bool flush();
    Interest interest() const;

    std::unique_ptr<Transport> transport_;
    std::string peer_;
    const ConnectionLimits &limits_;
    std::string in_;
    std::string out_;
    std::size_t out_sent_ = 0;
    std::optional<RequestHead> head_; ///< parsed, waiting for its body
    bool sent_continue_ = false;      ///< "100 Continue" already sent for head_
    bool blocked_on_write_ = false;   ///< TLS or the socket wants writability first
    bool blocked_on_read_ = false;    ///< TLS wants readability before a write can go on
    unsigned served_ = 0;
    State state_ = State::reading;
    Clock::time_point last_activity_;
    std::optional<Clock::time_point> request_started_; ///< first byte of the pending request
    std::optional<Clock::time_point> write_started_;   ///< oldest unsent reply byte
};

} // namespace vitals
