// HTTP as bytes on a socket, for tests of what well-behaved clients never send.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <regex>
#include <string>

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

namespace vitals::test {

/// One client connection on loopback, sending whatever it is told to.
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port)
        : socket_(Poco::Net::SocketAddress{"127.0.0.1", port}) {
        socket_.setNoDelay(true);
    }
    /// From another loopback address (127.0.0.2, ...): another client, as the agent counts.
    RawConnection(std::uint16_t port, const std::string &source) {
        socket_.impl()->bind(Poco::Net::SocketAddress{source, 0});
        socket_.connect(Poco::Net::SocketAddress{"127.0.0.1", port});
        socket_.setNoDelay(true);
    }

    /// False when the server has already closed or reset the connection.
    bool send(const std::string &bytes) {
        try {
            std::size_t sent = 0;
            while (sent < bytes.size()) {
                const int n =
                    socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
                if (n <= 0) return false;
                sent += static_cast<std::size_t>(n);
            }
            return true;
        } catch (const Poco::Exception &) {
            return false;
        }
    }

    /// Reads until the server closes the connection, `limit` passes, or (with
    /// `until`) that text has arrived.
    std::string receive(std::chrono::milliseconds limit, const std::string &until = "") {
        std::string reply;
        const auto give_up = std::chrono::steady_clock::now() + limit;
        char buffer[4096];
        while (std::chrono::steady_clock::now() < give_up) {
            if (!until.empty() && reply.find(until) != std::string::npos) break;
            const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
                give_up - std::chrono::steady_clock::now());
            socket_.setReceiveTimeout(Poco::Timespan{std::max<long>(left.count(), 1000)});
            try {
                const int n = socket_.receiveBytes(buffer, sizeof buffer);
                if (n <= 0) {
                    closed_ = true;
                    break;
                }
                reply.append(buffer, static_cast<std::size_t>(n));
            } catch (const Poco::TimeoutException &) {
                break;
            } catch (const Poco::Exception &) {
                closed_ = true; // reset by the server
                break;
            }
        }
        return reply;
    }

    /// Whether the last receive() saw the server close the connection.
    bool closed() const { return closed_; }

private:
    Poco::Net::StreamSocket socket_;
    bool closed_ = false;
};

/// Sends raw bytes on a fresh connection and reads until the server closes it.
inline std::string raw_exchange(std::uint16_t port, const std::string &bytes) {
    RawConnection connection{port};
    connection.send(bytes);
    return connection.receive(std::chrono::seconds{5});
}

/// The status code of the first reply in `reply`, or -1.
inline int raw_status(const std::string &reply) {
    static const std::regex status_line{R"(^HTTP/1\.[01] (\d{3}) )"};
    std::smatch match;
    return std::regex_search(reply, match, status_line) ? std::stoi(match[1]) : -1;
}

} // namespace vitals::test
