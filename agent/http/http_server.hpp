// The HTTP front door: listening socket, connections, access and routes. SPDX-License-Identifier:
// MIT
#pragma once

#include <cstdint>
#include <memory>

#include "config/configuration.hpp"
#include "http/access_policy.hpp"
#include "http/router.hpp"

namespace vitals {

/// Serves the router through Poco, a thread per connection (see http/server/). A
/// request goes through the per-client rate limit, then the access policy
/// (which sets the caller's scope), then the router.
class HttpServer {
public:
    /// Binds at once (so port 0 is resolved and a busy port fails here); throws
    /// std::runtime_error for a busy port or unusable TLS files.
    HttpServer(const ListenAddress &listen, const HttpSettings &settings, const TlsSettings &tls,
               Router router, AccessPolicy access);
    ~HttpServer();

    void start();
    /// Swaps the routes and tokens (a reload); requests in flight finish on the old ones.
    void update(Router router, AccessPolicy access);
    void stop();
    /// The bound port (the real one when 0 was asked for).
    std::uint16_t port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vitals
