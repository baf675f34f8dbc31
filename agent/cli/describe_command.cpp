// SPDX-License-Identifier: MIT
#include "cli/describe_command.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <sysexits.h>

#include "cli/plugin_description.hpp"
#include "core/command_line.hpp"

namespace vitals {

std::string describe_usage_text() {
    return R"(Usage: vitalsd describe --plugin PATH [--json]

Loads one plugin and prints its name, version, description, ABI version and
parameter table (key, type, required, default, range or choices, secret,
description) as Markdown: the table the pages of docs/plugins hold.

Options:
  --plugin PATH  the plugin's .so file
  --json         print one JSON object instead (min and max of a duration in seconds)
  --help         print this help and exit

Exit status: 0 printed, 64 bad usage, 78 the plugin was refused (the reason on stderr).
)";
}

int describe_command(const std::vector<std::string> &args) {
    static constexpr OptionSpec specs[] = {
        {"--help", {}, "-h"}, {"--plugin", "a PATH"}, {"--json"}};
    const auto split = split_command_line(args, specs, "vitalsd describe --help");
    const auto usage = [](const std::string &problem) {
        fmt::print(stderr, "vitalsd describe: {}\n", problem);
        return EX_USAGE;
    };
    if (const auto *problem = std::get_if<std::string>(&split)) return usage(*problem);
    const auto &line = std::get<CommandLine>(split);
    if (!line.operands.empty())
        return usage(fmt::format("unknown option \"{}\" (see vitalsd describe --help)",
                                 line.operands.front()));
    std::filesystem::path file;
    bool json = false;
    for (const auto &[name, value] : line.options) {
        if (name == "--help") {
            std::fputs(describe_usage_text().c_str(), stdout);
            return 0;
        }
        if (name == "--plugin") file = value;
        if (name == "--json") json = true;
    }
    if (file.empty()) return usage("--plugin PATH is required");
    try {
        // Absolute: dlopen() would search the library path for a bare "x.so".
        const auto plugin = PluginLibrary::open(std::filesystem::absolute(file));
        std::fputs((json ? plugin_json(*plugin) : plugin_markdown(*plugin)).c_str(), stdout);
        return 0;
    } catch (const PluginLoadError &e) {
        fmt::print(stderr, "vitalsd describe: {}\n", e.what());
        return EX_CONFIG;
    }
}

} // namespace vitals
