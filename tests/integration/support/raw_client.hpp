// HTTP as bytes on a socket, for tests of what well-behaved clients never send.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

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
        remember_ports();
    }
    /// From another loopback address (127.0.0.2, ...): another client, as the agent counts.
    RawConnection(std::uint16_t port, const std::string &source) {
        socket_.impl()->bind(Poco::Net::SocketAddress{source, 0});
        socket_.connect(Poco::Net::SocketAddress{"127.0.0.1", port});
        socket_.setNoDelay(true);
        remember_ports();
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

    /// Waits until the server has read every byte sent so far (its socket's receive queue in
    /// /proc/net/tcp is empty), for up to `limit`. What a test may then rely on, where a
    /// sleep of some milliseconds only hopes, and fails on a busy machine.
    bool wait_until_read_by_server(std::chrono::milliseconds limit) const {
        const auto give_up = std::chrono::steady_clock::now() + limit;
        // No row: the server has closed the connection already, with nothing left to read.
        while (server_receive_queue().value_or(0) != 0) {
            if (std::chrono::steady_clock::now() >= give_up) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds{1});
        }
        return true;
    }

private:
    // Asked at the start: once the server has closed the connection they cannot be.
    void remember_ports() {
        server_port_ = socket_.peerAddress().port();
        client_port_ = socket_.address().port();
    }

    /// Bytes the server's end of this connection holds unread; nullopt if it is not listed.
    std::optional<unsigned long> server_receive_queue() const {
        // Rows: "sl local_address rem_address st tx_queue:rx_queue ...", ports in hex.
        const auto port_of = [](const std::string &address) {
            return std::stoul(address.substr(address.find(':') + 1), nullptr, 16);
        };
        std::ifstream tcp{"/proc/net/tcp"};
        std::string line;
        std::getline(tcp, line); // the header
        while (std::getline(tcp, line)) {
            std::istringstream fields{line};
            std::string slot, local, remote, state, queues;
            fields >> slot >> local >> remote >> state >> queues;
            if (port_of(local) == server_port_ && port_of(remote) == client_port_)
                return std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16);
        }
        return std::nullopt;
    }

    Poco::Net::StreamSocket socket_;
    std::uint16_t server_port_ = 0;
    std::uint16_t client_port_ = 0;
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
