// The mysql plugin against a real MariaDB server, observed through vitalsd's HTTP output.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "mariadb_server.hpp"
#include "metrics_lint.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"
#include "support/test_certificates.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

std::string at(const MariadbServer &server, const std::string &more = "") {
    return "port = " + std::to_string(server.port()) +
           ", user = \"hc\", password = " + toml_string(MariadbServer::password()) +
           (more.empty() ? "" : ", " + more);
}

std::string target(const MariadbServer &server) {
    return "127.0.0.1:" + std::to_string(server.port());
}

} // namespace

TEST_CASE("mysql: queries against expectations and limits, a wrong password never shown, TLS "
          "verified, a replica that cannot replicate, and a server stopped and restarted") {
    const TestCertificates certificates;
    MariadbServer server{{"--ssl-cert=" + certificates.path("server.crt").string(),
                          "--ssl-key=" + certificates.path("server.key").string()}};
    const std::string port = std::to_string(server.port());
    const std::string wrong = "Wr0ng-Maria-Pass";
    const std::string ca = toml_string(certificates.path("ca.crt").string());
    const std::string stranger = toml_string(certificates.path("stranger-ca.crt").string());
    Agent agent{
        check_toml("db", "mysql", at(server)) +
            check_toml("db_socket", "mysql",
                       "host = " + toml_string(server.socket_path().string()) +
                           R"(, user = "hc", password = )" + toml_string(server.password())) +
            check_toml("expected", "mysql",
                       at(server, R"(query = "SELECT @@port", expect = )" + toml_string(port))) +
            check_toml("unexpected", "mysql", at(server, R"(query = "SELECT 'a'", expect = "b")")) +
            check_toml("value_warn", "mysql",
                       at(server, R"(query = "SELECT 5", warning_above = 3, error_above = 10)")) +
            check_toml("value_fail", "mysql",
                       at(server, R"(query = "SELECT 5", warning_below = 20, error_below = 10)")) +
            check_toml("bad_sql", "mysql", at(server, R"(query = "SELECT * FROM mysql.nowhere")")) +
            check_toml("wrong_password", "mysql",
                       "port = " + port + R"(, user = "hc", password = )" + toml_string(wrong)) +
            check_toml("tls_verified", "mysql", at(server, R"(tls = "verify", tls_ca = )" + ca)) +
            check_toml("tls_stranger", "mysql",
                       at(server, R"(tls = "verify", tls_ca = )" + stranger)) +
            check_toml("tls_unverified", "mysql", at(server, R"(tls = "on")")) +
            check_toml("lag", "mysql", at(server, R"(replica_lag_warning = "30s")")),
        "",
        {"--log-level", "debug"}};

    auto check = wait_for_status(agent.port(), "db", "ok");
    CHECK(contains(text(check, "message"), target(server) + ": 10."));
    CHECK(contains(text(check, "message"), "MariaDB"));
    CHECK(contains(text(check, "message"), ", query returned 1 in "));
    CHECK(metric(check, "connect_time").value_or(-1) > 0);
    CHECK(metric(check, "query_time").value_or(-1) > 0);
    check = wait_for_status(agent.port(), "db_socket", "ok");
    CHECK(contains(text(check, "message"), server.socket_path().string() + ": 10."));
    check = wait_for_status(agent.port(), "expected", "ok");
    CHECK(contains(text(check, "message"), "query returned " + port + " in"));
    check = wait_for_status(agent.port(), "unexpected", "error");
    CHECK(contains(text(check, "message"), R"(query returned "a", expected "b")"));
    check = wait_for_status(agent.port(), "value_warn", "warning");
    CHECK(contains(text(check, "message"), "; 5.00 above 3.00"));
    CHECK(metric(check, "value") == 5.0);
    check = wait_for_status(agent.port(), "value_fail", "error");
    CHECK(contains(text(check, "message"), "; 5.00 below 10.00"));
    check = wait_for_status(agent.port(), "bad_sql", "error");
    CHECK(contains(text(check, "message"),
                   "query failed: Table 'mysql.nowhere' doesn't exist (1146)"));
    check = wait_for_status(agent.port(), "wrong_password", "error");
    CHECK(contains(text(check, "message"),
                   "cannot connect to " + target(server) +
                       ": Access denied for user 'hc'@'127.0.0.1' (using password: YES) (1045)"));
    check = wait_for_status(agent.port(), "tls_verified", "ok");
    CHECK(contains(text(check, "message"), " over TLS, query returned 1"));
    check = wait_for_status(agent.port(), "tls_stranger", "error");
    CHECK(contains(text(check, "message"), "cannot connect to " + target(server) + ": "));
    check = wait_for_status(agent.port(), "tls_unverified", "ok");
    CHECK(contains(text(check, "message"), "over TLS"));
    check = wait_for_status(agent.port(), "lag", "error");
    CHECK(contains(text(check, "message"), "not a replica (SHOW REPLICA STATUS is empty)"));

    lint_metrics(agent.port());
    const auto health = http_get(agent.port(), "/health");
    for (const auto &secret : {MariadbServer::password(), wrong}) {
        CAPTURE(secret);
        CHECK_FALSE(contains(health.body, secret));
        CHECK_FALSE(contains(agent.log(), secret));
    }

    // A replica of a source that accepts connections and never answers: replication stays
    // in "Connecting", with no lag to measure.
    SilentListener silent;
    const auto replicate = server.sql(
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + std::to_string(silent.port()) +
        ", MASTER_USER='repl', MASTER_PASSWORD='x', MASTER_CONNECT_RETRY=1; START SLAVE;");
    REQUIRE_MESSAGE(replicate.exit_code == 0, replicate.output);
    check = wait_until(agent.port(), "lag", [](const Object::Ptr &json) {
        return contains(text(json, "message"), "replication is not running");
    });
    CHECK(text(check, "status") == "error");
    CHECK(contains(text(check, "message"), "(IO thread "));

    const pid_t old_pid = server.pid();
    server.stop();
    CHECK_FALSE(process_alive(old_pid));
    check = wait_for_status(agent.port(), "db", "error", 5s);
    CHECK(contains(text(check, "message"), "cannot connect to " + target(server) + ": "));
    CHECK(http_get(agent.port(), "/health/checks/db").status == 503);
    server.start();
    check = wait_for_status(agent.port(), "db", "ok", 10s);
    CHECK(contains(text(check, "message"), "query returned 1"));
}

TEST_CASE("mysql: a server that never answers times out within the check's own deadline") {
    SilentListener silent;
    Agent agent{check_toml("silent", "mysql",
                           "port = " + std::to_string(silent.port()) + R"(, user = "hc")", "3s",
                           "2s")};
    const auto check = wait_for_status(agent.port(), "silent", "error");
    const std::string message = text(check, "message");
    INFO(message);
    CHECK(contains(message, "cannot connect to 127.0.0.1:" + std::to_string(silent.port()) +
                                ": timed out after"));
    CHECK(check->getValue<double>("duration_seconds") < 2.0);
}

TEST_CASE("mysql: parameters are checked at load") {
    const auto result = check_config(
        check_toml("no_user", "mysql", "port = 3306") +
        check_toml("port", "mysql", R"(user = "u", port = 0)") +
        check_toml("tls", "mysql", R"(user = "u", tls = "yes")") +
        check_toml("ca_without_tls", "mysql", R"(user = "u", tls_ca = "/etc/ssl/ca.pem")") +
        check_toml("ca_without_verify", "mysql",
                   R"(user = "u", tls = "on", tls_ca = "/etc/ssl/ca.pem")") +
        check_toml("cert_alone", "mysql",
                   R"(user = "u", tls = "verify", tls_cert = "/etc/ssl/c.pem")") +
        check_toml("order", "mysql", R"(user = "u", warning_above = 10, error_above = 5)") +
        check_toml("both", "mysql", R"(user = "u", expect = "1", warning_above = 5)") +
        check_toml("lag", "mysql",
                   R"(user = "u", replica_lag_warning = "1m", replica_lag_error = "10s")") +
        check_toml("fine", "mysql",
                   R"(host = "/run/mysqld/mysqld.sock", user = "u", password = "p", )"
                   R"(tls = "verify", tls_ca = "/etc/ssl/ca.pem", warning_below = 1, )"
                   R"(replica_lag_error = "5m", warning = "1s")"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.no_user.params.user"));
    CHECK(contains(result.output, "check.port.params.port: must be from 1 to 65535, got 0"));
    CHECK(contains(result.output, "check.tls.params.tls: must be off, on or verify"));
    CHECK(contains(result.output, "check.ca_without_tls.params.tls_ca: needs tls"));
    CHECK(contains(result.output, "check.ca_without_verify.params.tls_ca: is for tls"));
    CHECK(contains(result.output, "check.cert_alone.params.tls_cert: tls_cert and tls_key go"));
    CHECK(contains(result.output, "check.order.params.warning_above: must not be above"));
    CHECK(contains(result.output, "check.both.params.expect: is exact"));
    CHECK(contains(result.output, "check.lag.params.replica_lag_warning: must not be longer than"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK(contains(result.output, "9 configuration error(s)"));
}
