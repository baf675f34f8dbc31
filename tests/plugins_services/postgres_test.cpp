// The postgres plugin against a real PostgreSQL, observed through vitalsd's HTTP output.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "postgres_server.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

/// host/port/password params for the test server, plus `more`.
std::string fields(const PostgresServer &server, const std::string &password,
                   const std::string &more = "") {
    return "host = \"127.0.0.1\", port = " + std::to_string(server.port()) +
           ", password = " + toml_string(password) + (more.empty() ? "" : ", " + more);
}

std::string target(const PostgresServer &server) {
    return "127.0.0.1:" + std::to_string(server.port()) + "/postgres";
}

} // namespace

TEST_CASE("postgres: ok while the server runs, error once it stops, ok again after a restart") {
    PostgresServer server;
    Agent agent{check_toml("db", "postgres", fields(server, PostgresServer::password))};

    auto check = wait_for_status(agent.port(), "db", "ok");
    CHECK(contains(text(check, "message"), target(server) + ": connected in "));
    CHECK(contains(text(check, "message"), "query took"));
    REQUIRE(metric(check, "connect_time").has_value());
    CHECK(*metric(check, "connect_time") > 0);
    CHECK(*metric(check, "connect_time") < 2);
    REQUIRE(metric(check, "query_time").has_value());
    CHECK(*metric(check, "query_time") < 2);
    CHECK(http_get(agent.port(), "/health/checks/db").status == 200);

    const pid_t old_pid = server.pid();
    server.stop();
    CHECK_FALSE(process_alive(old_pid));
    // interval 500ms: the next run after the stop is refused; 5 s only absorbs a busy machine.
    // A run that was connecting while the server went down may fail first, differently
    // ("server closed the connection unexpectedly"): wait past it.
    check = wait_until(
        agent.port(), "db",
        [](const Object::Ptr &json) {
            return text(json, "status") == "error" &&
                   contains(text(json, "message"), "connection refused");
        },
        5s);
    INFO(text(check, "message"));
    CHECK(contains(text(check, "message"), "cannot connect to " + target(server)));
    CHECK_FALSE(metric(check, "connect_time").has_value());
    CHECK(http_get(agent.port(), "/health/checks/db").status == 503);

    server.start();
    check = wait_for_status(agent.port(), "db", "ok", 10s);
    CHECK(contains(text(check, "message"), "connected in"));
}

TEST_CASE("postgres: a wrong password is an error that never shows the password") {
    PostgresServer server;
    const std::string wrong = "Wr0ng-Pg-Passw0rd";
    const std::string port = std::to_string(server.port());
    Agent agent{check_toml("fields_wrong", "postgres", fields(server, wrong)) +
                    check_toml("uri_wrong", "postgres",
                               "dsn = " + toml_string("postgresql://postgres:" + wrong +
                                                      "@127.0.0.1:" + port +
                                                      "/postgres?connect_timeout=5")) +
                    check_toml("keywords_wrong", "postgres",
                               "dsn = " + toml_string("host=127.0.0.1 port=" + port +
                                                      " dbname=postgres user=postgres password='" +
                                                      wrong + "'")) +
                    check_toml("uri_right", "postgres",
                               "dsn = " + toml_string("postgresql://postgres:" +
                                                      std::string{PostgresServer::password} +
                                                      "@127.0.0.1:" + port + "/postgres")),
                "",
                {"--log-level", "debug"}};

    for (const char *name : {"fields_wrong", "uri_wrong", "keywords_wrong"}) {
        CAPTURE(name);
        const auto check = wait_for_status(agent.port(), name, "error");
        const std::string message = text(check, "message");
        INFO(message);
        CHECK(contains(message, "cannot connect to " + target(server)));
        CHECK(contains(message, "password authentication failed for user \"postgres\""));
        CHECK_FALSE(contains(message, wrong));
    }
    const auto right = wait_for_status(agent.port(), "uri_right", "ok");
    CHECK(contains(text(right, "message"), target(server) + ": connected in"));

    // Nowhere: not in the JSON of every check, not in the agent's log.
    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 503);
    CHECK_FALSE(contains(health.body, wrong));
    CHECK_FALSE(contains(health.body, PostgresServer::password));
    const std::string log = agent.log();
    // At debug level the plugin logs libpq's full text for each failure: scrubbed too.
    CHECK(contains(log, "fields_wrong: libpq: "));
    CHECK(contains(log, "password authentication failed"));
    CHECK_FALSE(contains(log, wrong));
    CHECK_FALSE(contains(log, PostgresServer::password));
}

TEST_CASE("postgres: a custom query, its expected first cell, SQL errors, a slow query and the "
          "Unix socket") {
    PostgresServer server;
    const auto created =
        server.psql("CREATE TABLE jobs (id int); INSERT INTO jobs VALUES (1), (2), (3);");
    REQUIRE_MESSAGE(created.exit_code == 0, created.output);
    const std::string pw = PostgresServer::password;
    Agent agent{
        check_toml("count_ok", "postgres",
                   fields(server, pw, R"(query = "SELECT count(*) FROM jobs", expect = "3")")) +
        check_toml("count_wrong", "postgres",
                   fields(server, pw, R"(query = "SELECT count(*) FROM jobs", expect = "0")")) +
        check_toml(
            "no_rows", "postgres",
            fields(server, pw, R"(query = "SELECT id FROM jobs WHERE id > 10", expect = "1")")) +
        check_toml("null_cell", "postgres",
                   fields(server, pw, R"(query = "SELECT NULL", expect = "1")")) +
        check_toml("bad_sql", "postgres",
                   fields(server, pw, R"(query = "SELECT * FROM no_such_table")")) +
        check_toml("no_expect", "postgres",
                   fields(server, pw, R"(query = "SELECT id FROM jobs ORDER BY id")")) +
        // The server quotes the bad value back, and here that value is the password.
        check_toml("echo", "postgres",
                   fields(server, pw, "query = " + toml_string("SELECT '" + pw + "'::int"))) +
        // Connects at once, then the query outlasts the check's timeout.
        check_toml("slow_query", "postgres",
                   fields(server, pw, R"x(query = "SELECT pg_sleep(5)")x"), "2s", "1s") +
        // Over the Unix socket, where the cluster trusts local connections: no password.
        check_toml("socket", "postgres",
                   "host = " + toml_string(server.socket_dir().string()) +
                       ", port = " + std::to_string(server.port()) +
                       R"(, dbname = "postgres", user = "postgres", expect = "1")")};

    auto check = wait_for_status(agent.port(), "count_ok", "ok");
    CHECK(contains(text(check, "message"), "returned \"3\""));
    CHECK(metric(check, "query_time").has_value());

    check = wait_for_status(agent.port(), "count_wrong", "error");
    CHECK(contains(text(check, "message"),
                   target(server) + ": query returned \"3\", expected \"0\""));
    CHECK(metric(check, "query_time").has_value()); // the query itself worked

    check = wait_for_status(agent.port(), "no_rows", "error");
    CHECK(contains(text(check, "message"), "query returned no rows, expected \"1\""));

    check = wait_for_status(agent.port(), "null_cell", "error");
    CHECK(contains(text(check, "message"), "query returned NULL, expected \"1\""));

    check = wait_for_status(agent.port(), "bad_sql", "error");
    CHECK(contains(text(check, "message"),
                   target(server) + ": query failed: relation \"no_such_table\" does not exist"));

    check = wait_for_status(agent.port(), "no_expect", "ok");
    CHECK_FALSE(contains(text(check, "message"), "returned"));

    check = wait_for_status(agent.port(), "echo", "error");
    CHECK(contains(text(check, "message"),
                   "query failed: invalid input syntax for type integer: \"***\""));
    CHECK_FALSE(contains(text(check, "message"), pw));

    check = wait_for_status(agent.port(), "slow_query", "error");
    CHECK(contains(text(check, "message"), target(server) + ": query failed: timed out after"));
    CHECK(metric(check, "connect_time").has_value());
    CHECK(check->getValue<double>("duration_seconds") < 1.0);

    check = wait_for_status(agent.port(), "socket", "ok");
    CHECK(contains(text(check, "message"), server.socket_dir().string() + ":" +
                                               std::to_string(server.port()) + "/postgres"));
}

TEST_CASE("postgres: a server that never answers times out within the check's own deadline") {
    SilentListener silent;
    Agent agent{check_toml("silent", "postgres",
                           "host = \"127.0.0.1\", port = " + std::to_string(silent.port()) +
                               R"(, password = "x")",
                           "2s", "1s")};
    const auto check = wait_for_status(agent.port(), "silent", "error");
    const std::string message = text(check, "message");
    INFO(message);
    // The plugin's own words, not the agent's generic "timed out after 1s" for a stuck run.
    CHECK(contains(message, "cannot connect to 127.0.0.1:" + std::to_string(silent.port()) +
                                "/postgres: timed out after"));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
}

TEST_CASE("postgres: parameters are checked at load, and a bad dsn is not echoed") {
    const std::string secret = "Dsn-S3cret-Value";
    const auto result = check_config(
        check_toml("both", "postgres", R"(dsn = "host=db", host = "db")") +
        check_toml("port", "postgres", "port = 70000") +
        check_toml("sslmode", "postgres", R"(sslmode = "sometimes")") +
        check_toml("query", "postgres", R"(query = "  ")") +
        check_toml("warning", "postgres", R"(warning = "0s")") +
        check_toml("bad_dsn", "postgres", "dsn = " + toml_string("password=" + secret + " x")) +
        check_toml("at_in_password", "postgres",
                   R"(dsn = "postgresql://postgres:Se@cret-Tail@127.0.0.1/postgres")") +
        check_toml("fine", "postgres",
                   R"(dsn = "postgresql://u:p@db.example:6432/app", warning = "1s")"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.both.params.host: cannot be combined with dsn"));
    CHECK(contains(result.output,
                   "check.port.params.port: expected an integer from 1 to 65535, got 70000"));
    CHECK(contains(result.output,
                   "check.sslmode.params.sslmode: expected one of \"disable\", \"allow\", "
                   "\"prefer\", \"require\", \"verify-ca\", \"verify-full\", got \"sometimes\""));
    CHECK(contains(result.output, "check.query.params.query: must not be empty"));
    CHECK(contains(result.output, "check.warning.params.warning: must be longer than zero"));
    CHECK(contains(result.output,
                   "check.bad_dsn.params.dsn: is not a valid libpq connection string"));
    CHECK(contains(result.output, "check.at_in_password.params.dsn: has an '@' in its host part"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK_FALSE(contains(result.output, secret));
    CHECK_FALSE(contains(result.output, "cret-Tail"));
    CHECK(contains(result.output, "7 configuration error(s)"));
}
