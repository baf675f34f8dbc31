// SPDX-License-Identifier: MIT
#include "app/agent_runtime.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/log.hpp"
#include "http/health_routes.hpp"

namespace vitals {
namespace {

std::vector<CheckInfo> infos_of(const std::vector<std::shared_ptr<Check>> &checks) {
    std::vector<CheckInfo> infos;
    for (const auto &check : checks)
        infos.push_back(check->info());
    return infos;
}

std::vector<std::string> error_lines(const ConfigErrors &errors) {
    std::vector<std::string> lines;
    for (const auto &error : errors)
        lines.push_back(error.to_string());
    return lines;
}

Duration longest_timeout(const std::vector<std::shared_ptr<Check>> &checks) {
    Duration longest = std::chrono::seconds{1};
    for (const auto &check : checks)
        longest = std::max(longest, check->definition().timeout);
    return longest;
}

} // namespace

AgentFacts facts_for(const LoadedConfiguration &loaded,
                     std::chrono::system_clock::time_point started) {
    AgentFacts facts;
    facts.version = VITALS_VERSION;
    facts.abi = fmt::format("{}.{}", VITALS_ABI_MAJOR, VITALS_ABI_MINOR);
    facts.started = started;
    for (const auto &plugin : loaded.plugins.found())
        facts.plugins.emplace_back(plugin.name, plugin.version);
    std::sort(facts.plugins.begin(), facts.plugins.end());
    facts.config_ok = loaded.errors.empty();
    facts.config_errors = error_lines(loaded.errors);
    facts.config_loaded = std::chrono::system_clock::now();
    return facts;
}

AgentRuntime::AgentRuntime(LoadedConfiguration loaded,
                           std::optional<std::filesystem::path> agent_file,
                           std::optional<ListenAddress> listen_override,
                           std::chrono::system_clock::time_point started)
    : current_(std::move(loaded)), agent_file_(std::move(agent_file)),
      listen_override_(std::move(listen_override)), status_(facts_for(current_, started)) {
    current_.plugins.release_libraries();
    if (listen_override_) current_.config.agent.listen = *listen_override_;
    const AgentSettings &agent = current_.config.agent;
    shutdown_delay_ = agent.shutdown_delay;
    for (const auto &check : current_.checks)
        fingerprints_[check->name()] = fingerprint(*check, agent.isolation);
    results_ = std::make_unique<ResultStore>(infos_of(current_.checks), agent.history_size);
    push_board_ = std::make_unique<PushBoard>(*results_);
    push_board_->assign(current_.checks);
    // Bound before any check starts, so a busy port fails at once.
    server_ = std::make_unique<HttpServer>(
        agent.listen, agent.http, agent.tls,
        health_router(*results_, agent.endpoints, status_, push_board_.get()),
        AccessPolicy{agent.access});
    warn_if_exposed(agent);
    scheduler_ = std::make_unique<Scheduler>(current_.checks, *results_,
                                             Scheduler::Options{.workers = agent.workers});
    status_.update([&](AgentFacts &facts) {
        facts.schedule_lag = scheduler_->lag();
        facts.scheduler_load = scheduler_->load();
        facts.process_usage = read_process_usage;
    });
}

AgentRuntime::~AgentRuntime() {
    stop();
}

void AgentRuntime::start() {
    scheduler_->start();
    server_->start();
    watch();
    reloader_ = std::make_unique<ReloadThread>([this](std::stop_token stop) {
        try {
            reload(stop);
        } catch (const std::exception &e) {
            refuse({{{}, "", fmt::format("reload failed: {}", e.what())}});
        }
    });
}

void AgentRuntime::request_reload() {
    if (reloader_) reloader_->request();
}

std::uint16_t AgentRuntime::port() const {
    return server_->port();
}

void AgentRuntime::watch() {
    const AgentSettings &agent = current_.config.agent;
    ConfigWatcher::Paths paths{agent.conf_d, agent_file_, agent.plugin_dirs};
    // Re-arming would drop an edit made while a reload ran: keep the watcher
    // unless the reload moved what it watches.
    if (watcher_ && watched_ == paths) return;
    watcher_.reset(); // one watcher at a time: stop the old one first
    watcher_ = std::make_unique<ConfigWatcher>(paths);
    watched_ = std::move(paths);
}

std::string AgentRuntime::fingerprint(const Check &check, const IsolationSettings &isolation) {
    const CheckDefinition &d = check.definition();
    std::ostringstream params;
    params << *d.params;
    // Where the plugin runs may come from agent.toml's [isolation] rather than the check,
    // and a worker's limits only from there: a change to either restarts the check.
    const bool worker = effective_isolation(d, isolation) == Isolation::process;
    const std::string where =
        worker ? fmt::format("process:{}:{}:{}", isolation.memory_limit,
                             isolation.cpu_time_limit.count(), isolation.respawn_backoff.count())
               : "in_process";
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", d.plugin, check.plugin_identity(),
                       d.description, d.interval.count(), d.timeout.count(),
                       fmt::join(d.groups, ","), d.failure_threshold, d.success_threshold,
                       fmt::join(d.depends_on, ","), where, d.enabled, d.ttl ? d.ttl->count() : -1,
                       params.str());
}

void AgentRuntime::refuse(const ConfigErrors &errors) {
    for (const auto &error : errors)
        log(LogLevel::error, "reload", "{}", error.to_string());
    log(LogLevel::error, "reload", "{} error(s); the running configuration stays in force",
        errors.size());
    status_.update([&](AgentFacts &facts) {
        facts.config_ok = false;
        facts.config_errors = error_lines(errors);
        facts.config_loaded = std::chrono::system_clock::now();
        ++facts.config_reloads;
        ++facts.config_reload_failures;
    });
}

void AgentRuntime::reload(std::stop_token stop) {
    log(LogLevel::info, "reload", "reloading the configuration");
    auto next = load_configuration(agent_file_, default_settings(agent_file_),
                                   ParkedChecks::in_worker, stop);
    if (stop.stop_requested()) {
        log(LogLevel::info, "reload", "given up: the agent is stopping");
        return;
    }
    if (!next.errors.empty()) return refuse(next.errors);
    const AgentSettings &before = current_.config.agent;
    AgentSettings &after = next.config.agent;
    if (listen_override_) after.listen = *listen_override_;
    if (after.listen.to_string() != before.listen.to_string() || after.workers != before.workers ||
        after.http != before.http || after.tls != before.tls ||
        after.history_size != before.history_size)
        log(LogLevel::warning, "reload",
            "listen, workers, [http], [tls] and history apply at the next restart");
    after.listen = before.listen;
    after.workers = before.workers;
    after.http = before.http;
    after.tls = before.tls;
    after.history_size = before.history_size;

    // Keep the running instance of every unchanged check.
    std::map<std::string, std::shared_ptr<Check>> running;
    for (auto &check : current_.checks)
        running.emplace(check->name(), check);
    std::map<std::string, std::string> fingerprints;
    std::vector<std::shared_ptr<Check>> checks, added;
    std::set<std::string> restarted;
    for (auto &check : next.checks) {
        const std::string print = fingerprint(*check, after.isolation);
        fingerprints[check->name()] = print;
        const auto old = running.find(check->name());
        if (old != running.end() && fingerprints_[check->name()] == print) {
            checks.push_back(old->second);
            running.erase(old);
            continue;
        }
        if (old != running.end()) {
            restarted.insert(check->name());
            scheduler_->remove(check->name());
            running.erase(old);
        }
        checks.push_back(check);
        added.push_back(check);
    }
    for (const auto &[name, check] : running)
        scheduler_->remove(name);
    results_->reconcile(infos_of(checks), restarted);
    push_board_->assign(checks);
    for (auto &check : added)
        scheduler_->add(check);
    server_->update(health_router(*results_, after.endpoints, status_, push_board_.get()),
                    AccessPolicy{after.access});

    log(LogLevel::info, "reload",
        "configuration reloaded: {} check(s), {} new or changed, {} removed", checks.size(),
        added.size(), running.size());
    next.checks = std::move(checks);
    const AgentFacts fresh = facts_for(next, {});
    status_.update([&](AgentFacts &facts) {
        facts.plugins = fresh.plugins;
        facts.config_ok = true;
        facts.config_errors.clear();
        facts.config_loaded = fresh.config_loaded;
        ++facts.config_reloads;
    });
    // Plugins no check uses any more unload once their last run ends.
    next.plugins.release_libraries();
    current_ = std::move(next);
    shutdown_delay_ = current_.config.agent.shutdown_delay;
    fingerprints_ = std::move(fingerprints);
    watch();
}

void AgentRuntime::warn_if_exposed(const AgentSettings &agent) {
    const std::string &host = agent.listen.host;
    const bool loopback = host == "localhost" || host.starts_with("127.") || host == "::1";
    if (!loopback && agent.access.tokens.empty() && agent.access.anonymous > Scope::probe)
        log(LogLevel::warning, "http",
            "listening on {} with no [access] token_file: anyone who can reach it sees every "
            "check's details{}",
            agent.listen.to_string(),
            agent.access.anonymous == Scope::write ? " and can push results" : "");
}

void AgentRuntime::drain() {
    status_.update([](AgentFacts &facts) { facts.draining = true; });
}

void AgentRuntime::stop() {
    reloader_.reset(); // gives up a reload in progress and joins it: nothing else changes now
    watcher_.reset();
    if (scheduler_) scheduler_->stop(longest_timeout(current_.checks));
    if (server_) server_->stop();
}

} // namespace vitals
