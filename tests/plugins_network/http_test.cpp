// The http plugin through the real vitalsd, against a server this process runs on
// 127.0.0.1. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/Base64Encoder.h>

#include "forward_proxy.hpp"
#include "network_support.hpp"
#include "support/sanitizer_build.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;
using Clock = std::chrono::steady_clock;

std::string url_param(const std::string &url, const std::string &extra = "") {
    return "url = \"" + url + "\"" + (extra.empty() ? "" : ", " + extra);
}

std::string base64(const std::string &text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder{out};
    encoder.rdbuf()->setLineLength(0);
    encoder << text;
    encoder.close();
    return out.str();
}

std::string to_upper_method(std::string name) {
    for (char &c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

std::string quoted(const std::string &text) {
    std::string out = "'";
    for (const char c : text)
        out += c == '\'' ? std::string{"'\\''"} : std::string{c};
    return out + "'";
}

/// What plugin_host prints for `checks`, each a list of KEY=VALUE, run at once in one process
/// that loads the shipped http.so and nothing of the agent (see plugin_host.cpp).
/// `environment`: VAR=value words that `env` sets for it.
std::string plugin_host_output(const std::vector<std::vector<std::string>> &checks,
                               const std::string &environment = "") {
    std::string command = "env " + environment + " " + quoted(VITALS_PLUGIN_HOST) + " " +
                          quoted(std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/http.so");
    for (const auto &params : checks) {
        command += " --check";
        for (const auto &param : params)
            command += " " + quoted(param);
    }
    FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe))
        output += buffer.data();
    const int status = ::pclose(pipe);
    INFO(command << "\n" << output);
    REQUIRE(status == 0);
    return output;
}

} // namespace

TEST_CASE("http: an expected status is ok, with response_time, status_code and body_bytes") {
    TestServer server;
    Agent agent{check_toml("page", "http", url_param(server.url("/body")))};

    const auto check = first_result(agent, "page");
    INFO(message_of(check));
    CHECK(text(check, "status") == "ok");
    CHECK(message_of(check).starts_with("GET " + server.url("/body") + ": 200 OK in "));
    CHECK(metric(check, "status_code") == 200);
    CHECK(metric(check, "body_bytes") == std::string{TestServer::body_text}.size());
    const auto time = metric(check, "response_time");
    REQUIRE(time.has_value());
    CHECK(*time > 0);
    CHECK(*time < 3);
    CHECK(http_get(agent.port(), "/health/checks/page").status == 200);
    CHECK(server.hits("/body") >= 1);
}

TEST_CASE("http: a status outside expected_status is an error, a listed one is ok") {
    TestServer server;
    Agent agent{check_toml("default_500", "http", url_param(server.url("/status/500"))) +
                check_toml("default_204", "http", url_param(server.url("/status/204"))) +
                check_toml("exact_404", "http",
                           url_param(server.url("/status/404"), "expected_status = [\"404\"]")) +
                check_toml("class_4xx", "http",
                           url_param(server.url("/status/418"), "expected_status = [\"4xx\"]")) +
                check_toml("range", "http",
                           url_param(server.url("/status/503"),
                                     "expected_status = [\"200\", \"500-503\"]")) +
                check_toml("only_200", "http",
                           url_param(server.url("/status/201"), "expected_status = [\"200\"]"))};

    const auto failing = first_result(agent, "default_500");
    INFO(message_of(failing));
    CHECK(text(failing, "status") == "error");
    CHECK(message_of(failing).starts_with("GET " + server.url("/status/500") +
                                          ": 500 Internal Server Error in "));
    CHECK(message_of(failing).ends_with(", expected 2xx, 3xx"));
    CHECK(metric(failing, "status_code") == 500);
    CHECK(http_get(agent.port(), "/health/checks/default_500").status == 503);

    CHECK(text(first_result(agent, "default_204"), "status") == "ok");
    CHECK(text(first_result(agent, "exact_404"), "status") == "ok");
    CHECK(text(first_result(agent, "class_4xx"), "status") == "ok");
    CHECK(text(first_result(agent, "range"), "status") == "ok");
    const auto only_200 = first_result(agent, "only_200");
    CHECK(text(only_200, "status") == "error");
    CHECK(contains(message_of(only_200), "201 Created"));
    CHECK(contains(message_of(only_200), "expected 200"));
}

TEST_CASE("http: body_contains and body_regex decide on the body") {
    TestServer server;
    const std::string url = server.url("/body");
    Agent agent{
        check_toml("contains", "http", url_param(url, "body_contains = \"says hello\"")) +
        check_toml("lacks", "http", url_param(url, "body_contains = \"says goodbye\"")) +
        check_toml("regex", "http", url_param(url, R"(body_regex = 'build \d+</body>')")) +
        check_toml("regex_miss", "http", url_param(url, R"(body_regex = '^build \d+$')")) +
        check_toml("both", "http",
                   url_param(url, R"(body_contains = "vitals", body_regex = '(?i)HELLO')"))};

    CHECK(text(first_result(agent, "contains"), "status") == "ok");
    CHECK(text(first_result(agent, "regex"), "status") == "ok");
    CHECK(text(first_result(agent, "both"), "status") == "ok");

    const auto lacks = first_result(agent, "lacks");
    INFO(message_of(lacks));
    CHECK(text(lacks, "status") == "error");
    CHECK(contains(message_of(lacks), "200 OK"));
    CHECK(contains(message_of(lacks), "but the body does not contain \"says goodbye\""));
    CHECK(metric(lacks, "status_code") == 200);

    const auto regex_miss = first_result(agent, "regex_miss");
    INFO(message_of(regex_miss));
    CHECK(text(regex_miss, "status") == "error");
    CHECK(contains(message_of(regex_miss), R"(does not match /^build \d+$/)"));
}

TEST_CASE("http: only the first 1 MiB of a body is read") {
    TestServer server;
    const std::string url = server.url("/big"); // 3 MiB of 'x', then "NEEDLE"
    Agent agent{check_toml("early", "http", url_param(url, "body_contains = \"xxxx\"")) +
                check_toml("late", "http", url_param(url, "body_contains = \"NEEDLE\""))};

    const auto early = first_result(agent, "early");
    INFO(message_of(early));
    CHECK(text(early, "status") == "ok");
    CHECK(metric(early, "body_bytes") == 1024 * 1024);

    const auto late = first_result(agent, "late");
    INFO(message_of(late));
    CHECK(text(late, "status") == "error");
    CHECK(contains(message_of(late), "body (first 1 MiB) does not contain \"NEEDLE\""));
}

TEST_CASE("http: HEAD asks for no body") {
    TestServer server;
    Agent agent{check_toml("head", "http", url_param(server.url("/body"), "method = \"HEAD\""))};
    const auto check = first_result(agent, "head");
    INFO(message_of(check));
    CHECK(text(check, "status") == "ok");
    CHECK(message_of(check).starts_with("HEAD " + server.url("/body") + ": 200 OK"));
    CHECK(metric(check, "body_bytes") == 0);
}

TEST_CASE("http: a server slower than the timeout is a timed-out error and the agent goes on") {
    TestServer server;
    Agent agent{check_toml("stalled", "http", url_param(server.url("/slow?ms=20000")), "1s") +
                check_toml("healthy", "http", url_param(server.url("/body")), "1s", "200ms")};

    const auto started = Clock::now();
    const auto stalled = first_result(agent, "stalled");
    const auto waited = Clock::now() - started;
    INFO(message_of(stalled));
    CHECK(text(stalled, "status") == "error");
    // The plugin's own result, not the scheduler's bare "timed out after 1s": it names the URL
    // (query hidden) and what it was waiting for.
    CHECK(message_of(stalled).starts_with("GET " + server.url("/slow") + "?...: timed out after "));
    CHECK(contains(message_of(stalled), "waiting for the response"));
    CHECK(waited < 5s); // 1 s timeout + up to 1 s start splay, with room for a slow machine

    // Not stuck: the stalled check runs again, the other keeps answering, /health answers.
    const auto again = wait_until(
        agent.port(), "stalled", [](const auto &json) { return consecutive(json) >= 2; }, 10s);
    CHECK(contains(message_of(again), "timed out"));
    const auto before = consecutive(first_result(agent, "healthy"));
    const auto later = wait_until(
        agent.port(), "healthy", [&](const auto &json) { return consecutive(json) > before + 2; },
        10s);
    CHECK(text(later, "status") == "ok");
    CHECK(http_get(agent.port(), "/health").status == 503);
    WARN_FALSE(contains(agent.log(), "late result after timeout dropped")); // see tls_cert_test
}

TEST_CASE("http: a body trickled byte by byte is still cut off at the deadline") {
    TestServer server;
    // 1000 bytes at one per 100 ms: every single read succeeds well within the timeout, so
    // only a deadline for the whole exchange can stop it.
    Agent agent{check_toml("trickle", "http", url_param(server.url("/trickle")), "1500ms", "5s")};
    const auto check = first_result(agent, "trickle");
    INFO(message_of(check));
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check).starts_with("GET " + server.url("/trickle") + ": timed out after"));
    CHECK(contains(message_of(check), "reading the body"));
    WARN_FALSE(contains(agent.log(), "late result after timeout dropped")); // see tls_cert_test
}

TEST_CASE("http: response headers trickled byte by byte are still cut off at the deadline") {
    TrickleHeadServer server;
    // Poco reads headers through calls no per-read timeout reaches; only a deadline for the
    // whole exchange stops a status line followed by a header that never ends.
    Agent agent{check_toml("trickle_head", "http", url_param(server.url()), "1500ms", "5s")};
    const auto check = first_result(agent, "trickle_head");
    INFO(message_of(check));
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check).starts_with("GET " + server.url() + ": timed out after"));
    CHECK(contains(message_of(check), "waiting for the response"));
    WARN_FALSE(contains(agent.log(), "late result after timeout dropped")); // see tls_cert_test
}

TEST_CASE("http: runs hung on a silent server share one deadline thread instead of one each") {
    SilentServer silent;
    constexpr std::size_t runs = 8;
    const std::vector<std::vector<std::string>> checks(
        runs, {"url=http://127.0.0.1:" + std::to_string(silent.port()) + "/"});
    const std::string output = plugin_host_output(checks);
    INFO(output);
    std::size_t timed_out = 0;
    std::optional<std::size_t> threads;
    std::istringstream lines{output};
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("result error ") && line.find("timed out") != std::string::npos)
            ++timed_out;
        if (line.starts_with("threads ")) threads = std::stoul(line.substr(8));
    }
    CHECK(timed_out == runs); // all of them waited for the deadline, in parallel
    REQUIRE(threads.has_value());
    // The host's main thread, one thread per run, and the plugin's one deadline thread.
    CHECK(*threads <= 1 + runs + 1 + sanitizer_threads);
}

TEST_CASE("http: warning and error thresholds on the response time") {
    TestServer server;
    const std::string slow = server.url("/slow?ms=300");
    Agent agent{
        check_toml("warns", "http", url_param(slow, "warning = \"100ms\"")) +
        check_toml("fails", "http", url_param(slow, "warning = \"50ms\", error = \"100ms\"")) +
        check_toml("fast_enough", "http", url_param(slow, "warning = \"10s\""))};

    const auto warns = first_result(agent, "warns");
    INFO(message_of(warns));
    CHECK(text(warns, "status") == "warning");
    CHECK(contains(message_of(warns), ", slower than 100.0 ms"));
    CHECK(*metric(warns, "response_time") >= 0.3);
    CHECK(http_get(agent.port(), "/health/checks/warns").status == 200);

    const auto fails = first_result(agent, "fails");
    INFO(message_of(fails));
    CHECK(text(fails, "status") == "error");
    CHECK(contains(message_of(fails), ", slower than 100.0 ms"));

    CHECK(text(first_result(agent, "fast_enough"), "status") == "ok");
}

TEST_CASE("http: redirects are judged as they are unless follow_redirects, which is bounded") {
    TestServer server;
    Agent agent{
        check_toml("as_is", "http", url_param(server.url("/redirect/2"))) +
        check_toml("as_is_200", "http",
                   url_param(server.url("/redirect/2"), "expected_status = [\"200\"]")) +
        check_toml("follow", "http",
                   url_param(server.url("/redirect/2"),
                             "follow_redirects = true, body_contains = \"landed\"")) +
        check_toml(
            "too_many", "http",
            url_param(server.url("/redirect/3"), "follow_redirects = true, max_redirects = 2")) +
        check_toml("loop", "http", url_param(server.url("/loop"), "follow_redirects = true"))};

    const auto as_is = first_result(agent, "as_is");
    INFO(message_of(as_is));
    CHECK(text(as_is, "status") == "ok");
    CHECK(contains(message_of(as_is),
                   ": 302 Found in ")); // 3xx is in the default expected_status
    CHECK(contains(message_of(as_is),
                   "(redirect to " + server.url("/redirect/1") + " not followed)"));
    CHECK(metric(as_is, "status_code") == 302);

    const auto as_is_200 = first_result(agent, "as_is_200");
    CHECK(text(as_is_200, "status") == "error");
    CHECK(contains(message_of(as_is_200), "302 Found"));

    const auto follow = first_result(agent, "follow");
    INFO(message_of(follow));
    CHECK(text(follow, "status") == "ok");
    CHECK(contains(message_of(follow), ": 200 OK in "));
    CHECK(contains(message_of(follow), "after 2 redirects to " + server.url("/redirect/0")));
    CHECK(metric(follow, "status_code") == 200);

    const auto too_many = first_result(agent, "too_many");
    INFO(message_of(too_many));
    CHECK(text(too_many, "status") == "error");
    CHECK(contains(message_of(too_many),
                   "more than 2 redirects, last to " + server.url("/redirect/0")));

    const auto loop = first_result(agent, "loop");
    INFO(message_of(loop));
    CHECK(text(loop, "status") == "error");
    CHECK(contains(message_of(loop), "more than 5 redirects"));
}

TEST_CASE("http: an http:// URL that redirects to https:// is judged over TLS") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer plain;
    TestServer tls{cert};
    const std::string to_tls = plain.url("/redirect-to?url=" + tls.url("/body"));
    Agent agent{check_toml(
        "upgraded", "http",
        url_param(to_tls, "follow_redirects = true, ca_file = \"" + cert.cert.string() + "\""))};
    const auto check = first_result(agent, "upgraded");
    INFO(message_of(check));
    CHECK(text(check, "status") == "ok");
    CHECK(contains(message_of(check), ": 200 OK in "));
    // The target came in the check's query (?url=...), so it is shown masked: every query
    // value the check was given is kept out of its messages.
    CHECK(contains(message_of(check), "after 1 redirect to ***"));
    CHECK(tls.hits("/body") >= 1);
}

TEST_CASE("http: a self-signed certificate fails verification by default, passes with ca_file") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer server{cert};
    const std::string url = server.url("/body");
    // Four handshakes at once, one loading the system's CA store: under ThreadSanitizer on a
    // busy machine that can take past the usual 3 s, and only the verdicts are under test.
    const std::string timeout = "10s";
    Agent agent{check_toml("default", "http", url_param(url), timeout) +
                check_toml("trusted", "http",
                           url_param(url, "ca_file = \"" + cert.cert.string() +
                                              "\", body_contains = \"hello\""),
                           timeout) +
                check_toml("unverified", "http", url_param(url, "verify_tls = false"), timeout) +
                check_toml("localhost", "http",
                           url_param("https://localhost:" + std::to_string(server.port()) + "/body",
                                     "ca_file = \"" + cert.cert.string() + "\""),
                           timeout)};

    const auto refused = first_result(agent, "default");
    INFO(message_of(refused));
    CHECK(text(refused, "status") == "error");
    CHECK(message_of(refused) ==
          "GET " + url + ": TLS certificate not trusted: self-signed certificate");
    CHECK_FALSE(metric(refused, "status_code").has_value());

    const auto trusted = first_result(agent, "trusted");
    INFO(message_of(trusted));
    CHECK(text(trusted, "status") == "ok");
    CHECK(message_of(trusted).starts_with("GET " + url + ": 200 OK in "));
    CHECK(metric(trusted, "status_code") == 200);

    CHECK(text(first_result(agent, "unverified"), "status") == "ok");
    CHECK(text(first_result(agent, "localhost"), "status") == "ok");
}

TEST_CASE("http: a trusted certificate for another name is refused") {
    TempDir dir;
    const auto cert = make_cert(dir, "other", 30, "DNS:other.example", "other.example");
    TestServer server{cert};
    Agent agent{
        check_toml("mismatch", "http",
                   url_param(server.url("/body"), "ca_file = \"" + cert.cert.string() + "\"")) +
        check_toml("missing_ca", "http",
                   url_param(server.url("/body"),
                             "ca_file = \"" + (dir.path() / "nope.pem").string() + "\""))};
    const auto mismatch = first_result(agent, "mismatch");
    INFO(message_of(mismatch));
    CHECK(text(mismatch, "status") == "error");
    CHECK(contains(message_of(mismatch), "TLS certificate is not valid for 127.0.0.1"));

    const auto missing = first_result(agent, "missing_ca");
    INFO(message_of(missing));
    CHECK(text(missing, "status") == "error");
    CHECK(
        contains(message_of(missing), "cannot load ca_file " + (dir.path() / "nope.pem").string()));
}

TEST_CASE("http: a closed port, a silent server and an unknown host are errors") {
    SilentServer silent;
    const auto closed = closed_port();
    Agent agent{check_toml("refused", "http",
                           url_param("http://127.0.0.1:" + std::to_string(closed) + "/")) +
                check_toml("silent", "http",
                           url_param("http://127.0.0.1:" + std::to_string(silent.port()) + "/"),
                           "1s") +
                check_toml("unknown", "http", url_param("http://no-such-host.invalid/"))};

    const auto refused = first_result(agent, "refused");
    CHECK(text(refused, "status") == "error");
    CHECK(message_of(refused) ==
          "GET http://127.0.0.1:" + std::to_string(closed) + "/: connection refused");

    const auto silent_check = first_result(agent, "silent");
    INFO(message_of(silent_check));
    CHECK(text(silent_check, "status") == "error");
    CHECK(contains(message_of(silent_check), "timed out after"));

    const auto unknown = first_result(agent, "unknown");
    INFO(message_of(unknown));
    CHECK(text(unknown, "status") == "error");
    CHECK(contains(message_of(unknown), "no-such-host.invalid"));
}

TEST_CASE("http: passwords and tokens appear nowhere in /health or the agent log") {
    const std::string password = "pa55-w0rd-in-url";
    const std::string token = "t0ken-in-header-9f8e7d";
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer server{std::nullopt, token, base64("monitor:" + password)};
    TestServer tls_server{cert};
    const std::string with_user =
        "http://monitor:" + password + "@127.0.0.1:" + std::to_string(server.port());
    const std::string header = "headers = [\"Authorization: Bearer " + token + "\"]";
    Agent agent{
        // Credentials that work prove they are sent ...
        check_toml("basic", "http", url_param(with_user + "/basic")) +
            check_toml("bearer", "http", url_param(server.url("/auth"), header)) +
            // ... and failures of every kind must not quote them either.
            check_toml("denied", "http",
                       url_param(with_user + "/auth", header + ", body_contains = \"x\"")) +
            check_toml("refused", "http",
                       url_param("http://monitor:" + password + "@127.0.0.1:" +
                                     std::to_string(closed_port()) + "/?token=" + token,
                                 header)) +
            check_toml("tls", "http",
                       url_param("https://monitor:" + password +
                                     "@127.0.0.1:" + std::to_string(tls_server.port()) + "/",
                                 header)) +
            check_toml("redirected", "http",
                       url_param(with_user + "/redirect/1", header + ", follow_redirects = true")),
        "",
        {"--log-level", "debug"}};

    for (const char *name : {"basic", "bearer", "denied", "refused", "tls", "redirected"})
        wait_until(
            agent.port(), name, [](const auto &json) { return consecutive(json) >= 2; }, 15s);

    const auto basic = first_result(agent, "basic");
    INFO(message_of(basic));
    CHECK(text(basic, "status") == "ok");
    CHECK(message_of(basic).starts_with("GET http://127.0.0.1:" + std::to_string(server.port()) +
                                        "/basic: 200 OK"));
    CHECK(text(first_result(agent, "bearer"), "status") == "ok");
    // The header wins over the URL's user information.
    CHECK(text(first_result(agent, "denied"), "status") == "error");
    CHECK(text(first_result(agent, "refused"), "status") == "error");
    CHECK(text(first_result(agent, "tls"), "status") == "error");
    CHECK(text(first_result(agent, "redirected"), "status") == "ok");

    const auto health = http_get(agent.port(), "/health").body;
    const std::string log = agent.log();
    for (const std::string &secret : {password, token, base64("monitor:" + password)}) {
        INFO("secret: " << secret);
        CHECK_FALSE(contains(health, secret));
        CHECK_FALSE(contains(log, secret));
        for (const char *name : {"basic", "bearer", "denied", "refused", "tls", "redirected"})
            CHECK_FALSE(contains(http_get(agent.port(), std::string{"/health/checks/"} + name).body,
                                 secret));
    }
    CHECK_FALSE(contains(health, "monitor:"));
    CHECK(contains(log, "listening on")); // the log really is this agent's
}

TEST_CASE("http: query values never show, though the server echoes them in its reason and body") {
    TestServer server;
    // "sig" looks like no secret by name, and "+" arrives decoded: only the query itself says
    // what to hide. With 56 dots first, the token straddles the 80-byte cut of a reason phrase.
    const auto echo = [&](int pad) {
        return server.url("/echo?pad=" + std::to_string(pad) +
                          "&api_key=QuerySecret%2B42&sig=Sig77Value");
    };
    Agent agent{check_toml("echoed", "http", url_param(echo(0))) +
                    check_toml("straddling", "http", url_param(echo(56))),
                "",
                {"--log-level", "debug"}};
    const std::vector<std::string> secrets{"QuerySecret", "QuerySec", "%2B42", "Sig77Value"};
    for (const char *name : {"echoed", "straddling"}) {
        const auto check = first_result(agent, name);
        INFO(message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(message_of(check).starts_with("GET " + server.url("/echo") + "?...: 200 "));
        for (const auto &secret : secrets)
            CHECK_FALSE_MESSAGE(contains(message_of(check), secret), secret);
    }
    for (const std::string route :
         {"/health", "/", "/health/checks/echoed?history", "/health/checks/straddling?history"}) {
        const auto body = http_get(agent.port(), route).body;
        CAPTURE(route);
        for (const auto &secret : secrets)
            CHECK_FALSE_MESSAGE(contains(body, secret), secret);
    }
    for (const auto &secret : secrets)
        CHECK_FALSE_MESSAGE(contains(agent.log(), secret), secret);
}

TEST_CASE("http: any method sends its body and headers as written") {
    TestServer server;
    const std::string url = server.url("/request");
    Agent agent{
        check_toml("post", "http",
                   url_param(url,
                             R"(method = "post", body = "ping=1&pong=2", )"
                             R"(headers = ["Content-Type: application/x-www-form-urlencoded", )"
                             R"("X-Test: yes"], json = ["/method == POST", )"
                             R"("/body == ping=1&pong=2", )"
                             R"("/content_type == application/x-www-form-urlencoded", )"
                             R"("/x_test == yes"])")) +
        check_toml("delete", "http",
                   url_param(url, R"(method = "DELETE", json = ["/method == DELETE", )"
                                  R"("/body == \"\""])"))};
    for (const char *name : {"post", "delete"}) {
        const auto check = first_result(agent, name);
        INFO(name << ": " << message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(message_of(check).starts_with(to_upper_method(name) + " " + url + ": 200 OK in "));
    }
}

TEST_CASE("http: JSON Pointer assertions on the body decide ok, warning and error") {
    TestServer server;
    const std::string url = server.url("/health.json");
    const auto json_check = [&](const std::string &name, const std::string &assertions) {
        return check_toml(name, "http", url_param(url, assertions));
    };
    Agent agent{
        json_check("up", R"(json = ["/status == UP", "/status =~ ^(UP|OK)$", "/up == true", )"
                         R"("/queue/depth <= 150", "/queue/max == 1000", "/a~1b/~0c == null", )"
                         R"("/checks/0/name != web"])") +
        json_check("down", R"(json = ["/status == UP", "/checks/0/status == UP"])") +
        json_check("deep",
                   R"(json = ["/queue/depth < 1000"], json_warning = ["/queue/depth < 100"])") +
        json_check("missing", R"(json = ["/checks/1/status == UP"])") +
        json_check("not_number", R"(json = ["/status > 1"])") +
        check_toml("not_json", "http",
                   url_param(server.url("/body"), R"(json = ["/status == UP"])"))};

    const auto up = first_result(agent, "up");
    INFO("up: " << message_of(up));
    CHECK(text(up, "status") == "ok");

    const auto down = first_result(agent, "down");
    INFO("down: " << message_of(down));
    CHECK(text(down, "status") == "error");
    CHECK(message_of(down).ends_with(", but /checks/0/status is \"DOWN\", not == UP"));

    const auto deep = first_result(agent, "deep");
    INFO("deep: " << message_of(deep));
    CHECK(text(deep, "status") == "warning");
    CHECK(message_of(deep).ends_with(", but /queue/depth is 150, not < 100"));

    const auto missing = first_result(agent, "missing");
    CHECK(text(missing, "status") == "error");
    CHECK(contains(message_of(missing), "/checks/1/status is not in the body"));

    const auto not_number = first_result(agent, "not_number");
    CHECK(text(not_number, "status") == "error");
    CHECK(contains(message_of(not_number), "/status is \"UP\", not a number"));

    const auto not_json = first_result(agent, "not_json");
    INFO("not_json: " << message_of(not_json));
    CHECK(text(not_json, "status") == "error");
    CHECK(contains(message_of(not_json), "the body is not JSON"));
}

TEST_CASE("http: a client certificate gets through a server that requires one") {
    TempDir dir;
    const auto server_cert = make_cert(dir, "server", 30);
    // Poco's server checks a client certificate's name against the client's address too.
    const auto client = make_cert(dir, "client", 30, "IP:127.0.0.1", "client");
    TestServer server{server_cert, "", "", client.cert}; // trusts exactly that certificate
    const std::string url = server.url("/body");
    const std::string trust = "ca_file = \"" + server_cert.cert.string() + "\"";
    Agent agent{check_toml("with_cert", "http",
                           url_param(url, trust + ", client_cert = \"" + client.cert.string() +
                                              "\", client_key = \"" + client.key.string() + "\"")) +
                check_toml("without_cert", "http", url_param(url, trust)) +
                check_toml("missing_key", "http",
                           url_param(url, trust + ", client_cert = \"" + client.cert.string() +
                                              "\", client_key = \"" +
                                              (dir.path() / "nope.key").string() + "\""))};

    const auto with_cert = first_result(agent, "with_cert");
    INFO("with_cert: " << message_of(with_cert));
    CHECK(text(with_cert, "status") == "ok");

    const auto without_cert = first_result(agent, "without_cert");
    INFO("without_cert: " << message_of(without_cert));
    CHECK(text(without_cert, "status") == "error");
    // Under TLS 1.3 the client finishes its handshake before the server refuses it: the
    // refusal reads as the connection closing.
    CHECK_FALSE(contains(message_of(without_cert), "200 OK"));

    const auto missing_key = first_result(agent, "missing_key");
    INFO("missing_key: " << message_of(missing_key));
    CHECK(text(missing_key, "status") == "error");
    CHECK(contains(message_of(missing_key), "cannot load client_cert"));
}

TEST_CASE("http: username, password and bearer_token authenticate and never show") {
    const std::string password = "Http-Secret-pw-5";
    const std::string token = "Http-Secret-token-6";
    TestServer server{std::nullopt, token, base64("monitor:" + password)};
    Agent agent{check_toml("basic", "http",
                           url_param(server.url("/basic"),
                                     "username = \"monitor\", password = \"" + password + "\"")) +
                    check_toml("bearer", "http",
                               url_param(server.url("/auth"), "bearer_token = \"" + token + "\"")) +
                    check_toml("wrong", "http",
                               url_param(server.url("/basic"),
                                         "username = \"monitor\", password = \"" + token +
                                             "\", expected_status = [\"401\"], "
                                             "json = [\"/x == 1\"]")),
                "",
                {"--log-level", "debug"}};
    CHECK(text(first_result(agent, "basic"), "status") == "ok");
    CHECK(text(first_result(agent, "bearer"), "status") == "ok");
    const auto wrong = first_result(agent, "wrong");
    INFO("wrong: " << message_of(wrong));
    CHECK(text(wrong, "status") == "error"); // a 401, as expected, but no JSON
    const auto health = http_get(agent.port(), "/health").body;
    for (const std::string &secret : {password, token, base64("monitor:" + password)}) {
        CHECK_FALSE_MESSAGE(contains(health, secret), secret);
        CHECK_FALSE_MESSAGE(contains(agent.log(), secret), secret);
    }
}

TEST_CASE("http: a proxy forwards the request, with its own credentials, and names itself when "
          "down") {
    TestServer server;
    ForwardProxy proxy;
    const std::string proxy_password = "Http-Secret-proxy-7";
    const std::string url = server.url("/body");
    Agent agent{
        check_toml("proxied", "http",
                   url_param(url, "proxy = \"http://scout:" + proxy_password +
                                      "@127.0.0.1:" + std::to_string(proxy.port()) + "\"")) +
        check_toml("proxy_down", "http",
                   url_param(url, "proxy = \"http://scout:" + proxy_password +
                                      "@127.0.0.1:" + std::to_string(closed_port()) + "\""))};
    const auto proxied = first_result(agent, "proxied");
    INFO("proxied: " << message_of(proxied));
    CHECK(text(proxied, "status") == "ok");
    const auto seen = proxy.seen();
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.front().target == url);
    CHECK(seen.front().authorization == "Basic " + base64("scout:" + proxy_password));

    const auto down = first_result(agent, "proxy_down");
    INFO("proxy_down: " << message_of(down));
    CHECK(text(down, "status") == "error");
    CHECK(contains(message_of(down), "connection refused (through proxy 127.0.0.1:"));
    CHECK_FALSE(contains(http_get(agent.port(), "/health").body, proxy_password));
    CHECK_FALSE(contains(agent.log(), proxy_password));
}

TEST_CASE("http: an https URL goes through the proxy in a CONNECT tunnel, verified end to end") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer server{cert};
    ForwardProxy proxy;
    const std::string url = server.url("/body");
    Agent agent{
        check_toml("tunnelled", "http",
                   url_param(url, "proxy = \"" + proxy.url() + "\", ca_file = \"" +
                                      cert.cert.string() + "\", body_contains = \"hello\""))};
    const auto tunnelled = first_result(agent, "tunnelled");
    INFO("tunnelled: " << message_of(tunnelled));
    CHECK(text(tunnelled, "status") == "ok");
    const auto seen = proxy.seen();
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.front().target == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("http: http_proxy from the environment is used unless no_proxy or an empty proxy says "
          "otherwise") {
    TestServer server;
    ForwardProxy proxy;
    const std::string by_address = server.url("/body");
    const std::string by_name = "http://localhost:" + std::to_string(server.port()) + "/body";
    const std::string output = plugin_host_output(
        {{"url=" + by_address}, {"url=" + by_name}, {"url=" + by_address, "proxy="}},
        "http_proxy=" + proxy.url() + " no_proxy=.localhost,example.com");
    CHECK(output.find("result error") == std::string::npos);
    const auto seen = proxy.seen();
    REQUIRE(seen.size() == 1); // only the first: the others go straight to the server
    CHECK(seen.front().target == by_address);
}
