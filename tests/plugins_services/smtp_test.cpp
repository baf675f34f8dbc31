// The smtp plugin against a real SMTP server (aiosmtpd), plain, with STARTTLS and with
// implicit TLS, observed through vitalsd's HTTP output. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "metrics_lint.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"
#include "smtp_server.hpp"
#include "support/sanitizer_build.hpp"
#include "support/test_certificates.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

const std::string user = "vitals";
const std::string password = "Smtp-R1ght-Secret";
const std::string wrong = "Smtp-Wr0ng-Secret";

std::string at(const SmtpServer &server, const std::string &more = "") {
    return "port = " + std::to_string(server.port()) + (more.empty() ? "" : ", " + more);
}

std::string target(const SmtpServer &server) {
    return "127.0.0.1:" + std::to_string(server.port());
}

std::string file(const TestCertificates &certificates, const std::string &name) {
    return toml_string(certificates.path(name).string());
}

} // namespace

TEST_CASE("smtp: greeting and EHLO of a plain server against expectations, stopped and "
          "restarted") {
    SmtpServer server{{"plain"}};
    Agent agent{check_toml("mail", "smtp",
                           at(server, R"(expect_capabilities = ["8BITMIME", "smtputf8"], )"
                                      R"(expect_greeting = "Python SMTP [0-9.]+$")")) +
                check_toml("missing_capability", "smtp",
                           at(server, R"(expect_capabilities = ["CHUNKING"])")) +
                check_toml("other_greeting", "smtp", at(server, R"(expect_greeting = "Postfix")")) +
                check_toml("no_starttls", "smtp", at(server, R"(tls = "starttls")")) +
                check_toml("slow", "smtp", at(server, R"(warning = "1ns")")) +
                check_toml("too_slow", "smtp", at(server, R"(error = "1ns")"))};

    auto check = wait_for_status(agent.port(), "mail", "ok");
    CHECK(contains(text(check, "message"), target(server) + ": mx.test Python SMTP "));
    CHECK(contains(text(check, "message"), " capabilities, in "));
    CHECK(metric(check, "connect_time").value_or(-1) > 0);
    CHECK(metric(check, "response_time").value_or(-1) > 0);
    check = wait_for_status(agent.port(), "missing_capability", "error");
    CHECK(text(check, "message") == target(server) + ": EHLO does not offer CHUNKING");
    check = wait_for_status(agent.port(), "other_greeting", "error");
    CHECK(contains(text(check, "message"), "\" does not match Postfix"));
    check = wait_for_status(agent.port(), "no_starttls", "error");
    CHECK(text(check, "message") == target(server) + ": STARTTLS is not offered");
    check = wait_for_status(agent.port(), "slow", "warning");
    CHECK(contains(text(check, "message"), ", slower than "));
    wait_for_status(agent.port(), "too_slow", "error");

    server.stop();
    check = wait_for_status(agent.port(), "mail", "error", 5s);
    CHECK(text(check, "message") == "cannot connect to " + target(server) + ": connection refused");
    server.start();
    wait_for_status(agent.port(), "mail", "ok", 10s);
}

TEST_CASE("smtp: STARTTLS verified against the test CA, AUTH with the right and a wrong "
          "password, and certificates that do not verify") {
    const TestCertificates certificates;
    SmtpServer server{{"starttls", certificates.path("server.crt").string(),
                       certificates.path("server.key").string(), user, password}};
    const std::string ca = file(certificates, "ca.crt");
    const std::string tls = R"(tls = "starttls", )";
    Agent agent{
        check_toml("verified", "smtp",
                   at(server, tls + "ca_file = " + ca + R"(, expect_capabilities = ["AUTH"])")) +
            check_toml("auth", "smtp",
                       at(server, tls + "ca_file = " + ca + ", user = " + toml_string(user) +
                                      ", password = " + toml_string(password))) +
            check_toml("wrong_password", "smtp",
                       at(server, tls + "ca_file = " + ca + ", user = " + toml_string(user) +
                                      ", password = " + toml_string(wrong))) +
            // The system's CAs: reading them takes seconds under ThreadSanitizer.
            check_toml("system_cas", "smtp", at(server, R"(tls = "starttls")"), "500ms",
                       std::to_string(2 * sanitizer_slowdown) + "s") +
            check_toml("stranger_ca", "smtp",
                       at(server, tls + "ca_file = " + file(certificates, "stranger-ca.crt"))) +
            check_toml("wrong_name", "smtp",
                       at(server, tls + R"(host = "localhost", ca_file = )" + ca)) +
            check_toml("unverified", "smtp", at(server, tls + "verify = false")),
        "",
        {"--log-level", "debug"}};

    auto check = wait_for_status(agent.port(), "verified", "ok");
    CHECK(contains(text(check, "message"), target(server) + ": mx.test Python SMTP "));
    CHECK(contains(text(check, "message"), ", STARTTLS, "));
    check = wait_for_status(agent.port(), "auth", "ok");
    CHECK(contains(text(check, "message"), ", STARTTLS, AUTH as vitals, "));
    check = wait_for_status(agent.port(), "wrong_password", "error");
    CHECK(text(check, "message") ==
          target(server) + ": AUTH refused: 535 5.7.8 Authentication credentials invalid");
    check = wait_for_status(agent.port(), "system_cas", "error");
    CHECK(text(check, "message") == target(server) +
                                        ": TLS certificate not trusted: unable to get local "
                                        "issuer certificate");
    check = wait_for_status(agent.port(), "stranger_ca", "error");
    CHECK(contains(text(check, "message"), ": TLS certificate not trusted: "));
    check = wait_for_status(agent.port(), "wrong_name", "error");
    CHECK(text(check, "message") == "localhost:" + std::to_string(server.port()) +
                                        ": TLS certificate is not valid for localhost");
    check = wait_for_status(agent.port(), "unverified", "ok");
    CHECK(contains(text(check, "message"), ", STARTTLS (certificate not verified), "));

    lint_metrics(agent.port());
    const auto health = http_get(agent.port(), "/health");
    for (const auto &secret : {password, wrong}) {
        CAPTURE(secret);
        CHECK_FALSE(contains(health.body, secret));
        CHECK_FALSE(contains(agent.log(), secret));
    }
}

TEST_CASE("smtp: implicit TLS, as on port 465, verified and not") {
    const TestCertificates certificates;
    SmtpServer server{{"implicit", certificates.path("server.crt").string(),
                       certificates.path("server.key").string(), user, password}};
    Agent agent{
        check_toml("implicit", "smtp",
                   at(server, R"(tls = "implicit", ca_file = )" + file(certificates, "ca.crt") +
                                  ", user = " + toml_string(user) +
                                  ", password = " + toml_string(password))) +
        check_toml(
            "stranger_ca", "smtp",
            at(server, R"(tls = "implicit", ca_file = )" + file(certificates, "stranger-ca.crt"))) +
        check_toml("plain_to_tls", "smtp", at(server), "500ms", "1s")};
    auto check = wait_for_status(agent.port(), "implicit", "ok");
    CHECK(contains(text(check, "message"), ": mx.test Python SMTP "));
    CHECK(contains(text(check, "message"), ", TLS, AUTH as vitals, "));
    check = wait_for_status(agent.port(), "stranger_ca", "error");
    CHECK(contains(text(check, "message"), ": TLS certificate not trusted: "));
    // A plain client waits for a greeting that a TLS server never sends in the clear.
    check = wait_for_status(agent.port(), "plain_to_tls", "error");
    CHECK(contains(text(check, "message"), ": no greeting, timed out after "));
}

TEST_CASE("smtp: a server that never speaks times out within the check's own deadline") {
    SilentListener silent;
    Agent agent{
        check_toml("silent", "smtp", "port = " + std::to_string(silent.port()), "2s", "1s") +
        check_toml("silent_tls", "smtp",
                   "port = " + std::to_string(silent.port()) +
                       R"(, tls = "implicit", verify = false)",
                   "2s", "1s")};
    auto check = wait_for_status(agent.port(), "silent", "error");
    INFO(text(check, "message"));
    CHECK(contains(text(check, "message"), ": no greeting, timed out after "));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
    check = wait_for_status(agent.port(), "silent_tls", "error");
    INFO(text(check, "message"));
    CHECK(contains(text(check, "message"), ": connect and TLS handshake timed out after "));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
}

TEST_CASE("smtp: parameters are checked at load") {
    const auto result = check_config(
        check_toml("tls", "smtp", R"(tls = "ssl")") + check_toml("port", "smtp", "port = 0") +
        check_toml("plain_auth", "smtp", R"(user = "u", password = "Plain-Text-Secret")") +
        check_toml("no_password", "smtp", R"(tls = "starttls", user = "u")") +
        check_toml("ca_plain", "smtp", R"(ca_file = "/etc/ssl/ca.pem")") +
        check_toml("ca_relative", "smtp", R"(tls = "starttls", ca_file = "ca.pem")") +
        check_toml("helo", "smtp", R"(helo = "two words")") +
        check_toml("capability", "smtp", R"(expect_capabilities = ["AUTH PLAIN"])") +
        check_toml("greeting", "smtp", R"(expect_greeting = "(unclosed")") +
        check_toml("fine", "smtp",
                   R"(host = "mail.example.net", tls = "implicit", user = "u", password = "p", )"
                   R"(ca_file = "/etc/ssl/ca.pem", expect_capabilities = ["AUTH"], )"
                   R"(warning = "1s", error = "2s")"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.tls.params.tls: must be none, starttls or implicit"));
    CHECK(contains(result.output, "check.port.params.port: must be from 1 to 65535, got 0"));
    CHECK(contains(result.output, "check.plain_auth.params.user: needs tls"));
    CHECK(contains(result.output, "check.no_password.params.user: needs password"));
    CHECK(contains(result.output, "check.ca_plain.params.ca_file: has no effect without tls"));
    CHECK(contains(result.output, "check.ca_relative.params.ca_file: must be an absolute path"));
    CHECK(contains(result.output, "check.helo.params.helo: must be one word"));
    CHECK(contains(result.output, "check.capability.params.expect_capabilities: \"AUTH PLAIN\""));
    CHECK(contains(result.output, "check.greeting.params.expect_greeting: is not a regular"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK_FALSE(contains(result.output, "Plain-Text-Secret"));
    CHECK(contains(result.output, "9 configuration error(s)"));
}
