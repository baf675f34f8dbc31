// What a process has mapped, from /proc/<pid>/maps: which plugins and libraries
// are loaded. SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace vitals::test {

/// One file's code mapped into a process.
struct CodeMapping {
    std::string file;  ///< its path; a plugin's private copy is listed as the plugin file
    std::string inode; ///< tells two builds installed under one path apart
};

/// Every executable mapping of a file in process `pid` ("self": this one): the libraries
/// and plugins loaded. Only code counts: a sanitizer's symbolizer maps read-only views of
/// the files it has read (their section headers) and never unmaps them, so a plugin that
/// was unloaded would otherwise look loaded for the rest of a TSan run. vitalsd maps each
/// plugin from a private copy named after its file ("/memfd:<file> (deleted)"). Throws when
/// the maps cannot be read, so "not mapped" can never hold for a process that is gone.
inline std::vector<CodeMapping> code_mappings(const std::string &pid = "self") {
    constexpr std::string_view private_copy = "/memfd:";
    constexpr std::string_view deleted = " (deleted)";
    const std::string path = "/proc/" + pid + "/maps";
    std::ifstream maps{path};
    if (!maps) throw std::runtime_error{"cannot read " + path};
    std::vector<CodeMapping> mappings;
    for (std::string line; std::getline(maps, line);) {
        std::istringstream fields{line};
        std::string address, perms, offset, device, inode, file;
        fields >> address >> perms >> offset >> device >> inode;
        std::getline(fields >> std::ws, file);
        if (perms.find('x') == std::string::npos) continue;
        if (file.starts_with(private_copy)) file.erase(0, private_copy.size());
        if (file.ends_with(deleted)) file.erase(file.size() - deleted.size());
        if (file.starts_with("/")) mappings.push_back({file, inode});
    }
    return mappings;
}

inline std::vector<CodeMapping> code_mappings(pid_t pid) {
    return code_mappings(std::to_string(pid));
}

/// Every file whose code process `pid` ("self": this one) has mapped.
inline std::set<std::string> mapped_files(const std::string &pid = "self") {
    std::set<std::string> files;
    for (const auto &mapping : code_mappings(pid))
        files.insert(mapping.file);
    return files;
}

inline std::set<std::string> mapped_files(pid_t pid) {
    return mapped_files(std::to_string(pid));
}

/// Whether any of `files` (paths) is `library`, by file name ("libssl.so" matches
/// libssl.so.3).
inline bool maps(const std::set<std::string> &files, std::string_view library) {
    return std::any_of(files.begin(), files.end(), [&](const std::string &file) {
        return std::filesystem::path{file}.filename().string().starts_with(library);
    });
}

/// Whether process `pid` has `library` mapped.
inline bool maps(pid_t pid, std::string_view library) {
    return maps(mapped_files(pid), library);
}

} // namespace vitals::test
