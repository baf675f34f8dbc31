// Installing builds of the "versioned" test plugin. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace vitals::test {

/// Puts build `generation` of the "versioned" plugin at `target` as docs/operations.md says
/// to replace a plugin: written under a temporary name, then renamed over the old file (a
/// new inode; the old one stays intact for a process that still maps it).
inline void install_versioned(int generation, const std::filesystem::path &target) {
    const auto temporary = target.parent_path() / ".versioned.so.new";
    std::filesystem::copy_file(std::string{VITALS_VERSIONED_PLUGIN_DIR} + "/versioned_v" +
                                   std::to_string(generation) + ".so",
                               temporary, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(temporary, target);
}

/// The bytes of build `generation` of the "versioned" plugin.
inline std::string versioned_bytes(int generation) {
    std::ifstream in{std::string{VITALS_VERSIONED_PLUGIN_DIR} + "/versioned_v" +
                         std::to_string(generation) + ".so",
                     std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}

/// Writes `bytes` over `file` in place (the same inode, truncated first), as
/// `cp new/x.so plugins/x.so` does: what docs/operations.md advises against, and what the
/// agent must survive.
inline void write_in_place(const std::filesystem::path &file, const std::string &bytes) {
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace vitals::test
