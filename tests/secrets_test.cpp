// Secrets stay out of messages, errors and logs; plugin text is cleaned. SPDX-License-Identifier:
// MIT
#include <doctest/doctest.h>

#include <string>

#include "checks/host_context.hpp"
#include "checks/secrets.hpp"
#include "support/agent_fixture.hpp"

using namespace vitals;
using namespace vitals::test;

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

TEST_CASE("secrets: plugin messages lose control characters and stay one line") {
    RunContext run{"c", nullptr, std::chrono::steady_clock::now() + 1s};
    host_api().set_result(&run, VITALS_STATUS_OK, "line one\nline\ttwo\r\x1b[31mred\x07\x7f end");
    CHECK(run.take_result().message == "line one line two [31mred end");
}

TEST_CASE("secrets: a plugin message, log line or error holding a secret is redacted") {
    const std::string secret = "hunter2-the-secret";
    const std::string dsn_password = "dsn-pa55";
    Agent agent{R"([check.leaky]
plugin = "sleepy"
interval = "100ms"
[check.leaky.params]
credential = ")" +
                secret + R"("
status = "error"
message = "login as postgres://app:)" +
                dsn_password + R"(@db failed with password )" + secret + R"(\u0007"
extra_metric = "postgres://app:)" +
                dsn_password + R"(@db"
)"};
    const auto check = wait_until_not_pending(agent.port(), "leaky");
    const std::string message = text(check, "message");
    CHECK(message == "login as postgres://app:<redacted>@db failed with password <redacted>");
    for (const std::string route : {"/health", "/health/checks/leaky?history", "/metrics"}) {
        const auto body = http_get(agent.port(), route).body;
        CHECK_MESSAGE(body.find(secret) == std::string::npos, route);
        CHECK_MESSAGE(body.find(dsn_password) == std::string::npos, route);
    }
    CHECK(agent.log().find(secret) == std::string::npos);
}

TEST_CASE("secrets: --check-config never echoes a secret in its errors") {
    TempDir dir;
    const std::string secret = "hunter2-the-secret";
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml", R"([check.refused]
plugin = "sleepy"
[check.refused.params]
credential = ")" + secret + R"("
reject = "cannot log in with )" + secret +
                                        R"("
)");
    const auto result = run_vitalsd(dir.path(), {"--check-config", "--config", config.string()});
    CHECK(result.exit_code == 78);
    CHECK(result.output.find("cannot log in with <redacted>") != std::string::npos);
    CHECK(result.output.find(secret) == std::string::npos);
}
