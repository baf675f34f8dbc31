// A Poco client session that says when its connection is up, so that the http plugin's
// deadline reaper can take hold of the socket. SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/SocketAddress.h>

#include <utility>

namespace vitals::http {

/// Told once a session's connection is up.
class ConnectionObserver {
public:
    /// [the thread running the exchange] `fd` is the session's socket, valid for the call.
    virtual void connected(int fd) = 0;

protected:
    ~ConnectionObserver() = default;
};

/// A Poco session (HTTPClientSession or HTTPSClientSession) that tells its observer about
/// every connection it makes.
template <class Session> class WatchedSession : public Session {
public:
    template <class... Args>
    explicit WatchedSession(ConnectionObserver &observer, Args &&...args)
        : Session(std::forward<Args>(args)...), observer_(observer) {}

protected:
    void connect(const Poco::Net::SocketAddress &address) override {
        Session::connect(address); // with TLS: the handshake and certificate checks too
        observer_.connected(this->socket().impl()->sockfd());
    }

private:
    ConnectionObserver &observer_;
};

} // namespace vitals::http
