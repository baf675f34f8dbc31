// Lifecycle through the real vitalsd: reload, drain, thresholds, startup, dependencies.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cmath>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "app/reload_thread.hpp"
#include "core/host_name.hpp"
#include "support/agent_fixture.hpp"
#include "support/eventually.hpp"
#include "support/proc_maps.hpp"
#include "support/versioned_plugin.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

void write_word(const std::filesystem::path &file, const std::string &word) {
    std::ofstream{file} << word;
}

std::string read_file(const std::filesystem::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Sends SIGHUP and waits for the agent to log the reload's outcome.
void reload(Agent &agent, const std::string &outcome = "configuration reloaded") {
    const auto before = agent.log().size();
    agent.process().signal(SIGHUP);
    REQUIRE(eventually([&] { return contains(agent.log().substr(before), outcome); }));
}

/// The value of an unlabelled sample in a Prometheus exposition; NaN if absent.
double metric_value(const std::string &exposition, const std::string &name) {
    const auto at = exposition.find("\n" + name + " ");
    if (at == std::string::npos) return std::nan("");
    return std::stod(exposition.substr(at + name.size() + 2));
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Object::Ptr json_at(std::uint16_t port, const std::string &target) {
    return Poco::JSON::Parser().parse(http_get(port, target).body).extract<Object::Ptr>();
}

const char *two_checks = R"(
[check.steady]
plugin = "sleepy"
interval = "1h"
params = { message = "steady as she goes" }
)";

const char *second_file = R"(
[check.edited]
plugin = "sleepy"
interval = "100ms"
params = { message = "before" }
)";

} // namespace

TEST_CASE("lifecycle: a valid edit applies, unchanged checks keep their results") {
    Agent agent{two_checks};
    agent.dir().write("conf.d/second.toml", second_file);
    reload(agent);
    const auto steady = wait_until_not_pending(agent.port(), "steady");
    wait_until(agent.port(), "edited", [](const Object::Ptr &json) {
        return json->getValue<std::string>("message") == "before";
    });
    const auto last_run = steady->getValue<std::string>("last_run");

    agent.dir().write(
        "conf.d/second.toml",
        std::string{second_file}.replace(std::string{second_file}.find("before"), 6, "after"));
    reload(agent);
    wait_until(agent.port(), "edited", [](const Object::Ptr &json) {
        return json->getValue<std::string>("message") == "after";
    });
    // Interval 1 h: a second run could only come from a restart.
    const auto kept = json_at(agent.port(), "/health/checks/steady?history");
    CHECK(kept->getValue<std::string>("last_run") == last_run);
    CHECK(kept->getArray("history")->size() == 1);
    CHECK(kept->getValue<std::uint64_t>("consecutive") == 1);
}

TEST_CASE("lifecycle: an invalid edit keeps the running configuration and shows the error") {
    Agent agent{two_checks};
    wait_until_not_pending(agent.port(), "steady");
    const double before_edit = unix_now() - 1; // the metric's resolution, and clock steps
    const auto broken = agent.dir().write("conf.d/broken.toml",
                                          "[check.new]\nplugin = \"sleepy\"\nintervall = \"1s\"\n");
    reload(agent, "the running configuration stays in force");
    CHECK(http_get(agent.port(), "/health/checks/steady").status == 200);
    CHECK(http_get(agent.port(), "/health/checks/new").status == 404);
    const auto health = json_at(agent.port(), "/health");
    const auto config = health->getObject("config");
    CHECK_FALSE(config->getValue<bool>("ok"));
    const auto error = config->getArray("errors")->getElement<std::string>(0);
    CHECK(error ==
          broken.string() +
              ":3:1: check.new.intervall: unknown key 'intervall' (expected one of: "
              "depends_on, description, enabled, failure_threshold, groups, interval, "
              "isolation, labels, maintenance, notify, on_failure, params, plugin, "
              "success_threshold, timeout, ttl)");
    const std::string metrics = http_get(agent.port(), "/metrics").body;
    CHECK(contains(metrics, "vitals_config_load_success 0"));
    CHECK(contains(metrics, "vitals_config_errors 1"));
    // (The watcher may reload on the edit too, so counts are at least, not exactly.)
    const double failures = metric_value(metrics, "vitals_config_reload_failures_total");
    CHECK(failures >= 1);
    CHECK(metric_value(metrics, "vitals_config_reloads_total") >= failures);
    // The failed load's time, not the start's.
    CHECK(metric_value(metrics, "vitals_config_load_timestamp_seconds") >= before_edit);
    CHECK(contains(agent.log(), "[reload] " + broken.string() + ":3:1: check.new.intervall: "));

    // The next valid edit applies normally.
    agent.dir().write("conf.d/broken.toml",
                      "[check.new]\nplugin = \"sleepy\"\ninterval = \"1s\"\n");
    reload(agent);
    CHECK(json_at(agent.port(), "/health")->getObject("config")->getValue<bool>("ok"));
    wait_until_not_pending(agent.port(), "new");
    const std::string after = http_get(agent.port(), "/metrics").body;
    CHECK(contains(after, "vitals_config_load_success 1"));
    CHECK(contains(after, "vitals_config_errors 0"));
    CHECK(metric_value(after, "vitals_config_reloads_total") >= failures + 1);
}

TEST_CASE("lifecycle: a removed file's checks go, an added file's checks come") {
    Agent agent{two_checks};
    const auto extra = agent.dir().write("conf.d/extra.toml", second_file);
    reload(agent);
    wait_until_not_pending(agent.port(), "edited");
    wait_until_not_pending(agent.port(), "steady");
    std::filesystem::remove(extra);
    reload(agent);
    CHECK(http_get(agent.port(), "/health/checks/edited").status == 404);
    CHECK(http_get(agent.port(), "/health/checks/steady").status == 200);
    CHECK_FALSE(contains(http_get(agent.port(), "/metrics").body, "check=\"edited\""));
}

TEST_CASE("lifecycle: editing conf.d reloads without a signal") {
    Agent agent{two_checks};
    wait_until_not_pending(agent.port(), "steady");
    agent.dir().write("conf.d/dropped-in.toml", second_file);
    // inotify plus a 300 ms debounce: no SIGHUP sent.
    CHECK(eventually([&] { return http_get(agent.port(), "/health/checks/edited").status != 404; },
                     10s));
    CHECK(contains(agent.log(), "configuration changed on disk"));
}

TEST_CASE("lifecycle: a burst of writes to conf.d within the debounce is one reload") {
    Agent agent{two_checks};
    wait_until_not_pending(agent.port(), "steady");
    REQUIRE(contains(http_get(agent.port(), "/metrics").body, "vitals_config_reloads_total 0"));
    // As editors save: write, write again, then a temporary file renamed over the first.
    agent.dir().write("conf.d/burst.toml", second_file);
    agent.dir().write("conf.d/burst.toml", second_file);
    agent.dir().write("conf.d/another.toml", "");
    agent.dir().write("conf.d/.burst.toml.swp", "editor state");
    const auto temporary = agent.dir().write("conf.d/burst.toml~", second_file);
    std::filesystem::rename(temporary, agent.dir().path() / "conf.d/burst.toml");
    CHECK(eventually([&] { return http_get(agent.port(), "/health/checks/edited").status == 200; },
                     10s));
    // Well past the 300 ms debounce: still the one reload.
    std::this_thread::sleep_for(1s);
    CHECK(contains(http_get(agent.port(), "/metrics").body, "vitals_config_reloads_total 1"));
    const std::string log = agent.log();
    const auto first = log.find("configuration changed on disk");
    CHECK(first != std::string::npos);
    CHECK(log.find("configuration changed on disk", first + 1) == std::string::npos);
}

TEST_CASE("lifecycle: editing agent.toml itself reloads without a signal") {
    Agent agent{two_checks};
    wait_until_not_pending(agent.port(), "steady");
    CHECK(http_get(agent.port(), "/probe/steady").status == 404);
    const auto file = agent.dir().path() / "agent.toml";
    const std::string text = read_file(file);
    agent.dir().write("agent.toml", text + "\n[[endpoint]]\npath = \"/probe/<name>\"\n");
    CHECK(eventually([&] { return http_get(agent.port(), "/probe/steady").status == 200; }, 10s));
    CHECK(contains(agent.log(), "configuration changed on disk"));
    CHECK(contains(http_get(agent.port(), "/metrics").body, "vitals_config_reloads_total 1"));

    // An invalid agent.toml is refused like an invalid drop-in, naming its own file and line.
    agent.dir().write("agent.toml", text + "\n[[endpoint]]\npath = \"no-slash\"\n");
    CHECK(eventually([&] { return contains(agent.log(), "stays in force"); }, 10s));
    CHECK(contains(agent.log(), file.string() + ":"));
    CHECK(http_get(agent.port(), "/probe/steady").status == 200);
}

TEST_CASE("lifecycle: a replaced plugin file restarts the checks that use it") {
    TempDir plugins;
    const auto copy = plugins.path() / "sleepy.so";
    std::filesystem::copy_file(VITALS_TEST_PLUGIN_DIR "/sleepy.so", copy);
    Agent agent{R"(
[check.uses_copy]
plugin = "sleepy"
interval = "1h"

[check.other_plugin]
plugin = "disk"
interval = "1h"
)",
                "",
                {},
                {plugins.path().string(), VITALS_SHIPPED_PLUGIN_DIR}};
    const auto first =
        wait_until_not_pending(agent.port(), "uses_copy")->getValue<std::string>("last_run");
    const auto other =
        wait_until_not_pending(agent.port(), "other_plugin")->getValue<std::string>("last_run");
    // A new build of the plugin: a new file (new inode) in its place.
    std::filesystem::remove(copy);
    std::filesystem::copy_file(VITALS_TEST_PLUGIN_DIR "/sleepy.so", copy);
    reload(agent);
    CHECK(eventually([&] {
        const auto reply = http_get(agent.port(), "/health/checks/uses_copy");
        return reply.status == 200 && !contains(reply.body, first);
    }));
    CHECK(json_at(agent.port(), "/health/checks/other_plugin")->getValue<std::string>("last_run") ==
          other);
}

namespace {

/// The inodes of every build of a plugin file named `name` whose code the process maps.
std::set<std::string> mapped_inodes(pid_t pid, const std::string &name) {
    std::set<std::string> inodes;
    for (const auto &mapping : code_mappings(pid))
        if (std::filesystem::path{mapping.file}.filename() == name) inodes.insert(mapping.inode);
    return inodes;
}

auto message_is(std::string expected) {
    return [expected = std::move(expected)](const Object::Ptr &json) {
        return json->getValue<std::string>("message") == expected;
    };
}

} // namespace

TEST_CASE("lifecycle: a plugin file replaced by a new build runs the new build's code") {
    TempDir plugins;
    const auto file = plugins.path() / "versioned.so";
    install_versioned(1, file);
    // Interval 1 h: every run after the first comes from a restart.
    Agent agent{"[check.v]\nplugin = \"versioned\"\ninterval = \"1h\"\n",
                "",
                {},
                {plugins.path().string()}};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until(agent.port(), "v", message_is("generation 1"));

    install_versioned(2, file);
    reload(agent);
    // The old build stays loaded while its runs end; the check's new instance must come
    // from the new file, not from the library already loaded under the same path.
    wait_until(agent.port(), "v", message_is("generation 2"), 10s);
    CHECK(contains(http_get(agent.port(), "/metrics").body,
                   "vitals_plugin_info{plugin=\"versioned\",version=\"2.0.0\"} 1"));
    CHECK(eventually(
        [&] { return mapped_inodes(agent.process().pid(), "versioned.so").size() == 1; }));
    const auto new_build = mapped_inodes(agent.process().pid(), "versioned.so");

    // A reload that finds the file unchanged keeps the check (interval 1 h: no new run)
    // and the library it runs.
    const auto last_run =
        json_at(agent.port(), "/health/checks/v")->getValue<std::string>("last_run");
    reload(agent);
    CHECK(json_at(agent.port(), "/health/checks/v")->getValue<std::string>("last_run") == last_run);
    CHECK(mapped_inodes(agent.process().pid(), "versioned.so") == new_build);
}

TEST_CASE("lifecycle: the replaced build stays loaded until its run in flight ends") {
    TempDir plugins, state;
    const auto file = plugins.path() / "versioned.so";
    const auto marker_file = state.path() / "marker";
    install_versioned(1, file);
    // Each run takes 2 s and the next follows at once: one is always in flight.
    Agent agent{"[check.v]\nplugin = \"versioned\"\ninterval = \"100ms\"\ntimeout = \"10s\"\n"
                "params = { sleep = \"2s\", marker = \"" +
                    marker_file.string() + "\" }\n",
                "",
                {},
                {plugins.path().string()}};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until(agent.port(), "v", message_is("generation 1"), 10s);
    const auto old_builds = mapped_inodes(agent.process().pid(), "versioned.so");
    REQUIRE(old_builds.size() == 1);
    const auto old_build = *old_builds.begin();

    install_versioned(2, file);
    reload(agent);
    // Both builds are mapped: the old one for the run still in it, the new one for the
    // restarted check. Unloading the old one now would crash the agent.
    auto both = mapped_inodes(agent.process().pid(), "versioned.so");
    CHECK(both.size() == 2);
    CHECK(both.count(old_build) == 1);
    both.erase(old_build);
    REQUIRE(both.size() == 1);
    const auto new_build = *both.begin();
    // (A reload also creates and destroys instances of the new build to validate them.)
    CHECK_FALSE(contains(read_file(marker_file), "destroyed generation 1"));
    wait_until(agent.port(), "v", message_is("generation 2"), 15s);
    // Its run over, the old check's instance was destroyed and its build unloaded.
    CHECK(eventually([&] {
        return mapped_inodes(agent.process().pid(), "versioned.so") ==
               std::set<std::string>{new_build};
    }));
    const std::string marker = read_file(marker_file);
    CHECK(contains(marker, "destroyed generation 1\n"));
    CHECK(marker.find("destroyed generation 1") == marker.rfind("destroyed generation 1"));
    CHECK(http_get(agent.port(), "/health/live").status == 200);
}

namespace {

/// What /health/live and /health/ready answered from a SIGTERM until the agent exited.
struct Shutdown {
    int exit_code = -1;
    Clock::duration took{}; ///< from the signal to the exit
    std::size_t live_200 = 0;
    std::vector<std::string> live_other; ///< any other answer while the server still answered
    std::size_t ready_503 = 0;           ///< draining
    std::size_t ready_200_after_503 = 0; ///< readiness back up: never right
    bool answered_after_refusal = false; ///< the server came back after it had stopped
};

/// Sends SIGTERM, then probes liveness and readiness every 20 ms, each on a fresh
/// connection as a kubelet does, until the agent exits (or `limit`).
Shutdown terminate_and_probe(Agent &agent, std::chrono::milliseconds limit = 20s) {
    Shutdown seen;
    const auto start = Clock::now();
    agent.process().signal(SIGTERM);
    bool refused = false;
    while (Clock::now() - start < limit) {
        try {
            const auto live = http_get(agent.port(), "/health/live");
            const auto ready = http_get(agent.port(), "/health/ready");
            seen.answered_after_refusal |= refused;
            if (live.status == 200)
                ++seen.live_200;
            else
                seen.live_other.push_back(std::to_string(live.status) + " " + live.body);
            if (ready.status == 503) ++seen.ready_503;
            if (ready.status == 200 && seen.ready_503 > 0) ++seen.ready_200_after_503;
        } catch (const std::exception &) {
            refused = true; // the server has stopped: the agent is about to exit
        }
        seen.exit_code = agent.process().wait_for_exit(20ms);
        if (seen.exit_code >= 0) break;
    }
    seen.took = Clock::now() - start;
    return seen;
}

void check_probes_through_shutdown(const Shutdown &seen, std::size_t min_answers) {
    INFO("liveness answered 200 " << seen.live_200 << " times, readiness 503 " << seen.ready_503
                                  << " times");
    CHECK(seen.live_other.empty());
    if (!seen.live_other.empty()) MESSAGE("liveness also answered " << seen.live_other.front());
    CHECK(seen.live_200 >= min_answers);
    CHECK(seen.ready_503 >= min_answers);
    CHECK(seen.ready_200_after_503 == 0);
    CHECK_FALSE(seen.answered_after_refusal);
}

} // namespace

TEST_CASE("lifecycle: SIGTERM drains readiness first, liveness stays up, exit 0 in bounded time") {
    Agent agent{R"(
[check.up]
plugin = "sleepy"
interval = "100ms"
groups = ["live", "ready"]
)",
                "shutdown_delay = \"1500ms\"\n"};
    wait_until_not_pending(agent.port(), "up");
    REQUIRE(http_get(agent.port(), "/health/ready").status == 200);
    REQUIRE(http_get(agent.port(), "/health/live").status == 200);
    std::thread peek{[&] {
        // Once, mid-drain: the reason and the metric.
        std::this_thread::sleep_for(500ms);
        const auto ready = http_get(agent.port(), "/health/ready");
        CHECK(contains(ready.body, R"("reason":"draining: the agent is shutting down")"));
        CHECK(contains(http_get(agent.port(), "/metrics").body, "vitals_agent_draining 1"));
    }};
    const auto seen = terminate_and_probe(agent);
    peek.join();
    CHECK(seen.exit_code == 0);
    // Every 20 ms or so through 1.5 s of drain; a loaded machine gets fewer in.
    check_probes_through_shutdown(seen, 10);
    CHECK(seen.took >= 1400ms); // it waited out shutdown_delay
    CHECK(seen.took < 6s);
    CHECK(contains(agent.log(), "stopped"));
}

TEST_CASE("lifecycle: at SIGTERM the run in flight ends, then destroy() runs, and exit is 0") {
    TempDir plugins, state;
    install_versioned(1, plugins.path() / "versioned.so");
    const auto marker_file = state.path() / "marker";
    // Each run takes 1.5 s and the next follows at once: one is always in flight.
    Agent agent{"[check.slow]\nplugin = \"versioned\"\ninterval = \"100ms\"\ntimeout = \"5s\"\n"
                "groups = [\"live\"]\nparams = { sleep = \"1500ms\", marker = \"" +
                    marker_file.string() + "\" }\n",
                "",
                {},
                {plugins.path().string()}};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until(agent.port(), "slow", message_is("generation 1"), 10s);
    std::this_thread::sleep_for(300ms); // well inside the next run
    CHECK_FALSE(contains(read_file(marker_file), "destroyed"));

    const auto seen = terminate_and_probe(agent);
    CHECK(seen.exit_code == 0);
    check_probes_through_shutdown(seen, 3);
    CHECK(seen.took < 5s); // the run's own 1.5 s, not its 5 s timeout
    CHECK_FALSE(contains(agent.log(), "abandoned"));
    // The run in flight ended before the instance was destroyed, once, at the very end.
    const std::string marker = read_file(marker_file);
    INFO("marker file:\n" << marker);
    CHECK(marker.ends_with("ran generation 1\ndestroyed generation 1\n"));
    CHECK(marker.find("destroyed") == marker.rfind("destroyed"));
}

TEST_CASE("lifecycle: at SIGTERM a run that does not end is abandoned after the timeouts") {
    Agent agent{R"(
[check.stuck]
plugin = "sleepy"
interval = "100ms"
timeout = "1s"
params = { sleep = "60s" }

[check.up]
plugin = "sleepy"
interval = "100ms"
timeout = "2s"
groups = ["live"]
)"};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until(agent.port(), "stuck", [](const Object::Ptr &json) {
        return json->getValue<std::string>("message").starts_with("timed out after 1s");
    });
    const auto seen = terminate_and_probe(agent);
    CHECK(seen.exit_code == 0);
    check_probes_through_shutdown(seen, 3);
    // Runs in flight get the longest timeout of any check (2 s), then are left behind.
    CHECK(seen.took >= 1800ms);
    CHECK(seen.took < 8s);
    CHECK(contains(agent.log(), "still going after 2s; abandoned"));
}

TEST_CASE("lifecycle: a second SIGTERM exits at once") {
    Agent agent{"", "shutdown_delay = \"30s\"\n"};
    agent.process().signal(SIGTERM);
    REQUIRE(eventually([&] { return contains(agent.log(), "draining for 30s"); }));
    const auto start = Clock::now();
    agent.process().signal(SIGTERM);
    CHECK(agent.process().wait_for_exit(5s) == 0);
    CHECK(Clock::now() - start < 3s);
}

TEST_CASE("lifecycle: failure_threshold and success_threshold hold the reported status") {
    TempDir state;
    const auto file = state.path() / "status";
    write_word(file, "ok");
    Agent agent{R"(
[check.flaky]
plugin = "sleepy"
interval = "100ms"
failure_threshold = 3
success_threshold = 2
params = { status_file = ")" +
                file.string() + "\" }\n"};
    wait_until(agent.port(), "flaky", [](const Object::Ptr &json) {
        return json->getValue<std::string>("status") == "ok";
    });
    write_word(file, "error");
    // The first failures show in last_status while the reported status holds.
    const auto held = wait_until(agent.port(), "flaky", [](const Object::Ptr &json) {
        return json->getValue<std::string>("last_status") == "error";
    });
    CHECK(held->getValue<std::string>("status") == "ok");
    CHECK(held->getValue<std::uint64_t>("consecutive") < 3);
    const auto flipped = wait_until(agent.port(), "flaky", [](const Object::Ptr &json) {
        return json->getValue<std::string>("status") == "error";
    });
    CHECK(flipped->getValue<std::uint64_t>("consecutive") >= 3);
    write_word(file, "ok");
    const auto recovered = wait_until(agent.port(), "flaky", [](const Object::Ptr &json) {
        return json->getValue<std::string>("status") == "ok";
    });
    CHECK(recovered->getValue<std::uint64_t>("consecutive") >= 2);
}

TEST_CASE("lifecycle: warning and error alternating count as one run of failures") {
    TempDir state;
    const auto file = state.path() / "status";
    write_word(file, "ok");
    Agent agent{R"(
[check.flapping]
plugin = "sleepy"
interval = "100ms"
failure_threshold = 3
success_threshold = 2
params = { status_file = ")" +
                file.string() + "\" }\n"};
    const auto reported = [](const std::string &status) {
        return [status](const Object::Ptr &json) {
            return json->getValue<std::string>("status") == status;
        };
    };
    wait_until(agent.port(), "flapping", reported("ok"));
    // Never the same status twice in a row, yet every result is a failure: after three the
    // check reports the status all three reached, warning.
    write_word(file, "warning,error");
    const auto failing = wait_until(agent.port(), "flapping", reported("warning"));
    CHECK(consecutive(failing) == 1);
    // Errors alternating with warnings never make three errors in a row: not error.
    std::this_thread::sleep_for(1s);
    const auto still =
        wait_until(agent.port(), "flapping", [](const Object::Ptr &) { return true; });
    CHECK(still->getValue<std::string>("status") == "warning");
    write_word(file, "error");
    wait_until(agent.port(), "flapping", reported("error"));
    // Back the other way: two results in a row better than error, the best both kept to.
    write_word(file, "ok,warning");
    wait_until(agent.port(), "flapping", reported("warning"));
    write_word(file, "ok");
    wait_until(agent.port(), "flapping", reported("ok"));
}

TEST_CASE("lifecycle: readiness waits until every startup check has passed once") {
    TempDir state;
    const auto file = state.path() / "status";
    write_word(file, "error");
    Agent agent{R"(
[check.warmup]
plugin = "sleepy"
interval = "100ms"
groups = ["startup"]
params = { status_file = ")" +
                file.string() + R"(" }

[check.serving]
plugin = "sleepy"
interval = "100ms"
groups = ["ready"]
)"};
    wait_until_not_pending(agent.port(), "serving");
    wait_until_not_pending(agent.port(), "warmup");
    const auto ready = http_get(agent.port(), "/health/ready");
    CHECK(ready.status == 503);
    CHECK(contains(ready.body, "starting: not every startup check has passed yet"));
    CHECK(http_get(agent.port(), "/health/startup").status == 503);
    write_word(file, "ok");
    CHECK(eventually([&] { return http_get(agent.port(), "/health/ready").status == 200; }));
    CHECK(http_get(agent.port(), "/health/startup").status == 200);
    // Startup is done once: a later startup failure does not gate readiness again.
    write_word(file, "error");
    wait_until(agent.port(), "warmup", [](const Object::Ptr &json) {
        return json->getValue<std::string>("status") == "error";
    });
    CHECK(http_get(agent.port(), "/health/ready").status == 200);
}

TEST_CASE("lifecycle: a failing dependency suppresses its dependents") {
    TempDir state;
    const auto file = state.path() / "db";
    write_word(file, "ok");
    Agent agent{R"(
[check.db]
plugin = "sleepy"
interval = "100ms"
params = { status_file = ")" +
                file.string() + R"(", message = "db answers" }

[check.orders]
plugin = "sleepy"
interval = "100ms"
depends_on = ["db"]
params = { message = "orders fine" }
)"};
    wait_until(agent.port(), "orders", [](const Object::Ptr &json) {
        return json->getValue<std::string>("message") == "orders fine";
    });
    write_word(file, "error");
    const auto skipped = wait_until(agent.port(), "orders", [](const Object::Ptr &json) {
        return json->getValue<bool>("suppressed");
    });
    CHECK(skipped->getValue<std::string>("status") == "error");
    CHECK(skipped->getValue<std::string>("message") == "skipped: db is failing");
    CHECK(contains(http_get(agent.port(), "/metrics").body,
                   "vitals_check_suppressed{check=\"orders\",instance=\"" + vitals::host_name() +
                       "\"} 1"));
    write_word(file, "ok");
    wait_until(agent.port(), "orders", [](const Object::Ptr &json) {
        return !json->getValue<bool>("suppressed") && json->getValue<std::string>("status") == "ok";
    });
}

TEST_CASE("lifecycle: in a dependency chain each check names its own dependency") {
    TempDir state;
    const auto file = state.path() / "db";
    write_word(file, "ok");
    Agent agent{R"(
[check.db]
plugin = "sleepy"
interval = "100ms"
params = { status_file = ")" +
                file.string() + R"(" }

[check.api]
plugin = "sleepy"
interval = "100ms"
depends_on = ["db"]

[check.shop]
plugin = "sleepy"
interval = "100ms"
depends_on = ["api"]
)"};
    wait_until(agent.port(), "shop", [](const Object::Ptr &json) {
        return json->getValue<std::string>("status") == "ok";
    });
    write_word(file, "error");
    // api is skipped because db fails, shop because api is (suppressed) in error: each
    // names the check it depends on, and only the root cause is not suppressed.
    const auto shop = wait_until(agent.port(), "shop", [](const Object::Ptr &json) {
        return json->getValue<bool>("suppressed");
    });
    CHECK(shop->getValue<std::string>("message") == "skipped: api is failing");
    const auto api = json_at(agent.port(), "/health/checks/api");
    CHECK(api->getValue<bool>("suppressed"));
    CHECK(api->getValue<std::string>("message") == "skipped: db is failing");
    const auto db = json_at(agent.port(), "/health/checks/db");
    CHECK(db->getValue<std::string>("status") == "error");
    CHECK_FALSE(db->getValue<bool>("suppressed"));
}

TEST_CASE("lifecycle: dependency cycles and unknown dependencies are config errors") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    const auto checks = dir.write("conf.d/checks.toml", R"([check.a]
plugin = "sleepy"
depends_on = ["b"]

[check.b]
plugin = "sleepy"
depends_on = ["c"]

[check.c]
plugin = "sleepy"
depends_on = ["a", "ghost"]
)");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output,
                   checks.string() +
                       ":3:14: check.a.depends_on: dependency cycle: a -> b -> c -> a"));
    CHECK(contains(result.output,
                   checks.string() + ":11:14: check.c.depends_on: no check named 'ghost'"));
}

namespace {

/// Whether the agent has `library` mapped.
bool maps_library(Agent &agent, const std::string &library) {
    return maps(agent.process().pid(), library);
}

std::string postgres_check(bool enabled) {
    // Port 1 on loopback: refused at once, so a run never lingers.
    return std::string{"[check.db]\nplugin = \"postgres\"\ninterval = \"1h\"\nenabled = "} +
           (enabled ? "true" : "false") + "\nparams = { host = \"127.0.0.1\", port = 1 }\n";
}

} // namespace

TEST_CASE("lifecycle: only plugins a running check uses stay loaded") {
    Agent agent{two_checks};
    agent.dir().write("conf.d/db.toml", postgres_check(false));
    reload(agent);
    wait_until_not_pending(agent.port(), "steady");
    // Loaded to validate the disabled check, then closed with libpq and its dependencies.
    CHECK(maps_library(agent, "sleepy.so"));
    CHECK(eventually([&] { return !maps_library(agent, "postgres.so"); }));
    CHECK_FALSE(maps_library(agent, "libpq.so"));
    CHECK(contains(http_get(agent.port(), "/metrics").body,
                   "vitals_plugin_info{plugin=\"postgres\""));

    agent.dir().write("conf.d/db.toml", postgres_check(true));
    reload(agent);
    wait_until_not_pending(agent.port(), "db");
    CHECK(maps_library(agent, "postgres.so"));
    CHECK(maps_library(agent, "libpq.so"));

    agent.dir().write("conf.d/db.toml", postgres_check(false));
    reload(agent);
    CHECK(eventually([&] { return !maps_library(agent, "postgres.so"); }));
    CHECK_FALSE(maps_library(agent, "libpq.so"));
}

TEST_CASE("lifecycle: plugins no check names are never loaded, nor what they link") {
    // Opening a plugin runs its constructors in the agent, and what it links may stay
    // mapped for good (p11-kit, through libpq, marks itself NODELETE).
    Agent agent{two_checks};
    wait_until_not_pending(agent.port(), "steady");
    CHECK(maps_library(agent, "sleepy.so"));
    for (const std::string library :
         {"amqp.so", "postgres.so", "tls_cert.so", "libpq.so", "libp11-kit.so"})
        CHECK_MESSAGE(!maps_library(agent, library), library);
    // A check naming a plugin still finds it: a reload adds one that was never loaded.
    agent.dir().write("conf.d/db.toml", postgres_check(true));
    reload(agent);
    wait_until_not_pending(agent.port(), "db");
    CHECK(maps_library(agent, "postgres.so"));
}

TEST_CASE("lifecycle: reload requests coalesce, one made during a reload is one more") {
    std::mutex mutex;
    std::condition_variable_any changed;
    int started = 0;      // guarded by mutex
    bool release = false; // guarded by mutex
    bool gave_up = false; // guarded by mutex
    const auto started_is = [&](int count) {
        const std::lock_guard lock{mutex};
        return started == count;
    };
    // Each reload holds until released, or until stop() tells it to give up.
    vitals::ReloadThread reloads{[&](std::stop_token stop) {
        std::unique_lock lock{mutex};
        ++started;
        changed.wait(lock, stop, [&] { return release; });
        gave_up = stop.stop_requested();
    }};
    reloads.request();
    REQUIRE(eventually([&] { return started_is(1); }));

    SUBCASE("requests made while one runs: one reload after it") {
        for (int i = 0; i < 3; ++i) // SIGHUPs and the watcher's own, say
            reloads.request();
        {
            const std::lock_guard lock{mutex};
            release = true;
        }
        changed.notify_all();
        REQUIRE(eventually([&] { return started_is(2); }));
        std::this_thread::sleep_for(300ms); // a third one would start at once
        reloads.stop();
        CHECK(started_is(2));
    }
    SUBCASE("stop() gives up the reload in progress and starts no other") {
        reloads.request();
        reloads.stop();
        const std::lock_guard lock{mutex};
        CHECK(gave_up);
        CHECK(started == 1);
    }
}
