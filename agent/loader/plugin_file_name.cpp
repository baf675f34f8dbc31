// SPDX-License-Identifier: MIT
#include "loader/plugin_file_name.hpp"

#include <fmt/format.h>

namespace vitals {

std::string plugin_name_of_file(const std::filesystem::path &file) {
    constexpr std::string_view ending = ".so";
    std::string name = file.filename().string();
    if (name.size() > ending.size() && name.ends_with(ending))
        name.resize(name.size() - ending.size());
    return name;
}

void require_name_of_file(const PluginLibrary &plugin) {
    const std::string expected = plugin_name_of_file(plugin.file());
    if (plugin.name() == expected) return;
    throw PluginLoadError{fmt::format(
        "{}: the plugin in it calls itself '{}', not '{}': a check's plugin = \"...\" names "
        "the file, so install it as {}.so, or build it as '{}'",
        plugin.file().string(), plugin.name(), expected, plugin.name(), expected)};
}

} // namespace vitals
