// ABI 1.1's run context through the real vitalsd: run_info() and cancel_fd(), in process and
// in isolated workers; and a 1.1 plugin on a host table of 1.0's size.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstddef>
#include <string>

#include "checks/host_context.hpp"
#include "checks/lifecycle_context.hpp"
#include "loader/plugin_library.hpp"
#include "plugin_lifecycle/lifecycle_support.hpp"
#include "support/check_fixture.hpp"
#include "support/eventually.hpp"

namespace {

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

/// How long the first "cancel_fd fired after N ms" line says the run waited.
long waited_ms(const std::string &log) {
    const std::string marker = "cancel_fd fired after ";
    const auto at = logged_at(log, marker);
    return std::stol(log.substr(at + marker.size()));
}

} // namespace

TEST_CASE("abi 1.1 run context: run_info tells the check, its schedule, attempt and previous "
          "status") {
    for (const std::string isolation : {"in_process", "process"}) {
        CAPTURE(isolation);
        // Statuses in turn: error, error, ok, warning, error.
        Agent agent{lifecycle_check("flaky", "interval = \"100ms\"\ntimeout = \"80ms\"\n"
                                             "params = { statuses = \"eeowe\" }\n"
                                             "isolation = \"" +
                                                 isolation + "\"\n"),
                    "",
                    {},
                    lifecycle_plugin_dirs()};
        REQUIRE(eventually([&] { return has(agent.log(), "] flaky: run 6: "); }, 15s));
        const auto log = agent.log();
        const std::string schedule = "check=flaky interval_ms=100 timeout_ms=80 ";
        logged_at(log, "] flaky: run 1: " + schedule + "attempt=1 previous=-1");
        logged_at(log, "] flaky: run 2: " + schedule + "attempt=2 previous=2");
        logged_at(log, "] flaky: run 3: " + schedule + "attempt=3 previous=2");
        logged_at(log, "] flaky: run 4: " + schedule + "attempt=1 previous=0");
        logged_at(log, "] flaky: run 5: " + schedule + "attempt=2 previous=1");
        logged_at(log, "] flaky: run 6: " + schedule + "attempt=3 previous=2");
    }
}

TEST_CASE("abi 1.1 run context: a run waiting on cancel_fd returns when its timeout comes") {
    for (const std::string isolation : {"in_process", "process"}) {
        CAPTURE(isolation);
        Agent agent{lifecycle_check("patient", "interval = \"1500ms\"\ntimeout = \"1s\"\n"
                                               "params = { mode = \"cancel\" }\n"
                                               "isolation = \"" +
                                                   isolation + "\"\n"),
                    "",
                    {},
                    lifecycle_plugin_dirs()};
        // Returning is what lets the next run come: two runs, each ended by its cancel_fd.
        REQUIRE(eventually([&] { return occurrences(agent.log(), "cancel_fd fired") >= 2; }, 15s));
        const auto log = agent.log();
        logged_at(log, "] patient: cancel_fd fired after ");
        CHECK(has(log, "time_left_ns<=0: 1"));
        // Isolated, the plugin's deadline comes a margin (a tenth of the timeout, at most
        // 50 ms) twice before the scheduler's, so that its worker is not killed.
        CHECK(waited_ms(log) >= 850);
        CHECK(waited_ms(log) < 5000);
        const auto check = wait_until_not_pending(agent.port(), "patient");
        // Its time was up: the run counts as timed out, whatever the plugin said after.
        CHECK(text(check, "status") == "error");
        CHECK(text(check, "message") == "timed out after 1s");
        CHECK(!has(log, "still going"));
        CHECK(!has(log, "killed after timeout"));
        CHECK(!has(log, "next worker in"));
    }
}

TEST_CASE("abi 1.1 run context: a 1.1 plugin checking VITALS_HOST_HAS runs on a 1.0-sized table") {
    const auto plugin =
        PluginLibrary::open(std::string{VITALS_LIFECYCLE_PLUGIN_DIR} + "/lifecycle.so");
    // A 1.0 agent's table: it ends where 1.1's members begin, and they are not there.
    vitals_host_api old_host = host_api();
    old_host.abi_minor = 0;
    old_host.struct_size = offsetof(vitals_host_api, add_metric_ex);
    old_host.add_metric_ex = nullptr;
    old_host.run_info = nullptr;
    old_host.cancel_fd = nullptr;
    const auto &descriptor = plugin->descriptor();

    LibraryContext library{plugin->name()};
    REQUIRE(descriptor.init(&old_host, &library, plugin->file().c_str()) == 0);
    for (const std::string mode : {"report", "cancel"}) {
        CAPTURE(mode);
        const auto definition =
            test::definition("old_host", "lifecycle", "mode = \"" + mode + "\"");
        ConfigErrors errors;
        CreateContext create{definition, *plugin, errors};
        void *instance = descriptor.create(&old_host, &create);
        REQUIRE(instance != nullptr);
        CHECK(errors.empty());
        RunContext run{"old_host", nullptr, std::chrono::steady_clock::now() + 1s};
        descriptor.run(instance, &old_host, &run);
        const auto result = run.take_result();
        if (mode == "report") {
            CHECK(result.status == Status::ok);
            CHECK(result.message == "no run_info");
        } else {
            // Without cancel_fd it says so at once instead of calling through NULL.
            CHECK(result.status == Status::error);
            CHECK(result.message == "no cancel_fd");
        }
        DestroyContext destroy{"old_host", nullptr, {}};
        descriptor.destroy_ex(instance, &old_host, &destroy);
    }
    descriptor.deinit(&old_host, &library);
}
