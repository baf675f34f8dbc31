// One connection's bytes, read and written by Poco within the server's limits.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Timespan.h>

#include "http/server/request_reader.hpp"

namespace vitals {

/// A std::chrono duration as Poco takes one, in whole microseconds.
template <class Rep, class Period>
Poco::Timespan to_timespan(std::chrono::duration<Rep, Period> time) {
    return Poco::Timespan{static_cast<Poco::Timespan::TimeDiff>(
        std::chrono::duration_cast<std::chrono::microseconds>(time).count())};
}

/// Poco's server session (keep-alive, its read buffer, its socket) with the reads and
/// writes the server needs on top: each bounded by a deadline for the whole request or
/// reply, not only per read, so a client sending or reading a byte a second cannot hold
/// its thread for long; and a head bounded in bytes and lines before Poco keeps it.
class ServerSession : public Poco::Net::HTTPServerSession {
public:
    using Clock = std::chrono::steady_clock;

    ServerSession(const Poco::Net::StreamSocket &socket, Poco::Net::HTTPServerParams::Ptr params);

    /// Waits up to `timeout` for the next request's first byte (or the client's close,
    /// which the read then finds); false when none came. Not Poco's hasMoreRequests():
    /// its poll() opens, fills and closes an epoll set for every wait, four system calls
    /// and a second descriptor per waiting connection where poll(2) needs one and none.
    bool wait_for_request(std::chrono::milliseconds timeout);

    /// The next request's head (see read_request_head()), by the deadline.
    Poco::Net::HTTPRequest read_head(const RequestLimits &limits, Clock::time_point deadline);
    /// The `length` body bytes that follow the head; throws RefusedRequest (408) or ClientGone.
    std::string read_body(std::size_t length, Clock::time_point deadline);
    /// Sends all of `bytes`; throws Poco::TimeoutException past the deadline.
    void send(std::string_view bytes, Clock::time_point deadline);
    /// After a reply that ends the connection: stop sending and read (briefly, bounded)
    /// what the client still sends, so that closing with its bytes unread does not
    /// reset the connection before it reads the reply.
    void linger();

private:
    /// Limits the next socket read to the time left; false when none is.
    bool allow_read_until(Clock::time_point deadline);
    /// The socket's receive and send timeouts, set to `left` unless already within a
    /// tenth of it: one setsockopt() per request at most, usually none.
    void limit_receive_time(std::chrono::microseconds left);
    void limit_send_time(std::chrono::microseconds left);

    std::chrono::microseconds receive_timeout_;
    std::chrono::microseconds send_timeout_{0};
};

} // namespace vitals
