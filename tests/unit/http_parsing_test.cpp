// The server's request parsing, on plain strings. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include <Poco/Net/HTTPRequest.h>

#include "http/server/request_policy.hpp"
#include "http/server/request_reader.hpp"
#include "http/server/request_target.hpp"
#include "http/server/response_head.hpp"

using namespace vitals;

namespace {

Poco::Net::HTTPRequest parse(const std::string &text, const RequestLimits &limits = {}) {
    return read_request_head(text, limits);
}

/// The status the server answers a head with before any route: 0 when it goes on to
/// the routes, -1 when it waits for more bytes (here: the client went away).
int refused_status(const std::string &text, const RequestLimits &limits = {}) {
    try {
        const auto framing = check_request_head(parse(text, limits), limits);
        const auto *refused = std::get_if<RefusedRequest>(&framing);
        return refused ? refused->status : 0;
    } catch (const RefusedRequest &refused) {
        return refused.status;
    } catch (const ClientGone &) {
        return -1;
    }
}

std::size_t body_length(const std::string &text, const RequestLimits &limits = {}) {
    const auto framing = check_request_head(parse(text, limits), limits);
    REQUIRE(std::holds_alternative<std::size_t>(framing));
    return std::get<std::size_t>(framing);
}

int target_status(const std::string &target) {
    const auto parsed = parse_request_target(target);
    const auto *bad = std::get_if<BadTarget>(&parsed);
    return bad ? bad->status : 200;
}

std::string target_path(const std::string &target) {
    const auto parsed = parse_request_target(target);
    REQUIRE(std::holds_alternative<RequestTarget>(parsed));
    return std::get<RequestTarget>(parsed).path;
}

} // namespace

TEST_CASE("http parsing: Poco reads the head, and not one byte past it") {
    const std::string head_bytes = "GET /health?verbose=0 HTTP/1.1\r\nHost: a\r\n"
                                   "X-Two: 1\r\nx-two: 2\r\nAuthorization: Bearer abc\r\n\r\n";
    const std::string received = head_bytes + "GET /next HTTP/1.1\r\n";
    std::size_t taken = 0;
    const ByteSource source = [&]() -> int {
        return taken < received.size() ? static_cast<unsigned char>(received[taken++])
                                       : end_of_input;
    };
    const auto head = read_request_head(source, RequestLimits{});
    CHECK(taken == head_bytes.size()); // the pipelined request is left for the next read
    CHECK(head.getMethod() == "GET");
    CHECK(head.getURI() == "/health?verbose=0");
    CHECK(head.get("HOST") == "a");
    CHECK(head.get("authorization") == "Bearer abc");
    CHECK(head.getVersion() == "HTTP/1.1");
    CHECK(head.getKeepAlive());
    CHECK(body_length(head_bytes) == 0);
}

TEST_CASE("http parsing: keep-alive follows the version and the Connection header") {
    CHECK_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").getKeepAlive());
    CHECK_FALSE(parse("GET / HTTP/1.0\r\n\r\n").getKeepAlive());
    CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").getKeepAlive());
}

TEST_CASE("http parsing: a head cut short is never taken as whole") {
    CHECK(refused_status("GET / HTTP/1.1\r\nHost: a\r\n") == -1);
    CHECK(refused_status("GET / HTTP/1.1\r\nHost: a") == -1);
    CHECK(refused_status("G") == -1);
    // Empty lines before a request are skipped while it is awaited (RFC 9112 §2.2).
    CHECK(refused_status("\r\n\r\n") == -1);
}

TEST_CASE("http parsing: bare LF line ends are read as line ends (RFC 9112 §2.2)") {
    const auto head = parse("GET /health HTTP/1.1\nHost: a\n\n");
    CHECK(head.getURI() == "/health");
    CHECK(head.get("Host") == "a");
    CHECK(refused_status("GET /health HTTP/1.1\nHost: a\n\n") == 0);
}

TEST_CASE("http parsing: limits on head size, header count and body size") {
    RequestLimits limits;
    limits.max_head_bytes = 100;
    limits.max_headers = 3;
    limits.max_body_bytes = 10;
    CHECK(refused_status("GET /" + std::string(200, 'a'), limits) == 414);
    CHECK(refused_status("GET / HTTP/1.1\r\nA: " + std::string(200, 'a'), limits) == 431);
    CHECK(refused_status("GET / HTTP/1.1\r\nA: 1\r\nA: 2\r\nA: 3\r\nA: 4\r\n\r\n", limits) == 431);
    CHECK(refused_status("GET / HTTP/1.1\r\nA: 1\r\nA: 2\r\nA: 3\r\n\r\n", limits) == 0);
    CHECK(refused_status("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits) == 413);
    CHECK(body_length("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", limits) == 10);
}

TEST_CASE("http parsing: smuggling and malformed heads are refused") {
    CHECK(refused_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 501);
    CHECK(refused_status("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
          400);
    CHECK(refused_status("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n") == 0);
    CHECK(refused_status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
    CHECK(refused_status("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/1.1\r\nA: x\ny\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/1.1\r\nA: x\x01y\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/2.0\r\n\r\n") == 505);
    CHECK(refused_status("GET / HTTX/1.1\r\n\r\n") == 400);
    CHECK(refused_status("GET /\r\n\r\n") == 400);
    CHECK(refused_status("G(T / HTTP/1.1\r\n\r\n") == 400);
    CHECK(refused_status("GET / HTTP/1.1\r\nExpect: magic\r\n\r\n") == 417);
    CHECK(refused_status("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n") == 0);
}

TEST_CASE("http parsing: request targets are decoded and path tricks refused") {
    CHECK(target_path("/health/checks/a%20b") == "/health/checks/a b");
    CHECK(target_path("http://example.org/health?x") == "/health");
    CHECK(target_path("/caf%C3%A9") == "/café");
    CHECK(std::get<RequestTarget>(parse_request_target("/a?b=%2F")).query == "b=%2F");
    CHECK(target_status("/health/../etc/passwd") == 400);
    CHECK(target_status("/health/%2e%2E/x") == 400);
    CHECK(target_status("/./health") == 400);
    CHECK(target_status("/health%2fchecks") == 400);
    CHECK(target_status("/health%00") == 400);
    CHECK(target_status("/health%0a") == 400);
    CHECK(target_status("/health%zz") == 400);
    CHECK(target_status("/health%4") == 400);
    CHECK(target_status("/%C3%28") == 400);    // invalid UTF-8
    CHECK(target_status("/%ED%A0%80") == 400); // a UTF-16 surrogate
    CHECK(target_status("/%C0%AF") == 400);    // overlong '/'
    CHECK(target_status("/\xff") == 400);
    CHECK(target_status("health") == 400);
    CHECK(target_status("*") == 400);
    CHECK(target_status("/a#frag") == 400);
    CHECK(target_status("/health/checks/..data") == 200); // only whole dot segments
}

TEST_CASE("http parsing: responses carry length, close and no injected header lines") {
    HttpResponse response;
    response.status = 503;
    response.body = "{}";
    response.headers["X-Evil"] = "a\r\nSet-Cookie: b";
    const std::string head = response_head(response, response.payload().size(), false);
    CHECK(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
    CHECK(head.find("Content-Length: 2\r\n") != std::string::npos);
    CHECK(head.find("Connection: close\r\n") != std::string::npos);
    CHECK(head.find("Date: ") != std::string::npos);
    CHECK(head.find("Server: vitals\r\n") != std::string::npos);
    CHECK(head.find("X-Evil: aSet-Cookie: b\r\n") != std::string::npos);
    CHECK(head.find("\r\nSet-Cookie") == std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));
    const std::string kept = response_head(response, 2, true);
    CHECK(kept.find("Connection: close") == std::string::npos);
    CHECK(interim_continue() == "HTTP/1.1 100 Continue\r\n\r\n");
}
