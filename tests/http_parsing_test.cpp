// The server's request parsing, on plain strings. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "http/server/request_head.hpp"
#include "http/server/request_target.hpp"
#include "http/server/response_writer.hpp"

using namespace vitals;

namespace {

HeadParse parse(const std::string &text, const RequestLimits &limits = {}) {
    return parse_request_head(text, limits);
}

int rejected_status(const HeadParse &parsed) {
    const auto *rejected = std::get_if<RejectedRequest>(&parsed);
    return rejected ? rejected->status : 0;
}

const RequestHead &head_of(const HeadParse &parsed) {
    REQUIRE(std::holds_alternative<RequestHead>(parsed));
    return std::get<RequestHead>(parsed);
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

TEST_CASE("http parsing: a complete head gives method, target, headers and framing") {
    const auto parsed = parse("GET /health?verbose=0 HTTP/1.1\r\nHost: a\r\n"
                              "X-Two: 1\r\nx-two: 2\r\nAuthorization: Bearer abc\r\n\r\nrest");
    const RequestHead &head = head_of(parsed);
    CHECK(head.method == "GET");
    CHECK(head.target == "/health?verbose=0");
    CHECK(head.headers.at("HOST") == "a");
    CHECK(head.headers.at("x-two") == "1, 2"); // repeated fields combine, names ignore case
    CHECK(head.headers.at("authorization") == "Bearer abc");
    CHECK(head.head_bytes ==
          std::string{"GET /health?verbose=0 HTTP/1.1\r\nHost: a\r\n"
                      "X-Two: 1\r\nx-two: 2\r\nAuthorization: Bearer abc\r\n\r\n"}
              .size());
    CHECK(head.keep_alive);
    CHECK(head.content_length == 0);
}

TEST_CASE("http parsing: keep-alive follows the version and the Connection header") {
    CHECK_FALSE(head_of(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")).keep_alive);
    CHECK_FALSE(head_of(parse("GET / HTTP/1.0\r\n\r\n")).keep_alive);
    CHECK(head_of(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).keep_alive);
}

TEST_CASE("http parsing: an incomplete head waits for more bytes") {
    CHECK(std::holds_alternative<NeedMoreBytes>(parse("GET / HTTP/1.1\r\nHost: a\r\n")));
    CHECK(std::holds_alternative<NeedMoreBytes>(parse("G")));
}

TEST_CASE("http parsing: limits on head size, header count and body size") {
    RequestLimits limits;
    limits.max_head_bytes = 100;
    limits.max_headers = 3;
    limits.max_body_bytes = 10;
    CHECK(rejected_status(parse("GET /" + std::string(200, 'a'), limits)) == 414);
    CHECK(rejected_status(parse("GET / HTTP/1.1\r\nA: " + std::string(200, 'a'), limits)) == 431);
    CHECK(rejected_status(
              parse("GET / HTTP/1.1\r\nA: 1\r\nA: 2\r\nA: 3\r\nA: 4\r\n\r\n", limits)) == 431);
    CHECK(rejected_status(parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits)) == 413);
    CHECK(head_of(parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", limits)).content_length ==
          10);
}

TEST_CASE("http parsing: smuggling and malformed heads are refused") {
    CHECK(rejected_status(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")) == 501);
    CHECK(rejected_status(
              parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("GET / HTTP/1.1\r\nNo colon\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("GET / HTTP/1.1\r\nA: x\ny\r\n\r\n")) == 400);
    CHECK(rejected_status(parse(std::string{"GET /\0 HTTP/1.1\r\n\r\n", 19})) == 400);
    CHECK(rejected_status(parse("GET / HTTP/2.0\r\n\r\n")) == 505);
    CHECK(rejected_status(parse("GET / HTTX/1.1\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("GET /\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("G(T / HTTP/1.1\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("\r\n\r\n")) == 400);
    CHECK(rejected_status(parse("GET / HTTP/1.1\r\nExpect: magic\r\n\r\n")) == 417);
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
    std::string out;
    write_response(response, false, false, out);
    CHECK(out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
    CHECK(out.find("Content-Length: 2\r\n") != std::string::npos);
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
    CHECK(out.find("X-Evil: aSet-Cookie: b\r\n") != std::string::npos);
    CHECK(out.find("\r\nSet-Cookie") == std::string::npos);
    CHECK(out.ends_with("\r\n\r\n{}"));
    std::string head_only;
    write_response(response, true, true, head_only);
    CHECK(head_only.find("Content-Length: 2\r\n") != std::string::npos);
    CHECK(head_only.ends_with("\r\n\r\n"));
    CHECK(head_only.find("Connection: close") == std::string::npos);
}
