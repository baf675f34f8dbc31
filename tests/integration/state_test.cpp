// State kept across restarts, through the real vitalsd: restored results, history, uptime
// and push deadlines; changed checks start afresh; a bad or unwritable state_dir never
// stops the agent. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include "core/host_name.hpp"
#include "support/agent_fixture.hpp"
#include "support/eventually.hpp"
#include "support/sanitizer_build.hpp"

using namespace vitals::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

/// One agent directory (agent.toml, conf.d, state/) that agents are started on in turn,
/// each run logging into a folder of its own.
class Restarts {
public:
    Restarts(const std::string &checks, const std::string &agent_extra = "")
        : config_(write_agent_toml(dir_, agent_extra)) {
        dir_.write("conf.d/checks.toml", checks);
    }

    /// Starts an agent (stopping the one before, with SIGTERM) and returns its port.
    std::uint16_t start(std::vector<std::string> wrapper = {}) {
        process_.reset();
        const fs::path run = dir_.path() / ("run-" + std::to_string(++runs_));
        fs::create_directories(run);
        process_.emplace(run, std::vector<std::string>{"--config", config_.string()},
                         std::move(wrapper));
        port_ = process_->wait_for_port(15s);
        return port_;
    }
    void kill_hard() {
        process_->signal(SIGKILL);
        process_->wait_for_exit();
    }
    void stop() { process_.reset(); }

    const TempDir &dir() const { return dir_; }
    fs::path state_dir() const { return dir_.path() / "state"; }
    AgentProcess &process() { return *process_; }
    std::uint16_t port() const { return port_; }

private:
    TempDir dir_;
    fs::path config_;
    std::optional<AgentProcess> process_;
    std::uint16_t port_ = 0;
    int runs_ = 0;
};

Object::Ptr check_json(std::uint16_t port, const std::string &name, const std::string &query = "") {
    const auto reply = http_get(port, "/health/checks/" + name + query);
    REQUIRE_MESSAGE((reply.status == 200 || reply.status == 503), reply.body);
    return parse(reply.body);
}

/// A check whose every run takes a second, so a restarted agent shows what it restored for
/// at least that long; its status is read from `status_file`.
std::string slow_check(const std::string &name, const fs::path &status_file,
                       const std::string &extra_params = "") {
    return "[check." + name + "]\nplugin = \"sleepy\"\ninterval = \"1s\"\ntimeout = \"10s\"\n" +
           "params = { sleep = \"1s\", status_file = \"" + status_file.string() + "\"" +
           extra_params + " }\n";
}

void write_status(const fs::path &file, const std::string &word) {
    std::ofstream{file} << word << "\n";
}

double metric_value(std::uint16_t port, const std::string &sample) {
    return sample_value(http_get(port, "/metrics").body, sample);
}

std::size_t files_starting(const fs::path &dir, const std::string &prefix) {
    std::size_t count = 0;
    for (const auto &entry : fs::directory_iterator{dir})
        count += entry.path().filename().string().rfind(prefix, 0) == 0 ? 1 : 0;
    return count;
}

/// "2026-12-06T20:00:00.123Z" as a time point.
std::chrono::system_clock::time_point parse_utc(const std::string &text) {
    int zone = 0;
    const Poco::DateTime time =
        Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, zone);
    return std::chrono::system_clock::from_time_t(time.timestamp().epochTime()) +
           std::chrono::milliseconds{time.millisecond()};
}

/// Stops the test with the reason where mounts cannot be made (they take root).
void require_root_for_mounts() {
    if (::geteuid() != 0)
        FAIL("this test mounts a file system for the agent in a mount namespace of its own "
             "(unshare --mount), which takes root");
}

/// Runs vitalsd in a mount namespace of its own with a tmpfs (`options`) on `dir`.
std::vector<std::string> with_tmpfs_on(const fs::path &dir, const std::string &options) {
    return {"unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount -t tmpfs -o " + options + " vitals-state \"" + dir.string() +
                "\" && exec \"$@\"",
            "sh"};
}

} // namespace

TEST_CASE("state: a restart shows the last results at once, marked restored, with history, "
          "transitions and uptime") {
    TempDir files;
    const auto status = files.path() / "status";
    write_status(status, "warning");
    Restarts agent{slow_check("kept", status)};
    auto port = agent.start();
    wait_until(
        port, "kept", [](const Object::Ptr &json) { return text(json, "status") == "warning"; },
        10s * sanitizer_slowdown);
    write_status(status, "error");
    const auto before = wait_until(
        port, "kept", [](const Object::Ptr &json) { return text(json, "status") == "error"; },
        10s * sanitizer_slowdown);
    CHECK_FALSE(before->getValue<bool>("restored"));
    const auto before_uptime = before->getObject("uptime")->getValue<double>("24h");
    CHECK(before_uptime > 0);
    CHECK(before_uptime < 1);
    agent.stop(); // SIGTERM: the last results are written on the way out

    port = agent.start();
    const auto restored = check_json(port, "kept", "?history");
    CHECK(restored->getValue<bool>("restored"));
    CHECK_FALSE(restored->getValue<bool>("pending"));
    CHECK(text(restored, "status") == "error");
    CHECK(text(restored, "status_since") == text(before, "status_since"));
    CHECK(restored->getArray("history")->size() >= 2);
    // Warning, error, then nothing known from when the last agent stopped.
    const auto transitions = restored->getArray("transitions");
    REQUIRE(transitions->size() >= 3);
    CHECK(transitions->getObject(0)->isNull("status"));
    CHECK(transitions->getObject(1)->getValue<std::string>("status") == "error");
    CHECK(transitions->getObject(2)->getValue<std::string>("status") == "warning");
    const auto uptime = restored->getObject("uptime");
    CHECK(uptime->getValue<double>("24h") > 0);
    CHECK(uptime->getValue<double>("24h") < 1);
    CHECK(uptime->getValue<double>("30d") == doctest::Approx(uptime->getValue<double>("24h")));
    // The status page and /metrics say the same.
    CHECK(contains(http_get(port, "/").body, "<span class=\"flag\">restored</span>"));
    const auto metrics = http_get(port, "/metrics").body;
    CHECK(sample_value(metrics, "vitals_check_uptime_ratio{check=\"kept\",instance=\"" +
                                    vitals::host_name() + "\",window=\"7d\"}") > 0);
    CHECK(sample_value(metrics, "vitals_state_ok") == 1);
    CHECK(sample_value(metrics, "vitals_state_errors_total") == 0);
    CHECK(contains(agent.process().log(), "1 of 1 check(s) restored"));

    // Its first run here ends the restored mark, and the agent's own run counts again.
    write_status(status, "ok");
    const auto fresh = wait_until(
        port, "kept", [](const Object::Ptr &json) { return !json->getValue<bool>("restored"); },
        10s * sanitizer_slowdown);
    CHECK(text(fresh, "status") == "ok");
}

TEST_CASE("state: a check defined otherwise than when it was saved starts pending") {
    TempDir files;
    const auto status = files.path() / "status";
    write_status(status, "ok");
    Restarts agent{slow_check("same", status) + slow_check("edited", status)};
    const auto port = agent.start();
    wait_until_not_pending(port, "same", 10s * sanitizer_slowdown);
    wait_until_not_pending(port, "edited", 10s * sanitizer_slowdown);
    agent.stop();
    agent.dir().write("conf.d/checks.toml",
                      slow_check("same", status) +
                          slow_check("edited", status, ", message = \"now different\""));
    const auto restarted = agent.start();
    const auto same = check_json(restarted, "same");
    const auto edited = check_json(restarted, "edited");
    CHECK(same->getValue<bool>("restored"));
    CHECK_FALSE(edited->getValue<bool>("restored"));
    CHECK(edited->getValue<bool>("pending"));
}

TEST_CASE("state: a push check keeps its report and deadline across a restart") {
    Restarts agent{R"([check.nightly]
plugin = "push"
ttl = "1h"

[check.hourly]
plugin = "push"
ttl = "2s"
)"};
    auto port = agent.start();
    for (const std::string name : {"nightly", "hourly"})
        REQUIRE(http_request(port, "POST", "/health/checks/" + name,
                             R"({"status":"ok","message":"backup done"})", "application/json")
                    .status == 200);
    agent.stop();
    // hourly's ttl runs out while no agent runs.
    std::this_thread::sleep_for(2500ms);
    const auto started = std::chrono::system_clock::now();
    port = agent.start();
    const auto nightly = check_json(port, "nightly");
    CHECK(text(nightly, "status") == "ok");
    CHECK(text(nightly, "message") == "backup done");
    CHECK(nightly->getValue<bool>("restored"));
    // The expiry is dated when the ttl ran out, before this agent started: it knew the
    // report's time. (Without it, the ttl would start again at the restart.)
    const auto hourly = wait_until(
        port, "hourly", [](const Object::Ptr &json) { return text(json, "status") == "error"; },
        10s * sanitizer_slowdown);
    CHECK(contains(text(hourly, "message"), "no report for 2s"));
    CHECK(parse_utc(text(hourly, "status_since")) < started);
}

TEST_CASE("state: state_dir = \"\" keeps nothing") {
    Restarts agent{R"([check.nightly]
plugin = "push"
ttl = "1h"
)",
                   "state_dir = \"\"\n"};
    auto port = agent.start();
    REQUIRE(http_request(port, "POST", "/health/checks/nightly", R"({"status":"ok"})",
                         "application/json")
                .status == 200);
    agent.stop();
    port = agent.start();
    CHECK(check_json(port, "nightly")->getValue<bool>("pending"));
    CHECK_FALSE(fs::exists(agent.state_dir()));
    CHECK(metric_value(port, "vitals_state_errors_total") == -1); // not shown at all
}

TEST_CASE("state: a state file that cannot be read is moved aside, and the agent starts afresh") {
    struct Case {
        const char *what;
        void (*spoil)(const fs::path &file);
        const char *moved_as;
    };
    const Case cases[] = {
        {"garbage", [](const fs::path &file) { std::ofstream{file} << std::string(5000, 'x'); },
         "state.db.corrupt-"},
        {"truncated", [](const fs::path &file) { fs::resize_file(file, 1000); },
         "state.db.corrupt-"},
        {"another program's",
         [](const fs::path &file) {
             fs::remove(file);
             Poco::Data::SQLite::Connector::registerConnector();
             Poco::Data::Session session{"SQLite", file.string()};
             session << "CREATE TABLE t(x)", Poco::Data::Keywords::now;
         },
         "state.db.foreign-"},
        {"newer",
         [](const fs::path &file) {
             Poco::Data::SQLite::Connector::registerConnector();
             Poco::Data::Session session{"SQLite", file.string()};
             session << "PRAGMA user_version = 99", Poco::Data::Keywords::now;
         },
         "state.db.newer-"},
    };
    for (const auto &c : cases) {
        CAPTURE(c.what);
        Restarts agent{R"([check.nightly]
plugin = "push"
ttl = "1h"
)"};
        auto port = agent.start();
        REQUIRE(http_request(port, "POST", "/health/checks/nightly", R"({"status":"ok"})",
                             "application/json")
                    .status == 200);
        agent.stop();
        // WAL files belong to the file they are spoiled with: remove them too.
        for (const char *extra : {"-wal", "-shm"})
            fs::remove(agent.state_dir() / (std::string{"state.db"} + extra));
        c.spoil(agent.state_dir() / "state.db");
        port = agent.start();
        CHECK(http_get(port, "/health/live").status == 200);
        CHECK(check_json(port, "nightly")->getValue<bool>("pending"));
        const std::string log = agent.process().log();
        CHECK(contains(log, (agent.state_dir() / "state.db").string()));
        CHECK(contains(log, "starting afresh"));
        CHECK(files_starting(agent.state_dir(), c.moved_as) == 1);
        CHECK(metric_value(port, "vitals_state_errors_total") >= 1);
        // The fresh file takes the new state, as any other.
        REQUIRE(http_request(port, "POST", "/health/checks/nightly", R"({"status":"ok"})",
                             "application/json")
                    .status == 200);
        agent.stop();
        port = agent.start();
        CHECK(check_json(port, "nightly")->getValue<bool>("restored"));
    }
}

TEST_CASE("state: a second agent on the same state_dir runs, keeping nothing, and says why") {
    Restarts first{"", ""};
    first.start();
    Agent second{"", "state_dir = \"" + first.state_dir().string() + "\"\n"};
    CHECK(http_get(second.port(), "/health/live").status == 200);
    CHECK(second.process().wait_for_log("in use by another vitalsd") != std::string::npos);
    CHECK(metric_value(second.port(), "vitals_state_ok") == 0);
    CHECK(metric_value(second.port(), "vitals_state_errors_total") >= 1);
}

TEST_CASE("state: a read-only state_dir never stops checks or probes") {
    require_root_for_mounts();
    TempDir files;
    const auto status = files.path() / "status";
    write_status(status, "ok");
    Restarts agent{slow_check("runs", status)};
    fs::create_directories(agent.state_dir());
    const auto port = agent.start(with_tmpfs_on(agent.state_dir(), "ro,size=1m"));
    wait_until_not_pending(port, "runs", 10s * sanitizer_slowdown);
    CHECK(http_get(port, "/health/live").status == 200);
    CHECK(agent.process().wait_for_log("results are not kept across restarts") !=
          std::string::npos);
    CHECK(contains(agent.process().log(), agent.state_dir().string()));
    CHECK(metric_value(port, "vitals_state_ok") == 0);
    CHECK(metric_value(port, "vitals_state_errors_total") >= 1);
}

TEST_CASE("state: a full state_dir costs the writes, counted, never a check or a probe") {
    require_root_for_mounts();
    // 100 checks with 2 KB messages and a history of 50: far more than the 1 MiB tmpfs.
    std::string checks;
    const std::string message(2000, 'm');
    for (int i = 0; i < 100; ++i)
        checks += "[check.c" + std::to_string(i) +
                  "]\nplugin = \"sleepy\"\ninterval = \"100ms\"\nparams = { message = \"" +
                  message + std::to_string(i) + "\" }\n";
    Restarts agent{checks, "history = 50\n"};
    fs::create_directories(agent.state_dir());
    const auto port = agent.start(with_tmpfs_on(agent.state_dir(), "size=1m"));
    CHECK(agent.process().wait_for_log("cannot write", 0, 30s * sanitizer_slowdown) !=
          std::string::npos);
    CHECK(contains(agent.process().log(), "full"));
    CHECK(metric_value(port, "vitals_state_errors_total") >= 1);
    // Checks go on running and probes answering while the disk stays full.
    const auto runs_before = check_json(port, "c0")->getValue<std::uint64_t>("consecutive");
    CHECK(eventually(
        [&] {
            return check_json(port, "c0")->getValue<std::uint64_t>("consecutive") > runs_before + 5;
        },
        10s * sanitizer_slowdown));
    CHECK(http_get(port, "/health/live").status == 200);
    CHECK(metric_value(port, "vitals_state_ok") == 0);
}

TEST_CASE("state: 50 kill -9 at random moments while 200 checks write, and every start serves "
          "what was kept") {
    std::string checks;
    for (int i = 0; i < 200; ++i)
        checks += "[check.c" + std::to_string(i) + "]\nplugin = \"sleepy\"\ninterval = \"100ms\"\n";
    Restarts agent{checks};
    auto port = agent.start();
    // Something kept before the first kill: every check has run and been written.
    for (int i = 0; i < 200; i += 50)
        wait_until_not_pending(port, "c" + std::to_string(i), 10s * sanitizer_slowdown);
    std::this_thread::sleep_for(1500ms);
    std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> moment_ms{0, 1000};
    int served = 0;
    for (int kill = 0; kill < 50; ++kill) {
        CAPTURE(kill);
        std::this_thread::sleep_for(std::chrono::milliseconds{moment_ms(random)});
        agent.kill_hard();
        port = agent.start(); // throws if the agent cannot start
        // The agent is up (no check is in the live group: a result kept from a second
        // ago is already stale at 100 ms intervals, and would rightly fail the probe).
        REQUIRE(http_get(port, "/health/live").status == 200);
        const auto health = http_get(port, "/health");
        const auto all = parse(health.body)->getObject("checks");
        REQUIRE(all->size() == 200);
        // Every check has a result at once: kept from some run before.
        int pending = 0;
        for (const auto &[name, value] : *all)
            pending += value.extract<Object::Ptr>()->getValue<bool>("pending") ? 1 : 0;
        CHECK(pending == 0);
        served += pending == 0 ? 1 : 0;
    }
    CHECK(served == 50);
    CHECK(metric_value(port, "vitals_state_errors_total") == 0);
}
