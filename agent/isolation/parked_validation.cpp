// SPDX-License-Identifier: MIT
#include "isolation/parked_validation.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <variant>

#include <fmt/format.h>

#include "config/table_reader.hpp"
#include "core/log.hpp"
#include "isolation/process_runner.hpp"
#include "isolation/worker_process.hpp"

namespace vitals {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Room beyond the checks' own timeouts for starting the worker and loading the plugins.
constexpr Duration startup_allowance = 5s;

/// The parked check a problem's key belongs to: "check.NAME" or "check.NAME.…", the
/// longest such name (names may contain dots).
const CheckDefinition &owner_of(const std::vector<ParkedCheck> &parked, std::string_view key) {
    const CheckDefinition *owner = parked.front().definition;
    std::size_t longest = 0;
    for (const auto &check : parked) {
        const std::string prefix = "check." + check.definition->name;
        const bool names_it =
            key.starts_with(prefix) && (key.size() == prefix.size() || key[prefix.size()] == '.');
        if (names_it && prefix.size() > longest) {
            owner = check.definition;
            longest = prefix.size();
        }
    }
    return *owner;
}

/// At the parameter's own line when the problem names one the check sets, as in process.
ConfigError locate(const CheckDefinition &check, wire::Problem problem) {
    const std::string params_prefix = "check." + check.name + ".params.";
    SourceLocation where = problem.key.ends_with(".plugin") ? check.plugin_where : check.where;
    if (check.params && problem.key.starts_with(params_prefix)) {
        const auto key = std::string_view{problem.key}.substr(params_prefix.size());
        if (const toml::node *value = check.params->get(key)) where = location_of(value->source());
    }
    return {std::move(where), std::move(problem.key), std::move(problem.message)};
}

std::string names_of(const std::vector<ParkedCheck> &parked) {
    std::string names;
    for (const auto &check : parked)
        names += (names.empty() ? "" : ", ") + check.definition->name;
    return names;
}

} // namespace

void validate_in_worker(const std::vector<ParkedCheck> &parked, const IsolationSettings &settings,
                        ConfigErrors &errors) {
    if (parked.empty()) return;
    wire::ValidateRequest request;
    Duration budget = startup_allowance;
    for (const auto &check : parked) {
        request.checks.push_back(
            ProcessRunner::create_request(*check.definition, check.plugin_file, settings));
        budget += check.definition->timeout;
    }
    const CheckDefinition &first = *parked.front().definition;
    const auto fail = [&](const std::string &why) {
        errors.push_back({first.where, "check." + first.name,
                          fmt::format("validating the disabled check(s) {} in a plugin worker: {}",
                                      names_of(parked), why)});
    };

    std::optional<WorkerProcess> worker;
    try {
        worker.emplace(ProcessRunner::worker_program(), "disabled-checks");
    } catch (const std::system_error &e) {
        log(LogLevel::warning, "config",
            "disabled check(s) {} not validated: cannot start a plugin worker: {}",
            names_of(parked), e.what());
        return;
    }
    const auto until = Clock::now() + budget;
    wire::Message reply;
    auto outcome = worker->send(request, until);
    if (outcome == WorkerProcess::Outcome::ok) outcome = worker->receive(reply, until);
    switch (outcome) {
    case WorkerProcess::Outcome::ok:
        break;
    case WorkerProcess::Outcome::timeout:
        worker->kill();
        log(LogLevel::warning, "config",
            "disabled check(s) {} not validated: their plugins' create() took longer than {}",
            names_of(parked), format_duration(budget));
        return;
    case WorkerProcess::Outcome::gone:
        return fail(describe_worker_exit(worker->reap(), " in create()"));
    case WorkerProcess::Outcome::garbage:
        worker->kill();
        return fail("the worker sent a malformed reply; killed");
    }
    auto *created = std::get_if<wire::CreateReply>(&reply);
    if (!created) {
        worker->kill();
        return fail("the worker sent an unexpected reply; killed");
    }
    for (auto &problem : created->problems)
        errors.push_back(locate(owner_of(parked, problem.key), std::move(problem)));
}

} // namespace vitals
