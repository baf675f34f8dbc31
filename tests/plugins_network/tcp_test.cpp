// The tcp plugin through the real vitalsd: warning and error connect-time thresholds.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <Poco/Net/ServerSocket.h>

#include "line_server.hpp"
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

namespace {

/// A dialogue as conf.d writes it: TOML strings, comma-separated.
std::string steps_toml(const std::vector<std::string> &steps) {
    std::string list;
    for (const auto &step : steps)
        list += (list.empty() ? "\"" : ", \"") + step + "\"";
    return "steps = [" + list + "]";
}

} // namespace

TEST_CASE("tcp: a dialogue of sends and expects is ok, a reply that never matches an error") {
    LineServer server;
    const auto port = server.port();
    const std::string target = "127.0.0.1:" + std::to_string(port);
    Agent agent{
        check_toml("talk", "tcp",
                   tcp_params(port, steps_toml({"expect: ^220 ", "send: EHLO vitals",
                                                "expect: ^250 in the clear", "send: QUIT",
                                                "expect:^221"}))) +
        check_toml("slow_connect", "tcp",
                   tcp_params(port, steps_toml({"expect: ^220 "}) + ", warning = \"1ns\"")) +
        check_toml("refused", "tcp",
                   tcp_params(port, steps_toml({"expect: ^220", "send: QUIT", "expect: ^250"})))};

    const auto talk = first_result(agent, "talk");
    INFO("talk: " << message_of(talk));
    CHECK(text(talk, "status") == "ok");
    CHECK(message_of(talk).starts_with("connected to " + target + " in "));
    CHECK(contains(message_of(talk), ", 5 steps in "));
    CHECK(metric(talk, "connect_time").has_value());
    CHECK(metric(talk, "dialogue_time").has_value());

    const auto slow = first_result(agent, "slow_connect");
    INFO("slow_connect: " << message_of(slow));
    CHECK(text(slow, "status") == "warning");
    CHECK(contains(message_of(slow), "1 step in"));
    CHECK(contains(message_of(slow), "connect slower than"));

    const auto refused = first_result(agent, "refused");
    INFO("refused: " << message_of(refused));
    CHECK(text(refused, "status") == "error");
    CHECK(message_of(refused) == target +
                                     ": step 3 (expect /^250/): connection closed by the server, "
                                     "last line \"221 bye\"");
    CHECK(metric(refused, "connect_time").has_value());
    const auto received = server.received();
    CHECK(std::count(received.begin(), received.end(), "EHLO vitals") >= 1);
}

TEST_CASE("tcp: a server that stops answering mid-dialogue times out within the check's timeout") {
    LineServer server;
    Agent agent{check_toml(
        "hang", "tcp",
        tcp_params(server.port(), steps_toml({"expect: ^220", "send: SILENT", "expect: ^250"})),
        "1s", "30s")};
    const auto hang = first_result(agent, "hang");
    INFO("hang: " << message_of(hang));
    CHECK(text(hang, "status") == "error");
    CHECK(contains(message_of(hang), ": step 3 (expect /^250/): timed out after "));
    // The plugin's own result before the agent's bare "timed out after 1s": it names the step.
}

TEST_CASE("tcp: starttls upgrades the dialogue to TLS, verified against ca_file") {
    TempDir dir;
    const auto cert = make_cert(dir, "line", 30);
    LineServer server{cert};
    const auto port = server.port();
    const std::vector<std::string> dialogue = {
        "expect: ^220", "send: EHLO vitals", "expect: ^250-STARTTLS", "send: STARTTLS",
        "expect: ^220", "starttls",          "send: EHLO vitals",     "expect: ^250 over TLS",
        "send: QUIT",   "expect: ^221"};
    Agent agent{check_toml("trusted", "tcp",
                           tcp_params(port, steps_toml(dialogue) + ", ca_file = \"" +
                                                cert.cert.string() + "\"")) +
                check_toml("untrusted", "tcp", tcp_params(port, steps_toml(dialogue))) +
                check_toml("unverified", "tcp",
                           tcp_params(port, steps_toml(dialogue) + ", verify_tls = false"))};

    const auto trusted = first_result(agent, "trusted");
    INFO("trusted: " << message_of(trusted));
    CHECK(text(trusted, "status") == "ok");
    CHECK(contains(message_of(trusted), "10 steps in"));

    const auto untrusted = first_result(agent, "untrusted");
    INFO("untrusted: " << message_of(untrusted));
    CHECK(text(untrusted, "status") == "error");
    CHECK(contains(message_of(untrusted),
                   ": step 6 (starttls): TLS certificate not trusted: self-signed certificate"));

    const auto unverified = first_result(agent, "unverified");
    CHECK(text(unverified, "status") == "ok");
}

TEST_CASE("tcp: tls = true speaks TLS from the first byte and verifies the server's name") {
    TempDir dir;
    const auto cert = make_cert(dir, "implicit", 30);
    LineServer server{cert, true};
    const auto port = server.port();
    const std::string dialogue =
        steps_toml({"expect: ^220", "send: EHLO vitals", "expect: ^250 over TLS", "send: QUIT"});
    const std::string trust = ", tls = true, ca_file = \"" + cert.cert.string() + "\"";
    Agent agent{
        check_toml("implicit", "tcp", tcp_params(port, dialogue + trust)) +
        check_toml("handshake_only", "tcp", tcp_params(port, trust.substr(2))) +
        check_toml("other_name", "tcp",
                   tcp_params(port, dialogue + trust + ", server_name = \"mail.example\""))};

    const auto implicit = first_result(agent, "implicit");
    INFO("implicit: " << message_of(implicit));
    CHECK(text(implicit, "status") == "ok");
    CHECK(contains(message_of(implicit), ", TLS and 4 steps in "));

    const auto handshake_only = first_result(agent, "handshake_only");
    INFO("handshake_only: " << message_of(handshake_only));
    CHECK(text(handshake_only, "status") == "ok");
    CHECK(contains(message_of(handshake_only), ", TLS in "));

    const auto other_name = first_result(agent, "other_name");
    INFO("other_name: " << message_of(other_name));
    CHECK(text(other_name, "status") == "error");
    CHECK(contains(message_of(other_name), "TLS: TLS certificate not trusted: hostname mismatch"));
}

TEST_CASE("tcp: a line sent in a dialogue is never shown, though the step fails") {
    LineServer server;
    Agent agent{check_toml(
        "login", "tcp",
        tcp_params(server.port(),
                   steps_toml({"expect: ^220", "send: AUTH PLAIN Tcp-Secret-1", "expect: ^235"})),
        "1s")};
    const auto login = first_result(agent, "login");
    INFO("login: " << message_of(login));
    CHECK(text(login, "status") == "error");
    CHECK(contains(message_of(login), "step 3 (expect /^235/): timed out"));
    CHECK_FALSE(contains(http_get(agent.port(), "/health").body, "Tcp-Secret-1"));
    CHECK_FALSE(contains(agent.log(), "Tcp-Secret-1"));
}
