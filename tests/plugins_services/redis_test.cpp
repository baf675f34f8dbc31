// The redis plugin against a real redis-server, observed through vitalsd's HTTP output.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "redis_server.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

std::string at(const RedisServer &server, const std::string &more = "") {
    return "port = " + std::to_string(server.port()) + (more.empty() ? "" : ", " + more);
}

std::string target(const RedisServer &server) {
    return "127.0.0.1:" + std::to_string(server.port());
}

} // namespace

TEST_CASE("redis: ok while the server runs, error once it stops, ok again after a restart") {
    RedisServer server;
    Agent agent{check_toml("cache", "redis", at(server)) +
                check_toml("cache_socket", "redis",
                           "host = " + toml_string(server.socket_path().string()))};

    auto check = wait_for_status(agent.port(), "cache", "ok");
    CHECK(contains(text(check, "message"), target(server) + ": PONG in "));
    CHECK(contains(text(check, "message"), "connected in"));
    REQUIRE(metric(check, "connect_time").has_value());
    REQUIRE(metric(check, "ping_time").has_value());
    CHECK(*metric(check, "ping_time") > 0);
    CHECK(*metric(check, "ping_time") < 2);
    check = wait_for_status(agent.port(), "cache_socket", "ok");
    CHECK(contains(text(check, "message"), server.socket_path().string() + ": PONG in "));

    const pid_t old_pid = server.pid();
    server.stop();
    CHECK_FALSE(process_alive(old_pid));
    // interval 500ms: the next run after the stop fails; 5 s only absorbs a busy machine.
    check = wait_for_status(agent.port(), "cache", "error", 5s);
    INFO(text(check, "message"));
    CHECK(contains(text(check, "message"), "cannot connect to " + target(server) + ": "));
    CHECK(contains(text(check, "message"), "connection refused"));
    CHECK(http_get(agent.port(), "/health/checks/cache").status == 503);
    check = wait_for_status(agent.port(), "cache_socket", "error", 5s);
    CHECK(contains(text(check, "message"), "cannot connect to " + server.socket_path().string()));

    server.start();
    check = wait_for_status(agent.port(), "cache", "ok", 10s);
    CHECK(contains(text(check, "message"), "PONG"));
}

TEST_CASE("redis: AUTH with the right password is ok, a wrong one errors without showing it") {
    const std::string password = "Redis-R1ght-Secret";
    const std::string wrong = "Redis-Wr0ng-Secret";
    const std::string user_password = "Acl-User-Secret";
    RedisServer server{{"--requirepass", password}};
    // An ACL user that may only PING and read INFO (AUTH needs no permission).
    const auto acl = server.cli(
        {"ACL", "SETUSER", "vitals", "on", ">" + user_password, "+ping", "+info"}, password);
    REQUIRE_MESSAGE(contains(acl.output, "OK"), acl.output);

    Agent agent{
        check_toml("right", "redis", at(server, "password = " + toml_string(password))) +
            check_toml("wrong", "redis", at(server, "password = " + toml_string(wrong))) +
            check_toml("none", "redis", at(server)) +
            check_toml(
                "acl_user", "redis",
                at(server, "username = \"vitals\", password = " + toml_string(user_password))) +
            check_toml("acl_wrong", "redis",
                       at(server, "username = \"vitals\", password = " + toml_string(wrong))),
        "",
        {"--log-level", "debug"}};

    auto check = wait_for_status(agent.port(), "right", "ok");
    CHECK(contains(text(check, "message"), "PONG"));
    check = wait_for_status(agent.port(), "acl_user", "ok");
    CHECK(contains(text(check, "message"), "PONG"));

    for (const char *name : {"wrong", "acl_wrong"}) {
        CAPTURE(name);
        check = wait_for_status(agent.port(), name, "error");
        const std::string message = text(check, "message");
        INFO(message);
        CHECK(contains(message, target(server) + ": AUTH failed: WRONGPASS"));
        CHECK_FALSE(contains(message, wrong));
    }
    check = wait_for_status(agent.port(), "none", "error");
    CHECK(contains(text(check, "message"), target(server) + ": PING failed: NOAUTH"));

    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 503);
    const std::string log = agent.log();
    CHECK(contains(log, "listening on")); // the right log, at debug level
    for (const auto &secret : {password, wrong, user_password}) {
        CAPTURE(secret);
        CHECK_FALSE(contains(health.body, secret));
        CHECK_FALSE(contains(log, secret));
    }
}

TEST_CASE("redis: the role check on a master and its replica, and a replica that lost its link") {
    // No 5 s wait for more replicas before the first full sync.
    RedisServer master{{"--repl-diskless-sync-delay", "0"}};
    RedisServer replica{{"--replicaof", "127.0.0.1", std::to_string(master.port())}};
    const std::string master_at = target(master);
    Agent agent{check_toml("master", "redis", at(master, R"(role = "master")")) +
                check_toml("replica", "redis", at(replica, R"(role = "replica")")) +
                check_toml("replica_as_master", "redis", at(replica, R"(role = "master")")) +
                check_toml("master_as_replica", "redis", at(master, R"(role = "replica")"))};

    // The replica needs a moment to sync: wait for the link rather than assume it.
    auto check = wait_for_status(agent.port(), "replica", "ok", 15s);
    CHECK(contains(text(check, "message"),
                   target(replica) + ": replica of " + master_at + ", link up, PONG in"));
    check = wait_until(agent.port(), "master", [](const Object::Ptr &json) {
        return text(json, "status") == "ok" && metric(json, "connected_replicas") == 1.0;
    });
    CHECK(contains(text(check, "message"), "master with 1 connected replica, PONG in"));

    check = wait_for_status(agent.port(), "replica_as_master", "error");
    CHECK(contains(text(check, "message"),
                   target(replica) + ": is a replica of " + master_at + ", expected a master"));
    check = wait_for_status(agent.port(), "master_as_replica", "error");
    CHECK(contains(text(check, "message"), "is a master, expected a replica"));

    master.stop();
    check = wait_for_status(agent.port(), "replica", "error", 10s);
    CHECK(contains(text(check, "message"),
                   "replica of " + master_at + ", but its link to the master is down"));
}

TEST_CASE("redis: a server that never answers times out within the check's own deadline") {
    SilentListener silent;
    Agent agent{
        check_toml("silent", "redis", "port = " + std::to_string(silent.port()), "2s", "1s")};
    const auto check = wait_for_status(agent.port(), "silent", "error");
    const std::string message = text(check, "message");
    INFO(message);
    // Connecting works (the kernel's backlog accepts); PING never gets its answer.
    CHECK(contains(message, "127.0.0.1:" + std::to_string(silent.port()) +
                                ": PING failed: timed out after"));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
}

TEST_CASE("redis: parameters are checked at load") {
    const auto result = check_config(
        check_toml("user_alone", "redis", R"(username = "vitals")") +
        check_toml("role", "redis", R"(role = "primary")") +
        check_toml("port", "redis", "port = 0") +
        check_toml("warning", "redis", R"(warning = "0ms")") +
        check_toml(
            "fine", "redis",
            R"(host = "/run/redis/redis.sock", port = 0, role = "replica", password = "x")"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.user_alone.params.username: needs password"));
    CHECK(contains(result.output, "check.role.params.role: must be master or replica"));
    CHECK(contains(result.output, "check.port.params.port: must be from 1 to 65535, got 0"));
    CHECK(contains(result.output, "check.warning.params.warning: must be longer than zero"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK(contains(result.output, "4 configuration error(s)"));
}
