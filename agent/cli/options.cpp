// SPDX-License-Identifier: MIT
#include "cli/options.hpp"

#include <fmt/format.h>

namespace vitals {

std::string usage_text() {
    return R"(Usage: vitalsd [OPTIONS]
       vitalsd run --plugin PATH [--param KEY=VALUE ...]   (see vitalsd run --help)
       vitalsd push CHECK STATUS [MESSAGE]                 (see vitalsd push --help)

Runs health checks from conf.d on their schedules and serves the results over HTTP.
`vitalsd run` instead runs one plugin's check once and prints the result;
`vitalsd push` reports to a push check of the running agent.

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
        /metrics
)";
}

std::variant<Options, std::string> parse_options(const std::vector<std::string> &args) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        // Accept both "--flag value" and "--flag=value".
        std::string name = arg;
        std::optional<std::string> inline_value;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        const auto value = [&]() -> std::optional<std::string> {
            if (inline_value) return inline_value;
            if (i + 1 < args.size()) return args[++i];
            return std::nullopt;
        };
        if (name == "--help" || name == "-h") {
            options.show_help = true;
        } else if (name == "--version") {
            options.show_version = true;
        } else if (name == "--check-config") {
            options.check_config = true;
        } else if (name == "--config") {
            const auto path = value();
            if (!path) return "--config needs a PATH";
            options.config = *path;
        } else if (name == "--listen") {
            const auto text = value();
            if (!text) return "--listen needs HOST:PORT";
            options.listen = parse_listen_address(*text);
            if (!options.listen) return fmt::format("--listen: \"{}\" is not HOST:PORT", *text);
        } else if (name == "--log-level") {
            const auto level = value();
            if (!level) return "--log-level needs a LEVEL";
            options.log_level = *level;
        } else {
            return fmt::format("unknown option \"{}\" (see --help)", arg);
        }
    }
    return options;
}

} // namespace vitals
