// SPDX-License-Identifier: MIT
#include "cli/push_command.hpp"

#include <cstdio>
#include <optional>
#include <variant>

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <sysexits.h>

#include "cli/agent_request.hpp"
#include "core/command_line.hpp"
#include "core/duration.hpp"
#include "core/names.hpp"
#include "http/json_body.hpp"

namespace vitals {
namespace {

constexpr int exit_accepted = 0;
constexpr int exit_refused = 1;

struct PushArgs {
    AgentOptions agent;
    std::string check;
    std::string status;
    std::string message;
};

int fail(int code, const std::string &why) {
    std::fprintf(stderr, "vitalsd push: %s\n", why.c_str());
    return code;
}

std::variant<PushArgs, std::string> parse_args(const std::vector<std::string> &args) {
    auto split = split_command_line(args, agent_option_specs(), "vitalsd push --help");
    if (auto *problem = std::get_if<std::string>(&split)) return std::move(*problem);
    const auto &[options, positional] = std::get<CommandLine>(split);

    PushArgs parsed;
    for (const auto &option : options)
        if (auto read = read_agent_option(option, parsed.agent);
            auto *problem = std::get_if<std::string>(&read))
            return std::move(*problem);
    if (auto problem = agent_options_problem(parsed.agent)) return *problem;
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

} // namespace

std::string push_usage_text() {
    return fmt::format(R"(Usage: vitalsd push [--config PATH] [--listen HOST:PORT] [--timeout 5s]
                    [--ca PATH] [--cert PATH --key PATH] CHECK STATUS [MESSAGE...]

Reports to a push check (plugin = "push") of the running agent, for cron jobs
and scripts: POST /health/checks/CHECK with {{"status": STATUS, "message": MESSAGE}}.
STATUS is ok, warning or error, or a Nagios exit code 0, 1, 2 or 3 (3, UNKNOWN,
is an error). The words after STATUS are the message.

{}
Exit status: 0 recorded; 1 refused by the agent (unknown check, not a push
check, bad report); 64 bad usage; 69 agent not reachable; 77 not allowed (401,
403); 78 configuration problem. Every failure prints one line to stderr.
)",
                       agent_options_help);
}

int push_command(const std::vector<std::string> &args) {
    for (const auto &arg : args)
        if (arg == "--help" || arg == "-h") {
            std::fputs(push_usage_text().c_str(), stdout);
            return exit_accepted;
        }
    const auto parsed = parse_args(args);
    if (const auto *problem = std::get_if<std::string>(&parsed)) return fail(EX_USAGE, *problem);
    const auto &push = std::get<PushArgs>(parsed);
    const auto status = status_word(push.status);
    if (!status)
        return fail(EX_USAGE, fmt::format("STATUS \"{}\" is not ok, warning, error, 0, 1, 2 or 3",
                                          push.status));
    if (!is_valid_name(push.check))
        return fail(EX_USAGE, fmt::format("\"{}\" is not a check name", push.check));
    auto report = json_object();
    report->set("status", *status);
    if (push.status == "3" && !push.message.starts_with("UNKNOWN"))
        report->set("message", "UNKNOWN" + (push.message.empty() ? "" : ": " + push.message));
    else
        report->set("message", push.message);

    std::string path;
    Poco::URI::encode(push.check, "/?#", path);
    const auto sent = send_to_agent(push.agent, Poco::Net::HTTPRequest::HTTP_POST,
                                    "/health/checks/" + path, to_json(report));
    if (const auto *failure = std::get_if<AgentFailure>(&sent))
        return fail(failure->exit_code, failure->message);
    const auto &reply = std::get<AgentReply>(sent);
    if (reply.status == 200) return exit_accepted;
    std::string why = fmt::format("{} refused the report for '{}' ({}): {}", reply.agent,
                                  push.check, reply.status, reply.reason());
    if (reply.status == 401 && !reply.token_presented) why += no_token_hint;
    return fail(reply.status == 401 || reply.status == 403 ? EX_NOPERM : exit_refused, why);
}

} // namespace vitals
