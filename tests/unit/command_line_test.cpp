// Splitting arguments into options and operands, shared by vitalsd, vitalsd run and
// vitalsd push. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

#include "core/command_line.hpp"

using vitals::CommandLine;
using vitals::OptionSpec;

namespace {

constexpr OptionSpec specs[] = {
    {"--help", {}, "-h"}, {"--verbose"}, {"--config", "a PATH"}, {"--listen", "HOST:PORT"}};

std::variant<CommandLine, std::string> split(const std::vector<std::string> &args) {
    return vitals::split_command_line(args, specs, "tool --help");
}

std::string problem(const std::vector<std::string> &args) {
    const auto result = split(args);
    REQUIRE(std::holds_alternative<std::string>(result));
    return std::get<std::string>(result);
}

} // namespace

TEST_CASE("command line: values follow as the next argument or after '='") {
    const auto line = std::get<CommandLine>(
        split({"--config", "a.toml", "--listen=127.0.0.1:0", "--verbose", "-h", "x"}));
    REQUIRE(line.options.size() == 4);
    CHECK(line.options[0].name == "--config");
    CHECK(line.options[0].value == "a.toml");
    CHECK(line.options[1].name == "--listen");
    CHECK(line.options[1].value == "127.0.0.1:0");
    CHECK(line.options[2].name == "--verbose");
    CHECK(line.options[2].value.empty());
    CHECK(line.options[3].name == "--help"); // the alias is reported by its name
    CHECK(line.operands == std::vector<std::string>{"x"});
}

TEST_CASE("command line: '--=' values keep later '=' and an empty value is a value") {
    const auto line = std::get<CommandLine>(split({"--config=a=b", "--listen="}));
    CHECK(line.options[0].value == "a=b");
    CHECK(line.options[1].value.empty());
}

TEST_CASE("command line: after '--' everything is an operand, and '-' alone is one") {
    const auto line = std::get<CommandLine>(split({"-", "--", "--config", "-h"}));
    CHECK(line.options.empty());
    CHECK(line.operands == std::vector<std::string>{"-", "--config", "-h"});
}

TEST_CASE("command line: unknown options, missing values and values on flags are refused") {
    CHECK(problem({"--frobnicate"}) == "unknown option \"--frobnicate\" (see tool --help)");
    // Names match whole, not by prefix.
    CHECK(problem({"--conf", "x"}) == "unknown option \"--conf\" (see tool --help)");
    CHECK(problem({"--config"}) == "--config needs a PATH");
    CHECK(problem({"--verbose=yes"}) == "--verbose takes no value, got \"--verbose=yes\"");
}
