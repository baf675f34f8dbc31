// sdk/examples built as their authors would: a project of their own, against an
// installed SDK, run by the real vitalsd. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "sdk/sdk_fixture.hpp"
#include "support/agent_fixture.hpp"

namespace {

using namespace vitals::test;
namespace fs = std::filesystem;

struct BuiltExample {
    fs::path build;
    fs::path plugin_dir; ///< holds only this example's .so
};

/// Installs the SDK into `dir`/sdk, builds sdk/examples/<example> against it, and drops
/// its <plugin>.so into `dir`/plugins.
BuiltExample build_example(const TempDir &dir, const std::string &example,
                           const std::string &plugin) {
    const fs::path sdk = dir.path() / "sdk";
    install_sdk(sdk);
    const fs::path build = dir.path() / ("build-" + example);
    build_project(fs::path{VITALS_EXAMPLES_DIR} / example, build, sdk, dir.path() / "stage");
    // It found this install, not one elsewhere on the machine.
    CHECK(fs::equivalent(cache_value(build, "Vitals_DIR"), sdk / VITALS_INSTALL_CMAKEDIR));

    const fs::path plugin_dir = dir.path() / "plugins";
    fs::create_directories(plugin_dir);
    fs::copy_file(build / (plugin + ".so"), plugin_dir / (plugin + ".so"));

    CHECK(exported_symbols(plugin_dir / (plugin + ".so")) ==
          std::vector<std::string>{"vitals_plugin_entry"});
    // vitals_add_plugin(... INSTALL) puts it where the packaged agent looks.
    must_run(quote(VITALS_CMAKE_COMMAND) + " --install " + quote(build.string()));
    CHECK(fs::exists(dir.path() / "stage" / VITALS_PLUGIN_INSTALL_DIR / (plugin + ".so")));
    return {build, plugin_dir};
}

/// The commands sdk/examples/<example>/CMakeLists.txt gives for putting its plugin into
/// a running agent ("#   sudo cp ...", "#   sudo mv ..."), without sudo and aimed at
/// `build` and `plugin_dir` instead of build/ and /usr/lib/vitals/plugins.
std::vector<std::string> documented_install(const std::string &example, const fs::path &build,
                                            const fs::path &plugin_dir) {
    std::ifstream in{fs::path{VITALS_EXAMPLES_DIR} / example / "CMakeLists.txt"};
    std::vector<std::string> commands;
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("#   sudo cp ") && !line.starts_with("#   sudo mv ")) continue;
        std::string command = line.substr(std::string_view{"#   sudo "}.size());
        for (const auto &[from, to] :
             {std::pair<std::string, std::string>{"/usr/lib/vitals/plugins", plugin_dir.string()},
              {" build/", " " + build.string() + "/"}})
            for (auto at = command.find(from); at != std::string::npos;
                 at = command.find(from, at + to.size()))
                command.replace(at, from.size(), to);
        commands.push_back(command);
    }
    return commands;
}

} // namespace

TEST_CASE("sdk examples: the C++ plugin builds out of tree with find_package(Vitals) and runs") {
    TempDir dir;
    const auto example = build_example(dir, "cpp", "spool");

    const fs::path spool = dir.path() / "spool";
    fs::create_directories(spool);
    for (const char *name : {"a.msg", "b.msg", "c.msg"})
        dir.write("spool/" + std::string{name}, "queued\n");
    Agent agent{"[check.outbox]\nplugin = \"spool\"\ninterval = \"1s\"\n"
                "params = { path = \"" +
                    spool.string() +
                    "\", warning = 2, error = 10 }\n"
                    "[check.quiet]\nplugin = \"spool\"\ninterval = \"1s\"\n"
                    "params = { path = \"" +
                    (dir.path() / "plugins").string() + "\" }\n",
                "",
                {},
                {example.plugin_dir.string()}};

    const auto outbox = wait_until_not_pending(agent.port(), "outbox", 10s);
    CHECK(text(outbox, "status") == "warning");
    CHECK(text(outbox, "message") == "3 file(s) in " + spool.string());
    CHECK(text(outbox, "plugin") == "spool");
    CHECK(metric(outbox, "files") == 3.0);
    CHECK(metric(outbox, "oldest_age").has_value());

    const auto quiet = wait_until_not_pending(agent.port(), "quiet", 10s);
    CHECK(text(quiet, "status") == "ok");
    CHECK(metric(quiet, "files") == 1.0);
}

TEST_CASE("sdk examples: the C++ plugin's parameter errors come out with file and line") {
    TempDir dir;
    const auto example = build_example(dir, "cpp", "spool");
    const auto config = write_agent_toml(dir, "", "127.0.0.1:0", {example.plugin_dir.string()});
    dir.write("conf.d/bad.toml", "[check.outbox]\nplugin = \"spool\"\n"
                                 "params = { path = \"/tmp\", warning = 10, error = 5 }\n");
    const auto result = run_vitalsd(dir.path(), {"--check-config", "--config", config.string()});
    CHECK(result.exit_code == 78);
    INFO(result.output);
    CHECK(contains(result.output, "bad.toml:3:"));
    CHECK(contains(result.output, "check.outbox.params.error: must be at least warning"));
}

TEST_CASE("sdk examples: the C99 plugin builds out of tree with find_package(Vitals) and runs") {
    TempDir dir;
    const auto example = build_example(dir, "c", "open_files");

    Agent agent{"[check.file_handles]\nplugin = \"open_files\"\ninterval = \"1s\"\n"
                "params = { warning = 100, error = 100 }\n"
                "[check.always_warns]\nplugin = \"open_files\"\ninterval = \"1s\"\n"
                "params = { warning = 0, error = 100 }\n",
                "",
                {},
                {example.plugin_dir.string()}};

    const auto handles = wait_until_not_pending(agent.port(), "file_handles", 10s);
    CHECK(text(handles, "status") == "ok");
    CHECK(contains(text(handles, "message"), "file handles in use"));
    CHECK(metric(handles, "open_files").value_or(0) > 0);
    CHECK(metric(handles, "max_open_files").value_or(0) > 0);
    CHECK(metric(handles, "used_percent").has_value());

    const auto warns = wait_until_not_pending(agent.port(), "always_warns", 10s);
    CHECK(text(warns, "status") == "warning");
}

TEST_CASE("sdk examples: a consumer can ask for this SDK's major version and not another") {
    TempDir dir;
    install_sdk(dir.path() / "sdk");
    const std::string major = std::string{VITALS_VERSION}.substr(0, 1);
    const auto probe = [&](const std::string &version) {
        dir.write("probe/CMakeLists.txt",
                  "cmake_minimum_required(VERSION 3.25)\nproject(probe LANGUAGES NONE)\n"
                  "find_package(Vitals " +
                      version +
                      " REQUIRED)\n"
                      "message(STATUS \"abi=${Vitals_ABI_VERSION} dir=${Vitals_PLUGIN_DIR}\")\n"
                      "if(NOT TARGET Vitals::sdk OR NOT COMMAND vitals_add_plugin)\n"
                      "  message(FATAL_ERROR \"incomplete package\")\nendif()\n");
        fs::remove_all(dir.path() / "probe-build");
        return shell(quote(VITALS_CMAKE_COMMAND) + " -S " + quote((dir.path() / "probe").string()) +
                     " -B " + quote((dir.path() / "probe-build").string()) +
                     " -DCMAKE_PREFIX_PATH=" + quote((dir.path() / "sdk").string()));
    };
    const auto same = probe(major);
    INFO(same.output);
    CHECK(same.exit_code == 0);
    CHECK(contains(same.output, "abi=1.1 dir="));
    const auto other = probe(std::to_string(std::stoi(major) + 1));
    CHECK(other.exit_code != 0);
}

TEST_CASE("sdk examples: their install recipe swaps the plugin under a running agent") {
    // Writing into a loaded .so (cmake --install onto it) crashes the agent: the
    // examples give docs/operations.md's copy-then-rename instead.
    for (const char *name : {"c", "cpp"}) {
        std::ifstream in{fs::path{VITALS_EXAMPLES_DIR} / name / "CMakeLists.txt"};
        const std::string text{std::istreambuf_iterator<char>{in}, {}};
        CHECK_MESSAGE(!contains(text, "#   sudo cmake --install"), name);
    }
    TempDir dir;
    const auto example = build_example(dir, "c", "open_files");
    Agent agent{"[check.file_handles]\nplugin = \"open_files\"\ninterval = \"1h\"\n",
                "",
                {},
                {example.plugin_dir.string()}};
    const auto first = text(wait_until_not_pending(agent.port(), "file_handles", 10s), "last_run");

    const auto commands = documented_install("c", example.build, example.plugin_dir);
    REQUIRE(commands.size() == 2);
    for (const auto &command : commands)
        must_run(command);
    // The agent took the new build: it restarted the check (which would otherwise
    // wait an hour) and is still there to say so.
    wait_until(
        agent.port(), "file_handles",
        [&](const Object::Ptr &json) {
            const auto last_run = json->get("last_run"); // null while the restart is pending
            return !last_run.isEmpty() && last_run.toString() != first;
        },
        20s);
    CHECK(fs::directory_iterator { example.plugin_dir } -> path().filename() == "open_files.so");
}
