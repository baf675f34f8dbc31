// The Poco HTTP server in front of the router. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>

#include "config/configuration.hpp"
#include "http/router.hpp"

namespace vitals {

class HttpServer {
public:
    /// Binds at once (so port 0 is resolved and a busy port fails here).
    HttpServer(const ListenAddress &listen, const HttpSettings &settings, Router router);
    ~HttpServer();

    void start();
    /// Swaps the routes (a reload's new endpoints); requests in flight finish on the old ones.
    void set_router(Router router);
    void stop();
    /// The bound port (the real one when 0 was asked for).
    std::uint16_t port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vitals
