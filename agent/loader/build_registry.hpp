// Which build of a plugin file each loaded library is, so a replaced file loads anew.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <vitals_plugins/fd.hpp>

namespace vitals {

/// Plugins are loaded from private copies (PluginImage) through "/proc/self/fd/<n>". glibc's
/// dlopen() hands back the library it already has loaded under the same name (it compares
/// the name before it opens the file), and descriptor numbers are reused: a library that
/// stays loaded after its copy is closed (NODELETE) would be handed back for whatever
/// copy gets its number next. The registry remembers which build (file identity) each
/// loaded library is and the name it goes by, so an unchanged file loads as the library
/// already loaded, and a changed one as a new library. The library handle is the key:
/// dlopen returns the same one for the same loaded object, under any name.
class BuildRegistry {
public:
    /// The process's one registry, as the dynamic linker's table of loaded objects is.
    static BuildRegistry &instance();

    /// Held from loaded_name() or fresh_name() through dlopen() and hold(), and around
    /// dlclose() and release(), so no other load or unload comes between.
    [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock{mutex_}; }

    /// The name the library of build `identity` was loaded under, while it is loaded:
    /// dlopen() of that name hands it back. nullopt when no such build is loaded.
    std::optional<std::string> loaded_name(const std::string &identity) const;
    /// The name to dlopen() a new copy at `path` by: the path itself, unless the dynamic
    /// linker has a library loaded under it already; then the same path spelled anew
    /// ("/proc/self/fd/./7"), a name it has not seen.
    std::string fresh_name(const std::string &path);
    /// One more handle on the library `handle`, build `identity`, loaded as `name`. The
    /// first one keeps `copy` open for as long as the library is held, so that `name`
    /// names its copy and no other.
    void hold(void *handle, const std::string &identity, const std::string &name,
              plugins::UniqueFd copy);
    /// One handle fewer on `handle`, which the caller has just closed.
    void release(void *handle);

private:
    struct Build {
        std::string identity;
        std::string name;
        plugins::UniqueFd copy;
        std::size_t handles = 0;
    };

    std::mutex mutex_;
    std::map<void *, Build> builds_; ///< by dlopen() handle, while any is open
    /// How often each path has been spelled anew: each spelling is used once.
    std::map<std::string, std::size_t> respellings_;
};

} // namespace vitals
