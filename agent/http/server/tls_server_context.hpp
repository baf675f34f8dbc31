// TLS for the event-driven server, as the event loop sees it. SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "config/tls_settings.hpp"
#include "http/server/transport.hpp"

namespace vitals {

/// The server side of TLS: certificate, key, TLS 1.2 as the minimum and, with a
/// client CA, required client certificates. Implemented in the TLS module
/// (agent/tls/module/), so OpenSSL is mapped only into agents that serve HTTPS.
class TlsServerContext {
public:
    virtual ~TlsServerContext() = default;

    /// A TLS transport over the accepted non-blocking socket `fd` (owned by the caller).
    virtual std::unique_ptr<Transport> accept(int fd) const = 0;

    /// The oldest protocol a handshake may use, as OpenSSL numbers it (TLS1_2_VERSION):
    /// what the tests check, since OpenSSL's own defaults would hide a missing minimum.
    virtual int min_protocol_version() const = 0;
};

/// Loads the TLS module on first use. Throws std::runtime_error naming the file
/// when a certificate or key cannot be used, or the module when it cannot be loaded.
std::unique_ptr<TlsServerContext> make_tls_server_context(const TlsSettings &settings);

} // namespace vitals
