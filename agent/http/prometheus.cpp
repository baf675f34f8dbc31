// SPDX-License-Identifier: MIT
#include "http/prometheus.hpp"

#include <array>
#include <cmath>
#include <iterator>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "results/verdict.hpp"
#include "scheduler/schedule_lag.hpp"
#include "scheduler/scheduler_load.hpp"

namespace vitals {
namespace {

double unix_seconds(std::chrono::system_clock::time_point time) {
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

/// Prometheus wants base units in the name: a plugin metric lands in the
/// family for its unit, its value scaled.
struct UnitFamily {
    std::string_view suffix; ///< appended to vitals_check_metric
    double scale;
};

UnitFamily family_for(std::string_view unit) {
    static const std::map<std::string_view, UnitFamily, std::less<>> families{
        {"seconds", {"_seconds", 1}},
        {"milliseconds", {"_seconds", 1e-3}},
        {"microseconds", {"_seconds", 1e-6}},
        {"days", {"_seconds", 86400}},
        {"bytes", {"_bytes", 1}},
        {"kilobytes", {"_bytes", 1e3}},
        {"megabytes", {"_bytes", 1e6}},
        {"gigabytes", {"_bytes", 1e9}},
        {"terabytes", {"_bytes", 1e12}},
        {"percent", {"_ratio", 0.01}},
        {"ratio", {"_ratio", 1}},
    };
    const auto it = families.find(unit);
    return it == families.end() ? UnitFamily{"", 1} : it->second;
}

/// Samples are written straight into one string: a scrape of 10,000 checks has 150,000.
class Exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                       type);
    }
    /// `labels` and `more_labels` are written as given, joined by a comma when both are set.
    void sample(std::string_view name, std::string_view labels, double value,
                std::string_view more_labels = {}) {
        out_ += name;
        if (!labels.empty() || !more_labels.empty()) {
            out_ += '{';
            out_ += labels;
            if (!labels.empty() && !more_labels.empty()) out_ += ',';
            out_ += more_labels;
            out_ += '}';
        }
        out_ += ' ';
        if (std::isnan(value))
            out_ += "NaN";
        else if (std::isinf(value))
            out_ += value > 0 ? "+Inf" : "-Inf";
        else
            fmt::format_to(std::back_inserter(out_), "{}", value);
        out_ += '\n';
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

/// What the per-check families need of each check, worked out once per check rather than
/// once per sample.
struct CheckFacts {
    const CheckState *state;
    std::string label; ///< check="<name>" and the check's labels
    Verdict verdict;
};

std::vector<CheckFacts> check_facts(const std::vector<std::shared_ptr<const CheckState>> &checks,
                                    std::chrono::system_clock::time_point now) {
    std::vector<CheckFacts> facts;
    facts.reserve(checks.size());
    for (const auto &check : checks) {
        std::string label = fmt::format("check=\"{}\"", escape_label_value(check->info.name));
        for (const auto &[name, value] : check->info.labels)
            fmt::format_to(std::back_inserter(label), ",{}=\"{}\"", name,
                           escape_label_value(value));
        facts.push_back({check.get(), std::move(label), judge(*check, now)});
    }
    return facts;
}

constexpr std::array<Status, 3> all_statuses{Status::ok, Status::warning, Status::error};

/// `status="ok"`, `status="warning"`, `status="error"` (or with another label name).
std::array<std::string, 3> status_labels(std::string_view label) {
    std::array<std::string, 3> labels;
    for (std::size_t i = 0; i < all_statuses.size(); ++i)
        labels[i] = fmt::format("{}=\"{}\"", label, to_string(all_statuses[i]));
    return labels;
}

/// Left out for a window in which the check's status was never known (just added, say).
void uptime(Exposition &out, const std::vector<CheckFacts> &checks,
            std::chrono::system_clock::time_point now) {
    static const auto window_labels = [] {
        std::vector<std::string> labels;
        for (const auto &window : uptime_windows)
            labels.push_back(fmt::format("window=\"{}\"", window.name));
        return labels;
    }();
    out.family("vitals_check_uptime_ratio", "gauge",
               "Share of the window (label window) the check was ok or warning, of the time "
               "its status was known; kept across restarts with state_dir.");
    for (const auto &check : checks)
        for (std::size_t i = 0; i < std::size(uptime_windows); ++i)
            if (const auto ratio = check.state->transitions->uptime(uptime_windows[i].length, now))
                out.sample("vitals_check_uptime_ratio", check.label, *ratio, window_labels[i]);
}

/// Silences and open windows per check, and the agent's maintenance mode.
void quiet(Exposition &out, const std::vector<CheckFacts> &checks, const SilenceBoard &silences,
           std::chrono::system_clock::time_point now) {
    out.family("vitals_agent_maintenance", "gauge",
               "1 while the agent is in maintenance (readiness 503, every alert silenced).");
    out.sample("vitals_agent_maintenance", "", silences.in_maintenance(now) ? 1 : 0);
    out.family("vitals_check_silenced", "gauge",
               "1 while the check is silenced, by a silence or an open maintenance window.");
    for (const auto &check : checks)
        out.sample("vitals_check_silenced", check.label,
                   silences.silenced(check.state->info.name, now) ? 1 : 0);
}

void per_check(Exposition &out, const std::vector<CheckFacts> &checks) {
    static const auto status_label = status_labels("status");
    static const auto result_label = status_labels("result");
    out.family("vitals_check_status", "gauge",
               "1 for the check's current status word (label status), 0 for the others.");
    for (const auto &check : checks)
        for (std::size_t i = 0; i < all_statuses.size(); ++i)
            out.sample("vitals_check_status", check.label,
                       all_statuses[i] == check.verdict.status ? 1 : 0, status_label[i]);
    out.family("vitals_check_group", "gauge", "Always 1 for each group the check is in.");
    for (const auto &check : checks)
        for (const auto &group : check.state->info.groups)
            out.sample("vitals_check_group", check.label, 1,
                       fmt::format("group=\"{}\"", escape_label_value(group)));
    out.family("vitals_check_up", "gauge", "1 when the check is ok or warning, 0 when error.");
    for (const auto &check : checks)
        out.sample("vitals_check_up", check.label, check.verdict.status == Status::error ? 0 : 1);
    out.family("vitals_check_stale", "gauge",
               "1 when the check's last result is too old to trust.");
    for (const auto &check : checks)
        out.sample("vitals_check_stale", check.label, check.verdict.stale ? 1 : 0);
    out.family("vitals_check_suppressed", "gauge",
               "1 when the check was skipped because a dependency is failing.");
    for (const auto &check : checks)
        out.sample("vitals_check_suppressed", check.label,
                   check.state->last && check.state->last->suppressed ? 1 : 0);
    out.family("vitals_check_duration_seconds", "gauge", "How long the check's last run took.");
    for (const auto &check : checks)
        if (check.state->last)
            out.sample("vitals_check_duration_seconds", check.label,
                       to_seconds(check.state->last->duration));
    out.family("vitals_check_last_run_timestamp_seconds", "gauge",
               "When the check's last run started, in Unix time.");
    for (const auto &check : checks)
        if (check.state->last)
            out.sample("vitals_check_last_run_timestamp_seconds", check.label,
                       unix_seconds(check.state->last->started));
    out.family("vitals_check_runs_total", "counter",
               "Finished runs of the check by result, since the agent started.");
    for (const auto &check : checks)
        for (std::size_t i = 0; i < all_statuses.size(); ++i)
            out.sample("vitals_check_runs_total", check.label,
                       static_cast<double>(
                           check.state->runs_by_status[static_cast<std::size_t>(all_statuses[i])]),
                       result_label[i]);
}

/// The family a plugin metric lands in: vitals_check_metric, its base-unit suffix, and for a
/// counter (a 1.1 plugin's VITALS_METRIC_COUNTER) the "_total" Prometheus expects of one.
std::string plugin_family_name(std::string_view unit_suffix, MetricKind kind) {
    std::string name = "vitals_check_metric" + std::string{unit_suffix};
    if (kind == MetricKind::counter) name += "_total";
    return name;
}

/// metric="<name>", unit="<unit>" for a unit with no base-unit family, then the plugin's own
/// labels. The agent refuses plugin labels named as the check's; a result kept from before
/// a reload that gave the check such a label must still make a readable scrape.
std::string plugin_metric_labels(const Metric &metric, bool unit_label, const Labels &check) {
    std::string labels = "metric=\"" + escape_label_value(metric.name) + '"';
    if (unit_label) labels += ",unit=\"" + escape_label_value(metric.unit) + '"';
    for (const auto &[name, value] : metric.labels)
        if (!check.contains(name))
            fmt::format_to(std::back_inserter(labels), ",{}=\"{}\"", name,
                           escape_label_value(value));
    return labels;
}

void plugin_metrics(Exposition &out, const std::vector<CheckFacts> &checks) {
    // A family's samples must be contiguous: group them by family first.
    struct Sample {
        const CheckFacts *check;
        const Metric *metric;
        double scale;
        bool unit_label; ///< a unit with no base-unit family stays visible as a label
    };
    struct Family {
        MetricKind kind;
        std::vector<Sample> samples;
    };
    std::map<std::string, Family, std::less<>> families;
    for (const auto &check : checks) {
        if (!check.state->last) continue;
        for (const auto &metric : check.state->last->metrics) {
            const UnitFamily family = family_for(metric.unit);
            auto &samples = families
                                .try_emplace(plugin_family_name(family.suffix, metric.kind),
                                             Family{metric.kind, {}})
                                .first->second.samples;
            samples.push_back(
                {&check, &metric, family.scale, family.suffix.empty() && !metric.unit.empty()});
        }
    }
    for (const auto &[name, family] : families) {
        if (family.kind == MetricKind::counter)
            out.family(name, "counter",
                       "A total reported by the check's plugin as a counter, in base units.");
        else
            out.family(name, "gauge",
                       "A measurement reported by the check's plugin, in base units.");
        for (const auto &sample : family.samples)
            out.sample(name, sample.check->label, sample.metric->value * sample.scale,
                       plugin_metric_labels(*sample.metric, sample.unit_label,
                                            sample.check->state->info.labels));
    }
}

/// How alerts reach each [[notifier]]: what was delivered, retried, refused or dropped,
/// what waits, and the last error in words (an info series, as its text is a label).
void notifiers(Exposition &out, const std::vector<std::shared_ptr<const NotifierHealth>> &all) {
    out.family("vitals_notifications_total", "counter",
               "Alert deliveries by notifier and outcome: delivered, retried (an attempt failed "
               "and is tried again), rejected (refused for good), dropped (a full queue).");
    for (const auto &notifier : all) {
        const std::string name = "notifier=\"" + escape_label_value(notifier->name()) + '"';
        const std::pair<const char *, const std::atomic<std::uint64_t> *> outcomes[] = {
            {"delivered", &notifier->delivered},
            {"retried", &notifier->retried},
            {"rejected", &notifier->rejected},
            {"dropped", &notifier->dropped}};
        for (const auto &[outcome, count] : outcomes)
            out.sample("vitals_notifications_total", name + ",outcome=\"" + outcome + '"',
                       static_cast<double>(count->load()));
    }
    out.family("vitals_notifier_queue_length", "gauge", "Alerts waiting for their receiver.");
    for (const auto &notifier : all)
        out.sample("vitals_notifier_queue_length",
                   "notifier=\"" + escape_label_value(notifier->name()) + '"',
                   static_cast<double>(notifier->queued.load()));
    out.family("vitals_notifier_ok", "gauge",
               "1 when the notifier's last delivery attempt succeeded, or none was made.");
    for (const auto &notifier : all)
        out.sample("vitals_notifier_ok", "notifier=\"" + escape_label_value(notifier->name()) + '"',
                   notifier->ok.load() ? 1 : 0);
    out.family("vitals_notifier_last_error_info", "gauge",
               "Always 1: the notifier's last delivery error as a label.");
    for (const auto &notifier : all)
        if (const auto last = notifier->last_error())
            out.sample("vitals_notifier_last_error_info",
                       fmt::format("notifier=\"{}\",error=\"{}\"",
                                   escape_label_value(notifier->name()),
                                   escape_label_value(last->error)),
                       1);
    out.family("vitals_notifier_last_error_timestamp_seconds", "gauge",
               "When the notifier's last delivery error happened, in Unix time.");
    for (const auto &notifier : all)
        if (const auto last = notifier->last_error())
            out.sample("vitals_notifier_last_error_timestamp_seconds",
                       "notifier=\"" + escape_label_value(notifier->name()) + '"',
                       unix_seconds(last->at));
}

/// on_failure actions by how they ended; `limited`: a run the rate limit held back.
void actions(Exposition &out, const ActionCounts::Counts &counts) {
    out.family("vitals_actions_total", "counter",
               "on_failure actions by check and outcome (ok, failed, timeout, limited).");
    for (const auto &[key, count] : counts)
        out.sample("vitals_actions_total",
                   fmt::format("check=\"{}\",outcome=\"{}\"", escape_label_value(key.first),
                               escape_label_value(key.second)),
                   static_cast<double>(count));
}

void agent(Exposition &out, const AgentFacts &facts) {
    out.family("vitals_agent_info", "gauge",
               "Always 1; the agent's version and plugin ABI as labels.");
    out.sample("vitals_agent_info",
               fmt::format("version=\"{}\",abi=\"{}\"", escape_label_value(facts.version),
                           escape_label_value(facts.abi)),
               1);
    out.family("vitals_agent_start_time_seconds", "gauge", "When the agent started, in Unix time.");
    out.sample("vitals_agent_start_time_seconds", "", unix_seconds(facts.started));
    out.family("vitals_plugin_info", "gauge",
               "Always 1 for each plugin found; name and version as labels.");
    for (const auto &[name, version] : facts.plugins)
        out.sample("vitals_plugin_info",
                   fmt::format("plugin=\"{}\",version=\"{}\"", escape_label_value(name),
                               escape_label_value(version)),
                   1);
    out.family("vitals_config_load_success", "gauge",
               "1 when the configuration in force loaded without errors.");
    out.sample("vitals_config_load_success", "", facts.config_ok ? 1 : 0);
    out.family("vitals_config_errors", "gauge", "Errors found by the last configuration load.");
    out.sample("vitals_config_errors", "", static_cast<double>(facts.config_errors.size()));
    out.family("vitals_agent_draining", "gauge",
               "1 once shutdown has begun: readiness answers 503.");
    out.sample("vitals_agent_draining", "", facts.draining ? 1 : 0);
    out.family("vitals_config_load_timestamp_seconds", "gauge",
               "When the configuration was last loaded, in Unix time.");
    out.sample("vitals_config_load_timestamp_seconds", "", unix_seconds(facts.config_loaded));
    out.family("vitals_config_reloads_total", "counter",
               "Reloads since the agent started (SIGHUP or a change on disk), valid or not.");
    out.sample("vitals_config_reloads_total", "", static_cast<double>(facts.config_reloads));
    out.family("vitals_config_reload_failures_total", "counter",
               "Reloads refused because the configuration on disk had errors.");
    out.sample("vitals_config_reload_failures_total", "",
               static_cast<double>(facts.config_reload_failures));
    if (facts.state) {
        out.family("vitals_state_ok", "gauge",
                   "1 while results are kept in state_dir and the last write succeeded.");
        out.sample("vitals_state_ok", "", facts.state->ok ? 1 : 0);
        out.family("vitals_state_errors_total", "counter",
                   "State files moved aside, and failed opens and writes of state_dir.");
        out.sample("vitals_state_errors_total", "", static_cast<double>(facts.state->errors));
    }
    if (!facts.notifiers.empty()) notifiers(out, facts.notifiers);
    if (facts.actions) actions(out, facts.actions->snapshot());
}

/// Whether the scheduler has places for every run that is due: when `running` stays at
/// `limit` and waits grow, checks start late because others hold every place.
void scheduler_pool(Exposition &out, const SchedulerLoad::Snapshot &load) {
    out.family("vitals_scheduler_run_limit", "gauge",
               "Runs that may be in flight at once, by lane: `workers` for every check, "
               "and the reserve only checks in a probe group may use.");
    out.sample("vitals_scheduler_run_limit", "lane=\"checks\"", load.limit);
    out.sample("vitals_scheduler_run_limit", "lane=\"probe_reserve\"", load.reserve);
    out.family("vitals_scheduler_runs_in_flight", "gauge",
               "Runs in flight by lane, those past their timeout included.");
    out.sample("vitals_scheduler_runs_in_flight", "lane=\"checks\"", load.running);
    out.sample("vitals_scheduler_runs_in_flight", "lane=\"probe_reserve\"", load.reserve_running);
    out.family("vitals_scheduler_threads", "gauge", "Threads of the scheduler's pool.");
    out.sample("vitals_scheduler_threads", "", load.threads);
    out.family("vitals_scheduler_waits_total", "counter",
               "Runs that were due while every place of their lane was taken.");
    out.sample("vitals_scheduler_waits_total", "", static_cast<double>(load.waits));
}

/// How the agent itself is doing: the scheduler's lag, and the process's CPU
/// and memory under the names every Prometheus client library uses.
void self_usage(Exposition &out, const AgentFacts &facts) {
    if (facts.schedule_lag) {
        const auto lag = facts.schedule_lag->snapshot(std::chrono::steady_clock::now());
        out.family("vitals_schedule_lag_seconds", "histogram",
                   "How late check runs started: actual minus planned start.");
        for (std::size_t i = 0; i < ScheduleLag::bounds.size(); ++i)
            out.sample("vitals_schedule_lag_seconds_bucket",
                       fmt::format("le=\"{}\"", ScheduleLag::bounds[i]),
                       static_cast<double>(lag.cumulative[i]));
        out.sample("vitals_schedule_lag_seconds_bucket", "le=\"+Inf\"",
                   static_cast<double>(lag.count));
        out.sample("vitals_schedule_lag_seconds_sum", "", lag.sum_seconds);
        out.sample("vitals_schedule_lag_seconds_count", "", static_cast<double>(lag.count));
        out.family("vitals_schedule_lag_max_seconds", "gauge",
                   "The largest schedule lag of the runs in about the last minute.");
        out.sample("vitals_schedule_lag_max_seconds", "", lag.recent_max_seconds);
    }
    if (facts.scheduler_load) scheduler_pool(out, facts.scheduler_load->snapshot());
    if (const auto usage = facts.process_usage ? facts.process_usage() : std::nullopt) {
        out.family("process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.");
        out.sample("process_cpu_seconds_total", "", usage->cpu_seconds);
        out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        out.sample("process_resident_memory_bytes", "", static_cast<double>(usage->resident_bytes));
    }
}

} // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    while (!value.empty()) {
        // The exposition is UTF-8: one invalid byte would make the whole scrape unreadable.
        const std::size_t length = utf8_sequence_length(value);
        const char c = value.front();
        if (length == 0)
            out += "\xEF\xBF\xBD"; // U+FFFD
        else if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += value.substr(0, length);
        value.remove_prefix(length ? length : 1);
    }
    return out;
}

std::string render_metrics(const std::vector<std::shared_ptr<const CheckState>> &checks,
                           const AgentFacts &facts, std::chrono::system_clock::time_point now,
                           const SilenceBoard *silences) {
    Exposition out;
    agent(out, facts);
    self_usage(out, facts);
    const auto facts_by_check = check_facts(checks, now);
    per_check(out, facts_by_check);
    if (silences) quiet(out, facts_by_check, *silences, now);
    uptime(out, facts_by_check, now);
    plugin_metrics(out, facts_by_check);
    return out.take();
}

} // namespace vitals
