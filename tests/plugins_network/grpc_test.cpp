// The grpc plugin through the real vitalsd, against real gRPC servers the test starts on
// 127.0.0.1 (grpc_health_server.cpp): gRPC's own health service, switched between statuses,
// and hand-made answers for what that service never says. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "core/host_name.hpp"
#include "grpc_server.hpp"
#include "network_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

std::string grpc_params(std::uint16_t port, const std::string &extra = "") {
    return "host = \"127.0.0.1\", port = " + std::to_string(port) +
           (extra.empty() ? "" : ", " + extra);
}

/// Waits until the check's status is `status`, and returns the check.
Poco::JSON::Object::Ptr wait_for_status(Agent &agent, const std::string &name,
                                        const std::string &status) {
    return wait_until(
        agent.port(), name, [&](const auto &json) { return text(json, "status") == status; }, 15s);
}

} // namespace

TEST_CASE("grpc: SERVING is ok and NOT_SERVING an error, as the server switches between them") {
    GrpcHealthServer server;
    server.set_serving("orders.Orders", true);
    const auto port = server.port();
    const std::string target = "127.0.0.1:" + std::to_string(port);
    Agent agent{check_toml("server", "grpc", grpc_params(port)) +
                check_toml("orders", "grpc", grpc_params(port, "service = \"orders.Orders\"")) +
                check_toml("slow", "grpc", grpc_params(port, "warning = \"1ns\"")) +
                check_toml("unknown", "grpc", grpc_params(port, "service = \"no.Such\""))};

    const auto whole = first_result(agent, "server");
    INFO("server: " << message_of(whole));
    CHECK(text(whole, "status") == "ok");
    CHECK(message_of(whole).starts_with(target + " (server): SERVING in "));
    CHECK(metric(whole, "serving_status") == 1);
    CHECK(metric(whole, "response_time").has_value());

    const auto orders = wait_for_status(agent, "orders", "ok");
    CHECK(message_of(orders).starts_with(target + " service \"orders.Orders\": SERVING in "));

    const auto slow = first_result(agent, "slow");
    INFO("slow: " << message_of(slow));
    CHECK(text(slow, "status") == "warning");
    CHECK(contains(message_of(slow), "SERVING in "));
    CHECK(contains(message_of(slow), ", slower than "));

    const auto unknown = first_result(agent, "unknown");
    INFO("unknown: " << message_of(unknown));
    CHECK(text(unknown, "status") == "error");
    CHECK(message_of(unknown).starts_with(target + " service \"no.Such\": the server does not "
                                                   "know the service (NOT_FOUND"));

    server.set_serving("orders.Orders", false);
    const auto stopped = wait_for_status(agent, "orders", "error");
    INFO("orders: " << message_of(stopped));
    CHECK(message_of(stopped).starts_with(target + " service \"orders.Orders\": NOT_SERVING in "));
    CHECK(metric(stopped, "serving_status") == 2);
    CHECK(text(first_result(agent, "server"), "status") == "ok"); // the rest still serves

    server.set_serving("orders.Orders", true);
    CHECK(contains(message_of(wait_for_status(agent, "orders", "ok")), "SERVING"));
}

TEST_CASE("grpc: UNKNOWN, SERVICE_UNKNOWN and no health service at all are errors saying so") {
    GrpcHealthServer unknown{{"--answer", "0"}};
    GrpcHealthServer service_unknown{{"--answer", "3"}};
    GrpcHealthServer odd{{"--answer", "9"}};
    GrpcHealthServer no_health{{"--answer", "none"}};
    Agent agent{check_toml("unknown", "grpc", grpc_params(unknown.port())) +
                check_toml("service_unknown", "grpc",
                           grpc_params(service_unknown.port(), "service = \"a.B\"")) +
                check_toml("odd", "grpc", grpc_params(odd.port())) +
                check_toml("no_health", "grpc", grpc_params(no_health.port()))};

    const auto check_error = [&](const std::string &name, const std::string &words) {
        const auto check = first_result(agent, name);
        INFO(name << ": " << message_of(check));
        CHECK(text(check, "status") == "error");
        CHECK(contains(message_of(check), words));
    };
    check_error("unknown", "(server): UNKNOWN in ");
    check_error("unknown", ": the server does not know its health yet");
    check_error("service_unknown", "service \"a.B\": SERVICE_UNKNOWN in ");
    check_error("odd", "(server): status 9 in ");
    check_error("no_health", "(server): the server has no health service (UNIMPLEMENTED");
    CHECK(metric(first_result(agent, "unknown"), "serving_status") == 0);
}

TEST_CASE("grpc: a server that never answers times out within the check's timeout, and a closed "
          "port is unavailable") {
    GrpcHealthServer hanging{{"--answer", "hang"}};
    const auto closed = closed_port();
    Agent agent{check_toml("hanging", "grpc", grpc_params(hanging.port()), "1s", "30s") +
                check_toml("closed", "grpc", grpc_params(closed), "1s", "30s")};

    const auto hung = first_result(agent, "hanging");
    INFO("hanging: " << message_of(hung));
    CHECK(text(hung, "status") == "error");
    // The plugin's own words, so its deadline came before the agent's.
    CHECK(contains(message_of(hung), "(server): timed out after "));

    const auto refused = first_result(agent, "closed");
    INFO("closed: " << message_of(refused));
    CHECK(text(refused, "status") == "error");
    CHECK(message_of(refused).starts_with("127.0.0.1:" + std::to_string(closed) +
                                          " (server): UNAVAILABLE"));
}

TEST_CASE("grpc: TLS is verified against ca_file and the name, and a client certificate gets "
          "through a server that requires one") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    const auto client = make_cert(dir, "client", 30, "DNS:client", "client");
    GrpcHealthServer server{{"--tls", cert.cert.string(), cert.key.string()}};
    GrpcHealthServer mutual{
        {"--tls", cert.cert.string(), cert.key.string(), "--client-ca", client.cert.string()}};
    const std::string trust = "tls = true, ca_file = \"" + cert.cert.string() + "\"";
    const std::string identity = ", client_cert = \"" + client.cert.string() +
                                 "\", client_key = \"" + client.key.string() + "\"";
    Agent agent{
        check_toml("trusted", "grpc", grpc_params(server.port(), trust)) +
        check_toml("untrusted", "grpc", grpc_params(server.port(), "tls = true")) +
        check_toml("unverified", "grpc",
                   grpc_params(server.port(), "tls = true, verify_tls = false")) +
        check_toml("other_name", "grpc",
                   grpc_params(server.port(), trust + ", server_name = \"grpc.example\"")) +
        check_toml("plaintext", "grpc", grpc_params(server.port())) +
        check_toml("with_cert", "grpc", grpc_params(mutual.port(), trust + identity)) +
        check_toml("unverified_with_cert", "grpc",
                   grpc_params(mutual.port(), "tls = true, verify_tls = false" + identity)) +
        check_toml("without_cert", "grpc", grpc_params(mutual.port(), trust))};

    for (const char *name : {"trusted", "unverified", "with_cert", "unverified_with_cert"}) {
        const auto check = first_result(agent, name);
        INFO(name << ": " << message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(contains(message_of(check), "SERVING in "));
    }
    for (const char *name : {"untrusted", "other_name", "plaintext", "without_cert"}) {
        const auto check = first_result(agent, name);
        INFO(name << ": " << message_of(check));
        CHECK(text(check, "status") == "error");
        CHECK(contains(message_of(check), "(server): UNAVAILABLE"));
        CHECK_FALSE(metric(check, "serving_status").has_value());
    }
}

TEST_CASE("grpc: reloads that unload grpc.so and load it again leave the agent checking") {
    // gRPC keeps threads and state of its own in libgrpc, which stays loaded while the agent
    // unloads grpc.so (no check uses it) and loads a fresh copy: both must get along.
    GrpcHealthServer server;
    const std::string tcp_only =
        check_toml("plain", "tcp", "host = \"127.0.0.1\", port = " + std::to_string(server.port()));
    Agent agent{check_toml("grpc_0", "grpc", grpc_params(server.port()))};
    CHECK(text(first_result(agent, "grpc_0"), "status") == "ok");
    for (int round = 1; round <= 2; ++round) {
        agent.dir().write("conf.d/checks.toml", tcp_only);
        agent.process().signal(SIGHUP);
        wait_until(
            agent.port(), "plain", [](const auto &json) { return consecutive(json) >= 1; }, 15s);
        const std::string name = "grpc_" + std::to_string(round);
        agent.dir().write("conf.d/checks.toml",
                          check_toml(name, "grpc", grpc_params(server.port())));
        agent.process().signal(SIGHUP);
        const auto check = wait_until(
            agent.port(), name, [](const auto &json) { return consecutive(json) >= 2; }, 15s);
        INFO(name << ": " << message_of(check));
        CHECK(text(check, "status") == "ok");
    }
    // Loaded anew each time, not kept: otherwise this test would prove nothing.
    const std::string log = agent.log();
    std::size_t loads = 0;
    for (auto at = log.find("loaded plugin 'grpc'"); at != std::string::npos;
         at = log.find("loaded plugin 'grpc'", at + 1))
        ++loads;
    CHECK(loads >= 3);
    agent.process().signal(SIGTERM);
    CHECK(agent.process().wait_for_exit(10s) == 0);
}

TEST_CASE("grpc: its metrics in /metrics pass promtool") {
    GrpcHealthServer server;
    Agent agent{check_toml("grpc_metrics", "grpc", grpc_params(server.port()))};
    first_result(agent, "grpc_metrics");
    const auto reply = http_get(agent.port(), "/metrics");
    CHECK(contains(reply.body, R"(vitals_check_metric_seconds{check="grpc_metrics",instance=")" +
                                   vitals::host_name() + R"(",metric="response_time"} )"));
    CHECK(contains(reply.body, R"(metric="serving_status")"));
    TempDir dir;
    const auto file = dir.write("metrics.txt", reply.body);
    run_command(dir, "promtool check metrics < '" + file.string() + "'");
}
