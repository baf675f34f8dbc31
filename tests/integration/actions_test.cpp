// on_failure actions through the real vitalsd: a server the test runs is restarted by the
// action and its check recovers; the rate limit gives up and says so; a slow action is
// killed at its timeout; exit codes and output tails reach ?history and /metrics.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "alerts/failure_actions.hpp"
#include "plugins_services/service_process.hpp"
#include "support/agent_fixture.hpp"
#include "support/manual_clock.hpp"
#include "support/sanitizer_build.hpp"

using namespace vitals::test;
using vitals::test::services::process_alive;
namespace fs = std::filesystem;
using Poco::JSON::Array;

namespace {

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

/// A port nothing listens on right now: the kernel's pick, let go again.
std::uint16_t unused_port() {
    Poco::Net::ServerSocket socket{Poco::Net::SocketAddress{"127.0.0.1", 0}};
    const auto port = socket.address().port();
    socket.close();
    return port;
}

/// A port bound but not listening, held for the test: connecting is refused, and nothing
/// else (an agent binding port 0, say) can take it meanwhile.
class ClosedPort {
public:
    ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr *>(&address), &length) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~ClosedPort() { ::close(fd_); }
    ClosedPort(const ClosedPort &) = delete;
    ClosedPort &operator=(const ClosedPort &) = delete;
    std::uint16_t port() const { return port_; }

private:
    int fd_;
    std::uint16_t port_ = 0;
};

std::string read_file(const fs::path &file) {
    std::ifstream in{file};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

pid_t read_pid(const fs::path &file) {
    const std::string text = read_file(file);
    return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
}

bool accepts(std::uint16_t port) {
    try {
        Poco::Net::StreamSocket socket;
        socket.connect(Poco::Net::SocketAddress{"127.0.0.1", port}, Poco::Timespan{1, 0});
        return true;
    } catch (const Poco::Exception &) {
        return false;
    }
}

/// Polls until `done`; FAILs with `what` after `limit`.
void eventually(const std::function<bool()> &done, const std::string &what,
                std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= give_up) FAIL("not in time: " << what);
        std::this_thread::sleep_for(50ms);
    }
}

/// A TCP server the test runs, started (by the test, then by the action) with start.sh, which
/// leaves it in a session of its own as a service manager would, its PID in server.pid.
class RestartableServer {
public:
    explicit RestartableServer(const TempDir &dir) : dir_(dir), port_(unused_port()) {
        // The PID is written once the port is bound: a second start while one runs (the
        // action run twice) fails to bind and leaves the file alone.
        dir_.write("server.py", "import os, socket, sys\n"
                                "s = socket.socket()\n"
                                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                                "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                                "s.listen(16)\n"
                                "open(sys.argv[2] + '.new', 'w').write(str(os.getpid()))\n"
                                "os.rename(sys.argv[2] + '.new', sys.argv[2])\n"
                                "while True:\n"
                                "    s.accept()[0].close()\n");
        script_ = dir_.write("start.sh", "#!/bin/sh\n"
                                         "setsid -f python3 \"" +
                                             (dir_.path() / "server.py").string() + "\" " +
                                             std::to_string(port_) + " \"" + pid_file().string() +
                                             "\" </dev/null >/dev/null 2>&1\n"
                                             "echo \"server started on port " +
                                             std::to_string(port_) + "\"\n");
    }
    ~RestartableServer() { stop(); }
    RestartableServer(const RestartableServer &) = delete;
    RestartableServer &operator=(const RestartableServer &) = delete;

    void start() {
        REQUIRE(std::system(("/bin/sh " + script_.string()).c_str()) == 0);
        wait_listening();
    }
    void wait_listening() {
        eventually([&] { return read_pid(pid_file()) > 0 && accepts(port_); }, "the server listens",
                   10s * sanitizer_slowdown);
    }
    /// Stops it by its PID, and waits until the port is closed.
    void stop() {
        if (const pid_t pid = read_pid(pid_file()); pid > 0) {
            ::kill(pid, SIGKILL);
            fs::remove(pid_file());
            eventually([&] { return !accepts(port_); }, "the server is gone", 5s);
        }
    }

    std::uint16_t port() const { return port_; }
    fs::path pid_file() const { return dir_.path() / "server.pid"; }
    const fs::path &script() const { return script_; }

private:
    const TempDir &dir_;
    std::uint16_t port_;
    fs::path script_;
};

/// The action notes in `check`'s history, newest first.
std::vector<std::string> action_notes(std::uint16_t port, const std::string &check) {
    std::vector<std::string> notes;
    const auto reply = http_get(port, "/health/checks/" + check + "?history");
    if (reply.status != 200 && reply.status != 503) return notes;
    const auto history = parse(reply.body)->getArray("history");
    for (std::size_t i = 0; history && i < history->size(); ++i) {
        const auto entry = history->getObject(static_cast<unsigned>(i));
        if (entry->has("action")) notes.push_back(text(entry, "action"));
    }
    return notes;
}

/// Waits until an action note of `check` holds `part`; returns that note.
std::string wait_for_action(std::uint16_t port, const std::string &check, const std::string &part,
                            std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    std::string seen;
    while (std::chrono::steady_clock::now() < give_up) {
        seen.clear();
        for (const auto &note : action_notes(port, check)) {
            if (contains(note, part)) return note;
            seen += "\n  " + note;
        }
        std::this_thread::sleep_for(50ms);
    }
    FAIL("no action of " << check << " noted \"" << part << "\"; notes seen:" << seen);
    return {};
}

/// Enough history that no note scrolls away while a test looks for it.
const std::string long_history = "history = 200\n";

double metric_value(std::uint16_t port, const std::string &sample) {
    return sample_value(http_get(port, "/metrics").body, sample);
}

std::string tcp_check(const std::string &name, std::uint16_t port, const std::string &on_failure) {
    return "[check." + name + "]\nplugin = \"tcp\"\ninterval = \"200ms\"\ntimeout = \"1s\"\n" +
           "params = { host = \"127.0.0.1\", port = " + std::to_string(port) + " }\n" +
           "on_failure = " + on_failure + "\n";
}

} // namespace

TEST_CASE("actions: a failing check's action restarts the server it watches, and it recovers") {
    TempDir server_dir;
    RestartableServer server{server_dir};
    server.start();
    const pid_t first = read_pid(server.pid_file());
    Agent agent{tcp_check("web", server.port(),
                          "{ run = [\"/bin/sh\", \"" + server.script().string() +
                              "\"], after = 5, max = \"3/10m\", timeout = \"10s\" }"),
                long_history};
    const auto port = agent.port();
    INFO("the agent's log:\n" << agent.log());
    wait_until(
        port, "web", [](const Object::Ptr &json) { return text(json, "status") == "ok"; },
        10s * sanitizer_slowdown);

    server.stop();
    wait_until(
        port, "web", [](const Object::Ptr &json) { return text(json, "status") == "error"; },
        10s * sanitizer_slowdown);
    const std::string note =
        wait_for_action(port, "web", "exit 0: server started on port", 10s * sanitizer_slowdown);
    CHECK(note == "exit 0: server started on port " + std::to_string(server.port()));
    server.wait_listening();
    CHECK(read_pid(server.pid_file()) != first); // a new server, started by the action
    wait_until(
        port, "web", [](const Object::Ptr &json) { return text(json, "status") == "ok"; },
        10s * sanitizer_slowdown);
    // Once, unless the new server took longer to listen than 5 more results (a second run
    // is then Monit's semantics, not a fault): never more than `max`.
    const double ok = metric_value(port, "vitals_actions_total{check=\"web\",outcome=\"ok\"}");
    CHECK(ok >= 1);
    CHECK(ok <= 3);
    CHECK(metric_value(port, "vitals_actions_total{check=\"web\",outcome=\"failed\"}") == -1);
    CHECK(contains(agent.log(), "check web: 5 error result(s) in a row"));
}

TEST_CASE("actions: an action that does not fix it runs max times in its window, then gives up "
          "and says so once") {
    const ClosedPort closed;
    // The key is a secret by its name: the output that shows it is redacted. So are the
    // terminal's escape sequences.
    TempDir scratch;
    const fs::path runs_file = scratch.path() / "runs.txt";
    Agent agent{
        tcp_check("down", closed.port(),
                  "{ run = [\"/usr/bin/env\", \"API_KEY=s3cr3t-v4lue\", \"/bin/sh\", \"-c\", "
                  "\"echo run >> " +
                      runs_file.string() +
                      "; printf 'key %s \\\\033[31mstill down\\\\033[0m' \\\"$API_KEY\\\"; "
                      "exit 3\"], after = 1, max = \"2/1h\" }"),
        long_history};
    const auto port = agent.port();
    INFO("the agent's log:\n" << agent.log());
    const std::string gave_up = wait_for_action(port, "down", "gave up", 10s * sanitizer_slowdown);
    CHECK(gave_up == "gave up: 2 runs in 1h");
    // Given up: however many more failures, no third run.
    const auto runs = [&] { return read_file(runs_file); };
    std::this_thread::sleep_for(1s);
    CHECK(runs() == "run\nrun\n");
    CHECK(metric_value(port, "vitals_actions_total{check=\"down\",outcome=\"failed\"}") == 2);
    CHECK(metric_value(port, "vitals_actions_total{check=\"down\",outcome=\"limited\"}") == 1);
    const auto reply = http_get(port, "/health/checks/down?history");
    CHECK_MESSAGE(contains(reply.body, "exit 3: key <redacted> still down"), reply.body);
    CHECK_FALSE(contains(reply.body, "s3cr3t"));
    CHECK_FALSE(contains(reply.body, "\\u001b"));
    const std::string log = agent.log();
    CHECK_FALSE(contains(log, "s3cr3t"));
    std::size_t said = 0;
    for (auto at = log.find("gave up: 2 runs in 1h"); at != std::string::npos;
         at = log.find("gave up: 2 runs in 1h", at + 1))
        ++said;
    CHECK(said == 1);
}

TEST_CASE("actions: an action past its timeout is killed with what it started, and noted") {
    const ClosedPort closed;
    TempDir scratch;
    const fs::path pid_file = scratch.path() / "action.pid";
    const fs::path background_pid_file = scratch.path() / "background.pid";
    Agent agent{tcp_check("slow", closed.port(),
                          "{ run = [\"/bin/sh\", \"-c\", \"sleep 60 & echo $! > " +
                              background_pid_file.string() + "; echo $$ > " + pid_file.string() +
                              "; echo begun; exec sleep 60\"], timeout = \"500ms\", "
                              "max = \"1/1h\" }"),
                long_history};
    const auto port = agent.port();
    INFO("the agent's log:\n" << agent.log());
    const std::string note = wait_for_action(port, "slow", "timed out", 10s * sanitizer_slowdown);
    CHECK(note == "timed out after 500ms, killed: begun");
    const pid_t action = read_pid(pid_file);
    REQUIRE(action > 0);
    CHECK(::kill(action, 0) != 0); // killed and reaped: no such process
    const pid_t background = read_pid(background_pid_file);
    REQUIRE(background > 0);
    eventually([&] { return !process_alive(background); }, "what it started in its group is killed",
               5s);
    CHECK(metric_value(port, "vitals_actions_total{check=\"slow\",outcome=\"timeout\"}") == 1);
}

TEST_CASE("actions: what an action that exits started in the background keeps running") {
    // A restart script's `daemon &`, or `setsid -f daemon` whose child has not yet left
    // the group when the script exits: killing the group then would undo the restart.
    const ClosedPort closed;
    TempDir scratch;
    const fs::path pid_file = scratch.path() / "daemon.pid";
    Agent agent{tcp_check("restart", closed.port(),
                          "{ run = [\"/bin/sh\", \"-c\", \"sleep 60 </dev/null >/dev/null "
                          "2>&1 & echo $! > " +
                              pid_file.string() + "; echo started\"], max = \"1/1h\" }"),
                long_history};
    const auto port = agent.port();
    INFO("the agent's log:\n" << agent.log());
    CHECK(wait_for_action(port, "restart", "exit 0", 10s * sanitizer_slowdown) ==
          "exit 0: started");
    const pid_t daemon = read_pid(pid_file);
    REQUIRE(daemon > 0);
    // The note is written after the command is reaped, so a kill would have been sent.
    std::this_thread::sleep_for(300ms);
    CHECK(process_alive(daemon));
    ::kill(daemon, SIGKILL);
}

TEST_CASE("actions: a command that cannot start is a failed action that says why") {
    const ClosedPort closed;
    Agent agent{
        tcp_check("missing", closed.port(), "{ run = [\"no-such-program-here\"], max = \"1/1h\" }"),
        long_history};
    const auto port = agent.port();
    INFO("the agent's log:\n" << agent.log());
    const std::string note =
        wait_for_action(port, "missing", "not started", 10s * sanitizer_slowdown);
    CHECK(note == "not started: no-such-program-here: not found on PATH");
    CHECK(metric_value(port, "vitals_actions_total{check=\"missing\",outcome=\"failed\"}") == 1);
}

TEST_CASE("actions: a reload that changes only on_failure keeps the check, and the new action "
          "runs") {
    const ClosedPort closed;
    const auto checks = [&](const std::string &word) {
        return tcp_check("flaky", closed.port(),
                         "{ run = [\"/bin/echo\", \"" + word + "\"], max = \"1/1h\" }");
    };
    Agent agent{checks("first"), long_history};
    const auto port = agent.port();
    INFO("the agent's log:\n" << agent.log());
    wait_for_action(port, "flaky", "exit 0: first", 10s * sanitizer_slowdown);
    const auto before = consecutive(parse(http_get(port, "/health/checks/flaky").body));
    agent.dir().write("conf.d/checks.toml", checks("second"));
    agent.process().signal(SIGHUP);
    // A new action has a window of its own: it runs at once, though the first gave up.
    wait_for_action(port, "flaky", "exit 0: second", 10s * sanitizer_slowdown);
    // The check itself went on: its results in a row were not started over.
    CHECK(consecutive(parse(http_get(port, "/health/checks/flaky").body)) > before);
}

// ---------------------------------------------------------------- in this process
// The counting, on a result store fed here: runs are real commands, results come when told.

namespace {

vitals::CheckResult result_of(vitals::Status status) {
    vitals::CheckResult result;
    result.status = status;
    result.message = "test";
    result.started = std::chrono::system_clock::now();
    return result;
}

std::uint64_t count_of(const vitals::FailureActions &actions, const std::string &outcome) {
    const auto counts = actions.counts()->snapshot();
    const auto found = counts.find({"c", outcome});
    return found == counts.end() ? 0 : found->second;
}

/// Records `errors` error results of "c", one at a time as the actions see them.
void fail(vitals::ResultStore &store, int errors) {
    for (int i = 0; i < errors; ++i)
        store.record("c", result_of(vitals::Status::error));
}

} // namespace

TEST_CASE("actions: after N errors in a row it runs, then N more are needed, and an ok result "
          "or a silence starts over") {
    using vitals::Status;
    vitals::CheckInfo info;
    info.name = "c";
    vitals::ResultStore store{{info}};
    std::atomic<bool> silenced{false};
    vitals::FailureActions actions{store, vitals::real_clock(), [&](const std::string &check) {
                                       return check == "c" && silenced.load();
                                   }};
    vitals::CheckDefinition definition;
    definition.name = "c";
    definition.on_failure = vitals::FailureAction{};
    definition.on_failure->run = {"/bin/sh", "-c", "echo \"run $VITALS_FAILURES\""};
    definition.on_failure->after = 3;
    definition.on_failure->max_runs = 100;
    actions.configure({definition});
    actions.start();
    const auto ran = [&](std::uint64_t times) {
        eventually([&] { return count_of(actions, "ok") == times; },
                   "the action ran " + std::to_string(times) + " time(s)", 10s);
    };
    // Time for a run that should not happen to have happened.
    const auto settle = [] { std::this_thread::sleep_for(300ms); };

    fail(store, 2);
    settle();
    CHECK(count_of(actions, "ok") == 0);
    fail(store, 1);
    ran(1);
    CHECK(actions.last_outcome("c") == "exit 0: run 3");
    CHECK(store.history("c").front().action == "exit 0: run 3");
    fail(store, 2);
    settle();
    CHECK(count_of(actions, "ok") == 1);
    fail(store, 1);
    ran(2);

    store.record("c", result_of(Status::ok));
    fail(store, 2);
    settle();
    CHECK(count_of(actions, "ok") == 2);
    fail(store, 1);
    ran(3);

    silenced = true;
    fail(store, 4);
    settle();
    CHECK(count_of(actions, "ok") == 3);
    CHECK(actions.last_outcome("other").empty());
    actions.stop();
}

TEST_CASE("actions: held back by max, it gives up once, and runs again when the window allows") {
    vitals::CheckInfo info;
    info.name = "c";
    vitals::ResultStore store{{info}};
    const auto clock = std::make_shared<ManualClock>();
    vitals::FailureActions actions{store, clock};
    vitals::CheckDefinition definition;
    definition.name = "c";
    definition.on_failure = vitals::FailureAction{};
    definition.on_failure->run = {"/bin/true"};
    definition.on_failure->max_runs = 2;
    definition.on_failure->window = 1h;
    actions.configure({definition});
    actions.start();
    const auto counted = [&](const std::string &outcome, std::uint64_t times) {
        eventually([&] { return count_of(actions, outcome) == times; },
                   outcome + " counted " + std::to_string(times) + " time(s)", 10s);
    };
    fail(store, 1);
    counted("ok", 1);
    clock->advance(10min);
    fail(store, 1);
    counted("ok", 2);
    fail(store, 1);
    counted("limited", 1);
    CHECK(actions.last_outcome("c") == "gave up: 2 runs in 1h");
    CHECK(store.history("c").front().action == "gave up: 2 runs in 1h");
    fail(store, 3); // given up already: said once
    std::this_thread::sleep_for(300ms);
    CHECK(count_of(actions, "limited") == 1);
    CHECK(count_of(actions, "ok") == 2);
    // An hour after the first run, one place in the window is free again.
    clock->advance(50min);
    fail(store, 1);
    counted("ok", 3);
    fail(store, 1);
    counted("limited", 2); // the second run, 10 minutes in, is still in the window
    actions.stop();
}
