// TLS for the event-driven server: Poco NetSSL's Context, OpenSSL per connection.
// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "config/configuration.hpp"
#include "http/server/transport.hpp"

namespace vitals {

/// The server side of TLS: certificate, key, TLS 1.2 as the minimum and, with a
/// client CA, required client certificates. Poco's blocking socket classes do
/// not fit an event loop, so each connection drives OpenSSL directly through
/// the SSL_CTX that Poco's Context built.
class TlsServerContext {
public:
    /// Throws std::runtime_error naming the file when a certificate or key cannot be used.
    explicit TlsServerContext(const TlsSettings &settings);
    ~TlsServerContext();
    TlsServerContext(const TlsServerContext &) = delete;
    TlsServerContext &operator=(const TlsServerContext &) = delete;

    /// A TLS transport over the accepted non-blocking socket `fd` (owned by the caller).
    std::unique_ptr<Transport> accept(int fd) const;

    /// The oldest protocol a handshake may use, as OpenSSL numbers it (TLS1_2_VERSION):
    /// what the tests check, since OpenSSL's own defaults would hide a missing minimum.
    int min_protocol_version() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vitals
