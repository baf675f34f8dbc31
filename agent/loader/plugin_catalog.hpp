// Every usable plugin found in the plugin directories. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
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
    /// Opens nothing yet: find() loads `<dir>/<name>.so` when a check asks for
    /// `name`. Loading every plugin up front would map what none of the checks use,
    /// and OpenSSL and p11-kit (amqp, postgres, tls_cert) mark themselves NODELETE:
    /// loaded once, they stay mapped, about 2 MB, even after the plugin is closed.
    static PluginCatalog lazy(std::vector<std::filesystem::path> dirs);
    /// Loads every *.so in `dirs` at once, as --check-config does.
    static PluginCatalog scan(const std::vector<std::filesystem::path> &dirs);

    /// The plugin called `name`: `<dir>/<name>.so` in the first directory that has
    /// one, else (a file named otherwise) whichever file declares that name, which
    /// takes a full scan. Directories are searched in order; the first of a name wins.
    std::shared_ptr<const PluginLibrary> find(std::string_view name) const;
    /// The plugin called `name` if it is loaded already; loads nothing.
    std::shared_ptr<const PluginLibrary> loaded(std::string_view name) const;
    /// `<dir>/<name>.so` in the first directory that has one; opens nothing.
    std::optional<std::filesystem::path> file_named(std::string_view name) const;
    /// Every plugin in the directories (a full scan, once).
    std::vector<std::string> names() const;
    /// The plugins loaded so far (all of them after names() or scan()).
    const std::vector<PluginInfo> &found() const noexcept { return found_; }
    const std::vector<std::string> &refusals() const noexcept { return refusals_; }

    /// Drops the catalog's own hold on every library, once checks are built: from then
    /// on a plugin stays loaded only while a check uses it. Plugins are loaded to
    /// validate disabled checks too, but one no running check needs should not keep
    /// its dependencies mapped (libpq alone brings in GnuTLS and Kerberos, ~3 MB).
    /// find() answers nothing afterwards; found() still lists them.
    void release_libraries() noexcept {
        plugins_.clear();
        released_ = true;
    }

private:
    /// Opens `file` unless it was tried before; logs and records what it found.
    void open(const std::filesystem::path &file) const;
    void scan_all() const;
    /// `<dir>/<name>.so` of every directory that has one, in order.
    std::vector<std::filesystem::path> files_named(std::string_view name) const;

    std::vector<std::filesystem::path> dirs_;
    // A cache behind a const interface: what was loaded depends only on what was asked.
    mutable std::map<std::string, std::shared_ptr<const PluginLibrary>, std::less<>> plugins_;
    mutable std::vector<std::filesystem::path> tried_;
    mutable std::vector<PluginInfo> found_;
    mutable std::vector<std::string> refusals_;
    mutable bool scanned_all_ = false;
    bool released_ = false;
};

} // namespace vitals
