// SPDX-License-Identifier: MIT
#include "http/server/server_session.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <array>

#include <Poco/Exception.h>
#include <Poco/Timespan.h>

namespace vitals {
namespace {

std::chrono::microseconds time_left(ServerSession::Clock::time_point deadline) {
    return std::chrono::duration_cast<std::chrono::microseconds>(deadline -
                                                                 ServerSession::Clock::now());
}

/// Whether `current` is within a tenth of `wanted`.
bool close_enough(std::chrono::microseconds current, std::chrono::microseconds wanted) {
    return current <= wanted + wanted / 10 && current >= wanted - wanted / 10;
}

} // namespace

ServerSession::ServerSession(const Poco::Net::StreamSocket &socket,
                             Poco::Net::HTTPServerParams::Ptr params)
    // Poco's constructor sets the socket's receive timeout to params' timeout.
    : HTTPServerSession(socket, params),
      receive_timeout_(params->getTimeout().totalMicroseconds()) {}

bool ServerSession::wait_for_request(std::chrono::milliseconds timeout) {
    if (buffered() > 0) return true;
    // Over TLS, bytes OpenSSL has already decrypted do not make the socket readable.
    if (socket().secure() && socket().available() > 0) return true;
    pollfd waiting{socket().impl()->sockfd(), POLLIN, 0};
    int ready = 0;
    do {
        ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
}

bool ServerSession::allow_read_until(Clock::time_point deadline) {
    if (buffered() > 0) return true;
    const auto left = time_left(deadline);
    if (left <= std::chrono::microseconds::zero()) return false;
    limit_receive_time(left);
    return true;
}

void ServerSession::limit_receive_time(std::chrono::microseconds left) {
    if (close_enough(receive_timeout_, left)) return;
    socket().setReceiveTimeout(to_timespan(left));
    receive_timeout_ = left;
}

void ServerSession::limit_send_time(std::chrono::microseconds left) {
    if (close_enough(send_timeout_, left)) return;
    socket().setSendTimeout(to_timespan(left));
    send_timeout_ = left;
}

Poco::Net::HTTPRequest ServerSession::read_head(const RequestLimits &limits,
                                                Clock::time_point deadline) {
    const ByteSource next_byte = [&]() -> int {
        if (!allow_read_until(deadline)) return out_of_time;
        try {
            // Not get(): it returns a byte as a signed char, so 0xff would read as the end.
            if (buffered() == 0) refill(); // one recv() per buffer, not per byte
            char byte = 0;
            if (buffered() == 0 || read(&byte, 1) != 1) return end_of_input;
            return static_cast<unsigned char>(byte);
        } catch (const Poco::TimeoutException &) {
            return out_of_time;
        } catch (const Poco::Exception &) {
            return end_of_input; // reset by the peer and the like
        }
    };
    return read_request_head(next_byte, limits);
}

std::string ServerSession::read_body(std::size_t length, Clock::time_point deadline) {
    std::string body(length, '\0');
    std::size_t received = 0;
    while (received < length) {
        if (!allow_read_until(deadline))
            throw RefusedRequest{408, "request body not received in time"};
        int count = 0;
        try {
            count = read(body.data() + received, static_cast<std::streamsize>(std::min<std::size_t>(
                                                     length - received, 1 << 16)));
        } catch (const Poco::TimeoutException &) {
            throw RefusedRequest{408, "request body not received in time"};
        } catch (const Poco::Exception &) {
            throw ClientGone{};
        }
        if (count <= 0) throw ClientGone{};
        received += static_cast<std::size_t>(count);
    }
    return body;
}

void ServerSession::send(std::string_view bytes, Clock::time_point deadline) {
    // In pieces, so the deadline holds for the whole reply, not for each write.
    constexpr std::size_t piece = 256 * 1024;
    while (!bytes.empty()) {
        const auto left = time_left(deadline);
        if (left <= std::chrono::microseconds::zero())
            throw Poco::TimeoutException{"reply not taken in time"};
        limit_send_time(left);
        const std::size_t size = std::min(bytes.size(), piece);
        write(bytes.data(), static_cast<std::streamsize>(size));
        bytes.remove_prefix(size);
    }
}

void ServerSession::linger() {
    constexpr auto linger_time = std::chrono::milliseconds{500};
    constexpr std::size_t linger_bytes = 64 * 1024;
    try {
        // The raw socket, not Poco's shutdownSend(): over TLS that would wait for the
        // client's close_notify. The reply was length-delimited; the client has it all.
        ::shutdown(socket().impl()->sockfd(), SHUT_WR);
        const auto deadline = Clock::now() + linger_time;
        std::array<char, 4096> sink;
        for (std::size_t drained = 0; drained < linger_bytes;) {
            if (!allow_read_until(deadline)) return;
            const int count = read(sink.data(), sink.size());
            if (count <= 0) return;
            drained += static_cast<std::size_t>(count);
        }
    } catch (const Poco::Exception &) {
        // The client went away or stayed silent: either way, done.
    }
}

} // namespace vitals
