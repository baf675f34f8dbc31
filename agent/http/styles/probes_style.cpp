// The style of seeds/000: /api/probes/liveness/ and /readiness/. SPDX-License-Identifier: MIT
//   {"status": "success"|"error", "details": [{"status", "service", "message"}]}, 200 or 503.
// The document has two words only: a warning is still "success".
#include "http/json_writer.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

std::string_view word(Status status) {
    return status == Status::error ? "error" : "success";
}

class ProbesStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "probes"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        JsonWriter json;
        json.begin_object();
        json.key("status").string(word(status));
        json.key("details").begin_array();
        if (view.verbose)
            for (const auto &check : view.checks) {
                const Verdict verdict = view.verdict(*check);
                json.begin_object();
                json.key("status").string(word(verdict.status));
                json.key("service").string(check->info.name);
                json.key("message").string(verdict.message);
                json.end_object();
            }
        json.end_array();
        json.end_object();
        return json_response(view.codes.of(status), json.take());
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        return aggregate(view_of(check, view));
    }
};

} // namespace

const ResponseStyle &probes() {
    static const ProbesStyle style;
    return style;
}

} // namespace vitals::styles
