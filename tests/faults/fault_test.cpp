// Each fault plugin next to healthy checks in the real vitalsd: the agent survives, the
// healthy checks keep their schedule, /health/live keeps answering fast, and the faulty
// check reports a clear error. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <thread>

#include "fault_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace std::chrono_literals;

std::string fault_check(const std::string &plugin, const std::string &settings,
                        const std::string &name = "faulty") {
    return "[check." + name + "]\nplugin = \"" + plugin + "\"\ngroups = [\"live\"]\n" + settings +
           "\n";
}

/// The part every scenario shares: start, wait for the fault's message, watch the rest.
Object::Ptr expect_contained(FaultAgent &agent, const std::string &check,
                             const std::function<bool(const Object::Ptr &)> &reported,
                             std::chrono::milliseconds limit = 5s) {
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    LiveSampler live{agent.port()};
    auto json = wait_until(agent.port(), check, reported, limit);
    check_healthy_on_schedule(agent.port());
    check_live_fast(live.stop());
    CHECK(agent.alive());
    CHECK(lasting_zombies(agent.pid()).empty());
    return json;
}

} // namespace

TEST_CASE("a plugin that segfaults costs its worker only, and is restarted with backoff") {
    // Isolated through agent.toml's [isolation] plugins rather than the check.
    FaultAgent agent{std::string{healthy_checks} +
                         fault_check("fault_segfault", "interval = \"100ms\""),
                     "[isolation]\nplugins = [\"fault_segfault\"]\nrespawn_backoff = \"300ms\"\n"};
    // A crash shows until the next run, 100 ms later: look in the history, not only the latest.
    expect_contained(agent, "faulty",
                     history_has(agent.port(), "faulty", "plugin crashed: SIGSEGV"));
    // Within the backoff a run says so at once instead of starting a worker.
    const auto waiting =
        wait_until(agent.port(), "faulty", message_starts_with("worker restarting after crash"));
    CHECK(message_of(waiting).find("(retry in ") != std::string::npos);
    CHECK(waiting->getValue<double>("duration_seconds") < 0.01);
    CHECK(agent.log().find("faulty: plugin crashed: SIGSEGV; next worker in") != std::string::npos);
}

TEST_CASE("a plugin that aborts is reported as SIGABRT") {
    FaultAgent agent{std::string{healthy_checks} +
                     fault_check("fault_abort", "interval = \"200ms\"\nisolation = \"process\"")};
    expect_contained(agent, "faulty",
                     history_has(agent.port(), "faulty", "plugin crashed: SIGABRT"));
}

TEST_CASE("a plugin that calls exit() is reported with its exit code") {
    FaultAgent agent{std::string{healthy_checks} +
                     fault_check("fault_exit", "interval = \"200ms\"\nisolation = \"process\"")};
    expect_contained(agent, "faulty",
                     history_has(agent.port(), "faulty", "worker exited with code 3"));
}

TEST_CASE("an in-process plugin that calls exit(0) ends the agent with 70 and names its check") {
    std::string params = "code = 0";
    std::string call = "exit()";
    SUBCASE("exit(0)") {}
    SUBCASE("quick_exit(0)") {
        params += ", quick = true";
        call = "quick_exit()";
    }
    FaultAgent agent{healthy_checks};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    // Dropped in once the agent runs, so it cannot exit before the test knows its port.
    agent.dir().write(
        "conf.d/exit.toml",
        fault_check("fault_exit", "interval = \"200ms\"\nparams = { " + params + " }"));
    agent.process().signal(SIGHUP);
    CHECK(agent.process().wait_for_exit(30s) == 70); // EX_SOFTWARE: systemd restarts it
    CHECK(agent.log().find("called " + call + " in check 'faulty' (run())") != std::string::npos);
}

TEST_CASE("an isolated plugin that hangs for ever is killed at its timeout") {
    FaultAgent agent{std::string{healthy_checks} +
                     fault_check("fault_hang", "interval = \"1s\"\ntimeout = \"500ms\"\n"
                                               "isolation = \"process\"")};
    const auto json =
        expect_contained(agent, "faulty", message_starts_with("killed after timeout (500ms)"));
    // The run ended a little before the scheduler's own deadline, so this is its result.
    CHECK(json->getValue<double>("duration_seconds") < 0.5 * sanitizer_slowdown);
    CHECK(workers_of(agent.pid()).size() <= 2); // healthy_isolated's, and at most one hanging
}

TEST_CASE("in process, a hung call holds its thread but the others stay on time") {
    // Three hung checks, in the live group as the healthy ones are: each holds its place
    // (of the probe reserve first, then of the two `workers`) and its thread, stuck, and
    // the healthy checks run in the places left.
    std::string checks{healthy_checks};
    for (const char *name : {"hung1", "hung2", "hung3"})
        checks += fault_check(
            "fault_hang", "interval = \"200ms\"\ntimeout = \"300ms\"\nparams = { for = \"3s\" }",
            name);
    FaultAgent agent{checks, "workers = 2\n"};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    LiveSampler live{agent.port()};
    const auto first =
        wait_until(agent.port(), "hung1", message_starts_with("timed out after 300ms"));
    // Not started again until the call returns (3 s after it began): the result stays put.
    const auto last_run = first->getValue<std::string>("last_run");
    check_healthy_on_schedule(agent.port(), 1500ms);
    const auto later = wait_until(agent.port(), "hung1", [](const Object::Ptr &) { return true; });
    CHECK(later->getValue<std::string>("last_run") == last_run);
    CHECK(consecutive(later) == 1);
    // Once it has returned, its late result is dropped and it runs (and hangs) again.
    wait_until(
        agent.port(), "hung1",
        [&](const Object::Ptr &json) {
            return json->getValue<std::string>("last_run") != last_run;
        },
        5s);
    check_live_fast(live.stop());
    CHECK(agent.log().find("hung1: late result after timeout dropped") != std::string::npos);
}

TEST_CASE("a plugin that throws reports the exception's text, in process and isolated") {
    FaultAgent agent{std::string{healthy_checks} +
                     fault_check("fault_throw", "interval = \"200ms\"") +
                     fault_check("fault_throw", "interval = \"200ms\"\nisolation = \"process\"",
                                 "faulty_isolated")};
    for (const char *name : {"faulty", "faulty_isolated"})
        expect_contained(agent, name, [](const Object::Ptr &json) {
            return message_of(json) == "check threw: fault_throw: deliberate";
        });
}

TEST_CASE("an exception thrown straight through the C ABI is an error, in process and isolated") {
    // No SDK wrapper: the agent's own catch around the call is all there is.
    FaultAgent agent{std::string{healthy_checks} +
                     fault_check("fault_throw_raw", "interval = \"200ms\"") +
                     fault_check("fault_throw_raw", "interval = \"200ms\"\nisolation = \"process\"",
                                 "faulty_isolated")};
    for (const char *name : {"faulty", "faulty_isolated"}) {
        const auto json = expect_contained(agent, name, [](const Object::Ptr &check) {
            return !check->getValue<bool>("pending");
        });
        CHECK(text(json, "status") == "error");
        CHECK(message_of(json) == "plugin let an exception escape run(): fault_throw_raw: in run");
    }
}

TEST_CASE("an exception through the C ABI from create() or destroy() costs the check only") {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "conf.d");
    const auto config = dir.write(
        "agent.toml", "plugin_dirs = [\"" VITALS_FAULT_PLUGIN_DIR "\"]\nconf_d = \"" +
                          (dir.path() / "conf.d").string() + "\"\nstate_dir = \"state\"\n");
    const auto file = dir.write("conf.d/checks.toml", R"([check.in_process]
plugin = "fault_throw_raw"
params = { throw_in = "create" }

[check.isolated]
plugin = "fault_throw_raw"
isolation = "process"
params = { throw_in = "create" }
)");
    SUBCASE("create(): a configuration error, in process and isolated") {
        const auto result =
            run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
        INFO(result.output);
        CHECK(result.exit_code == 78);
        CHECK(result.output.find(file.string() +
                                 ":1:1: check.in_process.params: plugin let an exception escape "
                                 "create(): fault_throw_raw: in create") != std::string::npos);
        CHECK(result.output.find(file.string() +
                                 ":5:1: check.isolated.params: plugin let an exception escape "
                                 "create(): fault_throw_raw: in create") != std::string::npos);
    }
    SUBCASE("create() in a reload: the running configuration stays, the agent too") {
        FaultAgent agent{std::string{healthy_checks}};
        INFO("vitalsd's log:\n" << agent.log());
        // Both, before live is asked: a check still pending (its first run comes after a
        // splay of up to 1 s) makes /health/live 503 on its own.
        wait_until_not_pending(agent.port(), "healthy");
        wait_until_not_pending(agent.port(), "healthy_isolated");
        agent.dir().write("conf.d/throws.toml", read_text(file));
        const auto before = agent.log().size();
        agent.process().signal(SIGHUP);
        const auto give_up = Clock::now() + 10s;
        while (agent.log().find("stays in force", before) == std::string::npos &&
               Clock::now() < give_up)
            std::this_thread::sleep_for(20ms);
        CHECK(agent.log().find("the running configuration stays in force", before) !=
              std::string::npos);
        CHECK(agent.alive());
        CHECK(http_get(agent.port(), "/health/live").status == 200);
        check_healthy_on_schedule(agent.port(), 1s);
    }
    SUBCASE("destroy(): logged when the check goes, in process and isolated") {
        FaultAgent agent{std::string{healthy_checks} +
                         fault_check("fault_throw_raw", "params = { throw_in = \"destroy\" }") +
                         fault_check("fault_throw_raw",
                                     "isolation = \"process\"\nparams = { throw_in = \"destroy\" }",
                                     "faulty_isolated")};
        INFO("vitalsd's log:\n" << agent.log());
        wait_until_not_pending(agent.port(), "faulty");
        wait_until_not_pending(agent.port(), "faulty_isolated");
        agent.process().signal(SIGTERM);
        CHECK(agent.process().wait_for_exit(15s) == 0);
        const std::string log = agent.log();
        CHECK(log.find("faulty: plugin let an exception escape destroy(): fault_throw_raw: in "
                       "destroy") != std::string::npos);
        CHECK(log.find("faulty_isolated: plugin let an exception escape destroy(): "
                       "fault_throw_raw: in destroy") != std::string::npos);
        CHECK(log.find("stopped") != std::string::npos);
    }
}

TEST_CASE("an invalid status is an error naming it, in process and isolated") {
    FaultAgent agent{
        std::string{healthy_checks} + fault_check("fault_bad_status", "interval = \"200ms\"") +
        fault_check("fault_bad_status", "interval = \"200ms\"\nisolation = \"process\"",
                    "faulty_isolated")};
    for (const char *name : {"faulty", "faulty_isolated"}) {
        const auto json = expect_contained(agent, name, [](const Object::Ptr &check) {
            return !check->getValue<bool>("pending");
        });
        CHECK(text(json, "status") == "error");
        CHECK(message_of(json) == "plugin reported invalid status 7: seven is not a status");
    }
}

TEST_CASE("a 1 MiB message is cut to 4 KiB at a character boundary, in process and isolated") {
    // A second to run: taking in 1 MiB took longer than 200 ms under TSan on a busy machine.
    FaultAgent agent{std::string{healthy_checks} +
                     fault_check("fault_big_message", "interval = \"1s\"") +
                     fault_check("fault_big_message", "interval = \"1s\"\nisolation = \"process\"",
                                 "faulty_isolated")};
    for (const char *name : {"faulty", "faulty_isolated"}) {
        const auto json = expect_contained(agent, name, [](const Object::Ptr &check) {
            return !check->getValue<bool>("pending");
        });
        CHECK(text(json, "status") == "warning");
        const std::string message = message_of(json);
        // "big", 2046 two-byte characters (4095 bytes: one more would pass 4096), then "…".
        CHECK(message.size() == 4095 + std::string{"…"}.size());
        CHECK(message.starts_with("bigé"));
        CHECK(message.ends_with("é…"));
    }
}

TEST_CASE("NaN and infinite metrics are dropped, in process and isolated") {
    FaultAgent agent{
        std::string{healthy_checks} + fault_check("fault_nan_metrics", "interval = \"200ms\"") +
        fault_check("fault_nan_metrics", "interval = \"200ms\"\nisolation = \"process\"",
                    "faulty_isolated")};
    for (const char *name : {"faulty", "faulty_isolated"}) {
        const auto json = expect_contained(agent, name, [](const Object::Ptr &check) {
            return !check->getValue<bool>("pending");
        });
        CHECK(text(json, "status") == "ok");
        REQUIRE(json->getArray("metrics")->size() == 1);
        CHECK(metric(json, "finite") == 1.5);
    }
    // And every other rendering of them stays valid.
    const std::string exposition = http_get(agent.port(), "/metrics").body;
    CHECK(exposition.find(" NaN\n") == std::string::npos);
    CHECK(exposition.find("Inf\n") == std::string::npos);
    CHECK_NOTHROW(parse(http_get(agent.port(), "/health").body));
}

TEST_CASE("an unbounded allocation dies quickly at memory_limit, in its worker") {
    if (shadow_memory_sanitizer) {
        MESSAGE("not under ASan or TSan: their shadow memory leaves no room for any RLIMIT_AS");
        return;
    }
    FaultAgent agent{std::string{healthy_checks} +
                         fault_check("fault_alloc", "interval = \"1s\"\ntimeout = \"10s\"\n"
                                                    "isolation = \"process\""),
                     "[isolation]\nmemory_limit = \"128MiB\"\n"};
    const auto json = expect_contained(agent, "faulty", message_starts_with("plugin crashed: SIG"));
    MESSAGE("allocator: " << message_of(json) << " after "
                          << json->getValue<double>("duration_seconds") << " s");
    CHECK(message_of(json) == "plugin crashed: SIGSEGV"); // malloc returned NULL at the limit
    CHECK(json->getValue<double>("duration_seconds") < 2.0);
    // The agent itself never held that memory.
    const std::string status = read_text("/proc/" + std::to_string(agent.pid()) + "/status");
    const auto rss = status.find("VmRSS:");
    REQUIRE(rss != std::string::npos);
    CHECK(std::stol(status.substr(rss + 6)) < 100 * 1024); // kB
}

TEST_CASE("cpu_time_limit ends a worker spinning on the CPU") {
    // A timeout far beyond the CPU limit: only the limit can end this run, however slowly a
    // busy machine hands the worker its CPU seconds.
    FaultAgent agent{std::string{healthy_checks} +
                         fault_check("fault_hang", "interval = \"1s\"\ntimeout = \"60s\"\n"
                                                   "isolation = \"process\"\n"
                                                   "params = { busy = true }"),
                     "[isolation]\ncpu_time_limit = \"1s\"\n"};
    // The run took longer than the interval, so the next one follows at once and replaces
    // the crash as the current result: look for it in the history.
    expect_contained(agent, "faulty",
                     history_has(agent.port(), "faulty", "plugin crashed: SIGXCPU"), 40s);
    const auto history =
        parse(http_get(agent.port(), "/health/checks/faulty?history").body)->getArray("history");
    for (std::size_t i = 0; i < history->size(); ++i) {
        const auto result = history->getObject(static_cast<unsigned>(i));
        if (!text(result, "message").starts_with("plugin crashed")) continue;
        CHECK(text(result, "message") == "plugin crashed: SIGXCPU (over cpu_time_limit 1s)");
        // 1 to 2 s of CPU (the limit counts whole seconds); on an idle machine as much wall time.
        MESSAGE("SIGXCPU after " << result->getValue<double>("duration_seconds") << " s");
    }
    // A stop now would wait for the next spinning run's 60 s timeout.
    agent.process().signal(SIGKILL);
    agent.process().wait_for_exit(5s);
}

TEST_CASE("a plugin that sleeps in create() delays startup in process only") {
    SUBCASE("in process: the agent listens only after create() returned") {
        FaultAgent agent{std::string{healthy_checks} +
                         fault_check("fault_slow_create", "interval = \"200ms\"")};
        MESSAGE("in process: listening after " << agent.time_to_listen().count() << " ms");
        CHECK(agent.time_to_listen() >= 2s);
        expect_contained(agent, "faulty", message_starts_with("created at last"));
    }
    SUBCASE("isolated: startup waits at most the check's timeout, runs report the wait") {
        FaultAgent agent{std::string{healthy_checks} + fault_check("fault_slow_create",
                                                                   "interval = \"200ms\"\n"
                                                                   "timeout = \"500ms\"\n"
                                                                   "isolation = \"process\"")};
        MESSAGE("isolated: listening after " << agent.time_to_listen().count() << " ms");
        CHECK(agent.time_to_listen() < 1500ms);
        CHECK(agent.log().find("create() has not returned within 500ms") != std::string::npos);
        const auto waiting = wait_until(agent.port(), "faulty", [](const Object::Ptr &check) {
            return !check->getValue<bool>("pending");
        });
        CHECK(message_of(waiting).starts_with("plugin still in create() after "));
        expect_contained(agent, "faulty", message_starts_with("created at last"));
    }
}

TEST_CASE("a worker that crashed is started again and the check recovers") {
    TempDir scratch;
    const auto marker = (scratch.path() / "crashed-once").string();
    FaultAgent agent{std::string{healthy_checks} +
                         fault_check("fault_crash_once", "interval = \"100ms\"\n"
                                                         "isolation = \"process\"\n"
                                                         "params = { marker = \"" +
                                                             marker + "\" }"),
                     "[isolation]\nrespawn_backoff = \"200ms\"\n"};
    INFO("vitalsd's log:\n" << agent.log());
    const auto recovered = wait_until(agent.port(), "faulty", [](const Object::Ptr &json) {
        return message_of(json) == "recovered";
    });
    CHECK(text(recovered, "status") == "ok");
    // Before that: the crash, then runs that waited out the 200 ms backoff.
    CHECK(history_has(agent.port(), "faulty", "plugin crashed: SIGSEGV")(recovered));
    CHECK(
        history_has(agent.port(), "faulty", "worker restarting after crash (retry in ")(recovered));
    // One crash, one new worker: the log names the crash once.
    const std::string log = agent.log();
    const auto crash = log.find("faulty: plugin crashed: SIGSEGV; next worker in 200ms");
    CHECK(crash != std::string::npos);
    CHECK(log.find("faulty: plugin crashed", crash + 1) == std::string::npos);
    check_healthy_on_schedule(agent.port(), 1s);
}

TEST_CASE("no worker and no zombie is left once the agent stops") {
    std::string checks{healthy_checks};
    // Shutdown gives runs in flight their timeout, so it is short here.
    checks += fault_check("fault_hang",
                          "interval = \"1s\"\ntimeout = \"3s\"\n"
                          "isolation = \"process\"",
                          "hanging");
    checks +=
        fault_check("fault_segfault", "interval = \"100ms\"\nisolation = \"process\"", "crashing");
    for (const int stop_signal : {SIGTERM, SIGKILL}) {
        CAPTURE(stop_signal);
        FaultAgent agent{checks, "[isolation]\nrespawn_backoff = \"100ms\"\n"};
        wait_until(agent.port(), "crashing",
                   history_has(agent.port(), "crashing", "plugin crashed: SIGSEGV"));
        // healthy_isolated's worker and the one stuck in run(); crashing's comes and goes.
        std::vector<pid_t> workers;
        for (const auto &worker : workers_of(agent.pid()))
            workers.push_back(worker.pid);
        CHECK(workers.size() >= 2);
        CHECK(lasting_zombies(agent.pid()).empty());

        agent.process().signal(stop_signal);
        // SIGTERM: a clean exit once the hanging run's 3 s timeout is over; SIGKILL: killed.
        CHECK(agent.process().wait_for_exit(15s) == (stop_signal == SIGTERM ? 0 : 128 + SIGKILL));
        // Orphans would have been adopted by init: look them up by PID.
        const auto give_up = Clock::now() + 5s;
        auto left = [&] { return std::count_if(workers.begin(), workers.end(), is_worker); };
        while (left() > 0 && Clock::now() < give_up)
            std::this_thread::sleep_for(50ms);
        CHECK(left() == 0);
    }
}

TEST_CASE("configuration errors of isolated checks point at the agent's own file and line") {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "conf.d");
    const auto config = dir.write(
        "agent.toml", "plugin_dirs = [\"" VITALS_TEST_PLUGIN_DIR "\", \"" VITALS_FAULT_PLUGIN_DIR
                      "\"]\nconf_d = \"" +
                          (dir.path() / "conf.d").string() + "\"\nstate_dir = \"state\"\n");
    const auto file = (dir.path() / "conf.d" / "checks.toml").string();
    dir.write("conf.d/checks.toml", R"([check.typo]
plugin = "sleepy"
isolation = "process"
params = { bogus = 1 }

[check.refused]
plugin = "sleepy"
isolation = "process"

[check.refused.params]
# create() itself refuses this one, in the worker, whose reprinted copy has it on line 2
message = "x"
reject = "sleepy says no"

[check.crashes_in_create]
plugin = "fault_segfault"
isolation = "process"
params = { in_create = true }
)");
    const auto isolated = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(isolated.output);
    CHECK(isolated.exit_code == 78);
    // Found in the agent against the plugin's table, before any worker.
    CHECK(
        isolated.output.find(file + ":4:20: check.typo.params.bogus: unknown parameter 'bogus'") !=
        std::string::npos);
    // Found by create() in the worker, located in the agent's own table.
    CHECK(isolated.output.find(file + ":13:10: check.refused.params.reject: sleepy says no") !=
          std::string::npos);
    CHECK(isolated.output.find(file + ":15:1: check.crashes_in_create: plugin crashed in "
                                      "create(): SIGSEGV") != std::string::npos);

    // The same file in process reports the first two identically.
    std::string in_process = read_text(file);
    std::size_t at = 0;
    while ((at = in_process.find("isolation = \"process\"", at)) != std::string::npos)
        in_process.replace(at, 21, "isolation = \"in_process\"");
    in_process.resize(in_process.find("[check.crashes_in_create]"));
    dir.write("conf.d/checks.toml", in_process);
    const auto direct = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(direct.output);
    for (const char *line :
         {":4:20: check.typo.params.bogus: ", ":13:10: check.refused.params.reject: "}) {
        const auto a = isolated.output.find(file + line);
        const auto b = direct.output.find(file + line);
        REQUIRE(a != std::string::npos);
        REQUIRE(b != std::string::npos);
        CHECK(isolated.output.substr(a, isolated.output.find('\n', a) - a) ==
              direct.output.substr(b, direct.output.find('\n', b) - b));
    }
}
