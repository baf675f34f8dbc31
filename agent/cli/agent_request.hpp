// One request from a `vitalsd` command to the running agent's HTTP API: where it listens,
// TLS, the token. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "config/listen_address.hpp"
#include "core/command_line.hpp"
#include "core/duration.hpp"

namespace vitals {

/// The options every command talking to the agent takes.
struct AgentOptions {
    std::optional<std::filesystem::path> config;
    std::optional<ListenAddress> listen;
    Duration timeout = std::chrono::seconds{5};
    std::optional<std::filesystem::path> ca;          ///< --ca: HTTPS, trusting these
    std::optional<std::filesystem::path> certificate; ///< --cert
    std::optional<std::filesystem::path> key;         ///< --key
};

/// --config, --listen, --ca, --cert, --key, --timeout, for split_command_line.
std::span<const OptionSpec> agent_option_specs();

/// Takes `option` into `options` when it is one of agent_option_specs(); returns the
/// usage error for a bad value. False (in the variant) when the option is not one of them.
std::variant<bool, std::string> read_agent_option(const GivenOption &option, AgentOptions &options);
/// The usage error for options given together that do not go together, if any.
std::optional<std::string> agent_options_problem(const AgentOptions &options);

/// What the agent answered.
struct AgentReply {
    int status = 0;
    std::string body;
    std::string agent;            ///< the address asked, HOST:PORT
    bool token_presented = false; ///< false: a 401 wants no_token_hint
    /// "error: detail" from a JSON error body, else the body.
    std::string reason() const;
};

/// Why no answer came: the exit code (sysexits: 78 configuration, 69 unreachable) and one line.
struct AgentFailure {
    int exit_code;
    std::string message;
};

/// Sends `method target` (a JSON body unless empty) to the agent `options` point at, with
/// its token: $VITALS_TOKEN, else the first write token of agent.toml's [access] token_file.
std::variant<AgentReply, AgentFailure> send_to_agent(const AgentOptions &options,
                                                     const std::string &method,
                                                     const std::string &target,
                                                     const std::string &body);

/// The hint added to a 401 when no token was presented.
inline constexpr std::string_view no_token_hint =
    "; it needs a write token: set VITALS_TOKEN, or run as a user who can read agent.toml's "
    "[access] token_file";

/// The text every command talking to the agent shares in its --help.
inline constexpr std::string_view agent_options_help =
    R"(The agent's address comes from agent.toml's listen (--config, else the packaged
one); --listen overrides it. When the agent has access tokens, the request carries
$VITALS_TOKEN, else the first write token of agent.toml's [access] token_file.

When agent.toml has [tls], or --ca is given, the request goes over HTTPS. The
agent's certificate must be the one its [tls] certificate file holds, or with
--ca PATH chain to a CA in PATH (PEM). An agent with [tls] client_ca gets the
certificate of --cert and --key, else of [tls] client_certificate and client_key.
)";

} // namespace vitals
