// A forward HTTP proxy in the test process on 127.0.0.1, for the http plugin's proxy tests:
// it takes absolute-form requests ("GET http://host:port/path") and CONNECT tunnels, records
// them and forwards them. SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "network_support.hpp"

namespace vitals::test::network {

class ForwardProxy {
public:
    /// One request the proxy was asked to forward.
    struct Seen {
        std::string target;        ///< the request target as sent: an absolute URL, or
                                   ///< host:port for CONNECT
        std::string authorization; ///< Proxy-Authorization, if any
    };

    ForwardProxy() : state_(std::make_shared<State>()), pool_(1, 8) {
        Poco::Net::ServerSocket socket;
        socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
        socket.listen(16);
        port_ = socket.address().port();
        auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
        params->setKeepAlive(false);
        server_ = std::make_unique<Poco::Net::HTTPServer>(
            new SharedStateFactory<Handler, State>(state_), pool_, socket, params);
        server_->start();
    }

    ~ForwardProxy() {
        server_->stopAll(true);
        server_.reset();
        pool_.joinAll();
    }

    ForwardProxy(const ForwardProxy &) = delete;
    ForwardProxy &operator=(const ForwardProxy &) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<Seen> seen() const {
        const std::lock_guard lock{state_->mutex};
        return state_->seen;
    }

private:
    struct State {
        mutable std::mutex mutex;
        std::vector<Seen> seen;
    };

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}

        void handleRequest(Poco::Net::HTTPServerRequest &request,
                           Poco::Net::HTTPServerResponse &response) override {
            {
                const std::lock_guard lock{state_->mutex};
                state_->seen.push_back({request.getURI(), request.get("Proxy-Authorization", "")});
            }
            if (request.getMethod() == Poco::Net::HTTPRequest::HTTP_CONNECT) {
                tunnel(request, response);
                return;
            }
            const Poco::URI target{request.getURI()};
            if (target.getScheme() != "http") {
                response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
                response.setContentLength(0);
                response.send();
                return;
            }
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            Poco::Net::HTTPClientSession session{target.getHost(), target.getPort()};
            Poco::Net::HTTPRequest forwarded{request.getMethod(), target.getPathAndQuery(),
                                             Poco::Net::HTTPMessage::HTTP_1_1};
            for (const auto &[name, value] : request)
                if (name != "Proxy-Authorization" && name != "Host" && name != "Connection")
                    forwarded.add(name, value);
            if (!body.empty())
                forwarded.setContentLength(static_cast<std::streamsize>(body.size()));
            session.sendRequest(forwarded) << body;
            Poco::Net::HTTPResponse answer;
            std::istream &in = session.receiveResponse(answer);
            std::string answer_body;
            Poco::StreamCopier::copyToString(in, answer_body);
            response.setStatusAndReason(answer.getStatus(), answer.getReason());
            response.setContentLength(static_cast<std::streamsize>(answer_body.size()));
            response.send() << answer_body;
        }

    private:
        /// Answers 200 and copies bytes both ways until either side closes (or 10 s pass).
        static void tunnel(Poco::Net::HTTPServerRequest &request,
                           Poco::Net::HTTPServerResponse &response) {
            Poco::Net::StreamSocket upstream{Poco::Net::SocketAddress{request.getURI()}};
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK, "Connection established");
            response.send().flush();
            Poco::Net::StreamSocket client =
                dynamic_cast<Poco::Net::HTTPServerRequestImpl &>(request).detachSocket();
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{10};
            std::array<char, 16 * 1024> buffer{};
            while (std::chrono::steady_clock::now() < give_up) {
                Poco::Net::Socket::SocketList readable{client, upstream};
                Poco::Net::Socket::SocketList writable;
                Poco::Net::Socket::SocketList failed;
                if (Poco::Net::Socket::select(readable, writable, failed,
                                              Poco::Timespan{0, 100'000}) == 0)
                    continue;
                for (auto &from : readable) {
                    Poco::Net::StreamSocket source{from};
                    Poco::Net::StreamSocket &to = source == client ? upstream : client;
                    const int got =
                        source.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
                    if (got <= 0) return;
                    to.sendBytes(buffer.data(), got);
                }
            }
        }

        std::shared_ptr<State> state_;
    };

    std::shared_ptr<State> state_;
    Poco::ThreadPool pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::uint16_t port_ = 0;
};

} // namespace vitals::test::network
