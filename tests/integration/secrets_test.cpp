// Secrets stay out of messages, errors and logs of the real agent and its workers; pushed
// text is cleaned on its way to /health. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <thread>

#include "checks/secrets.hpp"
#include "support/agent_fixture.hpp"

using namespace vitals;
using namespace vitals::test;

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

TEST_CASE("secrets: a value from a secret reference is secret whatever its key, in process and in "
          "a worker") {
    const std::string value = "Message-From-A-Secret-File";
    REQUIRE_FALSE(is_secret_name("message"));
    TempDir secrets;
    const auto file = secrets.write_secret("message", value + "\n");
    const auto check_toml = [&](const std::string &name, const std::string &isolation) {
        return "[check." + name + "]\nplugin = \"sleepy\"\ninterval = \"100ms\"\n" + isolation +
               "params = { message = { file = \"" + file.string() + "\" } }\n";
    };
    Agent agent{check_toml("referenced", "") +
                    check_toml("referenced_isolated", "isolation = \"process\"\n"),
                "",
                {"--log-level", "debug"}};
    for (const std::string name : {"referenced", "referenced_isolated"}) {
        CAPTURE(name);
        const auto check = wait_until_not_pending(agent.port(), name, 10s);
        CHECK(text(check, "message") == "<redacted>");
    }
    for (const std::string route : {"/health", "/metrics", "/"})
        CHECK_MESSAGE(http_get(agent.port(), route).body.find(value) == std::string::npos, route);
    CHECK(agent.log().find(value) == std::string::npos);
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

TEST_CASE("secrets: what a pusher sends is what /health shows, cleaned of control characters") {
    Agent agent{"[check.nightly]\nplugin = \"push\"\nttl = \"1h\"\n"};
    const auto reply =
        http_request(agent.port(), "POST", "/health/checks/nightly",
                     R"({"status": "warning", "message": "slow\u0000 \u001b[0mrun\nagain"})",
                     "application/json");
    REQUIRE(reply.status / 100 == 2);
    CHECK(text(wait_until_not_pending(agent.port(), "nightly"), "message") == "slow [0mrun again");
}
