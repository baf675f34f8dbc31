// The real vitalsd binary, started with a temporary configuration and
// spoken to over HTTP. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <vitals/plugin.h>

#include "support/agent_fixture.hpp"
#include "support/raw_client.hpp"

namespace {

using namespace vitals::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Poco::JSON::Object;

std::string raw_body(const std::string &reply) {
    const auto end_of_headers = reply.find("\r\n\r\n");
    return end_of_headers == std::string::npos ? std::string{} : reply.substr(end_of_headers + 4);
}

/// A client that sent one GET over a keep-alive connection, read the answer,
/// and now just holds the connection open.
std::unique_ptr<Poco::Net::HTTPClientSession> idle_keep_alive(std::uint16_t port) {
    auto session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
    session->setKeepAlive(true);
    session->setTimeout(Poco::Timespan{5, 0});
    Poco::Net::HTTPRequest request{Poco::Net::HTTPRequest::HTTP_GET, "/health",
                                   Poco::Net::HTTPMessage::HTTP_1_1};
    request.setKeepAlive(true);
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session->receiveResponse(response), body);
    REQUIRE(response.getStatus() == 200);
    REQUIRE(response.getKeepAlive());
    return session;
}

/// A port nothing listens on: bound to learn a free one, then closed.
std::uint16_t closed_port() {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
    const auto port = socket.address().port();
    socket.close();
    return port;
}

/// A listening socket without SO_REUSEPORT (Poco's one-argument bind sets it),
/// so nobody else can bind the port while it lives.
Poco::Net::ServerSocket exclusive_listener() {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
    socket.listen(64);
    return socket;
}

std::string tcp_check(const std::string &name, std::uint16_t port, const std::string &groups) {
    return "[check." + name + "]\nplugin = \"tcp\"\ninterval = \"1s\"\ntimeout = \"2s\"\n" +
           "groups = " + groups +
           "\nparams = { host = \"127.0.0.1\", port = " + std::to_string(port) + " }\n\n";
}

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace

// ---------------------------------------------------------------- checks end to end

TEST_CASE("agent: a tcp check on a port that listens is ok and /health is 200") {
    auto listener = exclusive_listener();
    const auto open = listener.address().port();
    Agent agent{tcp_check("port_open", open, R"(["ready"])")};

    const auto check = wait_until_not_pending(agent.port(), "port_open");
    CHECK(text(check, "status") == "ok");
    CHECK(contains(text(check, "message"), "connected to 127.0.0.1:" + std::to_string(open)));
    CHECK(metric(check, "connect_time").has_value());
    CHECK(http_get(agent.port(), "/health/checks/port_open").status == 200);

    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 200);
    CHECK(text(parse(health.body), "status") == "ok");
}

TEST_CASE("agent: a tcp check on a closed port is an error, and probe groups split it") {
    auto listener = exclusive_listener();
    const auto open = listener.address().port();
    const auto closed = closed_port();
    Agent agent{tcp_check("port_open", open, R"(["ready", "net"])") +
                tcp_check("port_closed", closed, R"(["live", "net"])")};

    const auto good = wait_until_not_pending(agent.port(), "port_open");
    const auto bad = wait_until_not_pending(agent.port(), "port_closed");
    CHECK(text(good, "status") == "ok");
    CHECK(text(bad, "status") == "error");
    CHECK(contains(text(bad, "message"), "refused"));
    CHECK(contains(text(bad, "message"), std::to_string(closed)));

    const auto closed_reply = http_get(agent.port(), "/health/checks/port_closed");
    CHECK(closed_reply.status == 503);
    CHECK(contains(text(parse(closed_reply.body), "message"), "refused"));
    CHECK(http_get(agent.port(), "/health/checks/port_open").status == 200);

    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 503);
    CHECK(text(parse(health.body), "status") == "error");
    CHECK(http_get(agent.port(), "/health/ready").status == 200);
    CHECK(http_get(agent.port(), "/health/live").status == 503);
    CHECK(http_get(agent.port(), "/health/groups/net").status == 503);
    CHECK(http_get(agent.port(), "/health/startup").status == 200); // no member: healthy
    CHECK(http_get(agent.port(), "/health/groups/nosuch").status == 404);
}

TEST_CASE("agent: disk on / reports used_percent, and a warning keeps /health at 200") {
    Agent agent{R"([check.root]
plugin = "disk"
interval = "1s"
params = { path = "/", warning = 100, error = 100 }

[check.degraded]
plugin = "sleepy"
interval = "1s"
params = { status = "warning", message = "running slow" }
)"};
    const auto root = wait_until_not_pending(agent.port(), "root");
    CHECK(text(root, "status") == "ok");
    const auto used = metric(root, "used_percent");
    REQUIRE(used.has_value());
    CHECK(*used > 0);
    CHECK(*used < 100);
    CHECK(contains(text(root, "message"), "% used"));

    const auto degraded = wait_until_not_pending(agent.port(), "degraded");
    CHECK(text(degraded, "status") == "warning");
    CHECK(text(degraded, "message") == "running slow");
    CHECK(http_get(agent.port(), "/health/checks/degraded").status == 200);

    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 200);
    CHECK(text(parse(health.body), "status") == "warning");
}

TEST_CASE("agent: a check still on its first run is a pending 503") {
    Agent agent{R"([check.slow]
plugin = "sleepy"
interval = "10s"
timeout = "9s"
params = { sleep = "3s" }
)"};
    // The first run ends no sooner than 3 s after start: it is pending now.
    const auto single = http_get(agent.port(), "/health/checks/slow");
    CHECK(single.status == 503);
    CHECK(single.content_type == "application/json");
    if (single.status == 503) {
        const auto json = parse(single.body);
        CHECK(text(json, "status") == "error");
        CHECK(json->getValue<bool>("pending"));
        CHECK(json->isNull("last_run"));
    }
    const auto health = http_get(agent.port(), "/health");
    CHECK(health.status == 503);
    CHECK(http_get(agent.port(), "/health/live").status == 200); // slow is in no group
}

TEST_CASE("agent: a run past its timeout is an error at once and does not starve others") {
    // Two places (`workers`): the stuck run holds one, and its thread, until the call
    // returns; the other check runs on in the second.
    Agent agent{R"([check.stuck]
plugin = "sleepy"
interval = "10s"
timeout = "200ms"
params = { sleep = "30s" }

[check.steady]
plugin = "sleepy"
interval = "100ms"
timeout = "2s"
)",
                "workers = 2\n"};
    const auto started = Clock::now();

    const auto stuck = wait_until_not_pending(agent.port(), "stuck");
    const auto timed_out_after = Clock::now() - started;
    CHECK(text(stuck, "status") == "error");
    CHECK(text(stuck, "message") == "timed out after 200ms");
    CHECK(stuck->getValue<double>("duration_seconds") == doctest::Approx(0.2));
    // Splay (< 1 s) + timeout; the run itself would take 30 s, which no busy machine
    // brings this near.
    CHECK(timed_out_after < 15s);
    CHECK(http_get(agent.port(), "/health/checks/stuck").status == 503);

    // While the stuck run sleeps on, the other check keeps getting fresh results.
    const auto before = consecutive(wait_until_not_pending(agent.port(), "steady"));
    const auto advanced_from = Clock::now();
    const auto steady = wait_until(
        agent.port(), "steady",
        [&](const Object::Ptr &json) { return consecutive(json) >= before + 3; }, 15s);
    CHECK(Clock::now() - advanced_from < 15s); // not after the stuck run's 30 s
    CHECK(text(steady, "status") == "ok");
    // The stuck check still shows its timeout, not a late result.
    CHECK(text(wait_until_not_pending(agent.port(), "stuck"), "message") ==
          "timed out after 200ms");
}

TEST_CASE("agent: a plugin that sets no result or throws is an error, and the agent runs on") {
    Agent agent{R"([check.silent]
plugin = "sleepy"
interval = "200ms"
params = { status = "none" }

[check.thrower]
plugin = "sleepy"
interval = "200ms"
params = { status = "throw" }
)"};
    const auto silent = wait_until_not_pending(agent.port(), "silent");
    CHECK(text(silent, "status") == "error");
    CHECK(text(silent, "message") == "plugin reported no result");
    CHECK(metric(silent, "runs").has_value()); // metrics set before returning still count

    const auto thrower = wait_until_not_pending(agent.port(), "thrower");
    CHECK(text(thrower, "status") == "error");
    CHECK(contains(text(thrower, "message"), "sleepy was told to throw"));

    CHECK(http_get(agent.port(), "/health/checks/silent").status == 503);
    CHECK(http_get(agent.port(), "/health/checks/thrower").status == 503);
    CHECK(http_get(agent.port(), "/health").status == 503);
    // Still scheduling: the throwing check runs again and again.
    const auto later = wait_until(agent.port(), "thrower",
                                  [](const Object::Ptr &json) { return consecutive(json) >= 3; });
    CHECK(contains(text(later, "message"), "sleepy was told to throw"));
}

// ---------------------------------------------------------------- HTTP surface

TEST_CASE("agent: HTTP errors: 404 and 405 JSON, HEAD, malformed requests") {
    Agent agent{R"([check.a]
plugin = "sleepy"
interval = "1s"
)"};
    wait_until_not_pending(agent.port(), "a");
    const auto port = agent.port();

    const auto unknown_path = http_get(port, "/nope");
    CHECK(unknown_path.status == 404);
    CHECK(unknown_path.content_type == "application/json");
    CHECK(text(parse(unknown_path.body), "error") == "not found");

    const auto unknown_check = http_get(port, "/health/checks/nosuch");
    CHECK(unknown_check.status == 404);
    CHECK(unknown_check.content_type == "application/json");
    CHECK(text(parse(unknown_check.body), "error") == "unknown check");

    for (const char *method : {"POST", "DELETE"}) {
        CAPTURE(method);
        const auto reply = http_request(port, method, "/health");
        CHECK(reply.status == 405);
        CHECK(reply.allow == "GET, HEAD");
        CHECK(text(parse(reply.body), "error") == "method not allowed");
    }
    // POST on a check is a push report: refused, since "a" runs a plugin.
    CHECK(http_request(port, "POST", "/health/checks/a").status == 409);
    const auto delete_check = http_request(port, "DELETE", "/health/checks/a");
    CHECK(delete_check.status == 405);
    CHECK(delete_check.allow == "GET, HEAD, POST");

    // HEAD: the GET status and headers, no body.
    const auto head = raw_exchange(port, "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: "
                                         "close\r\n\r\n");
    CHECK(raw_status(head) == 200);
    CHECK(contains(head, "Content-Type: application/json"));
    CHECK(raw_body(head).empty());
    CHECK(http_request(port, "HEAD", "/nope").status == 404);
    CHECK(http_request(port, "HEAD", "/health/checks/a").status == 200);

    // Malformed requests get a 4xx, and the agent answers on afterwards.
    const auto bad_escape =
        raw_exchange(port, "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(raw_status(bad_escape) == 400);
    CHECK(text(parse(raw_body(bad_escape)), "error") == "bad request");
    const auto relative =
        raw_exchange(port, "GET health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(raw_status(relative) == 400);
    const auto binary = raw_exchange(port, std::string("\x16\x03\x01\x00\xff\x01\x00\0\0", 9) +
                                               "\r\n\r\n"); // a TLS hello
    CHECK(raw_status(binary) >= 400);
    CHECK(raw_status(binary) < 500);
    // Empty lines before a request line are skipped (RFC 9112 §2.2), Poco's reading.
    CHECK(raw_status(raw_exchange(
              port, "\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ==
          200);

    const auto after = http_get(port, "/health");
    CHECK(after.status == 200);
    CHECK(text(parse(after.body), "status") == "ok");
}

// ---------------------------------------------------------------- command line

TEST_CASE("agent: --check-config accepts a good configuration") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml", "[check.a]\nplugin = \"sleepy\"\n\n[check.b]\nplugin = "
                                    "\"disk\"\nparams = { path = \"/\" }\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "configuration OK"));
    CHECK(contains(result.output, "2 check(s)"));
    CHECK_FALSE(contains(result.output, "listening on"));
}

TEST_CASE("agent: a bad configuration is reported as file:line:col and the agent won't start") {
    TempDir dir;
    const auto config = write_agent_toml(dir, "colour = \"blue\"\n");
    const auto checks = dir.write("conf.d/checks.toml", R"([check.typo]
plugin = "disk"
bogus = 1

[check.missing]
plugin = "nosuch"
)");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    const std::string file = checks.string();
    CHECK(contains(result.output, file + ":3:1: check.typo.bogus: unknown key 'bogus'"));
    CHECK(contains(result.output,
                   file + ":6:10: check.missing.plugin: unknown plugin 'nosuch' (plugin files: "));
    CHECK(contains(result.output, config.string() + ":5:1: colour: unknown key 'colour'"));
    CHECK(contains(result.output, "3 configuration error(s)"));
    CHECK_FALSE(contains(result.output, "configuration OK"));

    AgentProcess agent{dir.path(), {"--config", config.string()}};
    CHECK(agent.wait_for_exit(15s) == 78);
    const auto log = agent.log();
    CHECK(contains(log, "refusing to start"));
    CHECK(contains(log, "check.missing.plugin: unknown plugin 'nosuch'"));
    CHECK_FALSE(contains(log, "listening on"));
}

TEST_CASE("agent: settings that parse but cannot serve are refused at file:line:key") {
    // Each was accepted before: every request then got 414, a client was closed at once,
    // and a 100 MB description was kept and served on every /health.
    TempDir dir;
    const auto config = write_agent_toml(dir, "[http]\nmax_header_size = \"0\"\n"
                                              "request_timeout = \"0s\"\n"
                                              "max_body_size = \"100GiB\"\n");
    const auto checks = dir.write("conf.d/checks.toml", "[check.a]\nplugin = \"sleepy\"\n"
                                                        "description = \"" +
                                                            std::string(100000, 'd') + "\"\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(
        contains(result.output,
                 config.string() + ":6:19: http.max_header_size: must be at least 1KiB (got 0B)"));
    CHECK(contains(result.output,
                   config.string() + ":7:19: http.request_timeout: must be at least 1s (got 0s)"));
    CHECK(contains(result.output, config.string() + ":8:17: http.max_body_size: must be at most "
                                                    "64KiB (got 100GiB)"));
    CHECK(contains(result.output, checks.string() + ":3:15: check.a.description: must be at "
                                                    "most 1024 bytes long (got 100000)"));
    CHECK(contains(result.output, "4 configuration error(s)"));
}

namespace {

/// conf.d entries named *.toml that cannot be read as files, each beside a good one.
void write_unreadable_entries(const TempDir &dir) {
    const auto conf_d = dir.path() / "conf.d";
    std::filesystem::create_symlink(dir.path() / "nowhere.toml", conf_d / "20-dangling.toml");
    std::filesystem::create_symlink(conf_d / "30-loop.toml", conf_d / "30-loop.toml");
    REQUIRE(::mkfifo((conf_d / "40-fifo.toml").c_str(), 0600) == 0);
    std::filesystem::create_directory(conf_d / "50-dir.toml");
}

void check_each_unreadable_entry_named(const std::string &output, const TempDir &dir) {
    const auto conf_d = dir.path() / "conf.d";
    CHECK(contains(output, (conf_d / "20-dangling.toml").string() +
                               ": not read: a symbolic link to '" +
                               (dir.path() / "nowhere.toml").string() + "', which does not exist"));
    CHECK(
        contains(output, (conf_d / "30-loop.toml").string() + ": not read: a symbolic link loop"));
    CHECK(contains(output, (conf_d / "40-fifo.toml").string() + ": not read: a FIFO, not a file"));
    CHECK(contains(output,
                   (conf_d / "50-dir.toml").string() + ": not read: a directory, not a file"));
}

} // namespace

TEST_CASE("agent: --check-config names each conf.d entry it cannot read as a file") {
    // They were passed over without a word: a check in a dangling symlink just vanished.
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/10-checks.toml", "[check.a]\nplugin = \"sleepy\"\n");
    write_unreadable_entries(dir);
    // Never opened: a FIFO nobody writes to would block the agent (and this run) for good.
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 0); // warnings: the rest of the configuration is good
    check_each_unreadable_entry_named(result.output, dir);
    CHECK(contains(result.output, "configuration OK"));
    CHECK(contains(result.output, "1 check(s)"));
}

TEST_CASE("agent: a running agent logs conf.d entries it cannot read, at start and reload") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/10-checks.toml", "[check.a]\nplugin = \"sleepy\"\n");
    write_unreadable_entries(dir);
    AgentProcess agent{dir.path(), {"--config", config.string()}};
    const auto port = agent.wait_for_port(15s);
    check_each_unreadable_entry_named(agent.log(), dir);
    wait_until_not_pending(port, "a"); // the readable file's check runs

    const auto later = dir.path() / "conf.d" / "60-later.toml";
    std::filesystem::create_symlink(dir.path() / "also-nowhere.toml", later);
    agent.signal(SIGHUP);
    const auto give_up = Clock::now() + 15s;
    while (!contains(agent.log(), later.string() + ": not read") && Clock::now() < give_up)
        std::this_thread::sleep_for(50ms);
    CHECK(contains(agent.log(), later.string() + ": not read: a symbolic link to '" +
                                    (dir.path() / "also-nowhere.toml").string() + "'"));
    CHECK(http_get(port, "/health/live").status == 200); // still serving
}

TEST_CASE("agent: --check-config that printed an error does not call the configuration OK") {
    // A plugin directory holding libraries the loader refuses (wrong ABI, no entry, not a
    // library): listing the plugins logged "error [loader] refused ..." and then said
    // "configuration OK" with exit 0. Whether the dry run loads unused plugins at all is
    // the loader's choice; what it prints and how it exits must agree either way.
    TempDir dir;
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0",
                                         {VITALS_SHIPPED_PLUGIN_DIR, VITALS_BAD_PLUGIN_DIR});
    dir.write("conf.d/10-checks.toml", "[check.up]\nplugin = \"uptime\"\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    const bool printed_errors = contains(result.output, " error [");
    CHECK(result.exit_code == (printed_errors ? 78 : 0));
    CHECK(contains(result.output, "configuration OK") == !printed_errors);
}

TEST_CASE("agent: --version, --help and an unknown option") {
    TempDir dir;
    const auto version = run_vitalsd(dir.path(), {"--version"});
    CHECK(version.exit_code == 0);
    CHECK(contains(version.output, "vitalsd " VITALS_VERSION));
    // The ABI the agent was built with, as plugin.h declares it.
    CHECK(contains(version.output, "ABI " + std::to_string(VITALS_ABI_MAJOR) + "." +
                                       std::to_string(VITALS_ABI_MINOR)));

    const auto help = run_vitalsd(dir.path(), {"--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.output, "--listen"));
    CHECK(contains(help.output, "--check-config"));
    CHECK(contains(help.output, "/health/checks/<name>"));

    const auto unknown = run_vitalsd(dir.path(), {"--frobnicate"});
    CHECK(unknown.exit_code == 64);
    CHECK(contains(unknown.output, "unknown option"));
    CHECK(contains(unknown.output, "--frobnicate"));

    const auto bad_listen = run_vitalsd(dir.path(), {"--listen", "nonsense"});
    CHECK(bad_listen.exit_code == 64);
    CHECK(contains(bad_listen.output, "--listen"));
}

TEST_CASE("agent: --listen overrides agent.toml's listen") {
    // agent.toml names a port that is taken: only the override lets the agent start.
    auto busy = exclusive_listener();
    const auto busy_port = busy.address().port();
    TempDir dir;
    const auto config = write_agent_toml(dir, "", "127.0.0.1:" + std::to_string(busy_port));
    AgentProcess agent{dir.path(), {"--config", config.string(), "--listen", "127.0.0.1:0"}};
    const auto port = agent.wait_for_port(15s);
    CHECK(port != busy_port);
    CHECK(port != 0);
    const auto health = http_get(port, "/health");
    CHECK(health.status == 200);
    CHECK(text(parse(health.body), "status") == "ok");
}

TEST_CASE("agent: a port already in use stops the agent with a clear message") {
    auto busy = exclusive_listener();
    TempDir dir;
    const auto config =
        write_agent_toml(dir, "", "127.0.0.1:" + std::to_string(busy.address().port()));
    AgentProcess agent{dir.path(), {"--config", config.string()}};
    CHECK(agent.wait_for_exit(15s) == 1);
    const auto log = agent.log();
    INFO(log);
    CHECK_FALSE(contains(log, "listening on"));
    CHECK(contains(log, "in use"));
}

TEST_CASE("agent: a second agent on the same port refuses to start") {
    Agent first{""};
    TempDir dir;
    const auto config = write_agent_toml(dir);
    AgentProcess second{
        dir.path(),
        {"--config", config.string(), "--listen", "127.0.0.1:" + std::to_string(first.port())}};
    // Two agents sharing a port would split probes between them at random.
    CHECK(second.wait_for_exit(5s) == 1);
    CHECK_FALSE(contains(second.log(), "listening on"));
}

// ---------------------------------------------------------------- signals

TEST_CASE("agent: SIGTERM and SIGINT stop it cleanly, even with clients connected") {
    for (const int signal : {SIGTERM, SIGINT}) {
        CAPTURE(signal);
        Agent agent{R"([check.a]
plugin = "sleepy"
interval = "100ms"
)"};
        wait_until_not_pending(agent.port(), "a");
        const auto idle = idle_keep_alive(agent.port());
        const auto start = Clock::now();
        agent.process().signal(signal);
        CHECK(agent.process().wait_for_exit(10s) == 0);
        CHECK(Clock::now() - start < 5s);
        const auto log = agent.log();
        CHECK(contains(log, "received"));
        CHECK(contains(log, "stopped"));
    }
}

TEST_CASE("agent: SIGHUP reloads and does not stop it") {
    Agent agent{""};
    agent.process().signal(SIGHUP);
    const auto give_up = Clock::now() + 5s;
    while (!contains(agent.log(), "configuration reloaded") && Clock::now() < give_up)
        std::this_thread::sleep_for(20ms);
    CHECK(contains(agent.log(), "configuration reloaded"));
    CHECK(http_get(agent.port(), "/health").status == 200);
    agent.process().signal(SIGTERM);
    CHECK(agent.process().wait_for_exit(10s) == 0);
}
