// Installing builds of the "versioned" test plugin. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
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

} // namespace vitals::test
