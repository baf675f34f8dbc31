// The real vitalsd against hostile and unauthorised clients: tokens, TLS, limits.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include "http/server/tls_server_context.hpp"
#include "support/agent_fixture.hpp"
#include "support/raw_client.hpp"
#include "support/sanitizer_build.hpp"
#include "support/scoped_environment.hpp"
#include "support/test_certificates.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string ok_check = R"([check.fine]
plugin = "sleepy"
groups = ["live", "ready"]
interval = "1s"
[check.fine.params]
message = "the database password is hunter2"
)";

const std::string read_token = "read-0123456789abcdef";
const std::string write_token = "write-0123456789abcdef";
const std::string probe_token = "probe-0123456789abcdef";

/// "Authorization: Basic ..." for `user` and `password`, as a browser sends it.
std::string basic(const std::string &user, const std::string &password) {
    std::ostringstream encoded;
    Poco::Base64Encoder encoder{encoded};
    encoder.rdbuf()->setLineLength(0);
    encoder << user << ':' << password;
    encoder.close();
    return "Authorization: Basic " + encoded.str() + "\r\n";
}

/// An agent whose [access] token_file holds a token of each scope.
std::string with_tokens(const TempDir &secrets, const std::string &more = "") {
    const auto file =
        secrets.write_secret("tokens", "read " + read_token + " scraper\nwrite " + write_token +
                                           "\nprobe " + probe_token + "\n");
    return more + "[access]\ntoken_file = \"" + file.string() + "\"\n";
}

std::string request(const std::string &method, const std::string &target,
                    const std::string &headers = "") {
    return method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + headers +
           "Connection: close\r\n\r\n";
}

std::string header_value(const std::string &reply, const std::string &name) {
    const auto at = reply.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const auto start = at + name.size() + 4;
    return reply.substr(start, reply.find("\r\n", start) - start);
}

std::string body_of(const std::string &reply) {
    const auto end = reply.find("\r\n\r\n");
    return end == std::string::npos ? "" : reply.substr(end + 4);
}

/// A reply read off the socket, checked against its own head: a body of exactly the
/// declared Content-Length, and Date and Server as on every reply.
void check_framing(const std::string &reply, bool head_only = false) {
    CAPTURE(reply.substr(0, 300));
    REQUIRE(raw_status(reply) > 0);
    const auto declared = header_value(reply, "Content-Length");
    REQUIRE_FALSE(declared.empty());
    CHECK(body_of(reply).size() == (head_only ? 0 : std::stoul(declared)));
    CHECK_FALSE(header_value(reply, "Date").empty());
    CHECK(header_value(reply, "Server") == "vitals");
}

// These tests assert admission and order: every probe answered, who is refused, what
// is closed first. How fast a probe is answered under such load is a figure for
// bench/ (the "probe under crowding" scenario), where the machine is quiet: a bound in
// milliseconds here fails whenever the machine running the tests is busy.

/// GET /health/live on a fresh connection (from `source`, another loopback address, if
/// given); the time from connect to the whole reply, for the tests' messages.
std::chrono::microseconds live_probe_time(std::uint16_t port, int &status,
                                          const std::string &source = "") {
    const auto start = Clock::now();
    auto connection = source.empty() ? RawConnection{port} : RawConnection{port, source};
    connection.send(request("GET", "/health/live"));
    // A probe that queues behind a burst of connections waits for their threads to start:
    // under TSan a burst of 400 took longer than 5 s once in CI. How long probes take is
    // the bench's and the timed tests' business; here a lost probe is the failure.
    const auto reply = connection.receive(5s * sanitizer_slowdown);
    status = raw_status(reply);
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

int run(const std::string &command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

// ---------------------------------------------------------------- access

TEST_CASE("security: with tokens, probes stay anonymous and bare, details need read") {
    TempDir secrets;
    Agent agent{ok_check, with_tokens(secrets)};
    const std::string as_reader = "Authorization: Bearer " + read_token + "\r\n";
    const auto give_up = Clock::now() + 10s;
    while (body_of(raw_exchange(agent.port(), request("GET", "/health/checks/fine", as_reader)))
                   .find("\"pending\":false") == std::string::npos &&
           Clock::now() < give_up)
        std::this_thread::sleep_for(50ms);

    const auto live = raw_exchange(agent.port(), request("GET", "/health/live"));
    CHECK(raw_status(live) == 200);
    CHECK(body_of(live).find("fine") == std::string::npos); // status only, no check names
    CHECK(body_of(live).find("\"status\":\"ok\"") != std::string::npos);

    for (const std::string path : {"/health", "/metrics", "/health/checks/fine"}) {
        CAPTURE(path);
        const auto anonymous = raw_exchange(agent.port(), request("GET", path));
        CHECK(raw_status(anonymous) == 401);
        CHECK(header_value(anonymous, "WWW-Authenticate").starts_with("Bearer"));
        CHECK(body_of(anonymous).find("fine") == std::string::npos);
        CHECK(body_of(anonymous).find("hunter2") == std::string::npos);

        const auto wrong = raw_exchange(
            agent.port(), request("GET", path, "Authorization: Bearer " + read_token + "x\r\n"));
        CHECK(raw_status(wrong) == 401);
        const auto too_little = raw_exchange(
            agent.port(), request("GET", path, "Authorization: Bearer " + probe_token + "\r\n"));
        CHECK(raw_status(too_little) == 403);
        CHECK(body_of(too_little).find("fine") == std::string::npos);

        const auto reader = raw_exchange(
            agent.port(), request("GET", path, "Authorization: Bearer " + read_token + "\r\n"));
        CHECK(raw_status(reader) == 200);
        CHECK(body_of(reader).find("fine") != std::string::npos);
    }
    // The log names the token holder at most, never a token.
    CHECK(agent.log().find(read_token) == std::string::npos);
}

TEST_CASE("security: a URL-token endpoint keeps seed 002's codes whatever bearer access says") {
    TempDir secrets;
    const std::string url_token = "url-t0ken-0123456789";
    const auto url_token_file = secrets.write_secret("url-token", url_token + "\n");
    // Every bearer-guarded route is closed to anonymous callers here; the URL token is the
    // endpoint's own credential and the document's codes are what its clients expect.
    Agent agent{ok_check, with_tokens(secrets, "[[endpoint]]\npath = \"/api/health/<token>/\"\n"
                                               "style = \"nested\"\ntoken_file = \"" +
                                                   url_token_file.string() + "\"\n") +
                              "anonymous = \"none\"\n"};
    const std::string good = "/api/health/" + url_token + "/?format=json";
    const auto give_up = Clock::now() + 10s;
    while (raw_status(raw_exchange(agent.port(), request("GET", good))) != 200 &&
           Clock::now() < give_up)
        std::this_thread::sleep_for(50ms);
    REQUIRE(raw_status(raw_exchange(agent.port(), request("GET", "/health/live"))) == 401);

    for (const std::string &headers :
         {std::string{}, "Authorization: Bearer " + read_token + "x\r\n",
          "Authorization: Bearer " + probe_token + "\r\n",
          std::string{"Authorization: Basic !!\r\n"},
          std::string{"Authorization: Negotiate abc\r\n"}}) {
        CAPTURE(headers);
        const auto ok = raw_exchange(agent.port(), request("GET", good, headers));
        CHECK(raw_status(ok) == 200);
        CHECK(body_of(ok).starts_with(R"({"fine":{"status":"working","response_time":")"));
        const auto bad_format = raw_exchange(
            agent.port(), request("GET", "/api/health/" + url_token + "/?format=yaml", headers));
        CHECK(raw_status(bad_format) == 404);
        CHECK(body_of(bad_format) == R"({"detail":"Not found."})");
        const auto wrong = raw_exchange(
            agent.port(), request("GET", "/api/health/not-" + url_token + "/", headers));
        CHECK(raw_status(wrong) == 405);
        CHECK(body_of(wrong) == R"({"detail":"Method \"GET\" not allowed."})");
        CHECK(body_of(wrong).find("fine") == std::string::npos);
        CHECK(raw_status(raw_exchange(agent.port(), request("GET", "/api/health/", headers))) ==
              404);
    }
    CHECK(agent.log().find(url_token) == std::string::npos);
}

TEST_CASE("security: the status page shows a probe caller the overall status and a sign-in hint") {
    TempDir secrets;
    Agent agent{ok_check, with_tokens(secrets)};
    const std::string as_reader = basic("anyone", read_token);
    const auto give_up = Clock::now() + 10s;
    while (body_of(raw_exchange(agent.port(), request("GET", "/health/checks/fine", as_reader)))
                   .find("\"pending\":false") == std::string::npos &&
           Clock::now() < give_up)
        std::this_thread::sleep_for(50ms);
    char host[256] = {};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);

    const auto reader_page = raw_exchange(agent.port(), request("GET", "/", as_reader));
    CHECK(raw_status(reader_page) == 200);
    CHECK(body_of(reader_page).find(R"(data-name="fine")") != std::string::npos);
    CHECK(body_of(reader_page).find(host) != std::string::npos); // what the minimal page hides
    CHECK(body_of(reader_page).find(R"(id="uptime")") != std::string::npos);

    for (const std::string &headers :
         {std::string{}, basic("", probe_token), "Authorization: Bearer " + probe_token + "\r\n"}) {
        CAPTURE(headers);
        const auto page = raw_exchange(agent.port(), request("GET", "/", headers));
        CHECK(raw_status(page) == 200);
        const std::string body = body_of(page);
        CHECK(body.find(R"(id="overall">ok<)") != std::string::npos);
        CHECK(body.find(R"(href="/?login")") != std::string::npos);
        for (const std::string &hidden :
             {std::string{host}, std::string{"fine"}, std::string{"hunter2"},
              std::string{"vitalsd"}, std::string{R"(id="uptime")"}, std::string{R"(id="config")"},
              std::string{"<script"}}) {
            CAPTURE(hidden);
            CHECK(body.find(hidden) == std::string::npos);
        }
    }

    // Signing in: a browser is challenged for Basic credentials and then sends them itself.
    const auto challenge = raw_exchange(agent.port(), request("GET", "/?login"));
    CHECK(raw_status(challenge) == 401);
    CHECK(header_value(challenge, "WWW-Authenticate") ==
          R"(Basic realm="vitals", charset="UTF-8")");
    CHECK(body_of(challenge).find("fine") == std::string::npos);
    CHECK(raw_status(
              raw_exchange(agent.port(), request("GET", "/?login", basic("x", probe_token)))) ==
          401); // not enough: ask again
    CHECK(raw_status(raw_exchange(agent.port(),
                                  request("GET", "/?login", basic("x", read_token + "x")))) == 401);
    const auto signed_in = raw_exchange(agent.port(), request("GET", "/?login", as_reader));
    CHECK(raw_status(signed_in) == 303);
    CHECK(header_value(signed_in, "Location") == "/");
}

TEST_CASE("security: Basic credentials carry a token to every route, the user name ignored") {
    TempDir secrets;
    Agent agent{ok_check, with_tokens(secrets)};
    const auto status = [&](const std::string &path, const std::string &headers) {
        return raw_status(raw_exchange(agent.port(), request("GET", path, headers)));
    };
    // Details, whether the check has run yet (200) or not (503).
    const auto details =
        raw_exchange(agent.port(), request("GET", "/health", basic("prometheus", read_token)));
    CHECK((raw_status(details) == 200 || raw_status(details) == 503));
    CHECK(body_of(details).find(R"("fine":)") != std::string::npos);
    CHECK(status("/metrics", basic("", read_token)) == 200);
    CHECK(status("/health", basic("someone", probe_token)) == 403);
    CHECK(status("/health", basic(read_token, "")) == 401); // the token as user name is not it
    CHECK(status("/health", basic("x", read_token + "x")) == 401);
    CHECK(status("/health", "Authorization: Basic " + read_token + "\r\n") == 401); // not base64
    const int pushed = raw_status(
        raw_exchange(agent.port(), request("POST", "/health/checks/fine",
                                           basic("cron", write_token) + "Content-Length: 6\r\n") +
                                       "0 done"));
    CHECK(pushed != 401); // past access control: `fine` is no push check, so 4xx of its own
    CHECK(pushed != 403);
    CHECK(agent.log().find(read_token) == std::string::npos);
}

TEST_CASE("security: with anonymous none the status page asks a browser to sign in") {
    TempDir secrets;
    Agent agent{"", with_tokens(secrets) + "anonymous = \"none\"\n"};
    const auto page = raw_exchange(agent.port(), request("GET", "/"));
    CHECK(raw_status(page) == 401);
    CHECK(header_value(page, "WWW-Authenticate").starts_with("Basic realm=\"vitals\""));
    CHECK(raw_status(raw_exchange(agent.port(), request("GET", "/", basic("", probe_token)))) ==
          200);
    CHECK(raw_status(raw_exchange(agent.port(), request("GET", "/health/live"))) == 401);
}

TEST_CASE("security: a reload swaps the tokens") {
    TempDir secrets;
    Agent agent{ok_check, with_tokens(secrets)};
    const std::string rotated = "rotated-0123456789abcdef";
    secrets.write_secret("tokens", "read " + rotated + "\n");
    agent.process().signal(SIGHUP);
    const auto auth = [&](const std::string &token) {
        return raw_status(raw_exchange(
            agent.port(), request("GET", "/health", "Authorization: Bearer " + token + "\r\n")));
    };
    const auto give_up = Clock::now() + 10s;
    while (auth(rotated) != 200 && Clock::now() < give_up)
        std::this_thread::sleep_for(50ms);
    CHECK(auth(rotated) == 200);
    CHECK(auth(read_token) == 401);
}

TEST_CASE("security: listening beyond loopback without tokens logs a warning") {
    Agent agent{"", "", {"--listen", "0.0.0.0:0"}};
    CHECK(agent.log().find("no [access] token_file") != std::string::npos);
    Agent quiet{""};
    CHECK(quiet.log().find("no [access] token_file") == std::string::npos);
}

// ---------------------------------------------------------------- hostile requests
// Agents without checks: an empty probe group is ok, so /health/live is 200 at once.

/// Times GET /health/live on fresh connections, over and over, until stopped: the probe a
/// kubelet keeps sending while something else goes on.
class LiveProber {
public:
    explicit LiveProber(std::uint16_t port)
        : thread_([this, port] {
              while (!stop_) {
                  int status = 0;
                  const auto took = live_probe_time(port, status);
                  samples_.push_back(took);
                  failures_ += status == 200 ? 0 : 1;
                  ++count_;
                  std::this_thread::sleep_for(5ms);
              }
          }) {}
    ~LiveProber() { finish(); }

    /// Stops probing; then the samples are the prober's no more.
    void finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    const std::vector<std::chrono::microseconds> &samples() const { return samples_; }
    int failures() const { return failures_; }
    /// How many probes so far; safe while probing.
    std::size_t count() const { return count_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> count_{0};
    std::vector<std::chrono::microseconds> samples_;
    int failures_ = 0;
    std::thread thread_; // last: starts once the rest exists
};

TEST_CASE("security: malformed and hostile requests each get their status") {
    Agent agent{"", "[http]\nmax_header_size = \"8KiB\"\nmax_body_size = \"1KiB\"\n"};
    const auto port = agent.port();
    const auto status = [&](const std::string &bytes) {
        return raw_status(raw_exchange(port, bytes));
    };
    // While all of it goes on, a slowloris client dribbles and 100 connections sit idle.
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 100; ++i)
        idle.push_back(std::make_unique<RawConnection>(port));
    RawConnection slowloris{port};
    const std::string dribble = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa";
    std::size_t dribbled = 0;
    const auto dribble_on = [&] {
        if (dribbled < dribble.size()) slowloris.send(dribble.substr(dribbled++, 1));
    };
    std::string many;
    for (int i = 0; i < 10000; ++i)
        many += "X-H" + std::to_string(i) + ": 1\r\n";
    const auto barrage = [&] {
        CHECK(status(request("GET", "/health", "X-Big: " + std::string(20000, 'a') + "\r\n")) ==
              431);
        dribble_on();
        CHECK(status(request("GET", "/health", many)) == 431);
        dribble_on();
        CHECK(status(request("GET", "/" + std::string(10000, 'a'))) == 414);
        CHECK(status(request("GET", "/health/\xff\xfe")) == 400);
        CHECK(status(request("GET", "/health/checks/%C3%28")) == 400);
        dribble_on();
        CHECK(status(request("GET", "/health/../../etc/passwd")) == 400);
        CHECK(status(request("GET", "/health/checks/..%2f..%2fetc%2fpasswd")) == 400);
        CHECK(status(request("GET", "/health%00")) == 400);
        CHECK(status(request("GET", "/etc/passwd")) == 404);
        CHECK(status(request("GET", "/conf.d/")) == 404);
        dribble_on();
        CHECK(status(std::string{"GET /health HTTP/1.1\r\nHost: \0x\r\n\r\n", 30}) == 400);
        CHECK(status("GET /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 501);
        CHECK(status(request("POST", "/health", "Content-Length: 5000\r\n")) == 413);
        CHECK(status("GET /health HTTP/3.0\r\n\r\n") == 505);
        CHECK(status("\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03\r\n\r\n") == 400); // TLS to HTTP

        for (const std::string method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
            CAPTURE(method);
            dribble_on();
            const auto reply =
                raw_exchange(port, request(method, "/health", "Content-Length: 0\r\n"));
            CHECK(raw_status(reply) == 405);
            CHECK(header_value(reply, "Allow") == "GET, HEAD");
        }
    };
    LiveProber prober{port};
    // Round after round, until the prober has sent enough probes during them (each probe
    // ends within 5 s, so this ends however slow the machine is).
    for (int round = 0; round < 3 || prober.count() < 30; ++round)
        barrage();
    prober.finish();
    auto samples = prober.samples();
    REQUIRE(samples.size() >= 30);
    std::sort(samples.begin(), samples.end());
    MESSAGE("/health/live during the hostile requests: "
            << samples.size() << " probes, median " << samples[samples.size() / 2].count()
            << " us, max " << samples.back().count() << " us");
    CHECK(prober.failures() == 0); // every probe admitted and answered 200
    // Still serving after all that.
    CHECK(http_get(port, "/health/live").status == 200);
}

TEST_CASE("security: more header fields than max_headers get 431, however small they are") {
    Agent agent{"", "[http]\nmax_headers = 40\n"};
    const auto with_fields = [&](int count) {
        std::string fields;
        for (int i = 0; i < count; ++i)
            fields += "X-" + std::to_string(i) + ": 1\r\n";
        return request("GET", "/health/live", fields);
    };
    // Host and Connection are fields too: 38 more make 40, 39 more make 41.
    CHECK(raw_status(raw_exchange(agent.port(), with_fields(38))) == 200);
    const auto refused = raw_exchange(agent.port(), with_fields(39));
    CHECK(raw_status(refused) == 431);
    CHECK(body_of(refused).find("too many header fields") != std::string::npos);
    // Far below max_header_size (8 KiB): the count is what refused it.
    CHECK(with_fields(39).size() < 1024);
}

TEST_CASE("security: a slowloris client is cut off and does not delay probes") {
    Agent agent{"", "[http]\nrequest_timeout = \"1s\"\n"};
    RawConnection slow{agent.port()};
    const auto start = Clock::now();
    bool cut_off = false;
    std::string reply;
    for (const char c : std::string{"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaa"}) {
        if (!slow.send(std::string(1, c))) {
            cut_off = true;
            break;
        }
        int status = 0;
        live_probe_time(agent.port(), status);
        CHECK(status == 200);
        reply += slow.receive(150ms);
        if (slow.closed()) {
            cut_off = true;
            break;
        }
    }
    const auto took = Clock::now() - start;
    MESSAGE("slow client cut off after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    // Cut off before it could finish: at 150 ms a byte the request takes 7 s to dribble.
    CHECK(cut_off);
    CHECK(raw_status(reply) == 408);
}

TEST_CASE("security: a connection that never sends a request is closed at request_timeout") {
    // Closed by request_timeout (1s), long before keep_alive_timeout (60s) would.
    Agent agent{"", "[http]\nrequest_timeout = \"1s\"\nkeep_alive_timeout = \"60s\"\n"};
    RawConnection silent{agent.port()};
    silent.receive(30s);
    CHECK(silent.closed());
}

TEST_CASE("security: 500 idle keep-alive connections do not delay a fresh probe") {
    Agent agent{""};
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 500; ++i) {
        idle.push_back(std::make_unique<RawConnection>(agent.port()));
        if (i % 2 == 0) { // half have been served once and wait for their next request
            idle.back()->send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            REQUIRE(raw_status(idle.back()->receive(5s, "\"status\"")) == 200);
        }
    }
    std::vector<std::chrono::microseconds> samples;
    for (int i = 0; i < 100; ++i) {
        int status = 0;
        samples.push_back(live_probe_time(agent.port(), status));
        REQUIRE(status == 200);
    }
    std::sort(samples.begin(), samples.end());
    MESSAGE("fresh /health/live behind 500 idle connections: median "
            << samples[50].count() << " us, p99 " << samples[98].count() << " us, max "
            << samples.back().count() << " us");
    // The idle connections are still open and served.
    idle.front()->send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(raw_status(idle.front()->receive(5s, "\"status\"")) == 200);
}

TEST_CASE("security: at max_connections the longest-idle connection makes room for a probe") {
    Agent agent{"", "[http]\nmax_connections = 16\nmax_connections_per_client = 16\n"};
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 16; ++i) {
        idle.push_back(std::make_unique<RawConnection>(agent.port()));
        idle.back()->send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(raw_status(idle.back()->receive(5s, "\"status\"")) == 200);
    }
    // Not refused: admitted in the longest-idle one's place.
    int status = 0;
    live_probe_time(agent.port(), status);
    CHECK(status == 200);
    // Exactly one of the 16 was closed to make room (the connection board's own test
    // checks that it is the longest idle).
    int closed = 0;
    for (auto &connection : idle) {
        connection->receive(100ms);
        closed += connection->closed() ? 1 : 0;
    }
    CHECK(closed == 1);
}

namespace {

/// A slowloris connection: it has sent part of a request head and says no more. It is busy,
/// not idle, so nothing evicts it to make room.
std::unique_ptr<RawConnection> stalled_request(std::uint16_t port, const std::string &source = "") {
    auto connection = source.empty() ? std::make_unique<RawConnection>(port)
                                     : std::make_unique<RawConnection>(port, source);
    connection->send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a");
    // The agent must read it before the next connection arrives: unread, it would look idle.
    REQUIRE(connection->wait_until_read_by_server(30s));
    return connection;
}

/// Whether /health/live answers 200 within 10 s: a slot given back is free again once the
/// agent has seen the close, which a busy machine may delay past any fixed sleep.
bool eventually_live(std::uint16_t port) {
    const auto give_up = Clock::now() + 10s;
    while (raw_status(raw_exchange(port, request("GET", "/health/live"))) != 200) {
        if (Clock::now() >= give_up) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

} // namespace

TEST_CASE("security: keep_alive_timeout closes a connection idle between requests") {
    Agent agent{"", "[http]\nkeep_alive_timeout = \"500ms\"\nrequest_timeout = \"30s\"\n"};
    RawConnection connection{agent.port()};
    connection.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(raw_status(connection.receive(5s, "\"status\"")) == 200);
    // Kept alive at first: a second request on the same connection is served.
    std::this_thread::sleep_for(200ms);
    const auto second_sent = Clock::now();
    connection.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(raw_status(connection.receive(5s, "\"status\"")) == 200);
    connection.receive(30s);
    CHECK(connection.closed());
    // The agent saw the second request after it was sent and closed the connection 500 ms
    // of idleness after that at the earliest: a lower bound a busy machine only lengthens.
    CHECK(Clock::now() - second_sent >= 500ms);
}

TEST_CASE("security: at max_connections with none idle a new connection gets 503") {
    Agent agent{"", "[http]\nmax_connections = 16\nmax_connections_per_client = 16\n"
                    "request_timeout = \"30s\"\n"};
    std::vector<std::unique_ptr<RawConnection>> busy;
    for (int i = 0; i < 16; ++i)
        busy.push_back(stalled_request(agent.port()));
    RawConnection refused{agent.port()};
    const auto reply = refused.receive(5s);
    CHECK(raw_status(reply) == 503);
    CHECK(header_value(reply, "Retry-After") == "1");
    CHECK(body_of(reply).find("too many connections") != std::string::npos);
    CHECK(refused.closed());
    // One that sent its request reads the 503 too, not a reset: the request is read
    // before the answer, so closing does not drop it unread.
    RawConnection asking{agent.port()};
    asking.send(request("GET", "/health/live"));
    const auto answer = asking.receive(5s);
    CHECK(raw_status(answer) == 503);
    check_framing(answer);
    CHECK(header_value(answer, "Connection") == "close");
    // None of the busy ones was sacrificed; when one goes, its slot is free again.
    for (auto &connection : busy) {
        connection->receive(10ms);
        CHECK_FALSE(connection->closed());
    }
    busy.pop_back();
    CHECK(eventually_live(agent.port())); // once the agent has seen that close
}

TEST_CASE("security: slowloris clients at max_connections_per_client leave room for probes") {
    // Long enough for the slow connections to be opened and checked before they time out,
    // on a busy machine too.
    const auto timeout = std::to_string(5 * sanitizer_slowdown) + "s";
    Agent agent{"", "[http]\nmax_connections = 32\nrequest_timeout = \"" + timeout + "\"\n"};
    // One address holds at most half the slots (16 of 32) by default: they come in order.
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 20; ++i)
        slow.push_back(stalled_request(agent.port()));
    for (std::size_t i = 0; i < slow.size(); ++i) {
        CAPTURE(i);
        const auto reply = slow[i]->receive(i < 16 ? 10ms : 10s, "}");
        CHECK(raw_status(reply) == (i < 16 ? -1 : 503));
    }
    // Another client still gets in at once; the slow client's own address does not.
    int status = 0;
    live_probe_time(agent.port(), status, "127.0.0.2");
    CHECK(status == 200);
    live_probe_time(agent.port(), status);
    CHECK(status == 503);
    // Cut off at request_timeout, the slow connections give their slots back.
    for (std::size_t i = 0; i < 16; ++i)
        CHECK(raw_status(slow[i]->receive(30s)) == 408);
    CHECK(eventually_live(agent.port()));
}

TEST_CASE("security: at its own cap a client's longest-idle connection makes room") {
    Agent agent{"", "[http]\nmax_connections = 64\nmax_connections_per_client = 8\n"};
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 8; ++i) {
        idle.push_back(std::make_unique<RawConnection>(agent.port()));
        idle.back()->send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(raw_status(idle.back()->receive(5s, "\"status\"")) == 200);
        // The server marks a connection idle just after writing its reply, which the client
        // may read first: a head start makes the first one the longest idle beyond doubt
        // on a busy machine. (Which one is longest idle is unit-tested on a fake clock.)
        if (i == 0) std::this_thread::sleep_for(200ms);
    }
    // A load balancer's pool of keep-alive connections is not refused at the cap: its oldest
    // idle one goes instead.
    int status = 0;
    live_probe_time(agent.port(), status);
    CHECK(status == 200);
    idle.front()->receive(5s);
    CHECK(idle.front()->closed());
    int closed = 0;
    for (auto &connection : idle) {
        connection->receive(10ms);
        closed += connection->closed() ? 1 : 0;
    }
    CHECK(closed == 1);
}

TEST_CASE("security: too many requests from one client get 429 with Retry-After") {
    Agent agent{"", "[http]\nrate_limit = 2\nrate_burst = 3\nrate_limit_loopback = true\n"};
    // The burst first, then 429. However slow the requests, a refill of 2 a second lets
    // through more than the burst only, never fewer: count up to the first refusal.
    int admitted = 0;
    std::string limited;
    for (int i = 0; i < 100 && limited.empty(); ++i) {
        const auto reply = raw_exchange(agent.port(), request("GET", "/health/live"));
        if (raw_status(reply) == 429)
            limited = reply;
        else
            admitted += raw_status(reply) == 200 ? 1 : 0;
    }
    CHECK(admitted >= 3);
    REQUIRE_FALSE(limited.empty());
    CHECK(header_value(limited, "Retry-After") == "1");
    std::this_thread::sleep_for(1100ms); // two more tokens
    CHECK(raw_status(raw_exchange(agent.port(), request("GET", "/health/live"))) == 200);
}

// ---------------------------------------------------------------- TLS

namespace {

/// The server certificate the test CA issued, as agent.toml's [tls] would name it.
vitals::TlsSettings server_tls(const TestCertificates &certs) {
    vitals::TlsSettings tls;
    tls.certificate = certs.path("server.crt");
    tls.private_key = certs.path("server.key");
    return tls;
}

/// GET over HTTPS trusting the test CA, with the client certificate `client` ("client",
/// "intruder") if one is named.
int https_get(std::uint16_t port, const TestCertificates &certs, const std::string &client,
              const std::string &path = "/health/live") {
    using Poco::Net::Context;
    Context::Params params;
    params.caLocation = certs.path("ca.crt").string();
    params.verificationMode = Context::VERIFY_STRICT;
    if (!client.empty()) {
        params.certificateFile = certs.path(client + ".crt").string();
        params.privateKeyFile = certs.path(client + ".key").string();
    }
    Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
    Poco::Net::HTTPSClientSession session{"127.0.0.1", port, context};
    session.setTimeout(Poco::Timespan{5, 0});
    Poco::Net::HTTPRequest get{Poco::Net::HTTPRequest::HTTP_GET, path,
                               Poco::Net::HTTPMessage::HTTP_1_1};
    session.sendRequest(get);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return response.getStatus();
}

/// An OpenSSL configuration that lets TLS 1.0 and 1.1 through wherever it applies: no
/// minimum version, and security level 0. OpenSSL 3's default level 1 alone refuses them
/// (their handshake signs with SHA-1 and MD5), which would hide a server that set no
/// minimum of its own. Its TLS 1.3 suite list is a marker: it shows the agent read it.
constexpr const char *permissive_openssl_conf = R"(openssl_conf = init
[init]
ssl_conf = ssl
[ssl]
system_default = defaults
[defaults]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
Ciphersuites = TLS_CHACHA20_POLY1305_SHA256
)";

} // namespace

TEST_CASE("security: the server's TLS context sets TLS 1.2 as its minimum itself") {
    TestCertificates certs;
    const auto context = vitals::make_tls_server_context(server_tls(certs));
    CHECK(SSL_CTX_get_min_proto_version(context->sslContext()) == TLS1_2_VERSION);
}

TEST_CASE("security: TLS serves HTTPS, refuses TLS 1.1 and plain HTTP") {
    TestCertificates certs;
    Agent agent{"", certs.tls_table(false)};
    CHECK(https_get(agent.port(), certs, "") == 200);
    const std::string s_client =
        "openssl s_client -connect 127.0.0.1:" + std::to_string(agent.port()) +
        " </dev/null >/dev/null 2>&1";
    CHECK(run(s_client + " -tls1_2") == 0);
    CHECK(run(s_client + " -tls1_1 -cipher DEFAULT@SECLEVEL=0") != 0);
    // A plain HTTP client gets no answer it could mistake for health.
    CHECK(raw_status(raw_exchange(agent.port(), request("GET", "/health/live"))) == -1);
}

TEST_CASE("security: TLS 1.1 is refused by the agent's minimum even where OpenSSL would allow it") {
    TestCertificates certs;
    TempDir scratch;
    const auto openssl_conf = scratch.write("openssl.cnf", permissive_openssl_conf);
    std::optional<Agent> agent;
    {
        ScopedEnvironment permissive{"OPENSSL_CONF", openssl_conf.string()};
        agent.emplace("", certs.tls_table(false));
    }
    const std::string s_client =
        "OPENSSL_CONF=" + openssl_conf.string() +
        " openssl s_client -connect 127.0.0.1:" + std::to_string(agent->port()) +
        " </dev/null >/dev/null 2>&1";
    // The agent runs under that configuration: only its TLS 1.3 suite gets through.
    REQUIRE(run(s_client + " -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256") == 0);
    REQUIRE(run(s_client + " -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384") != 0);
    // So nothing but the agent's own minimum stands between this client and TLS 1.1 or 1.0.
    CHECK(run(s_client + " -tls1_2") == 0);
    CHECK(run(s_client + " -tls1_1 -cipher DEFAULT@SECLEVEL=0") != 0);
    CHECK(run(s_client + " -tls1 -cipher DEFAULT@SECLEVEL=0") != 0);
}

TEST_CASE("security: with client_ca only clients with a certificate it signed get in") {
    TestCertificates certs;
    Agent agent{"", certs.tls_table(true)};
    CHECK(https_get(agent.port(), certs, "client") == 200);
    CHECK_THROWS(https_get(agent.port(), certs, ""));
    CHECK_THROWS(https_get(agent.port(), certs, "intruder")); // signed by a CA it does not trust
    // The agent went on serving after the refused handshakes.
    CHECK(https_get(agent.port(), certs, "client", "/health") == 200);
}

TEST_CASE("security: a TLS key readable by everyone stops the agent with a clear error") {
    TestCertificates certs;
    std::filesystem::permissions(certs.path("server.key"), std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    TempDir dir;
    const auto config = write_agent_toml(dir, certs.tls_table(false));
    const auto result = run_vitalsd(dir.path(), {"--check-config", "--config", config.string()});
    CHECK(result.exit_code == 78);
    CHECK(result.output.find("tls.key: ") != std::string::npos);
    CHECK(result.output.find("accessible by every user") != std::string::npos);
}

TEST_CASE("security: an encrypted TLS key opens with the passphrase a secret reference names, "
          "and a wrong one stops the agent without showing it") {
    TestCertificates certs;
    const std::string passphrase = "Key-Passphrase-0123";
    TempDir secrets;
    const auto passphrase_file = secrets.write_secret("passphrase", passphrase + "\n");
    const auto wrong_file = secrets.write_secret("wrong", "Not-The-Passphrase\n");
    const auto encrypted = secrets.path() / "server-encrypted.key";
    REQUIRE(run("openssl pkey -in '" + certs.path("server.key").string() +
                "' -aes256 -passout "
                "file:'" +
                passphrase_file.string() + "' -out '" + encrypted.string() + "'") == 0);
    std::filesystem::permissions(encrypted, std::filesystem::perms::others_all,
                                 std::filesystem::perm_options::remove);
    const auto tls_table = [&](const std::filesystem::path &passphrase_from) {
        return "[tls]\ncertificate = \"" + certs.path("server.crt").string() + "\"\nkey = \"" +
               encrypted.string() + "\"\nkey_passphrase = { file = \"" + passphrase_from.string() +
               "\" }\n";
    };
    {
        Agent agent{"", tls_table(passphrase_file)};
        CHECK(https_get(agent.port(), certs, "") == 200);
        CHECK(agent.log().find(passphrase) == std::string::npos);
    }
    TempDir dir;
    const auto config = write_agent_toml(dir, tls_table(wrong_file));
    const auto result = run_vitalsd(dir.path(), {"--config", config.string()});
    INFO(result.output);
    CHECK(result.exit_code != 0);
    CHECK(result.output.find("TLS: cannot use certificate") != std::string::npos);
    CHECK(result.output.find("bad decrypt") != std::string::npos);
    CHECK(result.output.find("Not-The-Passphrase") == std::string::npos);
}

// ---------------------------------------------------------------- the server under Poco

namespace {

std::size_t resident_kib(pid_t pid) {
    std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
    return 0;
}

/// User and system CPU time of `pid` so far, in clock ticks.
long cpu_ticks(pid_t pid) {
    std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
    const std::string line{std::istreambuf_iterator<char>{stat}, {}};
    std::istringstream fields{line.substr(line.rfind(')') + 2)};
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) {
            stime = std::stol(field);
            break;
        }
    }
    return utime + stime;
}

std::size_t count_of(const std::string &text, const std::string &part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

} // namespace

TEST_CASE("security: every reply's Content-Length is its body's length, refusals included") {
    TempDir secrets;
    Agent agent{ok_check, with_tokens(secrets, "[http]\nrequest_timeout = \"1s\"\n"
                                               "max_body_size = \"1KiB\"\n")};
    const auto port = agent.port();
    const auto exchange = [&](const std::string &bytes) {
        const auto reply = raw_exchange(port, bytes);
        check_framing(reply);
        return raw_status(reply);
    };
    const std::string as_reader = "Authorization: Bearer " + read_token + "\r\n";
    const std::string as_probe = "Authorization: Bearer " + probe_token + "\r\n";
    // The same render twice: the second comes from the cache, shared rather than copied.
    // (200, or 503 while the check is still pending.)
    CHECK(exchange(request("GET", "/health", as_reader)) / 100 != 4);
    CHECK(exchange(request("GET", "/health", as_reader)) / 100 != 4);
    CHECK(exchange(request("GET", "/metrics", as_reader)) == 200);
    CHECK(exchange(request("GET", "/", as_reader)) == 200); // the status page
    CHECK(exchange(request("GET", "/health/live")) / 100 != 4);
    CHECK(exchange(request("GET", "/health")) == 401);
    CHECK(exchange(request("GET", "/health", as_probe)) == 403);
    CHECK(exchange(request("GET", "/nope", as_reader)) == 404);
    CHECK(exchange(request("DELETE", "/health/live")) == 405);
    CHECK(exchange(request("GET", "/%zz")) == 400);
    CHECK(exchange(request("POST", "/health", "Content-Length: 5000\r\n")) == 413);
    CHECK(exchange(request("GET", "/" + std::string(10000, 'a'))) == 414);
    CHECK(exchange(request("GET", "/health", "X-Big: " + std::string(9000, 'a') + "\r\n")) == 431);
    CHECK(exchange(request("POST", "/health", "Transfer-Encoding: chunked\r\n")) == 501);
    CHECK(exchange("GET /health HTTP/3.0\r\n\r\n") == 505);
    CHECK(exchange(request("GET", "/health", "Expect: magic\r\n")) == 417);
    CHECK(exchange("GET /health HTTP/1.1\r\nHost: x\r\n") == 408); // and then nothing
    // HEAD: the length GET would have, and no body.
    const auto head = raw_exchange(port, request("HEAD", "/health/live"));
    check_framing(head, /*head_only=*/true);
    CHECK(header_value(head, "Content-Length") ==
          header_value(raw_exchange(port, request("GET", "/health/live")), "Content-Length"));

    Agent limited{"", "[http]\nrate_limit = 1\nrate_burst = 1\nrate_limit_loopback = true\n"};
    std::string refused;
    for (int i = 0; i < 10 && raw_status(refused) != 429; ++i)
        refused = raw_exchange(limited.port(), request("GET", "/health/live"));
    CHECK(raw_status(refused) == 429);
    check_framing(refused);
}

TEST_CASE("security: a request with bare LF line ends is answered at once") {
    // RFC 9112 §2.2 lets a server read a bare LF as a line end; Poco does. The request
    // must not wait for a CRLF that never comes (here, the 30 s request timeout).
    Agent agent{"", "[http]\nrequest_timeout = \"30s\"\n"};
    const auto start = Clock::now();
    const auto reply =
        raw_exchange(agent.port(), "GET /health/live HTTP/1.1\nHost: x\nConnection: close\n\n");
    CHECK(raw_status(reply) == 200);
    CHECK(Clock::now() - start < 10s);
}

TEST_CASE("security: pipelining clients that never read cost bounded memory, and it comes back") {
    Agent agent{"", "[http]\nrequest_timeout = \"2s\"\n"};
    const auto port = agent.port();
    const pid_t pid = agent.process().pid();
    for (int i = 0; i < 20; ++i)
        http_get(port, "/health");
    const std::size_t before = resident_kib(pid);

    // 2 addresses x 200 connections, each with 400 requests it never reads the replies
    // to: far more reply than the sockets' buffers hold, so the agent's writes stall.
    std::string pipelined;
    for (int i = 0; i < 400; ++i)
        pipelined += "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    std::vector<std::unique_ptr<RawConnection>> readers_never;
    for (const std::string source : {"127.0.0.2", "127.0.0.3"}) {
        for (int i = 0; i < 200; ++i) {
            readers_never.push_back(std::make_unique<RawConnection>(port, source));
            readers_never.back()->send(pipelined);
        }
    }
    std::size_t peak = 0;
    int answered = 0;
    for (int i = 0; i < 10; ++i) {
        int status = 0;
        live_probe_time(port, status, "127.0.0.4");
        answered += status == 200 ? 1 : 0;
        peak = std::max(peak, resident_kib(pid));
    }
    CHECK(answered == 10); // probes get through while the pipeliners hold their threads
    readers_never.clear();
    INFO("resident before: ", before, " KiB, at peak: ", peak, " KiB");
    if (!shadow_memory_sanitizer) {
        // Each stalled connection holds its thread's stack and one reply, never a queue
        // of replies: without the bound this was hundreds of MiB.
        CHECK(peak < before + 64 * 1024);
        // Threads idle for a few seconds leave, and their memory goes with them.
        const auto give_up = Clock::now() + 60s;
        while (resident_kib(pid) > before + 8 * 1024 && Clock::now() < give_up)
            std::this_thread::sleep_for(500ms);
        CHECK(resident_kib(pid) <= before + 8 * 1024);
    }
    int status = 0;
    live_probe_time(port, status);
    CHECK(status == 200);
}

TEST_CASE("security: out of file descriptors, accepting backs off and logs a bounded few lines") {
    Agent agent{""};
    const auto port = agent.port();
    const pid_t pid = agent.process().pid();
    const auto pid_text = std::to_string(pid);
    // The soft limit only: raising a hard limit again takes a privilege tests lack.
    REQUIRE(run("prlimit --pid " + pid_text + " --nofile=64:") == 0);
    std::vector<std::unique_ptr<RawConnection>> connections;
    for (int i = 0; i < 100; ++i)
        connections.push_back(std::make_unique<RawConnection>(port));
    REQUIRE(agent.process().wait_for_log("cannot accept a connection") != std::string::npos);
    const auto log_before = agent.log().size();
    const long cpu_before = cpu_ticks(pid);
    std::this_thread::sleep_for(3s);
    const long cpu_spent = cpu_ticks(pid) - cpu_before;
    const std::string logged = agent.log().substr(log_before);
    // Spinning on accept() took a whole core (3.65 s of CPU in 3 s) and wrote millions
    // of lines; backing off takes a few tries a second.
    CHECK(cpu_spent < 3 * ::sysconf(_SC_CLK_TCK) / 10 * sanitizer_slowdown);
    CHECK_MESSAGE(count_of(logged, " warning ") < 20, logged.substr(0, 3000));
    // Descriptors back: the waiting clients are served, and new ones.
    REQUIRE(run("prlimit --pid " + pid_text + " --nofile=4096:") == 0);
    connections.clear();
    CHECK(eventually_live(port));
}
