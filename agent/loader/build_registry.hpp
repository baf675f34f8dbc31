// Which build of a plugin file each loaded library is, so a replaced file loads anew.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

namespace vitals {

/// The identity of `file` as it is now: device, inode, size and modification time. A
/// new build renamed into place differs; throws PluginLoadError if it cannot be read.
std::string file_identity(const std::filesystem::path &file);

/// glibc's dlopen() hands back the library it already has loaded under the same name
/// (it compares the name before it opens the file), so reloading a plugin whose file
/// was replaced while a check still holds the old build would run the old code again.
/// The registry remembers which build (file identity) each loaded library is, and names
/// a file so that dlopen() loads it as it is now. The library handle is the key: dlopen
/// returns the same one for the same loaded object, under any name.
class BuildRegistry {
public:
    /// The process's one registry, as the dynamic linker's table of loaded objects is.
    static BuildRegistry &instance();

    /// Held from name_for() through dlopen() and hold(), and around dlclose() and
    /// release(), so no other load or unload comes between.
    [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock{mutex_}; }

    /// The name to dlopen() `file` by so that the result is the build `identity`: the
    /// path itself when no library is loaded under it, or the one loaded is that build;
    /// otherwise the same path spelled anew ("dir/./name"), a name dlopen has not seen.
    std::string name_for(const std::filesystem::path &file, const std::string &identity);
    /// One more handle on the library `handle`, loaded as build `identity`.
    void hold(void *handle, const std::string &identity);
    /// One handle fewer on `handle`, which the caller has just closed.
    void release(void *handle);

private:
    struct Build {
        std::string identity;
        std::size_t handles = 0;
    };

    std::mutex mutex_;
    std::map<void *, Build> builds_; ///< by dlopen() handle, while any is open
    /// How often each path has been spelled anew: each spelling is used once.
    std::map<std::string, std::size_t> respellings_;
};

} // namespace vitals
