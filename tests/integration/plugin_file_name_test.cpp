// A plugin file must be named after the plugin it holds (foo.so declaring 'bar' is
// refused, naming both), in the agent and in `vitalsd run`. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "support/agent_fixture.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

/// The shipped uptime plugin, which calls itself 'uptime', copied to `dir`/`file_name`.
std::filesystem::path copy_uptime(const std::filesystem::path &dir, const std::string &file_name) {
    std::filesystem::create_directories(dir);
    const auto file = dir / file_name;
    std::filesystem::copy_file(std::filesystem::path{VITALS_SHIPPED_PLUGIN_DIR} / "uptime.so", file,
                               std::filesystem::copy_options::overwrite_existing);
    return file;
}

std::string refusal_of_misnamed(const std::filesystem::path &file) {
    return file.string() + ": the plugin in it calls itself 'uptime', not 'host-uptime': a "
                           "check's plugin = \"...\" names the file, so install it as "
                           "uptime.so, or build it as 'host-uptime'";
}

} // namespace

TEST_CASE("plugin file name: a file declaring another name is refused, naming both") {
    TempDir dir;
    const auto plugins = dir.path() / "plugins";
    const auto misnamed = copy_uptime(plugins, "host-uptime.so");
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0", {plugins.string()});

    // Named by its file: refused with both names and the way out, at the check's line.
    const auto checks = dir.write("conf.d/checks.toml", "[check.up]\nplugin = \"host-uptime\"\n");
    const auto by_file = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(by_file.output);
    CHECK(by_file.exit_code == 78);
    CHECK(contains(by_file.output, checks.string() +
                                       ":2:10: check.up.plugin: plugin 'host-uptime' refused: " +
                                       refusal_of_misnamed(misnamed)));
    // The agent refuses to start on it in the same words, and serves nothing under either name.
    AgentProcess started{dir.path(), {"--config", config.string()}};
    CHECK(started.wait_for_exit(15s) == 78);
    CHECK(contains(started.log(), refusal_of_misnamed(misnamed)));

    // Named by what it declares: no file has that name, and no other file is opened to
    // look for it, so `plugin = "uptime"` can only ever mean uptime.so.
    dir.write("conf.d/checks.toml", "[check.up]\nplugin = \"uptime\"\n");
    const auto by_declared =
        run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(by_declared.output);
    CHECK(by_declared.exit_code == 78);
    CHECK(contains(by_declared.output, checks.string() +
                                           ":2:10: check.up.plugin: unknown plugin 'uptime' "
                                           "(plugin files: host-uptime; built in: push)"));

    // Renamed as the message says, it loads.
    std::filesystem::rename(misnamed, plugins / "uptime.so");
    const auto renamed = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(renamed.output);
    CHECK(renamed.exit_code == 0);
    CHECK(contains(renamed.output, "configuration OK"));
}

TEST_CASE("plugin file name: vitalsd run refuses a file the agent would refuse") {
    TempDir dir;
    const auto misnamed = copy_uptime(dir.path() / "build", "host-uptime.so");
    const auto refused = run_vitalsd(dir.path(), {"run", "--plugin", misnamed.string()});
    INFO(refused.output);
    CHECK(refused.exit_code == 78);
    CHECK(contains(refused.output, "vitalsd run: " + refusal_of_misnamed(misnamed)));
    CHECK_FALSE(contains(refused.output, "status "));

    const auto named = run_vitalsd(
        dir.path(), {"run", "--plugin", copy_uptime(dir.path() / "build", "uptime.so").string()});
    INFO(named.output);
    CHECK(named.exit_code == 0);
    CHECK(contains(named.output, "check     uptime (plugin uptime "));
}
