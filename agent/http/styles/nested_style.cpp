// The style of seeds/002: GET /api/health/<access_token>/?format=json. SPDX-License-Identifier: MIT
//   {"cache": {"data": {"status": "working", "response_time": "0.1"}}, "postgres": {...}}
// A dotted check name nests once, at its first dot ("celery.queues.high" goes
// under "celery" as "queues.high"); "status" is "working" or the error text;
// response_time is seconds, as a string. Its error answers are the
// document's own: 404 {"detail": "Not found."} for a bad format or a
// missing token, 405 {"detail": "Method \"GET\" not allowed."} for a wrong one.
#include <cmath>

#include <fmt/format.h>

#include "http/json_body.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

JsonObject leaf(const CheckState &check, const Verdict &verdict) {
    auto item = json_object();
    item->set("status", verdict.status == Status::error ? verdict.message : std::string{"working"});
    const double seconds = check.last ? to_seconds(check.last->duration) : 0.0;
    item->set("response_time", fmt::format("{:g}", std::round(seconds * 1000) / 1000));
    return item;
}

HttpResponse detail(int code, const std::string &text) {
    auto root = json_object();
    root->set("detail", text);
    return json_response(code, to_json(root));
}

class NestedStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "nested"; }

    HttpResponse aggregate(const HealthView &view) const override {
        auto root = json_object();
        for (const auto &check : view.checks) {
            const std::string &name = check.info.name;
            auto item = leaf(check, view.verdict(check));
            const auto dot = name.find('.');
            const std::string group = name.substr(0, dot);
            if (dot == std::string::npos || (root->has(group) && !root->isObject(group))) {
                root->set(name, item);
                continue;
            }
            auto members = root->has(group) ? root->getObject(group) : json_object();
            // A check named exactly like a group ("cache" beside "cache.data")
            // already holds a leaf there: keep the dotted one at the top level.
            if (members->has("status") && members->has("response_time")) {
                root->set(name, item);
                continue;
            }
            members->set(name.substr(dot + 1), item);
            root->set(group, members);
        }
        return json_response(view.codes.of(view.status()), to_json(root));
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        const Verdict verdict = view.verdict(check);
        return json_response(view.codes.of(verdict.status), to_json(leaf(check, verdict)));
    }

    HttpResponse not_found(const HttpRequest &) const override { return detail(404, "Not found."); }
    HttpResponse wrong_token(const HttpRequest &request) const override {
        return detail(405, fmt::format("Method \"{}\" not allowed.", request.method));
    }
    bool accepts_format(std::string_view format) const override { return format == "json"; }
};

} // namespace

const ResponseStyle &nested() {
    static const NestedStyle style;
    return style;
}

} // namespace vitals::styles
