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

PluginCatalog PluginCatalog::lazy(std::vector<fs::path> dirs) {
    PluginCatalog catalog;
    catalog.dirs_ = std::move(dirs);
    return catalog;
}

PluginCatalog PluginCatalog::scan(const std::vector<fs::path> &dirs) {
    auto catalog = lazy(dirs);
    catalog.scan_all();
    return catalog;
}

void PluginCatalog::open(const fs::path &file) const {
    if (std::find(tried_.begin(), tried_.end(), file) != tried_.end()) return;
    tried_.push_back(file);
    try {
        auto plugin = PluginLibrary::open(file);
        const auto [existing, inserted] = plugins_.emplace(plugin->name(), plugin);
        if (!inserted) {
            log(LogLevel::warning, "loader", "{}: plugin '{}' already loaded from {}; ignored",
                file.string(), plugin->name(), existing->second->file().string());
            return;
        }
        const char *version = plugin->descriptor().version;
        found_.push_back({plugin->name(), version ? version : ""});
        log(LogLevel::info, "loader", "loaded plugin '{}' {} from {}", plugin->name(),
            version ? version : "?", file.string());
    } catch (const PluginLoadError &e) {
        log(LogLevel::error, "loader", "refused {}", e.what());
        refusals_.emplace_back(e.what());
    }
}

void PluginCatalog::scan_all() const {
    if (scanned_all_ || released_) return;
    scanned_all_ = true;
    for (const auto &dir : dirs_)
        for (const auto &file : shared_objects_in(dir))
            open(file);
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

std::optional<fs::path> PluginCatalog::file_named(std::string_view name) const {
    auto files = files_named(name);
    if (files.empty()) return std::nullopt;
    return std::move(files.front());
}

std::shared_ptr<const PluginLibrary> PluginCatalog::find(std::string_view name) const {
    if (released_) return nullptr;
    if (auto plugin = loaded(name)) return plugin;
    for (const auto &file : files_named(name)) {
        open(file);
        if (auto plugin = loaded(name)) return plugin;
    }
    scan_all(); // a plugin whose file is named otherwise
    return loaded(name);
}

std::vector<std::string> PluginCatalog::names() const {
    scan_all();
    std::vector<std::string> names;
    for (const auto &plugin : found_)
        names.push_back(plugin.name);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace vitals
