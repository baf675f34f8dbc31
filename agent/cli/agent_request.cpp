// SPDX-License-Identifier: MIT
#include "cli/agent_request.hpp"

#include <cstdlib>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>
#include <sysexits.h>

#include "app/load_configuration.hpp"
#include "cli/agent_session.hpp"
#include "config/access_reader.hpp"
#include "config/config_reader.hpp"

namespace vitals {
namespace {

constexpr OptionSpec agent_specs[] = {{"--config", "a PATH"}, {"--listen", "HOST:PORT"},
                                      {"--ca", "a PATH"},     {"--cert", "a PATH"},
                                      {"--key", "a PATH"},    {"--timeout", "a DURATION"}};

/// How to reach the agent: its address, over HTTP or HTTPS, and the token to present, if any.
struct AgentContact {
    ListenAddress address;
    ClientTls tls;
    bool agent_wants_certificate = false; ///< its [tls] client_ca is set
    std::optional<std::string> token;
};

/// $VITALS_TOKEN, else the first write token in agent.toml's [access] token_file
/// (readable by root, as the agent refuses a world-readable one). None: anonymous.
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
std::variant<ClientTls, std::string> client_tls(const AgentOptions &args,
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
std::variant<AgentContact, std::string> agent_contact(const AgentOptions &args) {
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

} // namespace

std::span<const OptionSpec> agent_option_specs() {
    return agent_specs;
}

std::variant<bool, std::string> read_agent_option(const GivenOption &option,
                                                  AgentOptions &options) {
    const auto &[name, value] = option;
    if (name == "--config") {
        options.config = value;
    } else if (name == "--listen") {
        options.listen = parse_listen_address(value);
        if (!options.listen) return fmt::format("--listen: \"{}\" is not HOST:PORT", value);
    } else if (name == "--ca") {
        options.ca = value;
    } else if (name == "--cert") {
        options.certificate = value;
    } else if (name == "--key") {
        options.key = value;
    } else if (name == "--timeout") {
        const auto timeout = parse_duration(value);
        if (!timeout || timeout->count() == 0)
            return fmt::format("--timeout needs {}", duration_syntax_hint);
        options.timeout = *timeout;
    } else {
        return false;
    }
    return true;
}

std::optional<std::string> agent_options_problem(const AgentOptions &options) {
    if (options.certificate.has_value() != options.key.has_value())
        return "--cert and --key go together";
    return std::nullopt;
}

std::string AgentReply::reason() const {
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

std::variant<AgentReply, AgentFailure> send_to_agent(const AgentOptions &options,
                                                     const std::string &method,
                                                     const std::string &target,
                                                     const std::string &body) {
    const auto found = agent_contact(options);
    if (const auto *problem = std::get_if<std::string>(&found))
        return AgentFailure{EX_CONFIG, *problem};
    const auto &contact = std::get<AgentContact>(found);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    try {
        session = open_agent_session(contact.address, contact.tls);
    } catch (const Poco::Exception &e) {
        return AgentFailure{
            EX_CONFIG, fmt::format("cannot use the TLS files (trusting '{}'{}): {}",
                                   contact.tls.trusted.string(),
                                   contact.tls.certificate.empty()
                                       ? ""
                                       : ", presenting '" + contact.tls.certificate.string() + "'",
                                   e.displayText())};
    }
    try {
        session->setTimeout(Poco::Timespan{
            std::chrono::duration_cast<std::chrono::microseconds>(options.timeout).count()});
        Poco::Net::HTTPRequest request{method, target, Poco::Net::HTTPMessage::HTTP_1_1};
        if (!body.empty()) request.setContentType("application/json");
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        if (contact.token) request.set("Authorization", "Bearer " + *contact.token);
        session->sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream &in = session->receiveResponse(response);
        AgentReply reply;
        Poco::StreamCopier::copyToString(in, reply.body);
        reply.status = response.getStatus();
        reply.agent = contact.address.to_string();
        reply.token_presented = contact.token.has_value();
        return reply;
    } catch (const Poco::Exception &e) {
        return AgentFailure{EX_UNAVAILABLE, fmt::format("cannot reach the agent at {}{}: {}{}",
                                                        contact.tls.https ? "https://" : "",
                                                        contact.address.to_string(),
                                                        e.displayText(), tls_hint(contact, e))};
    }
}

} // namespace vitals
