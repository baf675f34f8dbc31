// The style of seeds/000: /api/probes/liveness/ and /readiness/. SPDX-License-Identifier: MIT
//   {"status": "success"|"error", "details": [{"status", "service", "message"}]}, 200 or 503.
// The document has two words only: a warning is still "success".
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

std::string word(Status status) {
    return status == Status::error ? "error" : "success";
}

JsonObject detail(const CheckState &check, const Verdict &verdict) {
    auto item = json_object();
    item->set("status", word(verdict.status));
    item->set("service", check.info.name);
    item->set("message", verdict.message);
    return item;
}

class ProbesStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "probes"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        auto root = json_object();
        root->set("status", word(status));
        auto details = json_array();
        if (view.verbose)
            for (const auto &check : view.checks)
                details->add(detail(check, view.verdict(check)));
        root->set("details", details);
        return json_response(view.codes.of(status), to_json(root));
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        HealthView one = view;
        one.checks = {check};
        return aggregate(one);
    }
};

} // namespace

const ResponseStyle &probes() {
    static const ProbesStyle style;
    return style;
}

} // namespace vitals::styles
