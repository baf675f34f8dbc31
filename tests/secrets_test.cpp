// Secrets stay out of messages, errors and logs; plugin text is cleaned. SPDX-License-Identifier:
// MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <string>
#include <thread>
#include <variant>

#include "checks/host_context.hpp"
#include "checks/secrets.hpp"
#include "push/push_report.hpp"
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

// "phrase" is secret only because the plugin declares it so (tests/plugins/secretive.cpp):
// no name rule catches it, and the plugin repeats it in its message, its log and its errors.
namespace {

const std::string phrase = "open-sesame-4711";

std::string secretive_check(const std::string &name, const std::string &extra = "") {
    return "[check." + name + "]\nplugin = \"secretive\"\ninterval = \"100ms\"\n" + extra +
           "[check." + name + ".params]\nphrase = \"" + phrase + "\"\n";
}

} // namespace

TEST_CASE("secrets: a parameter secret only by its SDK flag is redacted, in process and in a "
          "worker") {
    REQUIRE_FALSE(is_secret_name("phrase"));
    Agent agent{secretive_check("sly") +
                secretive_check("sly_isolated", "isolation = \"process\"\n")};
    for (const std::string name : {"sly", "sly_isolated"}) {
        CAPTURE(name);
        const auto check = wait_until_not_pending(agent.port(), name, 10s);
        CHECK(text(check, "message") == "the phrase is <redacted>");
    }
    for (const std::string route : {"/health", "/health/checks/sly_isolated?history", "/metrics",
                                    "/", "/health/checks/sly?history"}) {
        const auto body = http_get(agent.port(), route).body;
        CHECK_MESSAGE(body.find(phrase) == std::string::npos, route);
    }
    const std::string log = agent.log();
    CHECK(log.find("about to say the phrase <redacted>") != std::string::npos);
    CHECK(log.find(phrase) == std::string::npos);
}

TEST_CASE("secrets: a reload refused over a secret shows it redacted in /health, page and log") {
    Agent agent{secretive_check("sly")};
    wait_until_not_pending(agent.port(), "sly");
    agent.dir().write("conf.d/checks.toml",
                      secretive_check("sly") + "refuse = true\n"); // under [check.sly.params]
    agent.process().signal(SIGHUP);
    Object::Ptr config;
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up) {
        config = parse(http_get(agent.port(), "/health").body)->getObject("config");
        if (!config->getValue<bool>("ok")) break;
        std::this_thread::sleep_for(50ms);
    }
    REQUIRE_FALSE(config->getValue<bool>("ok"));
    const auto errors = config->getArray("errors");
    REQUIRE(errors->size() == 1);
    const std::string error = errors->getElement<std::string>(0);
    CHECK(error.find("will not use the phrase <redacted>") != std::string::npos);
    for (const std::string route : {"/health", "/"}) {
        const auto body = http_get(agent.port(), route).body;
        CHECK_MESSAGE(body.find(phrase) == std::string::npos, route);
    }
    const std::string log = agent.log();
    CHECK(log.find("will not use the phrase <redacted>") != std::string::npos);
    CHECK(log.find(phrase) == std::string::npos);

    const auto checked =
        run_vitalsd(agent.dir().path(),
                    {"--check-config", "--config", (agent.dir().path() / "agent.toml").string()});
    CHECK(checked.exit_code == 78);
    CHECK(checked.output.find("will not use the phrase <redacted>") != std::string::npos);
    CHECK(checked.output.find(phrase) == std::string::npos);
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

    // And through the agent: what a pusher sends is what /health shows, cleaned.
    Agent agent{"[check.nightly]\nplugin = \"push\"\nttl = \"1h\"\n"};
    const auto reply =
        http_request(agent.port(), "POST", "/health/checks/nightly",
                     R"({"status": "warning", "message": "slow\u0000 \u001b[0mrun\nagain"})",
                     "application/json");
    REQUIRE(reply.status / 100 == 2);
    CHECK(text(wait_until_not_pending(agent.port(), "nightly"), "message") == "slow [0mrun again");
}
