// Loader: which shared objects become plugins, and why others are refused. SPDX-License-Identifier:
// MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "loader/plugin_catalog.hpp"
#include "loader/plugin_file_name.hpp"
#include "loader/plugin_library.hpp"
#include "support/temp_dir.hpp"
#include "support/versioned_plugin.hpp"

using namespace vitals;
using vitals::test::versioned_bytes;
using vitals::test::write_in_place;

namespace {

std::string refusal_for(const std::string &file) {
    try {
        PluginLibrary::open(std::string{VITALS_BAD_PLUGIN_DIR} + "/" + file);
    } catch (const PluginLoadError &e) {
        return e.what();
    }
    FAIL("expected ", file, " to be refused");
    return {};
}

std::size_t shipped_plugin_count() {
    std::size_t count = 0;
    for (const auto &entry : std::filesystem::directory_iterator{VITALS_SHIPPED_PLUGIN_DIR})
        count += entry.path().extension() == ".so";
    return count;
}

} // namespace

TEST_CASE("loader opens a good plugin and reads its descriptor") {
    const auto plugin = PluginLibrary::open(std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/disk.so");
    CHECK(plugin->name() == "disk");
    CHECK(plugin->descriptor().abi_major == VITALS_ABI_MAJOR);
    REQUIRE(plugin->find_param("path") != nullptr);
    CHECK(plugin->find_param("path")->type == VITALS_PARAM_STRING);
    CHECK(plugin->find_param("nope") == nullptr);
}

TEST_CASE("loader refuses a plugin of another ABI major, naming both versions") {
    const auto why = refusal_for("wrong_abi.so");
    CHECK(why.find("wrong_abi.so") != std::string::npos);
    CHECK(why.find("agent ABI 1.1, plugin ABI 2.0") != std::string::npos);
}

TEST_CASE("loader refuses a library without the entry symbol") {
    const auto why = refusal_for("no_entry.so");
    CHECK(why.find("no_entry.so") != std::string::npos);
    CHECK(why.find("vitals_plugin_entry") != std::string::npos);
}

TEST_CASE("loader refuses a text file named .so") {
    const auto why = refusal_for("not_a_library.so");
    CHECK(why.find("not_a_library.so") != std::string::npos);
    CHECK(why.find("not a loadable shared library") != std::string::npos);
}

TEST_CASE("loader refuses a descriptor smaller than ABI 1.0's") {
    CHECK(refusal_for("truncated.so").find("smaller than ABI 1.0") != std::string::npos);
}

TEST_CASE("loader accepts a newer minor with a larger descriptor") {
    const auto plugin =
        PluginLibrary::open(std::string{VITALS_TEST_PLUGIN_DIR} + "/future_minor.so");
    CHECK(plugin->name() == "future_minor");
    CHECK(plugin->descriptor().abi_minor == 7);
    CHECK(plugin->descriptor().struct_size > sizeof(vitals_plugin));
    CHECK((plugin->descriptor().run != nullptr));
}

TEST_CASE("loader refuses a version string that is not text, naming the file and the field") {
    const auto why = refusal_for("bad_version.so");
    CHECK(why.find("bad_version.so: plugin 'bad_version' version is not valid UTF-8 text "
                   "without control characters") != std::string::npos);
}

TEST_CASE("loader: a lazy catalog opens only the plugins it is asked for") {
    const auto catalog = PluginCatalog::lazy({VITALS_BAD_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR});
    CHECK(catalog.found().empty());
    REQUIRE(catalog.find("disk") != nullptr);
    CHECK(catalog.find("disk")->file() ==
          std::filesystem::path{VITALS_SHIPPED_PLUGIN_DIR} / "disk.so");
    REQUIRE(catalog.found().size() == 1);
    CHECK(catalog.found().front().name == "disk");
    CHECK(catalog.refusals().empty()); // the bad plugins were never opened
}

TEST_CASE("loader: an unknown name opens no library, and the files are listed unopened") {
    // Opening crash_on_load.so would end this process: a lazy catalog must not scan.
    const auto catalog =
        PluginCatalog::lazy({VITALS_HOSTILE_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR});
    CHECK(catalog.find("no_such_plugin") == nullptr);
    CHECK(catalog.find("disc") == nullptr);
    CHECK(catalog.found().empty());
    CHECK(catalog.refusals().empty());
    CHECK_FALSE(catalog.refusal_of("disc").has_value());
    const auto names = catalog.names();
    CHECK(names.size() == shipped_plugin_count() + 1);
    CHECK(std::find(names.begin(), names.end(), "crash_on_load") != names.end());
}

TEST_CASE("loader: a refused plugin's reason is kept for the check that names it") {
    const auto catalog = PluginCatalog::lazy({VITALS_BAD_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR});
    CHECK(catalog.find("wrong_abi") == nullptr);
    const auto why = catalog.refusal_of("wrong_abi");
    REQUIRE(why.has_value());
    CHECK(why->find("wrong_abi.so: incompatible plugin ABI: agent ABI 1.1, plugin ABI 2.0") !=
          std::string::npos);
}

TEST_CASE("loader: a file is found by its name only, and must be the plugin of that name") {
    vitals::test::TempDir dir;
    std::filesystem::copy_file(std::filesystem::path{VITALS_SHIPPED_PLUGIN_DIR} / "uptime.so",
                               dir.path() / "host-uptime.so");
    const auto catalog = PluginCatalog::lazy({dir.path()});
    CHECK(catalog.find("uptime") == nullptr);
    CHECK(catalog.found().empty());
    CHECK(catalog.find("host-uptime") == nullptr);
    const auto why = catalog.refusal_of("host-uptime");
    REQUIRE(why.has_value());
    CHECK(why->find("host-uptime.so: the plugin in it calls itself 'uptime', not 'host-uptime'") !=
          std::string::npos);
}

TEST_CASE("loader: a plugin name is never a path out of the plugin directories") {
    vitals::test::TempDir dir;
    std::filesystem::create_directories(dir.path() / "plugins");
    std::filesystem::copy_file(std::filesystem::path{VITALS_SHIPPED_PLUGIN_DIR} / "uptime.so",
                               dir.path() / "outside.so");
    const auto catalog = PluginCatalog::lazy({dir.path() / "plugins"});
    CHECK(catalog.find("../outside") == nullptr);
    CHECK(catalog.found().empty());
}

TEST_CASE("loader: a missing directory lists nothing and does not throw") {
    const auto catalog = PluginCatalog::lazy({"/nonexistent/vitals/plugins"});
    CHECK(catalog.names().empty());
    CHECK(catalog.find("disk") == nullptr);
}

TEST_CASE("loader: the first directory with a plugin's file wins") {
    const auto catalog =
        PluginCatalog::lazy({VITALS_SHIPPED_PLUGIN_DIR, VITALS_SHIPPED_PLUGIN_DIR});
    CHECK(catalog.names().size() == shipped_plugin_count());
    CHECK(catalog.find("disk")->file() ==
          std::filesystem::path{VITALS_SHIPPED_PLUGIN_DIR} / "disk.so");
}

TEST_CASE("loader opens a replaced file's new build while the old one is still loaded") {
    vitals::test::TempDir dir;
    const auto file = dir.path() / "versioned.so";
    vitals::test::install_versioned(1, file);
    const auto old_build = PluginLibrary::open(file);
    CHECK(std::string{old_build->descriptor().version} == "1.0.0");

    vitals::test::install_versioned(2, file);
    const auto new_build = PluginLibrary::open(file);
    CHECK(std::string{new_build->descriptor().version} == "2.0.0");
    CHECK(new_build->identity() != old_build->identity());
    CHECK((new_build->descriptor().run != old_build->descriptor().run));

    // The unchanged file again: the library already loaded, old build or not still held.
    const auto again = PluginLibrary::open(file);
    CHECK((again->descriptor().run == new_build->descriptor().run));
    CHECK(again->identity() == new_build->identity());
}

TEST_CASE("loader: a plugin file rewritten in place leaves the loaded build as it was") {
    vitals::test::TempDir dir;
    const auto file = dir.path() / "versioned.so";
    vitals::test::install_versioned(1, file);
    const auto old_build = PluginLibrary::open(file);

    // The dynamic linker maps a file page by page: had it mapped this one, the old build's
    // strings and code would now read the new file's bytes (or fault past its end).
    write_in_place(file, versioned_bytes(2).substr(0, 4096));
    CHECK(std::string{old_build->descriptor().version} == "1.0.0");
    write_in_place(file, versioned_bytes(2));
    CHECK(std::string{old_build->descriptor().version} == "1.0.0");

    const auto new_build = PluginLibrary::open(file);
    CHECK(std::string{new_build->descriptor().version} == "2.0.0");
    CHECK(new_build->identity() != old_build->identity());
}

TEST_CASE("loader refuses a half-written plugin file, naming it and why") {
    vitals::test::TempDir dir;
    const auto file = dir.path() / "versioned.so";
    const auto bytes = versioned_bytes(2);
    for (const std::size_t size : {std::size_t{0}, std::size_t{10}, bytes.size() / 2}) {
        CAPTURE(size);
        write_in_place(file, bytes.substr(0, size));
        try {
            PluginLibrary::open(file);
            FAIL("a half-written file was loaded");
        } catch (const PluginLoadError &e) {
            const std::string why = e.what();
            CHECK(why.starts_with(file.string() + ": incomplete: it "));
            CHECK(why.find("refused until the file changes again") != std::string::npos);
        }
    }
    write_in_place(file, bytes);
    CHECK(std::string{PluginLibrary::open(file)->descriptor().version} == "2.0.0");
}

TEST_CASE("loader: the plugin name a file answers to is its name without .so") {
    CHECK(vitals::plugin_name_of_file("/usr/lib/vitals/plugins/tcp.so") == "tcp");
    CHECK(vitals::plugin_name_of_file("build/my.check.so") == "my.check");
    // No ".so" ending: the whole name, which no check's plugin = "..." can reach.
    CHECK(vitals::plugin_name_of_file("build/tcp.so.1") == "tcp.so.1");
    CHECK(vitals::plugin_name_of_file("build/tcp") == "tcp");
    CHECK(vitals::plugin_name_of_file(".so") == ".so");
}
