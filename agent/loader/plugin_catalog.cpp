// SPDX-License-Identifier: MIT
#include "loader/plugin_catalog.hpp"

#include <algorithm>
#include <system_error>

#include "core/log.hpp"

namespace vitals {
namespace fs = std::filesystem;
namespace {

std::vector<fs::path> shared_objects_in(const fs::path &dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".so" && it->is_regular_file(ec)) files.push_back(it->path());
    if (ec)
        log(LogLevel::warning, "loader", "cannot read plugin directory {}: {}", dir.string(),
            ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

PluginCatalog PluginCatalog::scan(const std::vector<fs::path> &dirs) {
    PluginCatalog catalog;
    for (const auto &dir : dirs) {
        for (const auto &file : shared_objects_in(dir)) {
            try {
                auto plugin = PluginLibrary::open(file);
                const auto [existing, inserted] = catalog.plugins_.emplace(plugin->name(), plugin);
                if (!inserted) {
                    log(LogLevel::warning, "loader",
                        "{}: plugin '{}' already loaded from {}; ignored", file.string(),
                        plugin->name(), existing->second->file().string());
                    continue;
                }
                const char *version = plugin->descriptor().version;
                catalog.found_.push_back({plugin->name(), version ? version : ""});
                log(LogLevel::info, "loader", "loaded plugin '{}' {} from {}", plugin->name(),
                    version ? version : "?", file.string());
            } catch (const PluginLoadError &e) {
                log(LogLevel::error, "loader", "refused {}", e.what());
                catalog.refusals_.emplace_back(e.what());
            }
        }
    }
    return catalog;
}

std::shared_ptr<const PluginLibrary> PluginCatalog::find(std::string_view name) const {
    const auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : it->second;
}

std::vector<std::string> PluginCatalog::names() const {
    std::vector<std::string> names;
    for (const auto &plugin : found_)
        names.push_back(plugin.name);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace vitals
