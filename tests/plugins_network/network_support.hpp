// What the network plugin tests share: a local HTTP(S) server with scripted answers,
// certificates made with the openssl CLI, and conf.d snippets. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/NumberParser.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "support/agent_fixture.hpp"
#include "support/temp_dir.hpp"

namespace vitals::test::network {

using namespace std::chrono_literals;

inline bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------- conf.d snippets

/// One [check.<name>] table that runs every second. `params` is the inline table's inside.
inline std::string check_toml(const std::string &name, const std::string &plugin,
                              const std::string &params, const std::string &timeout = "3s",
                              const std::string &interval = "1s") {
    return "[check." + name + "]\nplugin = \"" + plugin + "\"\ninterval = \"" + interval +
           "\"\ntimeout = \"" + timeout + "\"\nparams = { " + params + " }\n\n";
}

/// The check's JSON once its first result is in.
inline Poco::JSON::Object::Ptr first_result(Agent &agent, const std::string &name,
                                            std::chrono::milliseconds limit = 15s) {
    return wait_until_not_pending(agent.port(), name, limit);
}

/// The message, with the check named so that a failed assertion says which.
inline std::string message_of(const Poco::JSON::Object::Ptr &check) {
    return text(check, "message");
}

/// A port nothing listens on: bound to learn a free one, then closed.
inline std::uint16_t closed_port() {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
    const auto port = socket.address().port();
    socket.close();
    return port;
}

// ---------------------------------------------------------------- certificates

/// Runs a shell command; FAILs the test with its output when it does not succeed.
inline void run_command(const TempDir &dir, const std::string &command) {
    const auto log = dir.path() / "command.log";
    const std::string line = "(" + command + ") > '" + log.string() + "' 2>&1";
    const int rc = std::system(line.c_str());
    if (rc != 0) {
        std::ifstream in{log};
        std::stringstream output;
        output << in.rdbuf();
        FAIL("command failed (" << rc << "): " << command << "\n" << output.str());
    }
}

struct CertFiles {
    std::filesystem::path cert;
    std::filesystem::path key;
};

/// A self-signed P-256 certificate valid from now for `days` days, made by `openssl req`.
inline CertFiles make_cert(const TempDir &dir, const std::string &name, int days,
                           const std::string &san = "IP:127.0.0.1,DNS:localhost",
                           const std::string &cn = "localhost") {
    CertFiles files{dir.path() / (name + ".crt"), dir.path() / (name + ".key")};
    run_command(dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                     "-nodes -keyout '" +
                         files.key.string() + "' -out '" + files.cert.string() + "' -days " +
                         std::to_string(days) + " -subj /CN=" + cn +
                         " -addext subjectAltName=" + san);
    return files;
}

/// YYYYMMDDHHMMSSZ, `days` from now (negative: in the past), as `openssl ca` wants it.
inline std::string asn1_date(int days) {
    const auto when = std::chrono::system_clock::now() + std::chrono::hours{24 * days};
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm);
    return text;
}

/// A self-signed certificate with explicit validity dates (YYYYMMDDHHMMSSZ), which only
/// `openssl ca` can write: expired or not yet valid ones.
inline CertFiles make_dated_cert(const TempDir &dir, const std::string &name,
                                 const std::string &not_before, const std::string &not_after) {
    const auto ca_dir = dir.path() / (name + "-ca");
    std::filesystem::create_directories(ca_dir);
    dir.write(name + "-ca/index.txt", "");
    dir.write(name + "-ca/serial", "01\n");
    const auto config = dir.write(name + "-ca/ca.cnf", "[ca]\ndefault_ca = test_ca\n"
                                                       "[test_ca]\ndir = " +
                                                           ca_dir.string() +
                                                           "\ndatabase = $dir/index.txt\n"
                                                           "new_certs_dir = $dir\n"
                                                           "serial = $dir/serial\n"
                                                           "default_md = sha256\n"
                                                           "policy = any_policy\n"
                                                           "copy_extensions = copy\n"
                                                           "unique_subject = no\n"
                                                           "[any_policy]\ncommonName = supplied\n");
    CertFiles files{dir.path() / (name + ".crt"), dir.path() / (name + ".key")};
    const auto csr = ca_dir / "request.csr";
    run_command(dir, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                     "-keyout '" +
                         files.key.string() + "' -out '" + csr.string() +
                         "' -subj /CN=localhost "
                         "-addext subjectAltName=IP:127.0.0.1,DNS:localhost");
    run_command(dir, "openssl ca -batch -notext -config '" + config.string() +
                         "' -selfsign -keyfile '" + files.key.string() + "' -in '" + csr.string() +
                         "' -out '" + files.cert.string() + "' -startdate " + not_before +
                         " -enddate " + not_after);
    return files;
}

/// What tls_cert and x509_file both say of make_dated_cert()'s certificates: one that expired
/// 5 days ago and one valid only from 2 days on are errors, each saying why.
inline void check_dated_out(const Poco::JSON::Object::Ptr &expired,
                            const Poco::JSON::Object::Ptr &future) {
    INFO(text(expired, "message"));
    CHECK(text(expired, "status") == "error");
    CHECK(contains(text(expired, "message"), "certificate CN=localhost expired "));
    CHECK(contains(text(expired, "message"), "5.0 days ago"));
    CHECK(*metric(expired, "days_left") < -4.9);

    INFO(text(future, "message"));
    CHECK(text(future, "status") == "error");
    CHECK(contains(text(future, "message"), "is not valid before "));
    CHECK(*metric(future, "days_left") > 390);
}

// ---------------------------------------------------------------- the test server

/// What a Poco HTTPServer takes to make a handler per request: here, a `Handler` on the
/// server's shared `State`.
template <class Handler, class State>
class SharedStateFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit SharedStateFactory(std::shared_ptr<State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler *
    createRequestHandler(const Poco::Net::HTTPServerRequest &) override {
        return new Handler(state_);
    }

private:
    std::shared_ptr<State> state_;
};

/// Keeps every accepted socket until the server's threads are joined. Poco's TCPServer
/// drops its own copy of a socket after handing it to a connection thread; when that
/// thread has already finished, the accept thread's copy is the last, and the socket and
/// its SSL object are freed there. Poco's reference count is not instrumented, so TSan
/// (in CI) took that free for a race with the connection's reads. With a copy kept here,
/// the last one goes once every thread that used the socket has been joined.
class KeptSockets : public Poco::Net::TCPServerConnectionFilter {
public:
    bool accept(const Poco::Net::StreamSocket &socket) override {
        const std::lock_guard lock{mutex_};
        sockets_.push_back(socket);
        return true;
    }

private:
    std::mutex mutex_;
    std::vector<Poco::Net::StreamSocket> sockets_;
};

/// An HTTP (or, given a certificate, HTTPS) server on 127.0.0.1:<free port>, in the test
/// process, stopped when it goes out of scope. Routes:
///   /status/<code>        that status, body "status <code>"
///   /body                 200 with body_text
///   /big                  200, 3 MiB of 'x' then "NEEDLE"
///   /slow?ms=<n>          200 after n ms (cut short when the server stops)
///   /trickle              200, Content-Length 1000, one byte every 100 ms
///   /redirect/<n>         302 to /redirect/<n-1>; /redirect/0 answers 200 "landed"
///   /loop                 302 to itself
///   /redirect-to?url=<u>  302 to u (an absolute URL: another server, another scheme)
///   /auth                 200 if Authorization is "Bearer <bearer_token>", else 401
///   /basic                200 if Authorization is Basic <basic_credentials>, else 401
///   /request              200, JSON: the request's method, body, Content-Type and X-Test
///   /health.json          200, JSON: health_json
///   /echo?pad=<n>&...     200 whose reason phrase and body repeat the query, raw and decoded,
///                         after n dots (to move it across a client's cut of the reason)
///   anything else         404
class TestServer {
public:
    static constexpr const char *body_text =
        "<html><body>vitals says hello, build 42</body></html>";
    static constexpr const char *health_json =
        R"({"status": "UP", "checks": [{"name": "db", "status": "DOWN"}], )"
        R"("queue": {"depth": 150, "max": 1e3}, "up": true, "a/b": {"~c": null}})";

    /// With `client_ca`, TLS requires a client certificate signed by it.
    explicit TestServer(const std::optional<CertFiles> &tls = std::nullopt,
                        std::string bearer_token = "", std::string basic_credentials = "",
                        const std::filesystem::path &client_ca = {})
        : state_(std::make_shared<State>()), pool_(2, 16) {
        state_->bearer_token = std::move(bearer_token);
        state_->basic_credentials = std::move(basic_credentials);
        const Poco::Net::SocketAddress address{"127.0.0.1", 0};
        std::unique_ptr<Poco::Net::ServerSocket> socket;
        if (tls) {
            Poco::Net::Context::Ptr context =
                new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls->key.string(),
                                       tls->cert.string(), client_ca.string(),
                                       client_ca.empty() ? Poco::Net::Context::VERIFY_NONE
                                                         : Poco::Net::Context::VERIFY_STRICT);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(context);
        } else {
            socket = std::make_unique<Poco::Net::ServerSocket>();
        }
        socket->bind(address, false, false);
        socket->listen(64);
        port_ = socket->address().port();
        auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
        params->setKeepAlive(false);
        params->setMaxThreads(16);
        server_ = std::make_unique<Poco::Net::HTTPServer>(
            new SharedStateFactory<Handler, State>(state_), pool_, *socket, params);
        server_->setConnectionFilter(kept_);
        server_->start();
        scheme_ = tls ? "https" : "http";
    }

    ~TestServer() {
        {
            const std::lock_guard lock{state_->mutex};
            state_->stopping = true;
        }
        state_->wake.notify_all();
        server_->stopAll(true);
        server_.reset();
        pool_.joinAll();
        kept_.reset(); // after every server thread, as KeptSockets says
    }

    TestServer(const TestServer &) = delete;
    TestServer &operator=(const TestServer &) = delete;

    std::uint16_t port() const { return port_; }
    std::string url(const std::string &path) const {
        return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
    }
    /// Requests that reached a path starting with `prefix`.
    int hits(const std::string &prefix) const {
        const std::lock_guard lock{state_->mutex};
        int count = 0;
        for (const auto &path : state_->paths)
            if (path.rfind(prefix, 0) == 0) ++count;
        return count;
    }

private:
    struct State {
        mutable std::mutex mutex;
        std::condition_variable wake;
        bool stopping = false;
        std::vector<std::string> paths;
        std::string bearer_token;
        std::string basic_credentials;

        /// Sleeps for `duration` unless the server stops first; false if it did.
        bool sleep(std::chrono::milliseconds duration) {
            std::unique_lock lock{mutex};
            return !wake.wait_for(lock, duration, [this] { return stopping; });
        }
    };

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}

        void handleRequest(Poco::Net::HTTPServerRequest &request,
                           Poco::Net::HTTPServerResponse &response) override {
            const Poco::URI uri{request.getURI()};
            const std::string path = uri.getPath();
            {
                const std::lock_guard lock{state_->mutex};
                state_->paths.push_back(path);
            }
            if (path.rfind("/status/", 0) == 0) {
                const int code = Poco::NumberParser::parse(path.substr(8));
                reply(response, static_cast<Poco::Net::HTTPResponse::HTTPStatus>(code),
                      "status " + std::to_string(code));
            } else if (path == "/body") {
                reply(response, Poco::Net::HTTPResponse::HTTP_OK, body_text);
            } else if (path == "/big") {
                response.setChunkedTransferEncoding(true);
                std::ostream &out = response.send();
                const std::string block(64 * 1024, 'x');
                for (int i = 0; i < 48 && out.good(); ++i) // 3 MiB
                    out << block;
                out << "NEEDLE";
            } else if (path == "/slow") {
                std::string ms = "1000";
                for (const auto &[key, value] : uri.getQueryParameters())
                    if (key == "ms") ms = value;
                if (state_->sleep(std::chrono::milliseconds{Poco::NumberParser::parse(ms)}))
                    reply(response, Poco::Net::HTTPResponse::HTTP_OK, "slow but fine");
            } else if (path == "/trickle") {
                response.setContentLength(1000);
                std::ostream &out = response.send();
                for (int i = 0; i < 1000 && out.good(); ++i) {
                    out << 'x' << std::flush;
                    if (!state_->sleep(100ms)) break;
                }
            } else if (path.rfind("/redirect/", 0) == 0) {
                const int left = Poco::NumberParser::parse(path.substr(10));
                if (left <= 0)
                    reply(response, Poco::Net::HTTPResponse::HTTP_OK, "landed");
                else
                    redirect(response, "/redirect/" + std::to_string(left - 1));
            } else if (path == "/loop") {
                redirect(response, "/loop");
            } else if (path == "/redirect-to") {
                std::string to = "/";
                for (const auto &[key, value] : uri.getQueryParameters())
                    if (key == "url") to = value;
                redirect(response, to);
            } else if (path == "/echo") {
                std::size_t pad = 0;
                for (const auto &[key, value] : uri.getQueryParameters())
                    if (key == "pad") pad = Poco::NumberParser::parseUnsigned(value);
                const std::string echo =
                    std::string(pad, '.') + " " + uri.getRawQuery() + " " + uri.getQuery();
                response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK, echo);
                response.setContentLength(static_cast<std::streamsize>(echo.size()));
                response.send() << echo;
            } else if (path == "/auth") {
                authorize(request, response, "Bearer " + state_->bearer_token);
            } else if (path == "/basic") {
                authorize(request, response, "Basic " + state_->basic_credentials);
            } else if (path == "/request") {
                std::string body;
                Poco::StreamCopier::copyToString(request.stream(), body);
                Poco::JSON::Object echo;
                echo.set("method", request.getMethod());
                echo.set("body", body);
                echo.set("content_type", request.get("Content-Type", ""));
                echo.set("x_test", request.get("X-Test", ""));
                std::ostringstream json;
                echo.stringify(json);
                reply(response, Poco::Net::HTTPResponse::HTTP_OK, json.str());
            } else if (path == "/health.json") {
                reply(response, Poco::Net::HTTPResponse::HTTP_OK, health_json);
            } else {
                reply(response, Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "no such route");
            }
        }

    private:
        static void reply(Poco::Net::HTTPServerResponse &response,
                          Poco::Net::HTTPResponse::HTTPStatus status, const std::string &body) {
            response.setStatusAndReason(status);
            response.setContentType("text/html");
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            response.send() << body;
        }

        static void redirect(Poco::Net::HTTPServerResponse &response, const std::string &to) {
            response.set("Location", to);
            reply(response, Poco::Net::HTTPResponse::HTTP_FOUND, "moved to " + to);
        }

        static void authorize(const Poco::Net::HTTPServerRequest &request,
                              Poco::Net::HTTPServerResponse &response,
                              const std::string &expected) {
            if (request.get("Authorization", "") == expected)
                reply(response, Poco::Net::HTTPResponse::HTTP_OK, "welcome");
            else
                reply(response, Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED, "who are you?");
        }

        std::shared_ptr<State> state_;
    };

    std::shared_ptr<State> state_;
    Poco::ThreadPool pool_;
    Poco::AutoPtr<KeptSockets> kept_{new KeptSockets};
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::uint16_t port_ = 0;
    std::string scheme_;
};

/// Answers every connection with a status line, then trickles one header's value a byte every
/// 100 ms for as long as the client listens: every read succeeds, the headers never end.
class TrickleHeadServer {
public:
    TrickleHeadServer() : thread_([this] { serve(); }) {}
    ~TrickleHeadServer() {
        stopping_ = true;
        thread_.join();
    }
    TrickleHeadServer(const TrickleHeadServer &) = delete;
    TrickleHeadServer &operator=(const TrickleHeadServer &) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

private:
    static Poco::Net::ServerSocket listening() {
        Poco::Net::ServerSocket socket;
        socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
        socket.listen(16);
        return socket;
    }

    void serve() {
        while (!stopping_) {
            if (!socket_.poll(Poco::Timespan{0, 50'000}, Poco::Net::Socket::SELECT_READ)) continue;
            Poco::Net::StreamSocket client = socket_.acceptConnection();
            trickle(client);
        }
    }

    /// Until the client goes away (a send fails) or the server stops.
    void trickle(Poco::Net::StreamSocket &client) {
        const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: ";
        try {
            client.sendBytes(head.data(), static_cast<int>(head.size()), MSG_NOSIGNAL);
            while (!stopping_) {
                client.sendBytes("x", 1, MSG_NOSIGNAL);
                std::this_thread::sleep_for(100ms);
            }
        } catch (const Poco::Exception &) {
            // The client hung up: what the test wants it to do at its deadline.
        }
    }

    Poco::Net::ServerSocket socket_ = listening();
    std::uint16_t port_ = socket_.address().port();
    std::atomic<bool> stopping_{false};
    std::thread thread_; // last: it starts once everything it uses exists
};

/// Accepts TCP connections (the kernel does, from the backlog) but never says a word: a TLS
/// handshake or HTTP request to it waits forever.
class SilentServer {
public:
    SilentServer() {
        socket_.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
        socket_.listen(16);
    }
    std::uint16_t port() const { return socket_.address().port(); }

private:
    Poco::Net::ServerSocket socket_;
};

} // namespace vitals::test::network
