// The plugins the checks name, found in the plugin directories. SPDX-License-Identifier: MIT
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
    /// Opens nothing yet: find() loads `<dir>/<name>.so` when a check asks for `name`,
    /// and nothing else ever. Loading a library runs its constructors in the agent, so
    /// only a file the configuration names is loaded: a typo in a plugin name once loaded
    /// every .so in the directories, and one whose constructor crashed took the agent
    /// down. Loading every plugin up front would also map what none of the checks use
    /// (OpenSSL and p11-kit mark themselves NODELETE: loaded once, they stay mapped).
    static PluginCatalog lazy(std::vector<std::filesystem::path> dirs);

    /// The plugin called `name`: the first `<dir>/<name>.so`, in directory order, that is a
    /// plugin calling itself `name`. nullptr if none is (see refusal_of()).
    std::shared_ptr<const PluginLibrary> find(std::string_view name) const;
    /// Why `<dir>/<name>.so` was refused when find(name) tried it (wrong ABI, bad
    /// descriptor, half-written file...), naming the file: the first refusal if several
    /// directories have one. nullopt if none was refused.
    std::optional<std::string> refusal_of(std::string_view name) const;
    /// The names of the plugin files in the directories (`<name>.so`, sorted, each once),
    /// read from the directories alone: no library is opened.
    std::vector<std::string> names() const;
    /// The plugins loaded so far.
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
    /// The plugin called `name` if it is loaded already; loads nothing.
    std::shared_ptr<const PluginLibrary> loaded(std::string_view name) const;
    /// Opens `file` for plugin `name` unless it was tried before; logs and records what it
    /// found, or why it was refused.
    void open(const std::filesystem::path &file, std::string_view name) const;
    /// `<dir>/<name>.so` of every directory that has one, in order.
    std::vector<std::filesystem::path> files_named(std::string_view name) const;

    std::vector<std::filesystem::path> dirs_;
    // A cache behind a const interface: what was loaded depends only on what was asked.
    mutable std::map<std::string, std::shared_ptr<const PluginLibrary>, std::less<>> plugins_;
    mutable std::vector<std::filesystem::path> tried_;
    mutable std::vector<PluginInfo> found_;
    mutable std::vector<std::string> refusals_;
    /// The first refusal of each plugin name's file.
    mutable std::map<std::string, std::string, std::less<>> refused_;
    bool released_ = false;
};

} // namespace vitals
