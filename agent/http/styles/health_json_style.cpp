// IETF draft-inadarei-api-health-check ("application/health+json"). SPDX-License-Identifier: MIT
#include "core/utc_time.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

std::string word(Status status) {
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

/// One entry of a `checks` array; `output` only when not passing, as the draft says.
JsonObject entry(const CheckState &check, const Verdict &verdict) {
    auto item = json_object();
    item->set("componentId", check.info.name);
    item->set("componentType", check.info.plugin);
    item->set("status", word(verdict.status));
    if (check.last) item->set("time", format_utc(check.last->started));
    if (verdict.status != Status::ok) item->set("output", verdict.message);
    return item;
}

/// "<check>:<metric>" keys carry observedValue/observedUnit; a check with no
/// metric still appears under its own name.
void add_checks(Poco::JSON::Object &checks, const CheckState &check, const HealthView &view) {
    const Verdict verdict = view.verdict(check);
    const bool has_metrics = check.last && !check.last->metrics.empty() && !verdict.stale;
    if (!has_metrics) {
        auto list = json_array();
        list->add(entry(check, verdict));
        checks.set(check.info.name, list);
        return;
    }
    for (const auto &metric : check.last->metrics) {
        auto item = entry(check, verdict);
        item->set("observedValue", metric.value);
        if (!metric.unit.empty()) item->set("observedUnit", metric.unit);
        auto list = json_array();
        list->add(item);
        checks.set(check.info.name + ":" + metric.name, list);
    }
}

HttpResponse health_response(int code, const JsonObject &root) {
    auto response = json_response(code, to_json(root));
    response.content_type = "application/health+json";
    return response;
}

class HealthJsonStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "health+json"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        auto root = json_object();
        root->set("status", word(status));
        root->set("serviceId", std::string{"vitals"});
        root->set("description", std::string{"health of this host, from the Vitals agent"});
        if (view.verbose) {
            auto checks = json_object();
            for (const auto &check : view.checks)
                add_checks(*checks, check, view);
            root->set("checks", checks);
        }
        return health_response(view.codes.of(status), root);
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        const Verdict verdict = view.verdict(check);
        auto root = json_object();
        root->set("status", word(verdict.status));
        root->set("serviceId", check.info.name);
        if (verdict.status != Status::ok) root->set("output", verdict.message);
        if (view.verbose) {
            auto checks = json_object();
            add_checks(*checks, check, view);
            root->set("checks", checks);
        }
        return health_response(view.codes.of(verdict.status), root);
    }
};

} // namespace

const ResponseStyle &health_json() {
    static const HealthJsonStyle style;
    return style;
}

} // namespace vitals::styles
