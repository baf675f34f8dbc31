// SPDX-License-Identifier: MIT
#include "loader/build_registry.hpp"

#include <dlfcn.h>
#include <filesystem>

#include <fmt/format.h>

#include "core/log.hpp"

namespace vitals {

BuildRegistry &BuildRegistry::instance() {
    static BuildRegistry registry;
    return registry;
}

std::optional<std::string> BuildRegistry::loaded_name(const std::string &identity) const {
    for (const auto &[handle, build] : builds_)
        if (build.identity == identity) return build.name;
    return std::nullopt;
}

std::string BuildRegistry::fresh_name(const std::string &path) {
    // RTLD_NOLOAD only asks which library dlopen(path) would return: one loaded under
    // that name, or else one loaded from the same device and inode.
    void *loaded = ::dlopen(path.c_str(), RTLD_NOLOAD | RTLD_LAZY | RTLD_LOCAL);
    if (!loaded) {
        ::dlerror(); // "not loaded" is the answer, not an error to report later
        return path;
    }
    ::dlclose(loaded); // the question counted a reference
    // The dynamic linker compares names as strings, and each spelling is used once.
    // Spelling needs no writable directory (the packaged Kubernetes manifests mount the
    // root file system read-only); PATH_MAX allows some two thousand per path.
    const std::filesystem::path file{path};
    const std::size_t spelling = ++respellings_[path];
    std::string name = file.parent_path().string() + "/";
    for (std::size_t i = 0; i < spelling; ++i)
        name += "./";
    name += file.filename().string();
    log(LogLevel::debug, "loader", "{} names a library still loaded; loading the new copy as {}",
        path, name);
    return name;
}

void BuildRegistry::hold(void *handle, const std::string &identity, const std::string &name,
                         plugins::UniqueFd copy) {
    Build &build = builds_[handle];
    if (build.handles++ > 0) return;
    build.identity = identity;
    build.name = name;
    build.copy = std::move(copy);
}

void BuildRegistry::release(void *handle) {
    const auto build = builds_.find(handle);
    if (build != builds_.end() && --build->second.handles == 0) builds_.erase(build);
}

} // namespace vitals
