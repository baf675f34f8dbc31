// SPDX-License-Identifier: MIT
#include "config/conf_d_listing.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

namespace vitals {
namespace fs = std::filesystem;
namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

/// A symlink whose target is missing: where it points, for the message.
std::string dangling_reason(const fs::path &file) {
    std::error_code ec;
    const auto target = fs::read_symlink(file, ec);
    if (ec) return "a symbolic link to a file that does not exist";
    return fmt::format("a symbolic link to '{}', which does not exist", target.string());
}

} // namespace

std::optional<std::string> not_a_file_reason(const fs::path &file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        const int error = errno;
        struct stat link {};
        if (error == ENOENT && ::lstat(file.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
            return dangling_reason(file);
        if (error == ELOOP) return "a symbolic link loop";
        return fmt::format("cannot be looked at: {}", std::strerror(error));
    }
    if (S_ISREG(info.st_mode)) return std::nullopt;
    return kind_of(info.st_mode) + ", not a file";
}

std::vector<fs::path> conf_d_files(const fs::path &dir, ConfigErrors &errors,
                                   ConfigErrors &skipped) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
        const fs::path &path = it->path();
        // Editors leave dot-files (".x.toml.swp", ".#x.toml") next to the real one.
        if (path.extension() != ".toml" || path.filename().string().starts_with('.')) continue;
        if (auto reason = not_a_file_reason(path))
            skipped.push_back({{path.string()}, "", "not read: " + *reason});
        else
            files.push_back(path);
    }
    if (ec)
        errors.push_back(
            {{dir.string()}, "conf_d", fmt::format("cannot read directory: {}", ec.message())});
    std::sort(files.begin(), files.end());
    std::sort(skipped.begin(), skipped.end(),
              [](const auto &a, const auto &b) { return a.where.file < b.where.file; });
    return files;
}

} // namespace vitals
