// The rule that ties a plugin file's name to the plugin it holds. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>

#include "loader/plugin_library.hpp"

namespace vitals {

/// The plugin name a file answers to: its file name without ".so" (the whole file name
/// if it has no such ending: no check can name it then).
std::string plugin_name_of_file(const std::filesystem::path &file);

/// Throws PluginLoadError, naming the file, both names and the fix, when `plugin` calls
/// itself other than plugin_name_of_file(plugin.file()). A check finds its plugin by file
/// name alone (`plugin = "x"` loads x.so and no other file), so a file declaring another
/// name would run under a name no check asked for, and `plugin = "..."` would no longer
/// say which code runs. Every way into a plugin file applies it: the catalog the checks
/// use, and `vitalsd run`, so that what passes there loads in the agent too.
void require_name_of_file(const PluginLibrary &plugin);

} // namespace vitals
