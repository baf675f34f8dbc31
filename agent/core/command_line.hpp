// Splitting a command's arguments into options and operands. SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vitals {

/// An option a command accepts: "--name" alone, or "--name VALUE" / "--name=VALUE"
/// when `value` names what it takes ("a PATH", "HOST:PORT"), as messages say it.
struct OptionSpec {
    std::string_view name;
    std::string_view value = {}; ///< empty: a flag
    std::string_view alias = {}; ///< another spelling, e.g. "-h"
};

struct GivenOption {
    std::string_view name; ///< as in its OptionSpec, whichever spelling was used
    std::string value;     ///< empty for a flag
};

struct CommandLine {
    std::vector<GivenOption> options; ///< in the order given
    std::vector<std::string> operands;
};

/// Reads `args` against `specs`. Arguments starting with "--" are options until a bare
/// "--", after which everything is an operand; so is anything else. Returns the message
/// for an unknown option ("... (see `help`)") or a missing value ("--config needs a PATH").
std::variant<CommandLine, std::string> split_command_line(const std::vector<std::string> &args,
                                                          std::span<const OptionSpec> specs,
                                                          std::string_view help);

} // namespace vitals
