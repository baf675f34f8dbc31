// SPDX-License-Identifier: MIT
#include "loader/build_registry.hpp"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "core/log.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

std::string file_identity(const std::filesystem::path &file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0)
        throw PluginLoadError{fmt::format("{}: {}", file.string(), std::strerror(errno))};
    return fmt::format("{}:{}:{}:{}.{}", info.st_dev, info.st_ino, info.st_size,
                       info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

BuildRegistry &BuildRegistry::instance() {
    static BuildRegistry registry;
    return registry;
}

std::string BuildRegistry::name_for(const std::filesystem::path &file,
                                    const std::string &identity) {
    const std::string path = file.string();
    // RTLD_NOLOAD only asks which library dlopen(path) would return: one loaded under
    // that name, or else one loaded from the same device and inode.
    void *loaded = ::dlopen(path.c_str(), RTLD_NOLOAD | RTLD_LAZY | RTLD_LOCAL);
    if (!loaded) {
        ::dlerror(); // "not loaded" is the answer, not an error to report later
        return path;
    }
    const auto known = builds_.find(loaded);
    const bool current = known != builds_.end() && known->second.identity == identity;
    ::dlclose(loaded); // the question counted a reference
    if (current) return path;
    // The same file under a name the dynamic linker has not seen: it compares names as
    // strings, and each spelling is used once. After the name, it compares the file's
    // device and inode, so an unchanged file still ends up as the library already loaded.
    // Spelling needs no writable directory (the packaged Kubernetes manifests mount the
    // root file system read-only); PATH_MAX allows some two thousand per path.
    const std::size_t spelling = ++respellings_[path];
    std::string name = (file.has_parent_path() ? file.parent_path() : ".").string() + "/";
    for (std::size_t i = 0; i < spelling; ++i)
        name += "./";
    name += file.filename().string();
    log(LogLevel::info, "loader",
        "{} was replaced while its previous build is still in use; loading it as {}", path, name);
    return name;
}

void BuildRegistry::hold(void *handle, const std::string &identity) {
    Build &build = builds_[handle];
    build.identity = identity;
    ++build.handles;
}

void BuildRegistry::release(void *handle) {
    const auto build = builds_.find(handle);
    if (build != builds_.end() && --build->second.handles == 0) builds_.erase(build);
}

} // namespace vitals
