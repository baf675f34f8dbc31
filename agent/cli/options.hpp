// vitalsd's command line. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/listen_address.hpp"

namespace vitals {

struct Options {
    std::optional<std::filesystem::path> config;
    std::optional<ListenAddress> listen;
    std::optional<std::string> log_level;
    bool check_config = false;
    bool show_version = false;
    bool show_help = false;
};

/// Parses argv[1..]; on bad usage returns the message to print.
std::variant<Options, std::string> parse_options(const std::vector<std::string> &args);

std::string usage_text();

} // namespace vitals
