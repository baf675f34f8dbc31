// What `cmake --install` lays out, and that the packaged agent.toml is valid.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/inotify.h>
#include <unistd.h>
#include <vector>

#include "sdk/sdk_fixture.hpp"
#include "support/agent_process.hpp"

namespace {

using namespace vitals::test;
namespace fs = std::filesystem;

std::set<std::string> file_names(const fs::path &dir, const std::string &extension) {
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator{dir})
        if (entry.path().extension() == extension) names.insert(entry.path().filename().string());
    return names;
}

std::string read_text(const fs::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void replace_all(std::string &text, const std::string &from, const std::string &to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

/// `root` + an absolute path (what DESTDIR does).
fs::path staged(const fs::path &root, const fs::path &absolute) {
    return root / absolute.relative_path();
}

} // namespace

TEST_CASE("install: every component lands in the packaged layout") {
    TempDir dir;
    const fs::path root = dir.path() / "root";
    // DESTDIR, not --prefix: configuration goes to an absolute /etc path.
    must_run("DESTDIR=" + quote(root.string()) + " " + quote(VITALS_CMAKE_COMMAND) + " --install " +
             quote(VITALS_BUILD_DIR));
    const fs::path prefix = staged(root, VITALS_INSTALL_PREFIX);

    CHECK(fs::exists(prefix / VITALS_INSTALL_SBINDIR / "vitalsd"));
    // Every shipped plugin, and nothing else, in the plugin directory ...
    std::set<std::string> shipped;
    for (const auto &entry : fs::directory_iterator{VITALS_SHIPPED_PLUGIN_DIR})
        if (entry.path().extension() == ".so") shipped.insert(entry.path().filename().string());
    const fs::path plugins = prefix / VITALS_PLUGIN_INSTALL_DIR;
    CHECK(file_names(plugins, ".so") == shipped);
    for (const auto &plugin : shipped)
        CHECK(exported_symbols(plugins / plugin) ==
              std::vector<std::string>{"vitals_plugin_entry"});
    // ... and nothing else beside them.
    std::set<std::string> installed;
    for (const auto &entry : fs::recursive_directory_iterator{plugins})
        installed.insert(fs::relative(entry.path(), plugins).string());
    CHECK(installed == shipped);

    const fs::path include = prefix / VITALS_INSTALL_INCLUDEDIR / "vitals";
    CHECK(file_names(include, ".h") == std::set<std::string>{"plugin.h"});
    CHECK(file_names(include, ".hpp") == std::set<std::string>{"plugin.hpp", "testing.hpp"});
    const fs::path cmake = prefix / VITALS_INSTALL_CMAKEDIR;
    for (const char *file : {"VitalsConfig.cmake", "VitalsConfigVersion.cmake",
                             "VitalsTargets.cmake", "VitalsPlugin.cmake", "vitals_plugin.map"})
        CHECK_MESSAGE(fs::exists(cmake / file), file);
    CHECK(fs::exists(prefix / VITALS_INSTALL_PKGCONFIGDIR / "vitals.pc"));

    // The manual page, compressed, and the license in Debian's format (changelog.Debian.gz
    // is the package's alone: cpack adds it, `cmake --install` does not).
    CHECK(fs::exists(prefix / VITALS_INSTALL_MANDIR / "man8" / "vitalsd.8.gz"));
    CHECK(fs::exists(prefix / VITALS_INSTALL_DOCDIR / "copyright"));
    CHECK_FALSE(fs::exists(prefix / VITALS_INSTALL_DOCDIR / "changelog.Debian.gz"));

    const fs::path config = staged(root, VITALS_INSTALL_CONFIGDIR);
    CHECK(fs::exists(config / "agent.toml"));
    CHECK(file_names(config / "conf.d", ".toml") == file_names(VITALS_REPO_CONF_D, ".toml"));
}

TEST_CASE("install: cmake --install with --prefix writes every file under that prefix") {
    TempDir dir;
    const fs::path prefix = dir.path() / "prefix";
    const auto output = must_run(quote(VITALS_CMAKE_COMMAND) + " --install " +
                                 quote(VITALS_BUILD_DIR) + " --prefix " + quote(prefix.string()));
    // cmake names each file it writes; the plugins are then renamed into place.
    std::vector<std::string> written;
    std::istringstream lines{output};
    for (std::string line; std::getline(lines, line);)
        for (const std::string tag :
             {"-- Installing: ", "-- Up-to-date: ", "-- Renamed into place: "})
            if (line.starts_with(tag)) written.push_back(line.substr(tag.size()));
    INFO(output);
    REQUIRE(written.size() > 20);
    for (const auto &path : written)
        CHECK_MESSAGE(path.starts_with(prefix.string() + "/"), path);
    // The two that used to go to /usr/local whatever the prefix.
    CHECK(fs::exists(prefix / "etc/vitals/agent.toml"));
    CHECK(fs::exists(prefix / "etc/vitals/conf.d"));
    CHECK(fs::exists(prefix / "lib/systemd/system/vitalsd.service"));
}

namespace {

/// The names of files written (created, modified or closed after writing) and renamed
/// into `dir` while `action` runs, as a watching vitalsd would be told of them.
struct DirectoryEvents {
    std::set<std::string> written;
    std::set<std::string> renamed_in;
};

template <class Action> DirectoryEvents watch(const fs::path &dir, Action action) {
    const int inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    REQUIRE(inotify >= 0);
    REQUIRE(::inotify_add_watch(inotify, dir.c_str(),
                                IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) >= 0);
    action();
    DirectoryEvents seen;
    alignas(inotify_event) char buffer[64 * 1024];
    for (ssize_t n; (n = ::read(inotify, buffer, sizeof buffer)) > 0;)
        for (ssize_t at = 0; at < n;) {
            const auto *event = reinterpret_cast<const inotify_event *>(buffer + at);
            if (event->len > 0 && !(event->mask & IN_ISDIR))
                (event->mask & IN_MOVED_TO ? seen.renamed_in : seen.written).insert(event->name);
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
    ::close(inotify);
    return seen;
}

} // namespace

TEST_CASE("install: a plugin installed again is renamed into place, never written there") {
    TempDir dir;
    const fs::path root = dir.path() / "root";
    const auto install_plugins = [&] {
        must_run("DESTDIR=" + quote(root.string()) + " " + quote(VITALS_CMAKE_COMMAND) +
                 " --install " + quote(VITALS_BUILD_DIR) + " --component plugins");
    };
    install_plugins();
    const fs::path plugins = staged(root, VITALS_INSTALL_PREFIX) / VITALS_PLUGIN_INSTALL_DIR;
    // Older than the build's, so that no install takes them for up to date.
    const auto age = [&] {
        for (const auto &entry : fs::recursive_directory_iterator{plugins})
            if (entry.is_regular_file()) fs::last_write_time(entry.path(), fs::file_time_type{});
    };
    // A running agent reloads when a plugin file changes: a file written at its own name
    // may be caught half-written; one renamed over the old is whole from the start.
    age();
    const auto seen = watch(plugins, install_plugins);
    CHECK(seen.written.empty());
    CHECK(seen.renamed_in == file_names(plugins, ".so"));
    for (const auto &entry : fs::recursive_directory_iterator{plugins})
        CHECK_FALSE(entry.path().filename().string().starts_with("."));
}

TEST_CASE("install: the packaged agent.toml names the install's paths and passes --check-config") {
    TempDir dir;
    const fs::path root = dir.path() / "root";
    must_run("DESTDIR=" + quote(root.string()) + " " + quote(VITALS_CMAKE_COMMAND) + " --install " +
             quote(VITALS_BUILD_DIR) + " --component agent");
    must_run("DESTDIR=" + quote(root.string()) + " " + quote(VITALS_CMAKE_COMMAND) + " --install " +
             quote(VITALS_BUILD_DIR) + " --component plugins");
    const fs::path config_dir = staged(root, VITALS_INSTALL_CONFIGDIR);
    std::string agent_toml = read_text(config_dir / "agent.toml");
    INFO(agent_toml);
    REQUIRE(!agent_toml.empty());
    CHECK(!contains(agent_toml, "@")); // every placeholder filled in
    // It points where vitalsd itself looks without it.
    const std::string plugin_dir = VITALS_PACKAGED_PLUGIN_DIR;
    const std::string conf_d = fs::path{VITALS_PACKAGED_CONFIG}.parent_path() / "conf.d";
    CHECK(contains(agent_toml, "plugin_dirs = [\"" + plugin_dir + "\"]"));
    CHECK(contains(agent_toml, "conf_d = \"" + conf_d + "\""));

    // The same file, moved under DESTDIR, validates every key it sets and the shipped
    // conf.d against the installed plugins and the installed vitalsd.
    replace_all(agent_toml, "\"" + plugin_dir + "\"",
                "\"" + staged(root, plugin_dir).string() + "\"");
    replace_all(agent_toml, "\"" + conf_d + "\"", "\"" + staged(root, conf_d).string() + "\"");
    const auto staged_toml = dir.write("agent.toml", agent_toml);
    const fs::path vitalsd =
        staged(root, VITALS_INSTALL_PREFIX) / VITALS_INSTALL_SBINDIR / "vitalsd";
    const auto result =
        shell(quote(vitalsd.string()) + " --check-config --config " + quote(staged_toml.string()));
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "configuration OK"));
}
