// One loaded plugin shared library. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <vitals/plugin.h>

namespace vitals {

/// Why a file was refused as a plugin; the text names the file and the reason.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A validated plugin: its library stays loaded as long as this object lives,
/// so every check instance holds a shared_ptr to it.
class PluginLibrary {
public:
    /// Loads and validates; throws PluginLoadError with a clear reason.
    static std::shared_ptr<const PluginLibrary> open(const std::filesystem::path &file);

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary &) = delete;
    PluginLibrary &operator=(const PluginLibrary &) = delete;

    /// The plugin's descriptor, normalised to this host's layout (fields the
    /// plugin's older header lacks are zero).
    const vitals_plugin &descriptor() const noexcept { return descriptor_; }
    const std::vector<vitals_param_spec> &params() const noexcept { return params_; }
    const vitals_param_spec *find_param(std::string_view key) const noexcept;
    const std::string &name() const noexcept { return name_; }
    const std::filesystem::path &file() const noexcept { return file_; }
    /// The file as read (device, inode, size, mtime): a replaced or rewritten .so differs.
    const std::string &identity() const noexcept { return identity_; }
    /// The library as the dynamic linker has it loaded: the same for every PluginLibrary of
    /// one build while any is open (dlopen() hands back what it has), so per-library state
    /// such as init()'s is keyed by it.
    const void *loaded_object() const noexcept;

    struct Handle; ///< the OS library handle, opaque here to keep Boost.DLL in the .cpp

private:
    PluginLibrary(std::filesystem::path file, std::unique_ptr<Handle> handle,
                  const vitals_plugin &raw);
    /// Why the file is refused, naming it.
    PluginLoadError refusal(const std::string &why) const;
    /// Copies the parameter table, refusing one it cannot read.
    void read_params();

    std::filesystem::path file_;
    std::unique_ptr<Handle> handle_;
    vitals_plugin descriptor_{};
    std::vector<vitals_param_spec> params_;
    std::string name_;
    std::string identity_;
};

} // namespace vitals
