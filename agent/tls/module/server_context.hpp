// The TLS module's server side: Poco NetSSL's Context, OpenSSL per connection.
// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "http/server/tls_server_context.hpp"

namespace vitals {

/// Poco's blocking socket classes do not fit an event loop, so each connection
/// drives OpenSSL directly through the SSL_CTX that Poco's Context built.
/// Throws std::runtime_error naming the files when they cannot be used.
std::unique_ptr<TlsServerContext> openssl_server_context(const TlsSettings &settings);

} // namespace vitals
