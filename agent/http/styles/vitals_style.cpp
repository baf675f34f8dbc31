// The native style. SPDX-License-Identifier: MIT
#include <algorithm>

#include "core/utc_time.hpp"
#include "http/json_writer.hpp"
#include "http/router.hpp"
#include "http/styles/metric_json.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

void metrics_json(JsonWriter &json, const CheckState &check) {
    json.begin_array();
    if (check.last) {
        for (const auto &metric : check.last->metrics) {
            json.begin_object();
            json.key("name").string(metric.name);
            json.key("value").number(metric.value);
            json.key("unit").string(metric.unit);
            json.key("labels").begin_object();
            for (const auto &[name, value] : metric.labels)
                json.key(name).string(value);
            json.end_object();
            metric_kind_and_thresholds(json, metric);
            json.end_object();
        }
    }
    json.end_array();
}

void time_or_null(JsonWriter &json,
                  const std::optional<std::chrono::system_clock::time_point> &time) {
    if (time)
        json.string(format_utc(*time));
    else
        json.null();
}

/// The members describing one check (the caller opens and closes its object).
void fill_check(JsonWriter &json, const CheckState &check, const HealthView &view) {
    const Verdict verdict = view.verdict(check);
    const auto &last = check.last;
    json.key("status").string(to_string(verdict.status));
    json.key("message").string(verdict.message);
    json.key("plugin").string(check.info.plugin);
    if (!check.info.description.empty()) json.key("description").string(check.info.description);
    json.key("groups").begin_array();
    for (const auto &group : check.info.groups)
        json.string(group);
    json.end_array();
    json.key("labels").begin_object();
    for (const auto &[name, value] : check.info.labels)
        json.key(name).string(value);
    json.end_object();
    // With thresholds the reported status can lag the last result: show both.
    json.key("last_status");
    if (last)
        json.string(to_string(last->status));
    else
        json.null();
    json.key("pending").boolean(verdict.pending);
    json.key("stale").boolean(verdict.stale);
    json.key("suppressed").boolean(last && last->suppressed);
    if (const auto quiet =
            view.silences ? view.silences->silenced(check.info.name, view.now) : std::nullopt) {
        json.key("silenced").begin_object();
        json.key("until").string(format_utc(quiet->until));
        if (quiet->window.empty()) {
            json.key("by").string(quiet->by);
            json.key("reason").string(quiet->reason);
        } else {
            json.key("window").string(quiet->window);
        }
        json.end_object();
    }
    json.key("metrics");
    metrics_json(json, check);
    json.key("duration_seconds")
        .number_or_null(last ? std::optional{to_seconds(last->duration)} : std::nullopt);
    json.key("last_run");
    time_or_null(json, last ? std::optional{last->started} : std::nullopt);
    // Whole seconds: a body then changes once a second at most, which is kinder to
    // consumers that diff or cache it.
    json.key("age_seconds");
    if (verdict.age_seconds)
        json.integer(static_cast<std::int64_t>(*verdict.age_seconds));
    else
        json.null();
    json.key("next_run");
    time_or_null(json, verdict.next_run);
    json.key("status_since");
    time_or_null(json, last ? std::optional{check.status_since} : std::nullopt);
    json.key("consecutive").unsigned_integer(check.consecutive);
    json.key("interval_seconds").number(to_seconds(check.info.interval));
    json.key("timeout_seconds").number(to_seconds(check.info.timeout));
    if (check.info.ttl) json.key("ttl_seconds").number(to_seconds(*check.info.ttl));
    // Left by the agent's last run (state_dir) and not yet run again by this one.
    json.key("restored").boolean(check.restored);
    json.key("uptime").begin_object();
    for (const auto &window : uptime_windows)
        json.key(window.name).number_or_null(check.transitions->uptime(window.length, view.now));
    json.end_object();
}

/// How many of a check's transitions `?history` shows, newest first.
constexpr std::size_t transitions_shown = 50;

void transitions_json(JsonWriter &json, const CheckState &check) {
    json.begin_array();
    const auto &entries = check.transitions->entries();
    const std::size_t shown = std::min(entries.size(), transitions_shown);
    for (auto it = entries.rbegin(); it != entries.rbegin() + static_cast<std::ptrdiff_t>(shown);
         ++it) {
        json.begin_object();
        json.key("status");
        if (it->status)
            json.string(to_string(*it->status));
        else
            json.null(); // the agent was not running, or the check had just restarted
        json.key("time").string(format_utc(it->at));
        json.end_object();
    }
    json.end_array();
}

void history_json(JsonWriter &json, const std::vector<HistoryEntry> &history) {
    json.begin_array();
    for (const auto &entry : history) {
        json.begin_object();
        json.key("status").string(to_string(entry.status));
        json.key("message").string(entry.message);
        json.key("time").string(format_utc(entry.started));
        json.key("duration_seconds").number(to_seconds(entry.duration));
        json.key("status_changed").boolean(entry.status_changed);
        // What the check's on_failure action did after this run, when one ran.
        if (!entry.action.empty()) json.key("action").string(entry.action);
        json.end_object();
    }
    json.end_array();
}

void config_json(JsonWriter &json, const AgentFacts &facts) {
    json.begin_object();
    json.key("ok").boolean(facts.config_ok);
    json.key("loaded_at").string(format_utc(facts.config_loaded));
    json.key("errors").begin_array();
    for (const auto &error : facts.config_errors)
        json.string(error);
    json.end_array();
    json.end_object();
}

/// Each notifier's deliveries: an operator sees at /health that alerts are not arriving.
void notifiers_json(JsonWriter &json, const AgentFacts &facts) {
    json.begin_array();
    for (const auto &notifier : facts.notifiers) {
        json.begin_object();
        json.key("name").string(notifier->name());
        json.key("type").string(notifier->type());
        json.key("ok").boolean(notifier->ok.load());
        json.key("queued").number(static_cast<double>(notifier->queued.load()));
        json.key("delivered").number(static_cast<double>(notifier->delivered.load()));
        json.key("retried").number(static_cast<double>(notifier->retried.load()));
        json.key("rejected").number(static_cast<double>(notifier->rejected.load()));
        json.key("dropped").number(static_cast<double>(notifier->dropped.load()));
        if (const auto last = notifier->last_error()) {
            json.key("last_error").string(last->error);
            json.key("last_error_at").string(format_utc(last->at));
        }
        json.end_object();
    }
    json.end_array();
}

class VitalsStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "vitals"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        JsonWriter json;
        json.begin_object();
        json.key("status").string(to_string(status));
        if (view.unavailable) json.key("reason").string(*view.unavailable);
        if (view.verbose && view.agent) config_json(json.key("config"), *view.agent);
        if (view.verbose && view.agent && !view.agent->notifiers.empty())
            notifiers_json(json.key("notifiers"), *view.agent);
        if (view.verbose && view.agent && view.silences) {
            json.key("maintenance");
            if (const auto maintenance = view.silences->in_maintenance(view.now)) {
                json.begin_object();
                json.key("reason").string(maintenance->reason);
                json.key("by").string(maintenance->by);
                json.key("since").string(format_utc(maintenance->since));
                json.key("until");
                time_or_null(json, maintenance->until);
                json.end_object();
            } else {
                json.null();
            }
        }
        if (view.verbose) {
            json.key("checks").begin_object();
            for (std::size_t i = 0; i < view.checks.size(); ++i) {
                const CheckState &check = *view.checks[i];
                json.key(check.info.name).begin_object();
                fill_check(json, check, view);
                if (view.histories) {
                    history_json(json.key("history"), (*view.histories)[i]);
                    transitions_json(json.key("transitions"), check);
                }
                json.end_object();
            }
            json.end_object();
        }
        json.end_object();
        return json_response(view.codes.of(status), json.take());
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        const Status status = view.verdict(check).status;
        JsonWriter json;
        json.begin_object();
        if (view.verbose) {
            json.key("name").string(check.info.name);
            fill_check(json, check, view);
            if (view.history) {
                history_json(json.key("history"), *view.history);
                transitions_json(json.key("transitions"), check);
            }
        } else {
            json.key("status").string(to_string(status));
        }
        json.end_object();
        return json_response(view.codes.of(status), json.take());
    }
};

} // namespace

const ResponseStyle &vitals() {
    static const VitalsStyle style;
    return style;
}

} // namespace vitals::styles
