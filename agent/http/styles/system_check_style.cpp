// The style of seeds/003: /_system/check and /_system/check/<name>. SPDX-License-Identifier: MIT
//   {"message": "API running", "code": "OK", "ok": true}   (the aggregate, when OK)
//   {"code": "OK", "ok": true}                              (one check)
//   {"code": "WARNING", "error": true} / {"code": "ERROR", "error": true}
// 200 for OK, 500 for WARNING or ERROR.
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

std::string code_word(Status status) {
    switch (status) {
    case Status::ok:
        return "OK";
    case Status::warning:
        return "WARNING";
    case Status::error:
        return "ERROR";
    }
    return "ERROR";
}

JsonObject body(Status status) {
    auto root = json_object();
    root->set("code", code_word(status));
    root->set(status == Status::ok ? "ok" : "error", true);
    return root;
}

class SystemCheckStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "system_check"; }
    StatusCodes default_codes() const override { return {200, 500, 500}; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        JsonObject root = json_object();
        if (status == Status::ok) {
            root->set("message", std::string{"API running"});
            root->set("code", std::string{"OK"});
            root->set("ok", true);
        } else {
            root = body(status);
        }
        return json_response(view.codes.of(status), to_json(root));
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        const Status status = view.verdict(check).status;
        return json_response(view.codes.of(status), to_json(body(status)));
    }
};

} // namespace

const ResponseStyle &system_check() {
    static const SystemCheckStyle style;
    return style;
}

} // namespace vitals::styles
