// What a process has mapped, from /proc/<pid>/maps: which libraries a plugin or
// the TLS modules brought in. No doctest, so plugin_host can use it too.
// SPDX-License-Identifier: MIT
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

namespace vitals::test {

/// Every file mapped into process `pid` ("self": this one). vitalsd maps each plugin from
/// a private copy named after its file ("/memfd:<file> (deleted)"): listed as that file.
/// Throws when the maps cannot be read, so "not mapped" can never hold for a process that
/// is gone.
inline std::set<std::string> mapped_files(const std::string &pid = "self") {
    constexpr std::string_view private_copy = "/memfd:";
    const std::string path = "/proc/" + pid + "/maps";
    std::ifstream maps{path};
    if (!maps) throw std::runtime_error{"cannot read " + path};
    std::set<std::string> files;
    for (std::string line; std::getline(maps, line);) {
        std::istringstream fields{line};
        std::string address, perms, offset, device, inode, file;
        fields >> address >> perms >> offset >> device >> inode >> file;
        if (file.starts_with(private_copy)) file.erase(0, private_copy.size());
        if (file.starts_with("/")) files.insert(file);
    }
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
