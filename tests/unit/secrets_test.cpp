// Secrets stay out of messages; plugin and pushed text is cleaned: the rules themselves,
// called directly. tests/integration/secrets_test.cpp follows them through the agent.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "checks/host_context.hpp"
#include "checks/secrets.hpp"
#include "http/push_report.hpp"

using namespace vitals;
using namespace std::chrono_literals;

TEST_CASE("secrets: names that mean a secret") {
    for (const char *key : {"password", "db_password", "PASSWD", "api_key", "auth_token",
                            "client_secret", "credentials", "pass", "private_key"})
        CHECK_MESSAGE(is_secret_name(key), key);
    for (const char *key : {"host", "port", "passive", "user", "keyspace", "url", "dsn"})
        CHECK_FALSE_MESSAGE(is_secret_name(key), key);
}

TEST_CASE("secrets: passwords inside connection strings") {
    using list = std::vector<std::string>;
    CHECK(embedded_credentials("postgresql://app:s3cr3t@db:5432/x") == list{"s3cr3t"});
    CHECK(embedded_credentials("redis://:only-password@cache") == list{"only-password"});
    CHECK(embedded_credentials("amqp://guest@mq/") == list{});
    CHECK(embedded_credentials("http://host/path?a@b") == list{});
    CHECK(embedded_credentials("host=db user=app password=pa55word dbname=x") == list{"pa55word"});
    CHECK(embedded_credentials("host=db PASSWORD = 'it''s \\' quoted' port=5") ==
          list{"it"}); // libpq: a quoted value ends at the first unescaped quote
    CHECK(embedded_credentials("user=app password='with space'") == list{"with space"});
}

TEST_CASE("secrets: variable names that mean a secret, and their assignments anywhere") {
    for (const char *name : {"DB_PASS", "MYSQL_PWD", "API_KEY", "aws-secret-access-key",
                             "PGPASSWORD", "GITHUB_TOKEN", "X_AUTH", "ssh.passphrase"})
        CHECK_MESSAGE(is_secret_variable(name), name);
    for (const char *name : {"PATH", "LANG", "HOME", "PASSIVE_MODE", "KEYSPACE", "MONKEY"})
        CHECK_FALSE_MESSAGE(is_secret_variable(name), name);
    using list = std::vector<std::string>;
    CHECK(embedded_credentials("DB_PASS=x1y2z3 check_db -H db") == list{"x1y2z3"});
    CHECK(embedded_credentials("https://h/p?api_key=k3y&page=2;API-TOKEN = t0k") ==
          list{"k3y", "t0k"});
    CHECK(embedded_credentials("PATH=/bin HOME=/root") == list{});
}

TEST_CASE("secrets: plugin messages lose control characters and stay one line") {
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    host_api().set_result(&run, VITALS_STATUS_OK, "line one\nline\ttwo\r\x1b[31mred\x07\x7f end");
    CHECK(run.take_result().message == "line one line two [31mred end");
}

TEST_CASE("secrets: pushed messages and metric names lose control characters") {
    const auto now = std::chrono::system_clock::now();
    const auto json = parse_push_report(
        "application/json",
        R"({"status": "ok", "message": "line one\nline\ttwo\r\u001b[31mred\u0007\u007f end",)"
        R"( "metrics": [{"name": "rows\u0000_total", "value": 1, "unit": "\u001bbytes"}]})",
        now);
    REQUIRE(std::holds_alternative<CheckResult>(json));
    const auto &result = std::get<CheckResult>(json);
    CHECK(result.message == "line one line two [31mred end");
    REQUIRE(result.metrics.size() == 1);
    CHECK(result.metrics[0].name == "rows_total");
    CHECK(result.metrics[0].unit == "bytes");
    const auto plain = parse_push_report("text/plain", "0 backup \x1b[1mdone\x07", now);
    REQUIRE(std::holds_alternative<CheckResult>(plain));
    const std::string message = std::get<CheckResult>(plain).message;
    CHECK(message.find("[1mdone") != std::string::npos);
    CHECK(std::none_of(message.begin(), message.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
    // A metric name of control characters only is no name.
    CHECK(std::get<PushProblem>(
              parse_push_report("application/json",
                                R"({"status": "ok", "metrics": [{"name": "", "value": 1}]})", now))
              .http_status == 400);
}
