// SPDX-License-Identifier: MIT
#include "http/http_server.hpp"

#include <fcntl.h>

#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>

#include "core/log.hpp"
#include "http/server/event_loop.hpp"
#include "http/server/rate_limiter.hpp"
#include "http/server/response_writer.hpp"
#include "http/server/tls_server_context.hpp"

namespace vitals {
namespace {

Poco::Net::ServerSocket bind_socket(const ListenAddress &listen) {
    try {
        Poco::Net::ServerSocket socket;
        // SO_REUSEADDR lets a restarted agent rebind at once; SO_REUSEPORT would
        // let a second agent share the port and answer half the probes.
        socket.bind(Poco::Net::SocketAddress{listen.host, listen.port}, /*reuseAddress=*/true,
                    /*reusePort=*/false);
        socket.listen(1024);
        const int fd = socket.impl()->sockfd();
        // Close-on-exec: otherwise every command a plugin spawns inherits the socket.
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        return socket;
    } catch (const Poco::Exception &e) {
        throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + e.displayText());
    }
}

ConnectionLimits limits_from(const HttpSettings &settings) {
    ConnectionLimits limits;
    limits.request.max_head_bytes = settings.max_header_size;
    limits.request.max_headers = settings.max_headers;
    limits.request.max_body_bytes = settings.max_body_size;
    limits.keep_alive_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(settings.keep_alive_timeout);
    limits.request_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(settings.request_timeout);
    limits.max_requests = settings.max_keep_alive_requests;
    return limits;
}

/// Half the slots by default: one address with slow requests leaves the other half free.
std::size_t per_client_cap(const HttpSettings &settings) {
    return settings.max_connections_per_client != 0
               ? settings.max_connections_per_client
               : std::max<std::size_t>(1, settings.max_connections / 2);
}

/// What a reload swaps together: the routes and who may use them.
struct FrontDoor {
    Router router;
    AccessPolicy access;
};

} // namespace

struct HttpServer::Impl {
    HttpSettings settings;
    ConnectionLimits limits;
    Poco::Net::ServerSocket socket;
    std::unique_ptr<TlsServerContext> tls;
    // A mutex, not std::atomic<shared_ptr>: it is held only to copy the pointer, and
    // libstdc++ 12's atomic<shared_ptr> releases its internal lock relaxed, which
    // ThreadSanitizer rightly reports (google/sanitizers#1558).
    mutable std::mutex front_door_mutex;
    std::shared_ptr<const FrontDoor> front_door;
    RateLimiter rate_limiter;
    ConnectionBudget budget;
    std::vector<std::unique_ptr<EventLoop>> loops;
    std::vector<std::thread> threads;

    Impl(const ListenAddress &listen, const HttpSettings &settings_in, const TlsSettings &tls_in,
         Router router, AccessPolicy access)
        : settings(settings_in), limits(limits_from(settings_in)), socket(bind_socket(listen)),
          tls(tls_in.enabled() ? make_tls_server_context(tls_in) : nullptr),
          front_door(
              std::make_shared<const FrontDoor>(FrontDoor{std::move(router), std::move(access)})),
          rate_limiter(settings_in.rate_limit, settings_in.rate_burst),
          budget{settings_in.max_connections, per_client_cap(settings_in)} {}

    HttpResponse dispatch(HttpRequest &request) {
        unsigned retry_after = 0;
        if ((settings.rate_limit_loopback || !is_loopback_address(request.peer)) &&
            !rate_limiter.allow(request.peer, RateLimiter::Clock::now(), retry_after)) {
            auto response = error_response(429, "request rate limit exceeded");
            response.headers["Retry-After"] = std::to_string(retry_after);
            return response;
        }
        const auto current = current_front_door();
        request.caller = current->access.identify(request.headers);
        return current->router.handle(request);
    }

    std::shared_ptr<const FrontDoor> current_front_door() const {
        std::lock_guard lock{front_door_mutex};
        return front_door;
    }

    void replace_front_door(std::shared_ptr<const FrontDoor> next) {
        std::lock_guard lock{front_door_mutex};
        front_door.swap(next);
        // The old routes are released outside the lock, in next's destructor.
    }
};

HttpServer::HttpServer(const ListenAddress &listen, const HttpSettings &settings,
                       const TlsSettings &tls, Router router, AccessPolicy access)
    : impl_(std::make_unique<Impl>(listen, settings, tls, std::move(router), std::move(access))) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::start() {
    const int fd = impl_->socket.impl()->sockfd();
    for (unsigned i = 0; i < std::max(1u, impl_->settings.threads); ++i) {
        impl_->loops.push_back(std::make_unique<EventLoop>(
            fd, impl_->tls.get(), impl_->limits, impl_->budget,
            [impl = impl_.get()](HttpRequest &request) { return impl->dispatch(request); }));
    }
    for (auto &loop : impl_->loops) {
        impl_->threads.emplace_back([loop = loop.get()] {
            try {
                loop->run();
            } catch (const std::exception &e) {
                log(LogLevel::error, "http", "event loop stopped: {}", e.what());
            }
        });
    }
}

void HttpServer::update(Router router, AccessPolicy access) {
    impl_->replace_front_door(
        std::make_shared<const FrontDoor>(FrontDoor{std::move(router), std::move(access)}));
}

void HttpServer::stop() {
    for (auto &loop : impl_->loops)
        loop->stop();
    for (auto &thread : impl_->threads)
        if (thread.joinable()) thread.join();
    impl_->threads.clear();
    impl_->loops.clear();
}

std::uint16_t HttpServer::port() const {
    return impl_->socket.address().port();
}

} // namespace vitals
