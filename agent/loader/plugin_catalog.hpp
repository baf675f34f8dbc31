// Every usable plugin found in the plugin directories. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loader/plugin_library.hpp"

namespace vitals {

/// What the catalog found, kept after its libraries are released.
struct PluginInfo {
    std::string name;
    std::string version;
};

class PluginCatalog {
public:
    /// Loads every *.so in `dirs` (in order; the first plugin of a name wins).
    /// Refused files are logged and listed in refusals(); scanning goes on.
    static PluginCatalog scan(const std::vector<std::filesystem::path> &dirs);

    std::shared_ptr<const PluginLibrary> find(std::string_view name) const;
    std::vector<std::string> names() const;
    const std::vector<PluginInfo> &found() const noexcept { return found_; }
    const std::vector<std::string> &refusals() const noexcept { return refusals_; }

    /// Drops the catalog's own hold on every library, once checks are built: from then
    /// on a plugin stays loaded only while a check uses it. Every plugin is loaded to
    /// validate even disabled checks, but one no running check needs should not keep
    /// its dependencies mapped (libpq alone brings in GnuTLS and Kerberos, ~3 MB).
    /// find() answers nothing afterwards; found() still lists them.
    void release_libraries() noexcept { plugins_.clear(); }

private:
    std::map<std::string, std::shared_ptr<const PluginLibrary>, std::less<>> plugins_;
    std::vector<PluginInfo> found_;
    std::vector<std::string> refusals_;
};

} // namespace vitals
