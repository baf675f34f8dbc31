// A directory removed when the test ends. SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace vitals::test {

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "vitals-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::filesystem::path &path() const { return path_; }

    /// Writes `text` to a file under the directory (creating parents) and returns its path.
    std::filesystem::path write(const std::string &relative, const std::string &text) const {
        const auto file = path_ / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream{file} << text;
        return file;
    }

    /// Like write(), readable by the owner only: how token and key files must be kept.
    std::filesystem::path write_secret(const std::string &relative, const std::string &text) const {
        const auto file = write(relative, text);
        std::filesystem::permissions(file, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write);
        return file;
    }

private:
    std::filesystem::path path_;
};

} // namespace vitals::test
