// The styles of seeds/001 (a Flask/FastAPI/Django guide). SPDX-License-Identifier: MIT
//   updown: {"status": "UP"|"DOWN", "timestamp", "components": {name: {"status", "message"}}}
//   plain:  "OK" as text, for a /live that only says the process answers
//   ready:  {"status": "READY"} or {"status": "NOT READY", "reason"}, with "timestamp"
// The guide's words are UP and DOWN: a warning is still UP.
#include <fmt/format.h>

#include "core/utc_time.hpp"
#include "http/json_writer.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

std::string_view up_or_down(Status status) {
    return status == Status::error ? "DOWN" : "UP";
}

/// The guide writes `utcnow().isoformat() + "Z"`: seconds are enough here.
std::string timestamp(std::chrono::system_clock::time_point now) {
    return format_utc(std::chrono::floor<std::chrono::seconds>(now)).substr(0, 19) + "Z";
}

class UpDownStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "updown"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        JsonWriter json;
        json.begin_object();
        json.key("status").string(up_or_down(status));
        json.key("timestamp").string(timestamp(view.now));
        if (view.verbose) {
            json.key("components").begin_object();
            for (const auto &check : view.checks) {
                const Verdict verdict = view.verdict(*check);
                json.key(check->info.name).begin_object();
                json.key("status").string(up_or_down(verdict.status));
                json.key("message").string(verdict.message);
                json.end_object();
            }
            json.end_object();
        }
        json.end_object();
        return json_response(view.codes.of(status), json.take());
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        return aggregate(view_of(check, view));
    }
};

class PlainStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "plain"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        HttpResponse response =
            json_response(view.codes.of(status), status == Status::error ? "DOWN" : "OK");
        response.content_type = "text/plain; charset=utf-8";
        return response;
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        return aggregate(view_of(check, view));
    }
};

class ReadyStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "ready"; }

    HttpResponse aggregate(const HealthView &view) const override {
        const Status status = view.status();
        JsonWriter json;
        json.begin_object();
        json.key("status").string(status == Status::error ? "NOT READY" : "READY");
        if (status == Status::error && view.verbose) json.key("reason").string(first_failure(view));
        json.key("timestamp").string(timestamp(view.now));
        json.end_object();
        return json_response(view.codes.of(status), json.take());
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        return aggregate(view_of(check, view));
    }

private:
    static std::string first_failure(const HealthView &view) {
        if (view.unavailable) return *view.unavailable;
        for (const auto &check : view.checks) {
            const Verdict verdict = view.verdict(*check);
            if (verdict.status == Status::error)
                return fmt::format("{}: {}", check->info.name, verdict.message);
        }
        return {};
    }
};

} // namespace

const ResponseStyle &updown() {
    static const UpDownStyle style;
    return style;
}
const ResponseStyle &plain() {
    static const PlainStyle style;
    return style;
}
const ResponseStyle &ready() {
    static const ReadyStyle style;
    return style;
}

} // namespace vitals::styles
