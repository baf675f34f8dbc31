// SPDX-License-Identifier: MIT
#include "http/http_server.hpp"

#include <fcntl.h>
#include <malloc.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerDispatcher.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>

#include "core/descriptor_limit.hpp"
#include "core/log.hpp"
#include "core/loopback.hpp"
#include "http/server/acceptor.hpp"
#include "http/server/connection_board.hpp"
#include "http/server/rate_limiter.hpp"
#include "http/server/served_connection.hpp"
#include "http/server/tls_server_context.hpp"

namespace vitals {
namespace {

/// Threads beyond max_connections: they answer "busy" and take over from connections
/// closed to make room, so a new client never waits for a thread behind the others.
constexpr int spare_threads = 16;
/// How long a thread with no connection waits for one before it leaves.
constexpr int thread_idle_seconds = 5;
/// A connection's thread parses, routes and renders; 8 MiB stacks would be address
/// space for nothing. Sanitizers' frames are several times larger.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int thread_stack_bytes = 0; // the default
#else
constexpr int thread_stack_bytes = 1024 * 1024;
#endif

Poco::Net::ServerSocket bind_socket(const ListenAddress &listen, const TlsSettings &tls) {
    try {
        Poco::Net::ServerSocket socket;
        if (tls.enabled()) socket = Poco::Net::SecureServerSocket{make_tls_server_context(tls)};
        // SO_REUSEADDR lets a restarted agent rebind at once; SO_REUSEPORT would
        // let a second agent share the port and answer half the probes.
        socket.bind(Poco::Net::SocketAddress{listen.host, listen.port}, /*reuseAddress=*/true,
                    /*reusePort=*/false);
        socket.listen(1024);
        // Close-on-exec: otherwise every command a plugin spawns inherits the socket.
        ::fcntl(socket.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
        return socket;
    } catch (const Poco::Exception &e) {
        throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + e.displayText());
    }
}

RequestLimits limits_from(const HttpSettings &settings) {
    RequestLimits limits;
    limits.max_head_bytes = settings.max_header_size;
    limits.max_headers = settings.max_headers;
    limits.max_body_bytes = settings.max_body_size;
    limits.request_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(settings.request_timeout);
    return limits;
}

Poco::Net::HTTPServerParams::Ptr session_params(const HttpSettings &settings) {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(to_timespan(settings.keep_alive_timeout));
    // A new connection must send its first request within the request timeout: it has
    // not earned a keep-alive yet.
    params->setTimeout(to_timespan(settings.request_timeout));
    params->setMaxKeepAliveRequests(static_cast<int>(settings.max_keep_alive_requests));
    return params;
}

Poco::Net::TCPServerParams::Ptr dispatcher_params(const HttpSettings &settings) {
    Poco::Net::TCPServerParams::Ptr params = new Poco::Net::TCPServerParams;
    params->setMaxThreads(static_cast<int>(settings.max_connections) + spare_threads);
    // Connections accepted but not yet given a thread (a burst of connects outruns the
    // thread starts); beyond, Poco closes them at once. As many as may be open.
    params->setMaxQueued(static_cast<int>(settings.max_connections));
    params->setThreadIdleTime(Poco::Timespan{thread_idle_seconds, 0});
    return params;
}

/// Each open connection takes a descriptor, and the rest of the agent some more: raise
/// the soft limit to that, and say so when the hard limit is lower.
void make_room_for(const HttpSettings &settings) {
    constexpr std::size_t for_the_rest = 256;
    const std::size_t wanted = settings.max_connections + spare_threads + for_the_rest;
    const auto limit = raise_descriptor_limit(wanted);
    if (limit.now < wanted)
        log(LogLevel::warning, "http",
            "max_connections {} needs about {} file descriptors but the limit is {}: beyond "
            "about {} connections new ones fail until others close (raise LimitNOFILE)",
            settings.max_connections, wanted, limit.now,
            limit.now > for_the_rest ? limit.now - for_the_rest : 0);
}

/// Half the slots by default: one address with slow requests leaves the other half free.
std::size_t per_client_cap(const HttpSettings &settings) {
    return settings.max_connections_per_client != 0
               ? settings.max_connections_per_client
               : std::max<std::size_t>(1, settings.max_connections / 2);
}

std::string peer_of(const Poco::Net::StreamSocket &socket) {
    try {
        return socket.peerAddress().host().toString();
    } catch (const Poco::Exception &) {
        return "unknown"; // gone already; its connection ends at the first read
    }
}

/// What a reload swaps together: the routes and who may use them.
struct FrontDoor {
    Router router;
    AccessPolicy access;
};

} // namespace

struct HttpServer::Impl {
    /// What Poco's dispatcher calls, on the thread that will serve the connection.
    class ConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
    public:
        explicit ConnectionFactory(Impl &server) : server_(server) {}
        Poco::Net::TCPServerConnection *
        createConnection(const Poco::Net::StreamSocket &socket) override {
            return server_.connection_for(socket);
        }

    private:
        Impl &server_;
    };

    HttpSettings settings;
    Poco::Net::ServerSocket socket;
    ServingRules rules;
    // A mutex, not std::atomic<shared_ptr>: it is held only to copy the pointer, and
    // libstdc++ 12's atomic<shared_ptr> releases its internal lock relaxed, which
    // ThreadSanitizer rightly reports (google/sanitizers#1558).
    mutable std::mutex front_door_mutex;
    std::shared_ptr<const FrontDoor> front_door;
    RateLimiter rate_limiter;
    ConnectionBoard board;
    Poco::ThreadPool threads;
    Poco::AutoPtr<Poco::Net::TCPServerDispatcher> dispatcher;
    Acceptor acceptor;

    Impl(const ListenAddress &listen, const HttpSettings &settings_in, const TlsSettings &tls,
         Router router, AccessPolicy access)
        : settings(settings_in),
          socket(bind_socket(listen, tls)), rules{limits_from(settings_in),
                                                  session_params(settings_in),
                                                  [this](HttpRequest &request) {
                                                      return dispatch(request);
                                                  }},
          front_door(
              std::make_shared<const FrontDoor>(FrontDoor{std::move(router), std::move(access)})),
          rate_limiter(settings_in.rate_limit, settings_in.rate_burst),
          board(settings_in.max_connections, per_client_cap(settings_in)),
          threads(1, static_cast<int>(settings_in.max_connections) + spare_threads,
                  /*idleTime=*/1, thread_stack_bytes),
          acceptor(
              socket,
              [this](const Poco::Net::StreamSocket &connection) {
                  dispatcher->enqueue(connection);
              },
              [this] { give_back_memory(); }) {
        make_room_for(settings);
    }

    /// After a crowd of clients: Poco's pool ends the threads it no longer needs (it
    /// would only when asked for one), and malloc returns what they freed to the system.
    void give_back_memory() {
        threads.collect();
        ::malloc_trim(0);
    }

    /// Runs on a pool thread, so the board's lock is never taken by the accept loop.
    Poco::Net::TCPServerConnection *connection_for(const Poco::Net::StreamSocket &connection) {
        std::string peer = peer_of(connection);
        auto seat = board.admit(peer, connection.impl()->sockfd());
        return new ServedConnection(connection, rules, std::move(peer), std::move(seat));
    }

    HttpResponse dispatch(HttpRequest &request) {
        unsigned retry_after = 0;
        if ((settings.rate_limit_loopback || !is_loopback(request.peer)) &&
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
    impl_->dispatcher = new Poco::Net::TCPServerDispatcher(
        new Impl::ConnectionFactory{*impl_}, impl_->threads, dispatcher_params(impl_->settings));
    impl_->acceptor.start();
}

void HttpServer::update(Router router, AccessPolicy access) {
    impl_->replace_front_door(
        std::make_shared<const FrontDoor>(FrontDoor{std::move(router), std::move(access)}));
}

void HttpServer::stop() {
    if (!impl_->dispatcher) return;
    impl_->acceptor.stop();
    impl_->dispatcher->stop();
    impl_->board.close_all(); // wakes every connection's thread
    impl_->threads.joinAll();
    impl_->dispatcher = nullptr;
}

std::uint16_t HttpServer::port() const {
    return impl_->socket.address().port();
}

} // namespace vitals
