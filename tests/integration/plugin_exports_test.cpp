// Every shipped plugin exports exactly one symbol: the entry. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const std::string &text, char separator) {
    std::vector<std::string> parts;
    std::stringstream stream{text};
    for (std::string part; std::getline(stream, part, separator);)
        if (!part.empty()) parts.push_back(part);
    return parts;
}

/// Names of the dynamic symbols a shared object defines, per `nm -D --defined-only`.
std::vector<std::string> exported_symbols(const std::string &file) {
    const std::string command = "nm -D --defined-only '" + file + "'";
    FILE *pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    std::array<char, 512> buffer{};
    while (fgets(buffer.data(), buffer.size(), pipe))
        output += buffer.data();
    REQUIRE(pclose(pipe) == 0);
    std::vector<std::string> names;
    for (const auto &line : split(output, '\n'))
        names.push_back(split(line, ' ').back());
    return names;
}

} // namespace

TEST_CASE("plugin exports: nm -D shows only vitals_plugin_entry") {
    const auto plugins = split(VITALS_SHIPPED_PLUGINS, ':');
    // Every .so the build ships is in the list, so a new plugin cannot skip this check.
    std::size_t shipped = 0;
    for (const auto &entry : std::filesystem::directory_iterator{VITALS_SHIPPED_PLUGIN_DIR})
        shipped += entry.path().extension() == ".so";
    REQUIRE(plugins.size() >= 3);
    REQUIRE(plugins.size() == shipped);
    for (const auto &plugin : plugins) {
        CAPTURE(plugin);
        CHECK(exported_symbols(plugin) == std::vector<std::string>{"vitals_plugin_entry"});
    }
}

TEST_CASE("plugin exports: the check sees a leak (it is not vacuous)") {
    // A library built without the SDK helper exports its own functions.
    const auto symbols = exported_symbols(std::string{VITALS_BAD_PLUGIN_DIR} + "/no_entry.so");
    CHECK(std::find(symbols.begin(), symbols.end(), "some_other_function") != symbols.end());
}
