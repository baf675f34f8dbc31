// Plugins dropped into a running vitalsd: written over in place, half-written, misnamed,
// refused. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "support/agent_fixture.hpp"
#include "support/eventually.hpp"
#include "support/versioned_plugin.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

/// Waits for the agent to log that a reload was refused and the running configuration stays.
void wait_for_refused_reload(const Agent &agent) {
    CHECK(eventually([&] { return contains(agent.log(), "stays in force"); }, 15s));
}

bool still_running(Agent &agent) {
    return agent.process().wait_for_exit(0ms) == -1;
}

} // namespace

TEST_CASE("plugin drop-in: a build written over a loaded plugin in place, half and then whole") {
    TempDir plugins;
    const auto file = plugins.path() / "versioned.so";
    install_versioned(1, file);
    // Each run takes 200 ms and the next follows at once: one is nearly always in flight.
    Agent agent{"[check.v]\nplugin = \"versioned\"\ninterval = \"100ms\"\ntimeout = \"10s\"\n"
                "params = { sleep = \"200ms\" }\n",
                "",
                {},
                {plugins.path().string()}};
    INFO("vitalsd's log:\n" << agent.log()); // read only if a check fails
    wait_until(agent.port(), "v",
               [](const Object::Ptr &json) { return text(json, "message") == "generation 1"; });
    const auto build = versioned_bytes(2);

    // Half a new build, as a copy in progress leaves it: the agent maps its own copy of
    // the old one, so its runs carry on; the half file is refused with the reason.
    write_in_place(file, build.substr(0, build.size() / 2));
    wait_for_refused_reload(agent);
    CHECK(contains(agent.log(), "[loader] refused " + file.string() + ": incomplete: it holds "));
    const auto last_run = text(parse(http_get(agent.port(), "/health/checks/v").body), "last_run");
    wait_until(agent.port(), "v", [&](const Object::Ptr &json) {
        return text(json, "last_run") != last_run && text(json, "message") == "generation 1";
    });
    CHECK(http_get(agent.port(), "/health/live").status == 200);

    // The rest of it, written in place too: the next change loads the whole new build.
    write_in_place(file, build);
    wait_until(
        agent.port(), "v",
        [](const Object::Ptr &json) { return text(json, "message") == "generation 2"; }, 15s);
    CHECK(still_running(agent));
}
