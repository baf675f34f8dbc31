// SPDX-License-Identifier: MIT
#include "cli/notify_command.hpp"

#include <sysexits.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <variant>

#include <Poco/Exception.h>
#include <fmt/format.h>

#include "alerts/make_notifier.hpp"
#include "app/load_configuration.hpp"
#include "config/config_reader.hpp"
#include "config/notifier_reader.hpp"
#include "core/command_line.hpp"
#include "core/host_name.hpp"

namespace vitals {
namespace {

constexpr int exit_rejected = 1;

struct NotifyArgs {
    std::string name;
    std::optional<std::filesystem::path> config;
    bool help = false;
};

int fail(int code, const std::string &why) {
    std::fprintf(stderr, "vitalsd notify: %s\n", why.c_str());
    return code;
}

std::variant<NotifyArgs, std::string> parse_args(const std::vector<std::string> &args) {
    static constexpr OptionSpec specs[] = {
        {"--help", {}, "-h"}, {"--test", "a NAME"}, {"--config", "a PATH"}};
    auto split = split_command_line(args, specs, "vitalsd notify --help");
    if (auto *problem = std::get_if<std::string>(&split)) return std::move(*problem);
    const auto &[options, operands] = std::get<CommandLine>(split);
    if (!operands.empty())
        return fmt::format("unexpected \"{}\" (see vitalsd notify --help)", operands.front());
    NotifyArgs parsed;
    for (const auto &[name, value] : options) {
        if (name == "--help")
            parsed.help = true;
        else if (name == "--test")
            parsed.name = value;
        else if (name == "--config")
            parsed.config = value;
    }
    if (!parsed.help && parsed.name.empty()) return "--test NAME is required";
    return parsed;
}

/// What `notify --test` sends: a test alert at the notifier's own minimum status, so that a
/// notifier for errors only is tested with an error.
Alert test_alert(const NotifierDefinition &notifier, const AgentSettings &agent) {
    Alert alert;
    const auto now = std::chrono::system_clock::now();
    alert.id = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    alert.kind = AlertKind::test;
    alert.check = "vitals-test";
    alert.status = notifier.min_status;
    alert.previous = Status::ok;
    alert.message =
        fmt::format("a test alert for notifier '{}', sent by vitalsd notify --test", notifier.name);
    alert.since = now;
    alert.at = now;
    alert.host = host_name();
    alert.labels = {{"instance", alert.host}};
    for (const auto &[name, value] : agent.labels)
        alert.labels.insert_or_assign(name, value);
    alert.link = agent.external_url;
    return alert;
}

std::optional<std::string> read_text(const std::filesystem::path &file) {
    std::ifstream in{file};
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

std::string notify_usage_text() {
    return R"(Usage: vitalsd notify --test NAME [--config PATH]

Sends one test alert through the notifier NAME of agent.toml ([[notifier]] name = NAME)
and prints what became of it. Only agent.toml is read, not conf.d.

Options:
  --test NAME    the notifier to test
  --config PATH  agent.toml (default: /etc/vitals/agent.toml)
  --help         print this help and exit

Exit status: 0 delivered; 1 rejected by the receiver; 69 not delivered, worth retrying
(receiver down, 5xx, timeout); 64 usage or unknown NAME; 78 configuration.
)";
}

int notify_command(const std::vector<std::string> &args) {
    const auto parsed = parse_args(args);
    if (const auto *problem = std::get_if<std::string>(&parsed)) return fail(EX_USAGE, *problem);
    const auto &notify = std::get<NotifyArgs>(parsed);
    if (notify.help) {
        std::fputs(notify_usage_text().c_str(), stdout);
        return 0;
    }
    const auto agent_file = locate_agent_file(notify.config);
    if (!agent_file)
        return fail(EX_CONFIG, "no agent.toml (give --config PATH): notifiers are declared there");
    const auto text = read_text(*agent_file);
    if (!text) return fail(EX_CONFIG, fmt::format("cannot read '{}'", agent_file->string()));
    const auto read =
        read_configuration(ConfigText{*agent_file, *text}, {}, default_settings(agent_file));
    if (!read.errors.empty()) {
        for (const auto &error : read.errors)
            std::fprintf(stderr, "%s\n", error.to_string().c_str());
        return fail(EX_CONFIG, fmt::format("{} is not valid", agent_file->string()));
    }
    const auto &agent = read.config.agent;
    const NotifierDefinition *definition = nullptr;
    std::vector<std::string> names;
    for (const auto &notifier : agent.notifiers) {
        names.push_back(notifier.name);
        if (notifier.name == notify.name) definition = &notifier;
    }
    if (!definition)
        return fail(EX_USAGE,
                    fmt::format("no notifier '{}' in {} ({})", notify.name, agent_file->string(),
                                names.empty()
                                    ? "it declares none"
                                    : fmt::format("it declares: {}", fmt::join(names, ", "))));
    std::unique_ptr<Notifier> notifier;
    try {
        notifier = make_notifier(*definition);
    } catch (const Poco::Exception &error) {
        return fail(EX_CONFIG, fmt::format("notifier '{}': {}", notify.name, error.displayText()));
    }
    const auto outcome = notifier->deliver(test_alert(*definition, agent));
    const std::string label =
        fmt::format("notifier '{}' ({})", notify.name, to_string(definition->type));
    switch (outcome.kind) {
    case DeliveryOutcome::Kind::delivered:
        std::printf("%s: test alert delivered\n", label.c_str());
        return 0;
    case DeliveryOutcome::Kind::rejected:
        return fail(exit_rejected, fmt::format("{}: rejected: {}", label, outcome.error));
    case DeliveryOutcome::Kind::retry:
        break;
    }
    return fail(EX_UNAVAILABLE,
                fmt::format("{}: not delivered (the agent would retry): {}", label, outcome.error));
}

} // namespace vitals
