// One http check's TLS: its context and how its failures read. SPDX-License-Identifier: MIT
#pragma once

#include "watched_session.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <cstdint>
#include <memory>
#include <string>

namespace vitals::http {

/// A check's TLS parameters.
struct TlsSettings {
    bool verify = true;      ///< the chain and the host name
    std::string ca_file;     ///< trusted instead of the system's CAs; empty for those
    std::string client_cert; ///< PEM certificate (chain) shown to the server; empty for none
    std::string client_key;  ///< PEM private key of client_cert
};

/// Calls on one client are serialised, as the host serialises runs of one check.
class TlsClient {
public:
    explicit TlsClient(TlsSettings settings) : settings_(std::move(settings)) {}

    /// An HTTPS session to host:port that tells `observer` once the handshake is done.
    /// Throws std::runtime_error with the words that follow "METHOD URL: " when the TLS
    /// settings cannot be set up ("cannot load ca_file /etc/x.pem"); the next call retries.
    std::unique_ptr<Poco::Net::HTTPClientSession>
    session(const std::string &host, std::uint16_t port, ConnectionObserver &observer);
    /// The same through a proxy, which the session asks to CONNECT to host:port.
    std::unique_ptr<Poco::Net::HTTPClientSession>
    session(const std::string &host, std::uint16_t port, ConnectionObserver &observer,
            const Poco::Net::HTTPClientSession::ProxyConfig &proxy);

    /// TLS's words for a failure of the latest session made on this thread, or "" when
    /// TLS is not what failed. `connected`: whether the handshake had completed.
    std::string describe(const Poco::Exception &error, const std::string &host, bool connected,
                         const char *phase) const;

private:
    /// The settings as a context, made on first use: loading CA files is I/O, which a
    /// check's creation must not do. A failure is retried on the next run.
    Poco::Net::Context::Ptr context();

    const TlsSettings settings_;
    Poco::Net::Context::Ptr context_;
};

} // namespace vitals::http
