// The native style. SPDX-License-Identifier: MIT
#include "core/utc_time.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

JsonArray metrics_json(const CheckState &check) {
    auto array = json_array();
    if (!check.last) return array;
    for (const auto &metric : check.last->metrics) {
        auto item = json_object();
        item->set("name", metric.name);
        item->set("value", metric.value);
        item->set("unit", metric.unit);
        array->add(item);
    }
    return array;
}

JsonArray strings_json(const std::vector<std::string> &items) {
    auto array = json_array();
    for (const auto &item : items)
        array->add(item);
    return array;
}

Poco::Dynamic::Var time_or_null(const std::optional<std::chrono::system_clock::time_point> &time) {
    if (!time) return {};
    return format_utc(*time);
}

void fill_check(Poco::JSON::Object &json, const CheckState &check, const HealthView &view) {
    const Verdict verdict = view.verdict(check);
    const auto &last = check.last;
    json.set("status", std::string{to_string(verdict.status)});
    json.set("message", verdict.message);
    json.set("plugin", check.info.plugin);
    if (!check.info.description.empty()) json.set("description", check.info.description);
    json.set("groups", strings_json(check.info.groups));
    // With thresholds the reported status can lag the last result: show both.
    json.set("last_status", last ? Poco::Dynamic::Var{std::string{to_string(last->status)}}
                                 : Poco::Dynamic::Var{});
    json.set("pending", verdict.pending);
    json.set("stale", verdict.stale);
    json.set("suppressed", last && last->suppressed);
    json.set("metrics", metrics_json(check));
    json.set("duration_seconds",
             last ? Poco::Dynamic::Var{to_seconds(last->duration)} : Poco::Dynamic::Var{});
    json.set("last_run", time_or_null(last ? std::optional{last->started} : std::nullopt));
    // Whole seconds: a body then changes once a second at most, which is kinder to
    // consumers that diff or cache it.
    json.set("age_seconds", verdict.age_seconds
                                ? Poco::Dynamic::Var{static_cast<Poco::Int64>(*verdict.age_seconds)}
                                : Poco::Dynamic::Var{});
    json.set("next_run", time_or_null(verdict.next_run));
    json.set("status_since", time_or_null(last ? std::optional{check.status_since} : std::nullopt));
    json.set("consecutive", static_cast<Poco::UInt64>(check.consecutive));
    json.set("interval_seconds", to_seconds(check.info.interval));
    json.set("timeout_seconds", to_seconds(check.info.timeout));
    if (check.info.ttl) json.set("ttl_seconds", to_seconds(*check.info.ttl));
}

JsonArray history_json(const std::vector<HistoryEntry> &history) {
    auto array = json_array();
    for (const auto &entry : history) {
        auto item = json_object();
        item->set("status", std::string{to_string(entry.status)});
        item->set("message", entry.message);
        item->set("time", format_utc(entry.started));
        item->set("duration_seconds", to_seconds(entry.duration));
        item->set("status_changed", entry.status_changed);
        array->add(item);
    }
    return array;
}

JsonObject config_json(const AgentFacts &facts) {
    auto config = json_object();
    config->set("ok", facts.config_ok);
    config->set("loaded_at", format_utc(facts.config_loaded));
    auto errors = json_array();
    for (const auto &error : facts.config_errors)
        errors->add(error);
    config->set("errors", errors);
    return config;
}

class VitalsStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "vitals"; }

    HttpResponse aggregate(const HealthView &view) const override {
        auto root = json_object();
        const Status status = view.status();
        root->set("status", std::string{to_string(status)});
        if (view.unavailable) root->set("reason", *view.unavailable);
        if (view.verbose && view.agent) root->set("config", config_json(*view.agent));
        if (view.verbose) {
            auto checks = json_object();
            for (const auto &check : view.checks) {
                auto item = json_object();
                fill_check(*item, check, view);
                if (view.histories)
                    if (const auto found = view.histories->find(check.info.name);
                        found != view.histories->end())
                        item->set("history", history_json(found->second));
                checks->set(check.info.name, item);
            }
            root->set("checks", checks);
        }
        return json_response(view.codes.of(status), to_json(root));
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        auto root = json_object();
        const Status status = view.verdict(check).status;
        if (view.verbose) {
            root->set("name", check.info.name);
            fill_check(*root, check, view);
            if (view.history) root->set("history", history_json(*view.history));
        } else {
            root->set("status", std::string{to_string(status)});
        }
        return json_response(view.codes.of(status), to_json(root));
    }
};

} // namespace

const ResponseStyle &vitals() {
    static const VitalsStyle style;
    return style;
}

} // namespace vitals::styles
