// The amqp plugin against a real RabbitMQ, observed through vitalsd's HTTP output.
// SPDX-License-Identifier: MIT
//
// A RabbitMQ node takes 6-8 s to boot, so every scenario that needs one shares one node in
// one test case (CTest runs each case in a process of its own), booted twice: at the start
// and after the stop.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "amqp_client.hpp"
#include "rabbitmq_server.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

std::string at(const RabbitServer &server, const std::string &more = "") {
    return "port = " + std::to_string(server.port()) + (more.empty() ? "" : ", " + more);
}

} // namespace

TEST_CASE("amqp: login, channel, queue depth and consumers on a real RabbitMQ, through a "
          "stop and a restart") {
    RabbitServer server;
    const std::string target = "127.0.0.1:" + std::to_string(server.port());
    const std::string wrong = "Amqp-Wr0ng-Secret";

    // A monitoring user with no configure, write or read permission at all: a passive declare
    // needs none.
    const std::string monitor_password = "Monitor-Secret-42";
    for (const std::vector<std::string> &command :
         {std::vector<std::string>{"add_user", "monitor", monitor_password},
          std::vector<std::string>{"set_permissions", "-p", "/", "monitor", "^$", "^$", "^$"}}) {
        const auto done = server.ctl(command);
        REQUIRE_MESSAGE(done.exit_code == 0, done.output);
    }

    auto client = std::make_unique<AmqpClient>(server.port());
    client->declare("jobs");
    client->publish("jobs", 5);
    client->declare("workers");
    client->consume("workers");

    // Most checks every second: ten at 500ms would keep a 2-core box busy.
    Agent agent{
        check_toml("broker", "amqp", at(server)) +
            check_toml("wrong_password", "amqp", at(server, "password = " + toml_string(wrong))) +
            check_toml("monitor", "amqp",
                       at(server, R"(user = "monitor", queue = "jobs", password = )" +
                                      toml_string(monitor_password)),
                       "1s") +
            check_toml("no_vhost", "amqp", at(server, R"(vhost = "nosuch")"), "1s") +
            check_toml("jobs_ok", "amqp", at(server, R"(queue = "jobs", warning_depth = 100)"),
                       "1s") +
            check_toml("jobs_warning", "amqp",
                       at(server, R"(queue = "jobs", warning_depth = 3, error_depth = 10)"), "1s") +
            check_toml("jobs_error", "amqp",
                       at(server, R"(queue = "jobs", warning_depth = 2, error_depth = 5)"), "1s") +
            check_toml("workers", "amqp", at(server, R"(queue = "workers", min_consumers = 1)"),
                       "1s") +
            check_toml("workers_short", "amqp",
                       at(server, R"(queue = "workers", min_consumers = 2)"), "1s") +
            check_toml("missing_queue", "amqp", at(server, R"(queue = "nosuch")"), "1s"),
        "",
        {"--log-level", "debug"}};

    auto check = wait_for_status(agent.port(), "broker", "ok", 15s);
    CHECK(contains(text(check, "message"), target + " vhost /: logged in as guest in "));
    REQUIRE(metric(check, "connect_time").has_value());
    CHECK(*metric(check, "connect_time") > 0);
    CHECK(*metric(check, "connect_time") < 2);

    {
        check = wait_for_status(agent.port(), "wrong_password", "error");
        const std::string message = text(check, "message");
        INFO(message);
        CHECK(contains(message, target + " vhost /: login as guest failed: ACCESS_REFUSED"));
        CHECK_FALSE(contains(message, wrong));
    }

    check = wait_for_status(agent.port(), "no_vhost", "error");
    CHECK(contains(text(check, "message"), target + " vhost nosuch: login as guest failed: "));
    CHECK(contains(text(check, "message"), "nosuch"));

    check = wait_for_status(agent.port(), "jobs_ok", "ok");
    CHECK(metric(check, "queue_depth") == 5.0);
    CHECK(metric(check, "consumers") == 0.0);
    CHECK(contains(text(check, "message"), "queue jobs holds 5 messages, 0 consumers"));

    check = wait_for_status(agent.port(), "monitor", "ok");
    CHECK(contains(text(check, "message"), "logged in as monitor"));
    CHECK(metric(check, "queue_depth") == 5.0);

    check = wait_for_status(agent.port(), "jobs_warning", "warning");
    CHECK(contains(text(check, "message"),
                   "queue jobs holds 5 messages, 0 consumers (warning at 3)"));
    CHECK(http_get(agent.port(), "/health/checks/jobs_warning").status == 200);

    check = wait_for_status(agent.port(), "jobs_error", "error");
    CHECK(
        contains(text(check, "message"), "queue jobs holds 5 messages, 0 consumers (error at 5)"));

    check = wait_for_status(agent.port(), "workers", "ok");
    CHECK(metric(check, "consumers") == 1.0);
    CHECK(metric(check, "queue_depth") == 0.0);
    check = wait_for_status(agent.port(), "workers_short", "error");
    CHECK(contains(text(check, "message"),
                   "queue workers holds 0 messages, 1 consumer, fewer than 2 required"));

    check = wait_for_status(agent.port(), "missing_queue", "error");
    CHECK(contains(text(check, "message"), "queue nosuch: NOT_FOUND - no queue 'nosuch'"));

    // More messages push the warning check over its error threshold.
    client->publish("jobs", 6);
    check = wait_for_status(agent.port(), "jobs_warning", "error");
    CHECK(metric(check, "queue_depth") == 11.0);

    // The wrong password is nowhere: not in the JSON, not in the agent's log.
    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 503);
    const std::string log = agent.log();
    CHECK(contains(log, "listening on")); // the right log, at debug level
    for (const auto &secret : {wrong, monitor_password}) {
        CAPTURE(secret);
        CHECK_FALSE(contains(health.body, secret));
        CHECK_FALSE(contains(log, secret));
    }

    // Stop: the broker check fails on its next run; restart: it recovers.
    client.reset();
    const pid_t old_pid = server.pid();
    server.stop();
    CHECK_FALSE(process_alive(old_pid));
    check = wait_for_status(agent.port(), "broker", "error", 5s);
    INFO(text(check, "message"));
    CHECK(contains(text(check, "message"), "cannot connect to " + target + ": connection refused"));
    CHECK(http_get(agent.port(), "/health/checks/broker").status == 503);

    server.start();
    check = wait_for_status(agent.port(), "broker", "ok", 15s);
    CHECK(contains(text(check, "message"), "logged in as guest"));
}

TEST_CASE("amqp: a broker that never answers times out within the check's own deadline") {
    SilentListener silent;
    Agent agent{
        check_toml("silent", "amqp", "port = " + std::to_string(silent.port()), "2s", "1s")};
    const auto check = wait_for_status(agent.port(), "silent", "error");
    const std::string message = text(check, "message");
    INFO(message);
    // Connecting works (the kernel's backlog accepts); the AMQP handshake never starts.
    CHECK(contains(message, "127.0.0.1:" + std::to_string(silent.port()) +
                                " vhost /: login as guest failed: timed out after"));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
}

TEST_CASE("amqp: parameters are checked at load") {
    const auto result = check_config(
        check_toml("depth_alone", "amqp", "warning_depth = 10") +
        check_toml("consumers_alone", "amqp", "min_consumers = 1") +
        check_toml("order", "amqp", R"(queue = "q", warning_depth = 10, error_depth = 5)") +
        check_toml("zero", "amqp", R"(queue = "q", error_depth = 0)") +
        check_toml("port", "amqp", "port = 65536") + check_toml("vhost", "amqp", R"(vhost = "")") +
        check_toml("fine", "amqp",
                   R"(host = "mq.example", vhost = "app", user = "u", password = "p", )"
                   R"(queue = "q", warning_depth = 5, error_depth = 5, min_consumers = 1)"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.depth_alone.params.warning_depth: needs queue"));
    CHECK(contains(result.output, "check.consumers_alone.params.min_consumers: needs queue"));
    CHECK(contains(result.output,
                   "check.order.params.warning_depth: must not be above error_depth (10 > 5)"));
    CHECK(contains(result.output, "check.zero.params.error_depth: must be at least 1, got 0"));
    CHECK(contains(result.output, "check.port.params.port: must be from 1 to 65535, got 65536"));
    CHECK(contains(result.output, "check.vhost.params.vhost: must not be empty"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK(contains(result.output, "6 configuration error(s)"));
}
