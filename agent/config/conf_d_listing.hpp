// Which files of a conf.d directory are read, and which are passed over and why.
// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config_error.hpp"

namespace vitals {

/// The *.toml files of `dir` in name order. Dot-files (editors' swap and lock files) and
/// other names are left alone; an entry named *.toml that cannot be read as a file (a
/// dangling symlink, a symlink loop, a FIFO, a directory) is not read, and lands in
/// `skipped` with its path and reason. A directory that cannot be listed is an error.
std::vector<std::filesystem::path> conf_d_files(const std::filesystem::path &dir,
                                                ConfigErrors &errors, ConfigErrors &skipped);

/// Why `file` cannot be read as a configuration file, or nullopt if it can. Looks with
/// stat(), never open(), so a FIFO cannot block the agent.
std::optional<std::string> not_a_file_reason(const std::filesystem::path &file);

} // namespace vitals
