// SPDX-License-Identifier: MIT
#include "cli/maintenance_commands.hpp"

#include <cstdio>
#include <optional>
#include <variant>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <sysexits.h>

#include "cli/agent_request.hpp"
#include "core/names.hpp"
#include "http/json_body.hpp"

namespace vitals {
namespace {

constexpr int exit_done = 0;
constexpr int exit_refused = 1;

constexpr OptionSpec quiet_specs[] = {{"--for", "a DURATION"}, {"--reason", "a TEXT"}, {"--lift"}};

/// What both commands were given: the agent options, then their own.
struct QuietArgs {
    AgentOptions agent;
    std::optional<std::string> length; ///< --for, as given: the agent checks its bounds
    std::string reason;
    bool lift = false;
    std::vector<std::string> operands;
};

int fail(std::string_view command, int code, const std::string &why) {
    std::fprintf(stderr, "vitalsd %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 why.c_str());
    return code;
}

bool wants_help(const std::vector<std::string> &args) {
    for (const auto &arg : args)
        if (arg == "--help" || arg == "-h") return true;
    return false;
}

std::variant<QuietArgs, std::string> parse_args(const std::vector<std::string> &args,
                                                std::string_view help) {
    std::vector<OptionSpec> specs{agent_option_specs().begin(), agent_option_specs().end()};
    specs.insert(specs.end(), std::begin(quiet_specs), std::end(quiet_specs));
    auto split = split_command_line(args, specs, help);
    if (auto *problem = std::get_if<std::string>(&split)) return std::move(*problem);
    auto &[options, operands] = std::get<CommandLine>(split);
    QuietArgs parsed;
    for (const auto &option : options) {
        auto read = read_agent_option(option, parsed.agent);
        if (auto *problem = std::get_if<std::string>(&read)) return std::move(*problem);
        if (std::get<bool>(read)) continue;
        if (option.name == "--for")
            parsed.length = option.value;
        else if (option.name == "--reason")
            parsed.reason = option.value;
        else if (option.name == "--lift")
            parsed.lift = true;
    }
    if (auto problem = agent_options_problem(parsed.agent)) return *problem;
    parsed.operands = std::move(operands);
    return parsed;
}

std::string request_body(const QuietArgs &args) {
    auto body = json_object();
    if (args.length) body->set("for", *args.length);
    body->set("reason", args.reason);
    return to_json(body);
}

/// Sends the request; prints `done(answer)` on success, else the agent's reason.
template <class Done>
int exchange(std::string_view command, const QuietArgs &args, const std::string &method,
             const std::string &target, const std::string &body, Done done) {
    const auto sent = send_to_agent(args.agent, method, target, body);
    if (const auto *failure = std::get_if<AgentFailure>(&sent))
        return fail(command, failure->exit_code, failure->message);
    const auto &reply = std::get<AgentReply>(sent);
    if (reply.status == 200) {
        Poco::JSON::Parser parser;
        const auto answer = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
        std::puts(done(*answer).c_str());
        return exit_done;
    }
    std::string why = fmt::format("{} refused {} {} ({}): {}", reply.agent, method, target,
                                  reply.status, reply.reason());
    if (reply.status == 401 && !reply.token_presented) why += no_token_hint;
    return fail(command, reply.status == 401 || reply.status == 403 ? EX_NOPERM : exit_refused,
                why);
}

std::string until_text(const Poco::JSON::Object &answer) {
    return answer.isNull("until") ? std::string{}
                                  : " until " + answer.getValue<std::string>("until");
}

} // namespace

std::string silence_usage_text() {
    return fmt::format(R"(Usage: vitalsd silence [OPTIONS] NAME --for DURATION [--reason TEXT]
       vitalsd silence [OPTIONS] NAME --lift

Silences the check NAME of the running agent: no alerts and no actions for it
until the silence ends (it is still run and shown, as "silenced until ... by
...: reason"). --for is required, from 1s to 30d ("30m", "2h", "7d"). --lift
ends the silence at once. POST or DELETE /health/checks/NAME/silence.

Options: --config PATH, --listen HOST:PORT, --timeout 5s, --ca PATH,
--cert PATH --key PATH.

{}
Exit status: 0 done; 1 refused by the agent (unknown check, a bad duration);
64 bad usage; 69 agent not reachable; 77 not allowed (401, 403); 78
configuration problem. Every failure prints one line to stderr.
)",
                       agent_options_help);
}

std::string maintenance_usage_text() {
    return fmt::format(R"(Usage: vitalsd maintenance [OPTIONS] on [--reason TEXT] [--for DURATION]
       vitalsd maintenance [OPTIONS] off

Puts the running agent into maintenance: readiness (/health/ready) answers 503
"maintenance: REASON" so load balancers drain the host, and every alert is
silenced, until `off`, or for --for (1s to 30d) when given. Liveness is
untouched. POST or DELETE /health/maintenance.

Options: --config PATH, --listen HOST:PORT, --timeout 5s, --ca PATH,
--cert PATH --key PATH.

{}
Exit status: 0 done; 1 refused by the agent (a bad duration); 64 bad usage;
69 agent not reachable; 77 not allowed (401, 403); 78 configuration problem.
)",
                       agent_options_help);
}

int silence_command(const std::vector<std::string> &args) {
    constexpr std::string_view command = "silence";
    if (wants_help(args)) {
        std::fputs(silence_usage_text().c_str(), stdout);
        return exit_done;
    }
    const auto parsed = parse_args(args, "vitalsd silence --help");
    if (const auto *problem = std::get_if<std::string>(&parsed))
        return fail(command, EX_USAGE, *problem);
    const auto &silence = std::get<QuietArgs>(parsed);
    if (silence.operands.size() != 1)
        return fail(command, EX_USAGE, "expected one check NAME (see vitalsd silence --help)");
    const std::string &name = silence.operands.front();
    if (!is_valid_name(name))
        return fail(command, EX_USAGE, fmt::format("\"{}\" is not a check name", name));
    if (silence.lift && (silence.length || !silence.reason.empty()))
        return fail(command, EX_USAGE, "--lift takes neither --for nor --reason");
    if (!silence.lift && !silence.length)
        return fail(command, EX_USAGE, "--for DURATION is required: a silence must end");
    std::string path;
    Poco::URI::encode(name, "/?#", path);
    const std::string target = "/health/checks/" + path + "/silence";
    if (silence.lift)
        return exchange(command, silence, Poco::Net::HTTPRequest::HTTP_DELETE, target, "",
                        [&](const Poco::JSON::Object &answer) {
                            return answer.getValue<bool>("lifted")
                                       ? fmt::format("{}: silence lifted", name)
                                       : fmt::format("{}: was not silenced", name);
                        });
    return exchange(command, silence, Poco::Net::HTTPRequest::HTTP_POST, target,
                    request_body(silence), [&](const Poco::JSON::Object &answer) {
                        return fmt::format("{}: silenced{}", name, until_text(answer));
                    });
}

int maintenance_command(const std::vector<std::string> &args) {
    constexpr std::string_view command = "maintenance";
    if (wants_help(args)) {
        std::fputs(maintenance_usage_text().c_str(), stdout);
        return exit_done;
    }
    const auto parsed = parse_args(args, "vitalsd maintenance --help");
    if (const auto *problem = std::get_if<std::string>(&parsed))
        return fail(command, EX_USAGE, *problem);
    const auto &maintenance = std::get<QuietArgs>(parsed);
    const auto &operands = maintenance.operands;
    if (operands.size() != 1 || (operands[0] != "on" && operands[0] != "off"))
        return fail(command, EX_USAGE, "expected on or off (see vitalsd maintenance --help)");
    if (maintenance.lift) return fail(command, EX_USAGE, "--lift is silence's: use `off`");
    const std::string target = "/health/maintenance";
    if (operands[0] == "off") {
        if (maintenance.length || !maintenance.reason.empty())
            return fail(command, EX_USAGE, "off takes neither --for nor --reason");
        return exchange(command, maintenance, Poco::Net::HTTPRequest::HTTP_DELETE, target, "",
                        [](const Poco::JSON::Object &answer) {
                            return std::string{answer.getValue<bool>("lifted")
                                                   ? "maintenance off"
                                                   : "the agent was not in maintenance"};
                        });
    }
    return exchange(
        command, maintenance, Poco::Net::HTTPRequest::HTTP_POST, target, request_body(maintenance),
        [](const Poco::JSON::Object &answer) { return "maintenance on" + until_text(answer); });
}

} // namespace vitals
