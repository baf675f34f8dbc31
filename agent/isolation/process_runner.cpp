// SPDX-License-Identifier: MIT
#include "isolation/process_runner.hpp"

#include <algorithm>
#include <csignal>
#include <sstream>
#include <sys/wait.h>
#include <system_error>

#include <fmt/format.h>

#include "checks/host_context.hpp"
#include "checks/param_validation.hpp"
#include "core/log.hpp"
#include "isolation/wire.hpp"
#include "isolation/worker_process.hpp"

namespace vitals {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Where the doubling respawn backoff stops (unless respawn_backoff itself is longer).
constexpr Duration max_backoff = 1min;

std::filesystem::path &program_to_start() {
    static std::filesystem::path program{"/proc/self/exe"};
    return program;
}

LogLevel current_log_level() {
    for (const auto level : {LogLevel::debug, LogLevel::info, LogLevel::warning})
        if (log_enabled(level)) return level;
    return LogLevel::error;
}

std::string params_as_toml(const CheckDefinition &definition) {
    if (!definition.params) return "";
    // `params = { ... }` is an inline table, which toml++ prints as one: as the document's
    // root it must print as plain key = value lines.
    toml::table root = *definition.params;
    root.is_inline(false);
    std::ostringstream text;
    text << root;
    return text.str();
}

/// Worker problems carry keys such as "check.web.params.port"; the worker read its own copy
/// of the params, so lines are found again in the agent's table.
void report_refusals(const CheckDefinition &definition, const PluginLibrary &plugin,
                     const std::vector<wire::Problem> &problems, ConfigErrors &errors) {
    CreateContext context{definition, plugin, errors};
    const std::string params_key = "check." + definition.name + ".params";
    for (const auto &problem : problems) {
        if (problem.key == params_key)
            context.error("", problem.message);
        else if (problem.key.starts_with(params_key + "."))
            context.error(std::string_view{problem.key}.substr(params_key.size() + 1),
                          problem.message);
        else
            errors.push_back(
                {problem.key.ends_with(".plugin") ? definition.plugin_where : definition.where,
                 problem.key, problem.message});
    }
}

/// "params.port: must be below 65536; ..." for a result message.
std::string describe_refusals(const CheckDefinition &definition,
                              const std::vector<wire::Problem> &problems) {
    const std::string prefix = "check." + definition.name + ".";
    std::string text;
    for (const auto &problem : problems) {
        if (!text.empty()) text += "; ";
        const std::string_view key = problem.key.starts_with(prefix)
                                         ? std::string_view{problem.key}.substr(prefix.size())
                                         : std::string_view{problem.key};
        text += fmt::format("{}: {}", key, problem.message);
    }
    return text;
}

std::string describe_exit(int wait_status, const IsolationSettings &settings,
                          std::string_view during = "") {
    std::string text = describe_worker_exit(wait_status, during);
    if (wait_status != -1 && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGXCPU &&
        settings.cpu_time_limit > Duration::zero())
        text += fmt::format(" (over cpu_time_limit {})", format_duration(settings.cpu_time_limit));
    return text;
}

/// What a worker is asked to create for `definition`: its plugin file, params, and (from
/// agent.toml's [isolation]) limits.
wire::CreateRequest create_request(const CheckDefinition &definition,
                                   const std::filesystem::path &plugin_file,
                                   const IsolationSettings &settings) {
    wire::CreateRequest request;
    request.plugin_file = plugin_file.string();
    request.check_name = definition.name;
    request.params_toml = params_as_toml(definition);
    request.interval = definition.interval;
    request.timeout = definition.timeout;
    request.memory_limit = settings.memory_limit;
    request.cpu_time_limit = settings.cpu_time_limit;
    request.log_level = static_cast<std::int32_t>(current_log_level());
    request.labels = definition.labels;
    for (const auto &[key, where] : definition.params.from_references())
        request.secret_params.push_back(key);
    return request;
}

} // namespace

void ProcessRunner::set_worker_program(std::filesystem::path program) {
    program_to_start() = std::move(program);
}

std::chrono::nanoseconds ProcessRunner::kill_margin(std::chrono::nanoseconds timeout) {
    return std::min<std::chrono::nanoseconds>(timeout / 10, 50ms);
}

std::unique_ptr<ProcessRunner> ProcessRunner::create(const CheckDefinition &definition,
                                                     std::shared_ptr<const PluginLibrary> plugin,
                                                     ConfigErrors &errors,
                                                     const IsolationSettings &settings) {
    {
        // The agent has the plugin's table too: most mistakes never need a worker.
        CreateContext context{definition, *plugin, errors};
        validate_params(definition, *plugin, context);
        if (context.has_errors()) return nullptr;
    }
    std::unique_ptr<ProcessRunner> runner{new ProcessRunner(definition, plugin->file(), settings)};
    if (const auto problem = runner->start_worker()) {
        errors.push_back({definition.where, "check." + definition.name + ".isolation", *problem});
        return nullptr;
    }
    std::vector<wire::Problem> refusals;
    std::string problem;
    switch (runner->await_created(Clock::now() + definition.timeout, refusals, problem)) {
    case Started::ready:
        return runner;
    case Started::pending:
        log(LogLevel::warning, "isolation",
            "{}: create() has not returned within {} in its worker; starting without waiting "
            "(runs report it until it does)",
            definition.name, format_duration(definition.timeout));
        return runner;
    case Started::refused:
        report_refusals(definition, *plugin, refusals, errors);
        return nullptr;
    case Started::lost:
        errors.push_back({definition.where, "check." + definition.name, problem});
        return nullptr;
    }
    return nullptr;
}

ProcessRunner::ProcessRunner(CheckDefinition definition, std::filesystem::path plugin_file,
                             IsolationSettings settings)
    : definition_(std::move(definition)), plugin_file_(std::move(plugin_file)),
      settings_(std::move(settings)) {}

ProcessRunner::~ProcessRunner() = default;

std::optional<std::string> ProcessRunner::start_worker() {
    try {
        worker_ = std::make_unique<WorkerProcess>(program_to_start(), definition_.name);
    } catch (const std::system_error &e) {
        return e.what();
    }
    const auto request = create_request(definition_, plugin_file_, settings_);
    create_sent_ = Clock::now();
    creating_ = true;
    // A fresh socket takes a small request at once; a worker dead already shows up in the reply.
    worker_->send(request, create_sent_ + 1s);
    return std::nullopt;
}

ProcessRunner::Started ProcessRunner::await_created(TimePoint until,
                                                    std::vector<wire::Problem> &refusals,
                                                    std::string &problem) {
    wire::Message reply;
    switch (worker_->receive(reply, until)) {
    case WorkerProcess::Outcome::timeout:
        return Started::pending;
    case WorkerProcess::Outcome::gone:
        problem = describe_exit(worker_->reap(), settings_, " in create()");
        return Started::lost;
    case WorkerProcess::Outcome::garbage:
        worker_->kill();
        problem = "plugin worker sent a malformed reply to create; killed";
        return Started::lost;
    case WorkerProcess::Outcome::ok:
        break;
    }
    auto *created = std::get_if<wire::CreateReply>(&reply);
    if (!created) {
        worker_->kill();
        problem = "plugin worker sent an unexpected reply to create; killed";
        return Started::lost;
    }
    creating_ = false;
    if (created->problems.empty()) return Started::ready;
    refusals = std::move(created->problems);
    return Started::refused;
}

void ProcessRunner::lose_worker(const std::string &why, const std::string &cause) {
    worker_.reset(); // reaps it, or ends and reaps it
    creating_ = false;
    backoff_ = backoff_ == Duration::zero()
                   ? settings_.respawn_backoff
                   : std::min(backoff_ * 2, std::max(max_backoff, settings_.respawn_backoff));
    restart_after_ = Clock::now() + backoff_;
    lost_because_ = cause;
    log(LogLevel::warning, "isolation", "{}: {}; next worker in {}", definition_.name, why,
        format_duration(backoff_));
}

CheckResult ProcessRunner::failure(std::string message,
                                   std::chrono::system_clock::time_point started,
                                   TimePoint start) const {
    CheckResult result;
    result.status = Status::error;
    result.message = std::move(message);
    result.duration = Clock::now() - start;
    result.started = started;
    return result;
}

CheckResult ProcessRunner::run(TimePoint deadline, const RunHistory &history) {
    const auto started = std::chrono::system_clock::now();
    const auto start = Clock::now();
    // Finish before the scheduler's own deadline, so this run reports what happened.
    const TimePoint until = deadline - kill_margin(definition_.timeout);

    if (!worker_) {
        if (start < restart_after_)
            return failure(fmt::format("worker restarting after {} (retry in {})", lost_because_,
                                       format_duration(std::chrono::ceil<std::chrono::milliseconds>(
                                           restart_after_ - start))),
                           started, start);
        if (const auto problem = start_worker()) {
            lose_worker(*problem, "failed start");
            return failure(*problem, started, start);
        }
    }
    if (creating_) {
        std::vector<wire::Problem> refusals;
        std::string problem;
        switch (await_created(until, refusals, problem)) {
        case Started::ready:
            break;
        case Started::pending:
            return failure(
                fmt::format("plugin still in create() after {}",
                            format_duration(std::chrono::round<std::chrono::milliseconds>(
                                Clock::now() - create_sent_))),
                started, start);
        case Started::refused:
            problem = "plugin refused the check: " + describe_refusals(definition_, refusals);
            lose_worker(problem, "refusal");
            return failure(problem, started, start);
        case Started::lost:
            lose_worker(problem, "crash");
            return failure(problem, started, start);
        }
        if (Clock::now() >= until)
            return failure(fmt::format("timed out after {} while its worker started",
                                       format_duration(definition_.timeout)),
                           started, start);
    }

    // The plugin's deadline: cancel_fd() fires there, a margin before the kill at `until`.
    const TimePoint plugin_deadline = until - kill_margin(definition_.timeout);
    wire::RunRequest request;
    request.time_left = plugin_deadline - Clock::now();
    request.previous_status = history.previous ? static_cast<std::int32_t>(*history.previous) : -1;
    request.failures_in_a_row = history.failures_in_a_row;
    wire::Message reply;
    auto outcome = worker_->send(request, until);
    if (outcome == WorkerProcess::Outcome::ok) outcome = worker_->receive(reply, until);
    if (outcome == WorkerProcess::Outcome::ok && !std::holds_alternative<wire::RunReply>(reply))
        outcome = WorkerProcess::Outcome::garbage;
    std::string problem;
    switch (outcome) {
    case WorkerProcess::Outcome::ok: {
        backoff_ = Duration::zero();
        // Past its deadline (its cancel_fd() fired) the plugin's word no longer counts, as
        // in process, where the scheduler records the timeout; but its worker lives on.
        if (Clock::now() > plugin_deadline)
            return failure(fmt::format("timed out after {}", format_duration(definition_.timeout)),
                           started, start);
        CheckResult result = std::move(std::get<wire::RunReply>(reply).result);
        result.started = started;
        return result;
    }
    case WorkerProcess::Outcome::timeout:
        worker_->kill();
        problem = fmt::format("killed after timeout ({})", format_duration(definition_.timeout));
        lose_worker(problem, "timeout");
        break;
    case WorkerProcess::Outcome::gone:
        problem = describe_exit(worker_->reap(), settings_);
        lose_worker(problem, "crash");
        break;
    case WorkerProcess::Outcome::garbage:
        worker_->kill();
        problem = "plugin worker sent a malformed reply; killed";
        lose_worker(problem, "protocol error");
        break;
    }
    return failure(problem, started, start);
}

} // namespace vitals
