// SPDX-License-Identifier: MIT
#include "push/push_command.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <variant>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include "app/load_configuration.hpp"
#include "config/access_reader.hpp"
#include "config/config_reader.hpp"
#include "core/duration.hpp"
#include "http/json_body.hpp"
#include "push/agent_session.hpp"
#include "tls/tls_module.hpp"

namespace vitals {
namespace {

constexpr int exit_accepted = 0;
constexpr int exit_refused = 1;
constexpr int exit_usage = 64;         // EX_USAGE
constexpr int exit_unavailable = 69;   // EX_UNAVAILABLE
constexpr int exit_no_permission = 77; // EX_NOPERM
constexpr int exit_config = 78;        // EX_CONFIG

struct PushArgs {
    std::optional<std::filesystem::path> config;
    std::optional<ListenAddress> listen;
    Duration timeout = std::chrono::seconds{5};
    std::optional<std::filesystem::path> ca;          ///< --ca: HTTPS, trusting these
    std::optional<std::filesystem::path> certificate; ///< --cert
    std::optional<std::filesystem::path> key;         ///< --key
    std::string check;
    std::string status;
    std::string message;
};

int fail(int code, const std::string &why) {
    std::fprintf(stderr, "vitalsd push: %s\n", why.c_str());
    return code;
}

std::variant<PushArgs, std::string> parse_args(const std::vector<std::string> &args) {
    PushArgs parsed;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        const auto value = [&](std::string_view flag) -> std::optional<std::string> {
            if (arg.size() > flag.size() && arg.starts_with(flag) && arg[flag.size()] == '=')
                return arg.substr(flag.size() + 1);
            if (arg == flag && i + 1 < args.size()) return args[++i];
            return std::nullopt;
        };
        if (arg == "--") {
            positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1,
                              args.end());
            break;
        }
        if (arg.starts_with("--config")) {
            const auto path = value("--config");
            if (!path) return "--config needs a PATH";
            parsed.config = *path;
        } else if (arg.starts_with("--listen")) {
            const auto text = value("--listen");
            if (!text) return "--listen needs HOST:PORT";
            parsed.listen = parse_listen_address(*text);
            if (!parsed.listen) return fmt::format("--listen: \"{}\" is not HOST:PORT", *text);
        } else if (arg.starts_with("--ca")) {
            const auto path = value("--ca");
            if (!path) return "--ca needs a PATH";
            parsed.ca = *path;
        } else if (arg.starts_with("--cert")) {
            const auto path = value("--cert");
            if (!path) return "--cert needs a PATH";
            parsed.certificate = *path;
        } else if (arg.starts_with("--key")) {
            const auto path = value("--key");
            if (!path) return "--key needs a PATH";
            parsed.key = *path;
        } else if (arg.starts_with("--timeout")) {
            const auto text = value("--timeout");
            const auto timeout = text ? parse_duration(*text) : std::nullopt;
            if (!timeout || timeout->count() == 0)
                return fmt::format("--timeout needs {}", duration_syntax_hint);
            parsed.timeout = *timeout;
        } else if (arg.starts_with("--") && arg.size() > 2) {
            return fmt::format("unknown option \"{}\" (see vitalsd push --help)", arg);
        } else {
            positional.push_back(arg);
        }
    }
    if (parsed.certificate.has_value() != parsed.key.has_value())
        return "--cert and --key go together";
    if (positional.size() < 2) return "expected CHECK STATUS [MESSAGE] (see vitalsd push --help)";
    parsed.check = positional[0];
    parsed.status = positional[1];
    for (std::size_t i = 2; i < positional.size(); ++i)
        parsed.message += (i > 2 ? " " : "") + positional[i];
    return parsed;
}

/// ok, warning, error, or a Nagios exit code (3, UNKNOWN, is an error).
std::optional<std::string> status_word(const std::string &given) {
    if (given == "ok" || given == "0") return "ok";
    if (given == "warning" || given == "1") return "warning";
    if (given == "error" || given == "2" || given == "3") return "error";
    return std::nullopt;
}

/// How to reach the agent: its address, over HTTP or HTTPS, and the token to present, if any.
struct AgentContact {
    ListenAddress address;
    ClientTls tls;
    bool agent_wants_certificate = false; ///< its [tls] client_ca is set
    std::optional<std::string> token;
};

/// The token `vitalsd push` presents as "Authorization: Bearer": $VITALS_TOKEN,
/// else the first write token in agent.toml's [access] token_file (readable by
/// root, as the agent refuses a world-readable one). None: anonymous.
std::optional<std::string> bearer_token(const std::optional<ConfigReadResult> &config) {
    if (const char *given = std::getenv("VITALS_TOKEN"); given && *given) return given;
    if (!config) return std::nullopt;
    for (const auto &token : config->config.agent.access.tokens)
        if (token.scope >= Scope::write) return token.secret;
    return std::nullopt;
}

/// HTTPS when agent.toml has [tls] or --ca is given. The agent is trusted as
/// --ca says, else by its own certificate file; a client certificate comes from
/// --cert/--key, else [tls] client_certificate/client_key.
std::variant<ClientTls, std::string> client_tls(const PushArgs &args,
                                                const std::optional<ConfigReadResult> &config) {
    const TlsSettings none;
    const TlsSettings &agent = config ? config->config.agent.tls : none;
    ClientTls tls;
    tls.https = args.ca || agent.enabled();
    if (!tls.https) {
        if (args.certificate) return std::string{"--cert needs HTTPS: the agent's [tls] or --ca"};
        return tls;
    }
    if (config)
        for (const auto &error : config->errors)
            if (error.key.starts_with("tls.client_")) return error.to_string();
    tls.pinned = !args.ca;
    tls.trusted = args.ca.value_or(agent.certificate);
    tls.certificate = args.certificate.value_or(agent.client_certificate);
    tls.private_key = args.key.value_or(agent.client_key);
    if (!tls.private_key.empty())
        if (auto problem = secret_file_problem(tls.private_key))
            return fmt::format("client key: {}", *problem);
    return tls;
}

/// The address from --listen or agent.toml's listen (a wildcard bind is reached on
/// loopback), the TLS to speak, and the token.
std::variant<AgentContact, std::string> agent_contact(const PushArgs &args) {
    const auto agent_file = locate_agent_file(args.config);
    std::optional<ConfigReadResult> config;
    if (agent_file) config = read_configuration(agent_file, default_settings(agent_file));
    const auto tls = client_tls(args, config);
    if (const auto *problem = std::get_if<std::string>(&tls)) return *problem;
    AgentContact contact{args.listen.value_or(ListenAddress{}), std::get<ClientTls>(tls),
                         config && !config->config.agent.tls.client_ca.empty(),
                         bearer_token(config)};
    if (args.listen) return contact;
    if (!config)
        return std::string{"no agent.toml found; give --config PATH or --listen HOST:PORT"};
    for (const auto &error : config->errors)
        if (error.key == "listen" || error.key.empty()) return error.to_string();
    contact.address = config->config.agent.listen;
    if (contact.address.port == 0)
        return fmt::format("{} listens on port 0 (a free port picked at start); give --listen "
                           "HOST:PORT",
                           agent_file->string());
    if (contact.address.host == "0.0.0.0" || contact.address.host.empty())
        contact.address.host = "127.0.0.1";
    if (contact.address.host == "::") contact.address.host = "::1";
    return contact;
}

/// What to try when an HTTPS exchange failed: whom the agent's certificate was
/// checked against when it failed that check, else a missing client certificate.
std::string tls_hint(const AgentContact &contact, const Poco::Exception &error) {
    if (!contact.tls.https) return "";
    if (agent_certificate_rejected(error))
        return fmt::format(" (its certificate was checked against '{}'{})",
                           contact.tls.trusted.string(),
                           contact.tls.pinned ? ", the agent's own; --ca PATH names a CA" : "");
    if (contact.agent_wants_certificate && contact.tls.certificate.empty())
        return "; the agent asks for a client certificate (its [tls] client_ca): set [tls] "
               "client_certificate and client_key, or give --cert and --key";
    return "";
}

std::string reason_of(const std::string &body) {
    try {
        Poco::JSON::Parser parser;
        const auto json = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        const std::string error = json->optValue<std::string>("error", "");
        const std::string detail = json->optValue<std::string>("detail", "");
        if (!detail.empty()) return error.empty() ? detail : error + ": " + detail;
        if (!error.empty()) return error;
    } catch (const Poco::Exception &) {
    } catch (const std::exception &) {
    }
    return body;
}

} // namespace

std::string push_usage_text() {
    return R"(Usage: vitalsd push [--config PATH] [--listen HOST:PORT] [--timeout 5s]
                    [--ca PATH] [--cert PATH --key PATH] CHECK STATUS [MESSAGE...]

Reports to a push check (plugin = "push") of the running agent, for cron jobs
and scripts: POST /health/checks/CHECK with {"status": STATUS, "message": MESSAGE}.
STATUS is ok, warning or error, or a Nagios exit code 0, 1, 2 or 3 (3, UNKNOWN,
is an error). The words after STATUS are the message.

The agent's address comes from agent.toml's listen (--config, else the packaged
one); --listen overrides it. When the agent has access tokens, the report carries
$VITALS_TOKEN, else the first write token of agent.toml's [access] token_file.

When agent.toml has [tls], or --ca is given, the report goes over HTTPS. The
agent's certificate must be the one its [tls] certificate file holds, or with
--ca PATH chain to a CA in PATH (PEM). An agent with [tls] client_ca gets the
certificate of --cert and --key, else of [tls] client_certificate and client_key.

Exit status: 0 recorded; 1 refused by the agent (unknown check, not a push
check, bad report); 64 bad usage; 69 agent not reachable; 77 not allowed (401,
403); 78 configuration problem. Every failure prints one line to stderr.
)";
}

int push_command(const std::vector<std::string> &args) {
    for (const auto &arg : args)
        if (arg == "--help" || arg == "-h") {
            std::fputs(push_usage_text().c_str(), stdout);
            return exit_accepted;
        }
    const auto parsed = parse_args(args);
    if (const auto *problem = std::get_if<std::string>(&parsed)) return fail(exit_usage, *problem);
    const auto &push = std::get<PushArgs>(parsed);
    const auto status = status_word(push.status);
    if (!status)
        return fail(exit_usage, fmt::format("STATUS \"{}\" is not ok, warning, error, 0, 1, 2 or 3",
                                            push.status));
    if (!is_valid_name(push.check))
        return fail(exit_usage, fmt::format("\"{}\" is not a check name", push.check));
    const auto found = agent_contact(push);
    if (const auto *problem = std::get_if<std::string>(&found)) return fail(exit_config, *problem);
    const auto &contact = std::get<AgentContact>(found);
    const auto &agent = contact.address;

    auto report = json_object();
    report->set("status", *status);
    if (push.status == "3" && !push.message.starts_with("UNKNOWN"))
        report->set("message", "UNKNOWN" + (push.message.empty() ? "" : ": " + push.message));
    else
        report->set("message", push.message);
    const std::string body = to_json(report);

    std::string path;
    Poco::URI::encode(push.check, "/?#", path);
    std::unique_ptr<Poco::Net::HTTPClientSession> session_ptr;
    try {
        session_ptr = open_agent_session(agent, contact.tls);
    } catch (const TlsModuleError &e) {
        return fail(exit_config, e.what());
    } catch (const Poco::Exception &e) {
        return fail(exit_config,
                    fmt::format("cannot use the TLS files (trusting '{}'{}): {}",
                                contact.tls.trusted.string(),
                                contact.tls.certificate.empty()
                                    ? ""
                                    : ", presenting '" + contact.tls.certificate.string() + "'",
                                e.displayText()));
    }
    try {
        auto &session = *session_ptr;
        session.setTimeout(Poco::Timespan{
            std::chrono::duration_cast<std::chrono::microseconds>(push.timeout).count()});
        Poco::Net::HTTPRequest request{Poco::Net::HTTPRequest::HTTP_POST, "/health/checks/" + path,
                                       Poco::Net::HTTPMessage::HTTP_1_1};
        request.setContentType("application/json");
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        if (contact.token) request.set("Authorization", "Bearer " + *contact.token);
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream &in = session.receiveResponse(response);
        std::string answer;
        Poco::StreamCopier::copyToString(in, answer);
        const int code = response.getStatus();
        if (code == 200) return exit_accepted;
        std::string why = fmt::format("{} refused the report for '{}' ({}): {}", agent.to_string(),
                                      push.check, code, reason_of(answer));
        if (code == 401 && !contact.token)
            why += "; it needs a write token: set VITALS_TOKEN, or run as a user who can read "
                   "agent.toml's [access] token_file";
        return fail(code == 401 || code == 403 ? exit_no_permission : exit_refused, why);
    } catch (const Poco::Exception &e) {
        return fail(exit_unavailable,
                    fmt::format("cannot reach the agent at {}{}: {}{}",
                                contact.tls.https ? "https://" : "", agent.to_string(),
                                e.displayText(), tls_hint(contact, e)));
    }
}

} // namespace vitals
