// Process isolation below the HTTP layer: the wire format, a ProcessRunner's worker
// lifecycle, and what isolation costs per run. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "app/check_builder.hpp"
#include "core/duration.hpp"
#include "fault_fixture.hpp"
#include "isolation/process_runner.hpp"
#include "isolation/wire.hpp"
#include "isolation/worker_process.hpp"
#include "support/check_fixture.hpp"

namespace {

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

/// Workers are started from vitalsd, not from this test binary.
struct UseVitalsdAsWorker {
    UseVitalsdAsWorker() { ProcessRunner::set_worker_program(VITALSD_PATH); }
};
const UseVitalsdAsWorker use_vitalsd_as_worker;

std::shared_ptr<const PluginLibrary> plugin_named(const std::string &name) {
    const std::string dir =
        name.starts_with("fault_") ? VITALS_FAULT_PLUGIN_DIR : VITALS_TEST_PLUGIN_DIR;
    return PluginLibrary::open(dir + "/" + name + ".so");
}

std::shared_ptr<Check> isolated_check(const CheckDefinition &base,
                                      const IsolationSettings &settings = {}) {
    CheckDefinition definition = base;
    definition.isolation = Isolation::process;
    definition.isolation_set = true;
    ConfigErrors errors;
    auto check = create_check(definition, plugin_named(definition.plugin), errors, settings);
    if (!check) FAIL((errors.empty() ? std::string{"no check"} : errors.front().to_string()));
    return check;
}

CheckResult run_once(Check &check, std::chrono::nanoseconds timeout = 5s) {
    return check.run(Clock::now() + timeout);
}

std::size_t worker_count() {
    return workers_of(::getpid()).size();
}

} // namespace

TEST_CASE("wire: every message survives a round trip") {
    wire::CreateRequest create;
    create.plugin_file = "/usr/lib/vitals/plugins/disk.so";
    create.check_name = "root_disk";
    create.params_toml = "path = \"/\"\n";
    create.interval = 30s;
    create.timeout = 5s;
    create.memory_limit = 256u << 20;
    create.cpu_time_limit = 2s;
    create.log_level = 2;
    CheckResult result;
    result.status = Status::warning;
    result.message = "héllo";
    result.duration = 1234ns;
    result.metrics = {{"exact", 0.1 + 0.2, "ratio"}, {"tiny", 5e-324, ""}};
    const std::vector<wire::Message> messages{
        create, wire::RunRequest{750ms},
        wire::CreateReply{{{"check.x.params.port", "must be below 65536"}}},
        wire::RunReply{result}};
    for (const auto &message : messages) {
        const std::string frame = wire::encode(message);
        REQUIRE(wire::frame_length(frame.data()) == frame.size() - wire::frame_prefix_bytes);
        const auto decoded = wire::decode(std::string_view{frame}.substr(wire::frame_prefix_bytes));
        REQUIRE(decoded);
        CHECK(decoded->index() == message.index());
    }
    const std::string frame = wire::encode(wire::RunReply{result});
    const auto back = wire::decode(std::string_view{frame}.substr(wire::frame_prefix_bytes));
    const auto &reply = std::get<wire::RunReply>(*back).result;
    CHECK(reply.status == Status::warning);
    CHECK(reply.message == "héllo");
    CHECK(reply.duration == 1234ns);
    REQUIRE(reply.metrics.size() == 2);
    CHECK(reply.metrics[0].value == 0.1 + 0.2); // bit for bit, not via text
    CHECK(reply.metrics[1].value == 5e-324);
    CHECK(reply.metrics[0].unit == "ratio");
    const auto created =
        wire::decode(std::string_view{wire::encode(create)}.substr(wire::frame_prefix_bytes));
    CHECK(std::get<wire::CreateRequest>(*created).params_toml == create.params_toml);
    CHECK(std::get<wire::CreateRequest>(*created).memory_limit == create.memory_limit);
}

TEST_CASE("wire: a malformed payload is refused, never half-read") {
    const std::string frame = wire::encode(wire::RunReply{CheckResult{}});
    const std::string payload = frame.substr(wire::frame_prefix_bytes);
    CHECK_FALSE(wire::decode(""));
    CHECK_FALSE(wire::decode(payload.substr(0, payload.size() - 1))); // truncated
    CHECK_FALSE(wire::decode(payload + "x"));                         // trailing bytes
    CHECK_FALSE(wire::decode(std::string{"\x09"}));                   // unknown kind
    std::string bad_status = payload;
    bad_status[1] = 3; // Status has 0..2
    CHECK_FALSE(wire::decode(bad_status));
    std::string huge_string = payload;
    huge_string[2] = '\xff'; // message length far beyond the payload
    CHECK_FALSE(wire::decode(huge_string));
}

TEST_CASE("worker exits are described by signal name or exit code") {
    CHECK(describe_worker_exit(SIGSEGV) == "plugin crashed: SIGSEGV"); // as waitpid reports it
    CHECK(describe_worker_exit(SIGABRT) == "plugin crashed: SIGABRT");
    CHECK(describe_worker_exit(SIGKILL, " in create()") == "plugin crashed in create(): SIGKILL");
    CHECK(describe_worker_exit(3 << 8) == "worker exited with code 3");
}

TEST_CASE("an isolated check reports exactly what the plugin reported") {
    const auto check = isolated_check(
        definition("iso", "sleepy", "message = \"fine\"\nextra_metric = \"exact\"\n"));
    CHECK(worker_count() == 1);
    const auto started = std::chrono::system_clock::now();
    const auto result = run_once(*check);
    CHECK(result.status == Status::ok);
    CHECK(result.message == "fine");
    CHECK(result.started >= started);
    REQUIRE(result.metrics.size() == 3);
    CHECK(result.metrics[0].name == "runs");
    CHECK(result.metrics[0].value == 1);
    CHECK(result.metrics[2].value == 42.5);
    // The same instance lives on between runs.
    CHECK(run_once(*check).metrics[0].value == 2);
}

TEST_CASE("a destroyed check takes its worker with it") {
    auto check = isolated_check(definition("iso", "sleepy", ""));
    REQUIRE(worker_count() == 1);
    check.reset();
    CHECK(worker_count() == 0);
    CHECK(children_of(::getpid()).empty()); // reaped, not a zombie
}

TEST_CASE("a run past its deadline kills the worker in time and reports it") {
    const auto check = isolated_check(definition("hang", "fault_hang", "", 1s, 400ms));
    const auto start = Clock::now();
    const auto deadline = start + 400ms;
    const auto result = check->run(deadline);
    const auto returned = Clock::now();
    CHECK(result.status == Status::error);
    CHECK(result.message == "killed after timeout (400ms)");
    // Before the scheduler's deadline (so it is this result the store keeps), by the margin.
    CHECK(returned < deadline);
    CHECK(returned >= deadline - ProcessRunner::kill_margin(400ms) - 5ms);
    CHECK(worker_count() == 0);
}

TEST_CASE("after a crash a run waits out the backoff, which doubles") {
    // A backoff of seconds, so that a busy machine's delays between the steps below, which
    // eat into what is left of it, stay far from the margins the checks need.
    IsolationSettings settings;
    settings.respawn_backoff = 1s;
    const auto check = isolated_check(definition("crash", "fault_segfault", ""), settings);
    CHECK(run_once(*check).message == "plugin crashed: SIGSEGV");
    CHECK(worker_count() == 0);
    const auto waiting = run_once(*check);
    CHECK(waiting.status == Status::error);
    CHECK(waiting.message.starts_with("worker restarting after crash (retry in "));
    CHECK(waiting.duration < settings.respawn_backoff); // answered at once, not waited out
    std::this_thread::sleep_for(settings.respawn_backoff + 10ms);
    CHECK(run_once(*check).message == "plugin crashed: SIGSEGV"); // a new worker, a new crash
    const auto next = run_once(*check).message;
    INFO(next);
    // Doubled: more than the first backoff is left now.
    const auto from = next.find("retry in ") + 9;
    const auto retry = vitals::parse_duration(next.substr(from, next.find(')', from) - from));
    REQUIRE(retry);
    CHECK(*retry > settings.respawn_backoff);
    CHECK(*retry <= 2 * settings.respawn_backoff);
}

TEST_CASE("a worker that recovers resets the backoff") {
    TempDir scratch;
    IsolationSettings settings;
    settings.respawn_backoff = 0ms;
    const auto check =
        isolated_check(definition("once", "fault_crash_once",
                                  "marker = \"" + (scratch.path() / "marker").string() + "\"\n"),
                       settings);
    CHECK(run_once(*check).message == "plugin crashed: SIGSEGV");
    CHECK(run_once(*check).message == "recovered"); // no backoff: started again at once
    CHECK(run_once(*check).message == "recovered");
    CHECK(worker_count() == 1);
}

TEST_CASE("what process isolation costs per run") {
    // A trivial plugin (sleepy with sleep = 0s), 200 runs each way, after a warm-up run.
    constexpr int runs = 200;
    const auto measure = [&](Check &check) {
        run_once(check);
        std::vector<std::chrono::nanoseconds> times;
        for (int i = 0; i < runs; ++i) {
            const auto start = Clock::now();
            const auto result = run_once(check);
            times.push_back(Clock::now() - start);
            REQUIRE(result.status == Status::ok);
        }
        std::sort(times.begin(), times.end());
        return std::pair{times[runs / 2], times[runs * 9 / 10]};
    };
    const auto in_process = make_check(definition("fast", "sleepy", ""));
    const auto isolated = isolated_check(definition("fast", "sleepy", ""));
    const auto [in_median, in_p90] = measure(*in_process);
    const auto [iso_median, iso_p90] = measure(*isolated);
    // And what a fresh worker costs: spawn, exec, load the plugin, create().
    std::vector<std::chrono::nanoseconds> spawns;
    for (int i = 0; i < 20; ++i) {
        const auto start = Clock::now();
        isolated_check(definition("fresh", "sleepy", ""));
        spawns.push_back(Clock::now() - start);
    }
    std::sort(spawns.begin(), spawns.end());
    const auto us = [](std::chrono::nanoseconds t) { return t.count() / 1000.0; };
    MESSAGE("per run, median (p90) of "
            << runs << ": in process " << us(in_median) << " us (" << us(in_p90)
            << " us), isolated " << us(iso_median) << " us (" << us(iso_p90)
            << " us); worker start + "
            << "create + teardown, median of 20: " << us(spawns[spawns.size() / 2]) << " us");
}
