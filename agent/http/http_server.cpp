// SPDX-License-Identifier: MIT
#include "http/http_server.hpp"

#include <fcntl.h>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "core/log.hpp"
#include "http/health_json.hpp"

namespace vitals {
namespace {

using namespace Poco::Net;

HttpResponse bad_request(const std::string &uri) {
    return json_response(400, render_error("bad request", "malformed request target: " + uri));
}

HttpResponse route(const Router &router, HTTPServerRequest &request) {
    HttpRequest parsed;
    parsed.method = request.getMethod();
    try {
        const Poco::URI uri{request.getURI()};
        parsed.path = uri.getPath();
        parsed.query = uri.getRawQuery();
    } catch (const Poco::Exception &) {
        return bad_request(request.getURI());
    }
    if (parsed.path.empty() || parsed.path.front() != '/') return bad_request(request.getURI());
    return router.handle(parsed);
}

/// The routes in force; a reload swaps them while requests are being served.
class RouteTable {
public:
    explicit RouteTable(Router router)
        : current_(std::make_shared<const Router>(std::move(router))) {}
    std::shared_ptr<const Router> get() const {
        const std::lock_guard lock{mutex_};
        return current_;
    }
    void set(Router router) {
        auto next = std::make_shared<const Router>(std::move(router));
        const std::lock_guard lock{mutex_};
        current_ = std::move(next);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Router> current_;
};

class RouterHandler final : public HTTPRequestHandler {
public:
    explicit RouterHandler(std::shared_ptr<const Router> router) : router_(std::move(router)) {}

    void handleRequest(HTTPServerRequest &request, HTTPServerResponse &response) override {
        HttpResponse answer;
        try {
            answer = route(*router_, request);
        } catch (const std::exception &e) {
            log(LogLevel::error, "http", "{} {}: {}", request.getMethod(), request.getURI(),
                e.what());
            answer = json_response(500, render_error("internal error", "see the agent log"));
        }
        response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(answer.status));
        response.setContentType(answer.content_type);
        for (const auto &[name, value] : answer.headers)
            response.set(name, value);
        response.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
        if (request.getMethod() == HTTPRequest::HTTP_HEAD) {
            response.send();
        } else {
            response.sendBuffer(answer.body.data(), answer.body.size());
        }
    }

private:
    std::shared_ptr<const Router> router_; // the table may change; this request keeps its own
};

class HandlerFactory final : public HTTPRequestHandlerFactory {
public:
    explicit HandlerFactory(const RouteTable &routes) : routes_(routes) {}
    HTTPRequestHandler *createRequestHandler(const HTTPServerRequest &) override {
        return new RouterHandler(routes_.get());
    }

private:
    const RouteTable &routes_;
};

ServerSocket bind_socket(const ListenAddress &listen) {
    try {
        ServerSocket socket;
        // SO_REUSEADDR lets a restarted agent rebind at once; SO_REUSEPORT
        // (Poco's default with it) would let a second agent share the port
        // and answer half the probes, so it stays off.
        socket.bind(SocketAddress{listen.host, listen.port}, /*reuseAddress=*/true,
                    /*reusePort=*/false);
        socket.listen(128);
        // Poco does not ask for close-on-exec: without it every command a
        // plugin spawns would inherit the agent's listening socket.
        ::fcntl(socket.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
        return socket;
    } catch (const Poco::Exception &e) {
        throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + e.displayText());
    }
}

Poco::Timespan to_timespan(Duration duration) {
    return Poco::Timespan{std::chrono::duration_cast<std::chrono::microseconds>(duration).count()};
}

} // namespace

struct HttpServer::Impl {
    RouteTable routes;
    // Poco serves each keep-alive connection on one thread for its whole
    // life; a private pool (not the 16-thread default pool) sized from the
    // config plus short keep-alive bounds keep a fresh probe from waiting
    // behind idle connections.
    Poco::ThreadPool threads;
    ServerSocket socket;
    HTTPServer server;

    Impl(const ListenAddress &listen, const HttpSettings &settings, Router routes_in)
        : routes(std::move(routes_in)), threads(2, static_cast<int>(settings.max_threads)),
          socket(bind_socket(listen)),
          server(new HandlerFactory(routes), threads, socket, make_params(settings)) {}

    static HTTPServerParams::Ptr make_params(const HttpSettings &settings) {
        HTTPServerParams::Ptr params = new HTTPServerParams;
        params->setMaxThreads(static_cast<int>(settings.max_threads));
        params->setMaxQueued(static_cast<int>(settings.max_queued));
        params->setKeepAlive(true);
        params->setKeepAliveTimeout(to_timespan(settings.keep_alive_timeout));
        // Poco's default of 60 s would let a client that connects and sends
        // nothing hold a thread for a minute.
        params->setTimeout(to_timespan(settings.request_timeout));
        params->setMaxKeepAliveRequests(static_cast<int>(settings.max_keep_alive_requests));
        params->setServerName("vitals");
        return params;
    }
};

HttpServer::HttpServer(const ListenAddress &listen, const HttpSettings &settings, Router router)
    : impl_(std::make_unique<Impl>(listen, settings, std::move(router))) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::start() {
    impl_->server.start();
}

void HttpServer::set_router(Router router) {
    impl_->routes.set(std::move(router));
}

void HttpServer::stop() {
    impl_->server.stopAll(/*abortCurrent=*/true);
}

std::uint16_t HttpServer::port() const {
    return impl_->socket.address().port();
}

} // namespace vitals
