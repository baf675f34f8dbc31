// SPDX-License-Identifier: MIT
#include "cli/options.hpp"

#include <fmt/format.h>

#include "core/command_line.hpp"

namespace vitals {

std::string usage_text() {
    return R"(Usage: vitalsd [OPTIONS]
       vitalsd run --plugin PATH [--param KEY=VALUE ...]   (see vitalsd run --help)
       vitalsd describe --plugin PATH [--json]             (see vitalsd describe --help)
       vitalsd push CHECK STATUS [MESSAGE]                 (see vitalsd push --help)
       vitalsd notify --test NAME                          (see vitalsd notify --help)
       vitalsd silence NAME --for 2h [--reason TEXT]       (see vitalsd silence --help)
       vitalsd maintenance on|off [--reason TEXT]          (see vitalsd maintenance --help)

Runs health checks from conf.d on their schedules and serves the results over HTTP.
`vitalsd run` instead runs one plugin's check once and prints the result;
`vitalsd describe` prints a plugin's parameter table as Markdown or JSON;
`vitalsd push` reports to a push check of the running agent;
`vitalsd notify --test` sends a test alert through a notifier of agent.toml;
`vitalsd silence` and `vitalsd maintenance` quiet a check or the whole agent.

Options:
  --config PATH       agent.toml to use (default: /etc/vitals/agent.toml; a source
                      build falls back to the repository's conf.d when it is absent)
  --listen HOST:PORT  override agent.toml's listen address; port 0 picks a free port
  --log-level LEVEL   debug, info, warning or error
  --check-config      validate the configuration (and load plugins), print every
                      problem, and exit non-zero if there is any
  --version           print the version and exit
  --help              print this help and exit

Routes: / (the status page), /health, /health/live, /health/ready, /health/startup,
        /health/groups/<group>, /health/checks/<name> (POST: a push check's report),
        /health/checks/<name>/silence (POST, DELETE), /health/maintenance (POST, DELETE),
        /health/silences, /metrics
)";
}

std::variant<Options, std::string> parse_options(const std::vector<std::string> &args) {
    static constexpr OptionSpec specs[] = {{"--help", {}, "-h"},      {"--version"},
                                           {"--check-config"},        {"--config", "a PATH"},
                                           {"--listen", "HOST:PORT"}, {"--log-level", "a LEVEL"}};
    auto split = split_command_line(args, specs, "--help");
    if (auto *problem = std::get_if<std::string>(&split)) return std::move(*problem);
    const auto &line = std::get<CommandLine>(split);
    if (!line.operands.empty())
        return fmt::format("unknown option \"{}\" (see --help)", line.operands.front());

    Options options;
    for (const auto &[name, value] : line.options) {
        if (name == "--help") {
            options.show_help = true;
        } else if (name == "--version") {
            options.show_version = true;
        } else if (name == "--check-config") {
            options.check_config = true;
        } else if (name == "--config") {
            options.config = value;
        } else if (name == "--listen") {
            options.listen = parse_listen_address(value);
            if (!options.listen) return fmt::format("--listen: \"{}\" is not HOST:PORT", value);
        } else if (name == "--log-level") {
            options.log_level = value;
        }
    }
    return options;
}

} // namespace vitals
