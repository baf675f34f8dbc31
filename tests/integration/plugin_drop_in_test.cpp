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
    const auto checks = agent.dir().path() / "conf.d" / "checks.toml";
    const auto build = versioned_bytes(2);

    // Half a new build, as a copy in progress leaves it: the agent maps its own copy of
    // the old one, so its runs carry on; the half file is refused with the reason.
    write_in_place(file, build.substr(0, build.size() / 2));
    wait_for_refused_reload(agent);
    CHECK(contains(agent.log(), "[loader] refused " + file.string() + ": incomplete: it holds "));
    CHECK(contains(agent.log(), checks.string() +
                                    ":2:10: check.v.plugin: plugin 'versioned' "
                                    "refused: " +
                                    file.string() + ": incomplete: it holds "));
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

TEST_CASE("plugin drop-in: a mistyped plugin name at reload loads no other library") {
    // crash_on_load.so ends whatever process loads it: a reload that looked for the
    // mistyped name in every .so of the plugin directories killed the agent.
    Agent agent{"[check.up]\nplugin = \"uptime\"\ninterval = \"1h\"\n",
                "",
                {},
                {VITALS_HOSTILE_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR}};
    INFO("vitalsd's log:\n" << agent.log());
    wait_until_not_pending(agent.port(), "up");

    const auto checks = agent.dir().write("conf.d/checks.toml",
                                          "[check.up]\nplugin = \"uptme\"\ninterval = \"1h\"\n");
    wait_for_refused_reload(agent);
    // The files there are listed, read from the directories alone.
    const auto error = checks.string() + ":2:10: check.up.plugin: unknown plugin 'uptme' (plugin "
                                         "files: ";
    CHECK(contains(agent.log(), error));
    CHECK(contains(agent.log(), ", crash_on_load, disk, "));
    CHECK(still_running(agent));
    // The running configuration stays.
    const auto up = parse(http_get(agent.port(), "/health/checks/up").body);
    CHECK(text(up, "plugin") == "uptime");
    CHECK(text(up, "status") == "ok");
}

TEST_CASE("plugin drop-in: a check naming a refused plugin gets the refusal, at start and reload") {
    TempDir dir;
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0",
                                         {VITALS_BAD_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR});
    const std::string refusal =
        "plugin 'wrong_abi' refused: " + std::string{VITALS_BAD_PLUGIN_DIR} +
        "/wrong_abi.so: incompatible plugin ABI: agent ABI 1.1, plugin "
        "ABI 2.0";
    const auto checks = dir.write("conf.d/checks.toml", "[check.old]\nplugin = \"wrong_abi\"\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, checks.string() + ":2:10: check.old.plugin: " + refusal));

    // A disabled check's plugin is loaded too, and refused in the same words.
    dir.write("conf.d/checks.toml", "[check.parked]\nplugin = \"wrong_abi\"\nenabled = false\n");
    AgentProcess started{dir.path(), {"--config", config.string()}};
    CHECK(started.wait_for_exit(15s) == 78);
    INFO(started.log());
    CHECK(contains(started.log(), checks.string() + ":2:10: check.parked.plugin: " + refusal));

    Agent agent{"[check.up]\nplugin = \"uptime\"\ninterval = \"1h\"\n",
                "",
                {},
                {VITALS_BAD_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR}};
    INFO("vitalsd's log:\n" << agent.log());
    wait_until_not_pending(agent.port(), "up");
    const auto reloaded = agent.dir().write("conf.d/checks.toml",
                                            "[check.up]\nplugin = \"uptime\"\ninterval = \"1h\"\n\n"
                                            "[check.old]\nplugin = \"wrong_abi\"\n");
    wait_for_refused_reload(agent);
    CHECK(contains(agent.log(), reloaded.string() + ":6:10: check.old.plugin: " + refusal));
    CHECK(http_get(agent.port(), "/health/checks/old").status == 404);
}

TEST_CASE(
    "plugin drop-in: a plugin whose version string is not text is refused, naming the field") {
    TempDir dir;
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0",
                                         {VITALS_BAD_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR});
    const auto checks = dir.write("conf.d/checks.toml", "[check.odd]\nplugin = \"bad_version\"\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, checks.string() + ":2:10: check.odd.plugin: plugin 'bad_version' "
                                                    "refused: " VITALS_BAD_PLUGIN_DIR
                                                    "/bad_version.so: plugin 'bad_version' version "
                                                    "is not valid UTF-8 text without control "
                                                    "characters"));
}
