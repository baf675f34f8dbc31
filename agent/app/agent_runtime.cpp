// SPDX-License-Identifier: MIT
#include "app/agent_runtime.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "alerts/make_notifier.hpp"
#include "app/check_builder.hpp"
#include "core/host_name.hpp"
#include "core/log.hpp"
#include "core/loopback.hpp"
#include "http/health_routes.hpp"

namespace vitals {
namespace {

std::vector<CheckInfo> infos_of(const std::vector<std::shared_ptr<Check>> &checks) {
    std::vector<CheckInfo> infos;
    for (const auto &check : checks)
        infos.push_back(check_info(check->definition()));
    return infos;
}

std::vector<CheckDefinition> definitions_of(const std::vector<std::shared_ptr<Check>> &checks) {
    std::vector<CheckDefinition> definitions;
    for (const auto &check : checks)
        definitions.push_back(check->definition());
    return definitions;
}

std::vector<std::string> error_lines(const ConfigErrors &errors) {
    std::vector<std::string> lines;
    for (const auto &error : errors)
        lines.push_back(error.to_string());
    return lines;
}

/// The running or the loaded configuration as plan_reload compares them.
ReloadSide reload_side(const LoadedConfiguration &loaded) {
    ReloadSide side{loaded.config.agent, {}};
    for (const auto &check : loaded.checks)
        side.checks.push_back({check->definition(), check->plugin_identity()});
    return side;
}

state::Identities identities_of(const std::vector<std::shared_ptr<Check>> &checks,
                                const IsolationSettings &isolation, std::string_view key) {
    state::Identities identities;
    for (const auto &check : checks)
        identities.emplace(check->name(), restore_identity(check->definition(), isolation, key));
    return identities;
}

std::map<std::string, std::vector<MaintenanceWindow>>
windows_of(const std::vector<std::shared_ptr<Check>> &checks) {
    std::map<std::string, std::vector<MaintenanceWindow>> windows;
    for (const auto &check : checks)
        windows.emplace(check->name(), check->definition().maintenance);
    return windows;
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
    results_ = std::make_unique<ResultStore>(infos_of(current_.checks), agent.history_size);
    push_board_ = std::make_unique<PushBoard>(*results_);
    push_board_->assign(current_.checks);
    silences_ = std::make_unique<SilenceBoard>(real_clock());
    silences_->set_windows(windows_of(current_.checks));
    // A silenced check, or any in maintenance, runs no action.
    actions_ = std::make_unique<FailureActions>(
        *results_, real_clock(), [silences = silences_.get()](const std::string &check) {
            const auto now = std::chrono::system_clock::now();
            return silences->silenced(check, now) || silences->in_maintenance(now);
        });
    actions_->configure(definitions_of(current_.checks));
    status_.update([&](AgentFacts &facts) { facts.actions = actions_->counts(); });
    if (!agent.state_dir.empty()) keep_state(agent);
    // Bound before any check starts, so a busy port fails at once.
    server_ = std::make_unique<HttpServer>(
        agent.listen, agent.http, agent.tls,
        health_router(*results_, agent.endpoints, status_, push_board_.get(), silences_.get()),
        AccessPolicy{agent.access});
    warn_if_exposed(agent);
    if (!state_keeper_) forgetful_ledger_ = std::make_unique<ForgetfulLedger>();
    alerts_ = std::make_unique<AlertEngine>(*results_,
                                            state_keeper_ ? *state_keeper_ : *forgetful_ledger_,
                                            make_notifier, real_clock());
    // Silenced, in a window, or the agent in maintenance: no alert until that ends.
    alerts_->quiet_when([silences = silences_.get()](const std::string &check, auto now) {
        return silences->silenced(check, now) || silences->in_maintenance(now);
    });
    // Each alert says how the check's last on_failure action went.
    alerts_->note_actions([actions = actions_.get()](const std::string &check) {
        return actions->last_outcome(check);
    });
    configure_alerts(current_.config);
    scheduler_ = std::make_unique<Scheduler>(current_.checks, *results_,
                                             Scheduler::Options{.workers = agent.workers});
    status_.update([&](AgentFacts &facts) {
        facts.schedule_lag = scheduler_->lag();
        facts.scheduler_load = scheduler_->load();
        facts.process_usage = read_process_usage;
    });
}

void AgentRuntime::keep_state(const AgentSettings &agent) {
    auto health = std::make_shared<StateHealth>();
    state_keeper_ = std::make_unique<state::StateKeeper>(agent.state_dir, health);
    status_.update([&](AgentFacts &facts) { facts.state = health; });
    state::SavedState saved = state_keeper_->take_saved();
    const auto identities =
        identities_of(current_.checks, agent.isolation, state_keeper_->identity_key());
    // Silences and maintenance survive restarts; what expired meanwhile is dropped.
    silences_->restore(std::move(saved.silences), std::move(saved.maintenance));
    state_keeper_->keep_silences(*silences_);
    // Watching first: what is restored is written back with the gap in its uptime.
    state_keeper_->start(*results_, *push_board_, identities);
    std::size_t restored = 0;
    for (const auto &[name, identity] : identities) {
        const auto found = saved.checks.find(name);
        // A check defined otherwise than when it was saved starts afresh.
        if (found == saved.checks.end() || found->second.identity != identity) continue;
        state::SavedCheck &check = found->second;
        if (check.past && results_->restore(name, std::move(*check.past))) ++restored;
        if (const auto inbox = check.deadline ? push_board_->find(name) : nullptr)
            inbox->resume(*check.deadline);
    }
    log(LogLevel::info, "state", "{} of {} check(s) restored from the last run", restored,
        identities.size());
}

AgentRuntime::~AgentRuntime() {
    stop();
}

void AgentRuntime::start() {
    alerts_->start();  // before the first result, which it may have to tell
    actions_->start(); // before the first result, so no failure goes uncounted
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
    auto next = load_configuration(agent_file_, default_settings(agent_file_), stop);
    if (stop.stop_requested()) {
        log(LogLevel::info, "reload", "given up: the agent is stopping");
        return;
    }
    if (!next.errors.empty()) return refuse(next.errors);
    if (listen_override_) next.config.agent.listen = *listen_override_;
    const ReloadPlan plan = plan_reload(reload_side(current_), reload_side(next));
    if (!plan.restart_only_changes.empty())
        log(LogLevel::warning, "reload", "changes to {} apply at the next restart",
            fmt::join(plan.restart_only_changes, ", "));
    keep_restart_only_settings(next.config.agent, current_.config.agent);
    apply(plan, std::move(next));
}

void AgentRuntime::apply(const ReloadPlan &plan, LoadedConfiguration next) {
    const AgentSettings &after = next.config.agent;
    // The running instance of every check kept, the loaded one of every other.
    std::map<std::string, std::shared_ptr<Check>> running;
    for (auto &check : current_.checks)
        running.emplace(check->name(), check);
    std::vector<std::shared_ptr<Check>> checks, started;
    for (auto &check : next.checks) {
        if (plan.keep.contains(check->name())) {
            checks.push_back(running.at(check->name()));
            continue;
        }
        checks.push_back(check);
        started.push_back(check);
    }
    for (const auto &name : plan.restart)
        scheduler_->remove(name);
    for (const auto &name : plan.remove)
        scheduler_->remove(name);
    if (state_keeper_)
        state_keeper_->track(identities_of(checks, after.isolation, state_keeper_->identity_key()));
    results_->reconcile(infos_of(checks), plan.restart);
    push_board_->assign(checks);
    silences_->set_windows(windows_of(checks));
    // From the loaded definitions: a kept check's running instance has the old on_failure.
    actions_->configure(definitions_of(next.checks));
    for (auto &check : started)
        scheduler_->add(check);
    server_->update(
        health_router(*results_, after.endpoints, status_, push_board_.get(), silences_.get()),
        AccessPolicy{after.access});
    configure_alerts(next.config);

    log(LogLevel::info, "reload",
        "configuration reloaded: {} check(s), {} new or changed, {} removed", checks.size(),
        started.size(), plan.remove.size());
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
    watch();
}

std::string AgentRuntime::link_base(const AgentSettings &agent) const {
    if (!agent.external_url.empty()) return agent.external_url;
    // Bound to every address: the host's name is the one a reader can reach it by.
    const bool wildcard =
        agent.listen.host.empty() || agent.listen.host == "0.0.0.0" || agent.listen.host == "::";
    const std::string host = wildcard ? host_name() : agent.listen.host;
    const bool ipv6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}", agent.tls.enabled() ? "https" : "http", ipv6 ? "[" : "",
                       host, ipv6 ? "]" : "", server_->port());
}

void AgentRuntime::configure_alerts(const Configuration &config) {
    alerts_->configure(config, link_base(config.agent));
    status_.update([&](AgentFacts &facts) { facts.notifiers = alerts_->health(); });
}

void AgentRuntime::warn_if_exposed(const AgentSettings &agent) {
    if (!is_loopback(agent.listen.host) && agent.access.tokens.empty() &&
        agent.access.anonymous > Scope::probe)
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
    if (actions_) actions_->stop(); // kills actions still running; their notes go before state's
    if (alerts_) alerts_->stop();   // after the last results and notes, which it may tell
    if (state_keeper_) state_keeper_->stop(); // after the last results and alerts, which it writes
    if (server_) server_->stop();
}

} // namespace vitals
