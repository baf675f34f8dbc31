// A plugin file's bytes, read once into memory only the agent holds.
// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>
#include <sys/stat.h>

#include <vitals_plugins/fd.hpp>

namespace vitals {

/// The dynamic linker maps a library from its file, page by page as the code runs, so a
/// plugin file rewritten in place (`cp new/x.so plugins/x.so` truncates and rewrites the
/// very inode the agent maps) changed the code under a running check, and the agent died
/// of SIGSEGV. The loader maps a private copy instead: a memory file (memfd) holding the
/// bytes as they were read, sealed so that nothing can change them.
///
/// The file is opened once: its identity and the bytes copied come from that one
/// descriptor, so they always agree, whatever is renamed over the path meanwhile.
class PluginImage {
public:
    /// Opens `file` and reads its identity; throws PluginLoadError naming the file.
    explicit PluginImage(std::filesystem::path file);

    /// The file as opened: device, inode, size and modification time. A new build,
    /// renamed into place or written over the old one, differs.
    const std::string &identity() const noexcept { return identity_; }

    /// A sealed memfd with the file's bytes, named after the file (so /proc/<pid>/maps
    /// shows "/memfd:<file> (deleted)"). Refuses, with the reason, a file that changed
    /// while it was read or whose ELF headers describe bytes it does not hold (a copy
    /// still being written): it is tried again at its next change.
    plugins::UniqueFd copy() const;

private:
    std::filesystem::path file_;
    plugins::UniqueFd fd_;
    struct stat info_ {};
    std::string identity_;
};

/// The path through which the copy open at `copy` is loaded: "/proc/self/fd/<n>".
std::string copy_path(const plugins::UniqueFd &copy);

} // namespace vitals
