// The tcp plugin through the real vitalsd: warning and error connect-time thresholds.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include <Poco/Net/ServerSocket.h>

#include "network_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

/// A listening socket the kernel accepts connections on; nobody needs to accept() them.
Poco::Net::ServerSocket listener() {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
    socket.listen(64);
    return socket;
}

std::string tcp_params(std::uint16_t port, const std::string &extra = "") {
    return "host = \"127.0.0.1\", port = " + std::to_string(port) +
           (extra.empty() ? "" : ", " + extra);
}

} // namespace

TEST_CASE("tcp: a connect slower than error is an error, one slower than warning a warning") {
    auto socket = listener();
    const auto port = socket.address().port();
    const std::string target = "127.0.0.1:" + std::to_string(port);
    // No loopback connect takes 1 ns or more than 10 s: the thresholds decide the status alone.
    Agent agent{
        check_toml("plain", "tcp", tcp_params(port)) +
        check_toml("old_style", "tcp", tcp_params(port, "warning = \"10s\"")) +
        check_toml("warn", "tcp", tcp_params(port, "warning = \"1ns\"")) +
        check_toml("fail", "tcp", tcp_params(port, "error = \"1ns\"")) +
        check_toml("both", "tcp", tcp_params(port, "warning = \"1ns\", error = \"10s\"")) +
        check_toml("both_fail", "tcp", tcp_params(port, "warning = \"1ns\", error = \"1ns\""))};

    for (const char *name : {"plain", "old_style"}) {
        const auto check = first_result(agent, name);
        INFO(name << ": " << message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(message_of(check).starts_with("connected to " + target + " in "));
        CHECK(metric(check, "connect_time").has_value());
    }

    const auto warn = first_result(agent, "warn");
    INFO("warn: " << message_of(warn));
    CHECK(text(warn, "status") == "warning");
    CHECK(contains(message_of(warn), "slower than 0.00 ms"));

    const auto fail = first_result(agent, "fail");
    INFO("fail: " << message_of(fail));
    CHECK(text(fail, "status") == "error");
    CHECK(contains(message_of(fail), "connected to " + target));
    CHECK(contains(message_of(fail), "slower than"));
    CHECK(metric(fail, "connect_time").has_value());
    CHECK(http_get(agent.port(), "/health/checks/fail").status == 503);

    const auto both = first_result(agent, "both");
    CHECK(text(both, "status") == "warning");
    const auto both_fail = first_result(agent, "both_fail");
    CHECK(text(both_fail, "status") == "error"); // error wins over warning
}

TEST_CASE("tcp: a closed port is still an error naming the port") {
    const auto port = closed_port();
    Agent agent{check_toml("closed", "tcp", tcp_params(port, "error = \"10s\""))};
    const auto check = first_result(agent, "closed");
    CHECK(text(check, "status") == "error");
    CHECK(contains(message_of(check), "127.0.0.1:" + std::to_string(port)));
    CHECK(contains(message_of(check), "refused"));
}
