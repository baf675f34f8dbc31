// SPDX-License-Identifier: MIT
#include "http/prometheus.hpp"

#include <array>
#include <cmath>
#include <map>

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

std::string number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

class Exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, double value) {
        out_ += labels.empty() ? fmt::format("{} {}\n", name, number(value))
                               : fmt::format("{}{{{}}} {}\n", name, labels, number(value));
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::string check_label(const CheckState &check) {
    return fmt::format("check=\"{}\"", escape_label_value(check.info.name));
}

void per_check(Exposition &out, const std::vector<CheckState> &checks,
               std::chrono::system_clock::time_point now) {
    constexpr std::array<Status, 3> statuses{Status::ok, Status::warning, Status::error};
    out.family("vitals_check_status", "gauge",
               "1 for the check's current status word (label status), 0 for the others.");
    for (const auto &check : checks) {
        const Status current = judge(check, now).status;
        for (Status status : statuses)
            out.sample("vitals_check_status",
                       fmt::format("{},status=\"{}\"", check_label(check), to_string(status)),
                       status == current ? 1 : 0);
    }
    out.family("vitals_check_up", "gauge", "1 when the check is ok or warning, 0 when error.");
    for (const auto &check : checks)
        out.sample("vitals_check_up", check_label(check),
                   judge(check, now).status == Status::error ? 0 : 1);
    out.family("vitals_check_stale", "gauge",
               "1 when the check's last result is too old to trust.");
    for (const auto &check : checks)
        out.sample("vitals_check_stale", check_label(check), judge(check, now).stale ? 1 : 0);
    out.family("vitals_check_suppressed", "gauge",
               "1 when the check was skipped because a dependency is failing.");
    for (const auto &check : checks)
        out.sample("vitals_check_suppressed", check_label(check),
                   check.last && check.last->suppressed ? 1 : 0);
    out.family("vitals_check_duration_seconds", "gauge", "How long the check's last run took.");
    for (const auto &check : checks)
        if (check.last)
            out.sample("vitals_check_duration_seconds", check_label(check),
                       to_seconds(check.last->duration));
    out.family("vitals_check_last_run_timestamp_seconds", "gauge",
               "When the check's last run started, in Unix time.");
    for (const auto &check : checks)
        if (check.last)
            out.sample("vitals_check_last_run_timestamp_seconds", check_label(check),
                       unix_seconds(check.last->started));
    out.family("vitals_check_runs_total", "counter",
               "Finished runs of the check by result, since the agent started.");
    for (const auto &check : checks)
        for (Status status : statuses)
            out.sample("vitals_check_runs_total",
                       fmt::format("{},result=\"{}\"", check_label(check), to_string(status)),
                       static_cast<double>(check.runs_by_status[static_cast<std::size_t>(status)]));
}

void plugin_metrics(Exposition &out, const std::vector<CheckState> &checks) {
    // A family's samples must be contiguous: group them by family first.
    std::map<std::string, std::vector<std::pair<std::string, double>>> families;
    for (const auto &check : checks) {
        if (!check.last) continue;
        for (const auto &metric : check.last->metrics) {
            const UnitFamily family = family_for(metric.unit);
            std::string labels = fmt::format("{},metric=\"{}\"", check_label(check),
                                             escape_label_value(metric.name));
            // A unit with no base-unit family stays visible as a label.
            if (family.suffix.empty() && !metric.unit.empty())
                labels += fmt::format(",unit=\"{}\"", escape_label_value(metric.unit));
            families["vitals_check_metric" + std::string{family.suffix}].emplace_back(
                std::move(labels), metric.value * family.scale);
        }
    }
    for (const auto &[name, samples] : families) {
        out.family(name, "gauge", "A measurement reported by the check's plugin, in base units.");
        for (const auto &[labels, value] : samples)
            out.sample(name, labels, value);
    }
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

std::string render_metrics(const std::vector<CheckState> &checks, const AgentFacts &facts,
                           std::chrono::system_clock::time_point now) {
    Exposition out;
    agent(out, facts);
    self_usage(out, facts);
    per_check(out, checks, now);
    plugin_metrics(out, checks);
    return out.take();
}

} // namespace vitals
