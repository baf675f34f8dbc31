// A small SMTP-like line server for the tcp plugin's dialogue tests, in the test process on
// 127.0.0.1, with STARTTLS or TLS from the first byte. SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include "network_support.hpp"

namespace vitals::test::network {

/// Greets with "220 vitals-test ready", then answers a line at a time:
///   EHLO <x>   "250-vitals-test", "250-STARTTLS", then "250 over TLS" or "250 in the clear"
///   STARTTLS   "220 go ahead", then the TLS handshake (with a certificate given)
///   SILENT     nothing at all
///   QUIT       "221 bye", and closes
///   anything   "500 what?"
/// With `implicit_tls`, every connection is TLS from its first byte.
class LineServer {
public:
    explicit LineServer(std::optional<CertFiles> tls = std::nullopt, bool implicit_tls = false) {
        if (tls)
            context_ =
                new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls->key.string(),
                                       tls->cert.string(), "", Poco::Net::Context::VERIFY_NONE);
        if (implicit_tls)
            socket_ = std::make_unique<Poco::Net::SecureServerSocket>(context_);
        else
            socket_ = std::make_unique<Poco::Net::ServerSocket>();
        socket_->bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
        socket_->listen(16);
        port_ = socket_->address().port();
        implicit_tls_ = implicit_tls;
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~LineServer() {
        stopping_ = true;
        acceptor_.join();
        const std::lock_guard lock{mutex_};
        for (auto &session : sessions_)
            session.join();
    }

    LineServer(const LineServer &) = delete;
    LineServer &operator=(const LineServer &) = delete;

    std::uint16_t port() const { return port_; }

    /// Every line the server received, over all connections.
    std::vector<std::string> received() const {
        const std::lock_guard lock{mutex_};
        return received_;
    }

private:
    void accept_loop() {
        while (!stopping_) {
            if (!socket_->poll(Poco::Timespan{0, 50'000}, Poco::Net::Socket::SELECT_READ)) continue;
            // Owned by its session thread alone: this thread keeps no copy. Poco's reference
            // count is not instrumented, so TSan would take a last release here (which
            // closes the socket) for a race with the session's reads.
            std::unique_ptr<Poco::Net::StreamSocket> client;
            try {
                // With implicit TLS, the handshake too.
                client = std::make_unique<Poco::Net::StreamSocket>(socket_->acceptConnection());
            } catch (const Poco::Exception &) {
                continue; // a client that refused the certificate
            }
            const std::lock_guard lock{mutex_};
            sessions_.emplace_back([this, owned = client.release()] {
                const std::unique_ptr<Poco::Net::StreamSocket> session{owned};
                serve(*session);
            });
        }
    }

    void serve(Poco::Net::StreamSocket &client) {
        try {
            client.setReceiveTimeout(Poco::Timespan{0, 100'000});
            bool secure = implicit_tls_;
            send(client, "220 vitals-test ready");
            std::string buffer;
            while (!stopping_) {
                const auto line = next_line(client, buffer);
                if (!line) return;
                {
                    const std::lock_guard lock{mutex_};
                    received_.push_back(*line);
                }
                if (line->starts_with("EHLO")) {
                    send(client, "250-vitals-test");
                    send(client, "250-STARTTLS");
                    send(client, secure ? "250 over TLS" : "250 in the clear");
                } else if (*line == "STARTTLS" && context_) {
                    send(client, "220 go ahead");
                    client = Poco::Net::SecureStreamSocket::attach(client, context_);
                    client.setReceiveTimeout(Poco::Timespan{0, 100'000});
                    secure = true;
                    buffer.clear();
                } else if (*line == "SILENT") {
                    continue;
                } else if (*line == "QUIT") {
                    send(client, "221 bye");
                    return;
                } else {
                    send(client, "500 what?");
                }
            }
        } catch (const Poco::Exception &) {
            // The client went away or failed its handshake: what some tests make it do.
        }
    }

    /// The next line without CR LF, or nothing once the client is gone or the server stops.
    std::optional<std::string> next_line(Poco::Net::StreamSocket &client, std::string &buffer) {
        for (;;) {
            if (const auto end = buffer.find("\r\n"); end != std::string::npos) {
                std::string line = buffer.substr(0, end);
                buffer.erase(0, end + 2);
                return line;
            }
            if (stopping_) return std::nullopt;
            char chunk[512];
            int got = 0;
            try {
                got = client.receiveBytes(chunk, sizeof chunk);
            } catch (const Poco::TimeoutException &) {
                continue;
            }
            if (got <= 0) return std::nullopt;
            buffer.append(chunk, static_cast<std::size_t>(got));
        }
    }

    static void send(Poco::Net::StreamSocket &client, const std::string &line) {
        const std::string data = line + "\r\n";
        client.sendBytes(data.data(), static_cast<int>(data.size()));
    }

    Poco::Net::Context::Ptr context_;
    std::unique_ptr<Poco::Net::ServerSocket> socket_;
    std::uint16_t port_ = 0;
    bool implicit_tls_ = false;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<std::string> received_;
    std::vector<std::thread> sessions_;
    std::thread acceptor_;
};

} // namespace vitals::test::network
