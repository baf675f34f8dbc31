// IETF draft-inadarei-api-health-check ("application/health+json"). SPDX-License-Identifier: MIT
#include <algorithm>
#include <string_view>
#include <vector>

#include "core/utc_time.hpp"
#include "http/json_writer.hpp"
#include "http/router.hpp"
#include "http/styles/metric_json.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

std::string_view word(Status status) {
    switch (status) {
    case Status::ok:
        return "pass";
    case Status::warning:
        return "warn";
    case Status::error:
        return "fail";
    }
    return "fail";
}

/// One entry of a `checks` array, open for more members; `output` only when not passing,
/// as the draft says. `labels` are the check's, then a metric's own (never the same names).
void begin_entry(JsonWriter &json, const CheckState &check, const Verdict &verdict,
                 const Labels &metric_labels = {}) {
    json.begin_object();
    json.key("componentId").string(check.info.name);
    json.key("componentType").string(check.info.plugin);
    if (!check.info.labels.empty() || !metric_labels.empty()) {
        json.key("labels").begin_object();
        for (const auto &[name, value] : check.info.labels)
            json.key(name).string(value);
        for (const auto &[name, value] : metric_labels)
            if (!check.info.labels.contains(name)) json.key(name).string(value);
        json.end_object();
    }
    json.key("status").string(word(verdict.status));
    if (check.last) json.key("time").string(format_utc(check.last->started));
    if (verdict.status != Status::ok) json.key("output").string(verdict.message);
}

/// "<check>:<metric>" keys carry observedValue/observedUnit; a check with no
/// metric still appears under its own name. A metric reported with several label sets is
/// one key whose array has an entry per label set, as the draft's arrays allow.
void add_checks(JsonWriter &json, const CheckState &check, const HealthView &view) {
    const Verdict verdict = view.verdict(check);
    const bool has_metrics = check.last && !check.last->metrics.empty() && !verdict.stale;
    if (!has_metrics) {
        json.key(check.info.name).begin_array();
        begin_entry(json, check, verdict);
        json.end_object().end_array();
        return;
    }
    const auto &metrics = check.last->metrics;
    std::vector<std::string_view> names; // in the order reported
    for (const auto &metric : metrics)
        if (std::find(names.begin(), names.end(), metric.name) == names.end())
            names.push_back(metric.name);
    for (const auto name : names) {
        json.key(check.info.name + ":" + std::string{name}).begin_array();
        for (const auto &metric : metrics) {
            if (metric.name != name) continue;
            begin_entry(json, check, verdict, metric.labels);
            json.key("observedValue").number(metric.value);
            if (!metric.unit.empty()) json.key("observedUnit").string(metric.unit);
            metric_kind_and_thresholds(json, metric);
            json.end_object();
        }
        json.end_array();
    }
}

HttpResponse health_response(int code, JsonWriter &json) {
    auto response = json_response(code, json.take());
    response.content_type = "application/health+json";
    return response;
}

class HealthJsonStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "health+json"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        JsonWriter json;
        json.begin_object();
        json.key("status").string(word(status));
        json.key("serviceId").string("vitals");
        json.key("description").string("health of this host, from the Vitals agent");
        if (view.verbose) {
            json.key("checks").begin_object();
            for (const auto &check : view.checks)
                add_checks(json, *check, view);
            json.end_object();
        }
        json.end_object();
        return health_response(view.codes.of(status), json);
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        const Verdict verdict = view.verdict(check);
        JsonWriter json;
        json.begin_object();
        json.key("status").string(word(verdict.status));
        json.key("serviceId").string(check.info.name);
        if (verdict.status != Status::ok) json.key("output").string(verdict.message);
        if (view.verbose) {
            json.key("checks").begin_object();
            add_checks(json, check, view);
            json.end_object();
        }
        json.end_object();
        return health_response(view.codes.of(verdict.status), json);
    }
};

} // namespace

const ResponseStyle &health_json() {
    static const HealthJsonStyle style;
    return style;
}

} // namespace vitals::styles
