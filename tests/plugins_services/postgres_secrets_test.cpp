// Secret references through the real vitalsd against a real PostgreSQL: the password from a
// file, an environment variable and a systemd credential, rotated with SIGHUP.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "postgres_server.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"
#include "support/scoped_environment.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

const std::string role = "vitals_reader";
const std::string first_password = "F1rst-Rotating-Secret";
const std::string second_password = "S3cond-Rotating-Secret";

void set_role_password(const PostgresServer &server, const std::string &password,
                       const char *verb = "ALTER") {
    const auto done =
        server.psql(std::string{verb} + " ROLE " + role + " LOGIN PASSWORD '" + password + "'");
    REQUIRE_MESSAGE(done.exit_code == 0, done.output);
}

/// A postgres check of `role` on the test server whose password is `reference`.
std::string secret_check(const std::string &name, const PostgresServer &server,
                         const std::string &reference,
                         const std::string &user = toml_string(role)) {
    return check_toml(name, "postgres",
                      "host = \"127.0.0.1\", port = " + std::to_string(server.port()) +
                          ", user = " + user + ", password = " + reference);
}

/// Every place a secret must not be: each check's JSON, /health, /metrics, the status page
/// and the agent's log.
void check_nowhere(const Agent &agent, const std::string &secret) {
    for (const char *path : {"/health", "/health/checks/file", "/health/checks/env",
                             "/health/checks/credential", "/metrics", "/"}) {
        CAPTURE(path);
        CHECK_FALSE(contains(http_get(agent.port(), path).body, secret));
    }
    CHECK_FALSE(contains(agent.log(), secret));
}

} // namespace

TEST_CASE("postgres secrets: a password from a file, the environment and a credential connects, "
          "shows nowhere, and a rotated file is read again at SIGHUP") {
    PostgresServer server;
    set_role_password(server, first_password, "CREATE");
    const TempDir secrets;
    const auto file = secrets.write_secret("pg-password", first_password + "\n");
    secrets.write_secret("credentials/pg", first_password);
    // The user name too comes from a credential: a value from a reference is secret whatever
    // its key, so the role's name is redacted in messages as well.
    secrets.write_secret("credentials/pg-user", role + "\n");
    const ScopedEnvironment variable{"VITALS_TEST_PG_PASSWORD", first_password};
    const ScopedEnvironment credentials{"CREDENTIALS_DIRECTORY",
                                        (secrets.path() / "credentials").string()};
    Agent agent{secret_check("file", server, "{ file = " + toml_string(file.string()) + " }") +
                    secret_check("env", server, "{ env = \"VITALS_TEST_PG_PASSWORD\" }") +
                    secret_check("credential", server, "{ credential = \"pg\" }",
                                 "{ credential = \"pg-user\" }"),
                "",
                {"--log-level", "debug"}};
    for (const char *name : {"file", "env", "credential"}) {
        CAPTURE(name);
        const auto check = wait_for_status(agent.port(), name, "ok");
        CHECK(contains(text(check, "message"), ": connected in"));
    }
    check_nowhere(agent, first_password);

    // The password changes on the server: every run now fails to log in, without the secret.
    set_role_password(server, second_password);
    auto check = wait_until(
        agent.port(), "file",
        [](const Object::Ptr &json) {
            return contains(text(json, "message"), "password authentication failed");
        },
        10s);
    CHECK(text(check, "status") == "error");
    check = wait_until(
        agent.port(), "credential",
        [](const Object::Ptr &json) {
            return contains(text(json, "message"), "password authentication failed");
        },
        10s);
    CHECK_FALSE(contains(text(check, "message"), role));

    // Rotation: the new password in the file and the credential, then SIGHUP.
    secrets.write_secret("pg-password", second_password + "\n");
    secrets.write_secret("credentials/pg", second_password + "\n");
    const auto log_before = agent.log().size();
    agent.process().signal(SIGHUP);
    CHECK(agent.process().wait_for_log("reload", log_before) != std::string::npos);
    for (const char *name : {"file", "credential"}) {
        CAPTURE(name);
        wait_for_status(agent.port(), name, "ok", 10s);
    }
    // The environment a process started with does not change: that check keeps failing.
    CHECK(text(wait_for_status(agent.port(), "env", "error"), "message").find("authentication") !=
          std::string::npos);
    check_nowhere(agent, first_password);
    check_nowhere(agent, second_password);
}

TEST_CASE("postgres secrets: a world-readable or missing secret file is refused at file, line "
          "and key, without its value") {
    const TempDir secrets;
    const auto open = secrets.write("open", first_password + "\n");
    std::filesystem::permissions(open, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const std::string missing = (secrets.path() / "missing").string();
    const auto result = check_config(
        check_toml("open", "postgres", "password = { file = " + toml_string(open.string()) + " }") +
        check_toml("missing", "postgres", "password = { file = " + toml_string(missing) + " }"));
    INFO(result.output);
    CHECK(result.exit_code != 0);
    // check_toml writes params on the fifth line of each check's table.
    CHECK(contains(result.output, "checks.toml:5:"));
    CHECK(contains(result.output, ": check.open.params.password: secret file '" + open.string() +
                                      "': '" + open.string() + "' is accessible by every user"));
    CHECK(contains(result.output, "checks.toml:11:"));
    CHECK(contains(result.output,
                   ": check.missing.params.password: secret file '" + missing + "': cannot read"));
    CHECK_FALSE(contains(result.output, first_password));
}
