// SPDX-License-Identifier: MIT
#include "core/command_line.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace vitals {

namespace {

const OptionSpec *find_spec(std::span<const OptionSpec> specs, std::string_view name) {
    const auto it = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec &spec) {
        return spec.name == name || (!spec.alias.empty() && spec.alias == name);
    });
    return it == specs.end() ? nullptr : &*it;
}

bool is_option(std::string_view arg) {
    return (arg.starts_with("--") && arg.size() > 2) || arg == "-h";
}

} // namespace

std::variant<CommandLine, std::string> split_command_line(const std::vector<std::string> &args,
                                                          std::span<const OptionSpec> specs,
                                                          std::string_view help) {
    CommandLine line;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        if (arg == "--") {
            line.operands.insert(line.operands.end(), args.begin() + static_cast<long>(i) + 1,
                                 args.end());
            break;
        }
        if (!is_option(arg)) {
            line.operands.push_back(arg);
            continue;
        }
        const auto equals = arg.find('=');
        const std::string_view name = std::string_view{arg}.substr(0, equals);
        const OptionSpec *spec = find_spec(specs, name);
        if (!spec) return fmt::format("unknown option \"{}\" (see {})", arg, help);
        if (spec->value.empty()) {
            if (equals != std::string::npos)
                return fmt::format("{} takes no value, got \"{}\"", spec->name, arg);
            line.options.push_back({spec->name, {}});
        } else if (equals != std::string::npos) {
            line.options.push_back({spec->name, arg.substr(equals + 1)});
        } else if (i + 1 < args.size()) {
            line.options.push_back({spec->name, args[++i]});
        } else {
            return fmt::format("{} needs {}", spec->name, spec->value);
        }
    }
    return line;
}

} // namespace vitals
