// SPDX-License-Identifier: MIT
#include "loader/plugin_catalog.hpp"

#include <algorithm>
#include <system_error>

#include "core/log.hpp"
#include "loader/plugin_file_name.hpp"

namespace vitals {
namespace fs = std::filesystem;

PluginCatalog PluginCatalog::lazy(std::vector<fs::path> dirs) {
    PluginCatalog catalog;
    catalog.dirs_ = std::move(dirs);
    return catalog;
}

void PluginCatalog::open(const fs::path &file, std::string_view name) const {
    if (std::find(tried_.begin(), tried_.end(), file) != tried_.end()) return;
    tried_.push_back(file);
    try {
        auto plugin = PluginLibrary::open(file);
        // Found by its file's name alone, a plugin must answer to it: a file that calls
        // itself otherwise would shadow, or stand in for, another plugin.
        require_name_of_file(*plugin);
        plugins_.emplace(plugin->name(), plugin);
        const char *version = plugin->descriptor().version;
        found_.push_back({plugin->name(), version ? version : ""});
        log(LogLevel::info, "loader", "loaded plugin '{}' {} from {}", plugin->name(),
            version ? version : "?", file.string());
    } catch (const PluginLoadError &e) {
        log(LogLevel::error, "loader", "refused {}", e.what());
        refusals_.emplace_back(e.what());
        refused_.emplace(std::string{name}, e.what());
    }
}

std::shared_ptr<const PluginLibrary> PluginCatalog::loaded(std::string_view name) const {
    const auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : it->second;
}

std::vector<fs::path> PluginCatalog::files_named(std::string_view name) const {
    // A name is a file name in a plugin directory, never a path out of one
    // ("../elsewhere/x" in a drop-in must not load ../elsewhere/x.so).
    if (name.empty() || name.find('/') != std::string_view::npos || name.starts_with('.'))
        return {};
    std::vector<fs::path> files;
    for (const auto &dir : dirs_) {
        std::error_code ec;
        auto file = dir / (std::string{name} + ".so");
        if (fs::is_regular_file(file, ec)) files.push_back(std::move(file));
    }
    return files;
}

std::shared_ptr<const PluginLibrary> PluginCatalog::find(std::string_view name) const {
    if (released_) return nullptr;
    if (auto plugin = loaded(name)) return plugin;
    for (const auto &file : files_named(name)) {
        open(file, name);
        if (auto plugin = loaded(name)) return plugin;
    }
    return nullptr;
}

std::optional<std::string> PluginCatalog::refusal_of(std::string_view name) const {
    const auto refused = refused_.find(name);
    if (refused == refused_.end()) return std::nullopt;
    return refused->second;
}

std::vector<std::string> PluginCatalog::names() const {
    std::vector<std::string> names;
    for (const auto &dir : dirs_) {
        std::error_code ec;
        for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".so" && it->is_regular_file(ec))
                names.push_back(it->path().stem().string());
        if (ec)
            log(LogLevel::warning, "loader", "cannot read plugin directory {}: {}", dir.string(),
                ec.message());
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

} // namespace vitals
