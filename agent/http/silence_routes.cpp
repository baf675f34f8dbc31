// SPDX-License-Identifier: MIT
#include "http/silence_routes.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/utc_time.hpp"
#include "http/health_json.hpp"
#include "http/json_writer.hpp"
#include "http/silence_request.hpp"

namespace vitals {
namespace {

WallTime after(WallTime start, Duration length) {
    return start + std::chrono::duration_cast<WallTime::duration>(length);
}

void write_silence(JsonWriter &json, const Silence &silence) {
    json.begin_object();
    json.key("check").string(silence.check);
    json.key("until").string(format_utc(silence.until));
    json.key("by").string(silence.by);
    json.key("reason").string(silence.reason);
    json.key("created").string(format_utc(silence.created));
    json.end_object();
}

void write_maintenance(JsonWriter &json, const Maintenance &maintenance) {
    json.begin_object();
    json.key("reason").string(maintenance.reason);
    json.key("by").string(maintenance.by);
    json.key("since").string(format_utc(maintenance.since));
    json.key("until");
    if (maintenance.until)
        json.string(format_utc(*maintenance.until));
    else
        json.null();
    json.end_object();
}

std::string listing_json(const SilenceListing &listing) {
    JsonWriter json;
    json.begin_object();
    json.key("maintenance");
    if (listing.maintenance)
        write_maintenance(json, *listing.maintenance);
    else
        json.null();
    json.key("silences").begin_array();
    for (const auto &silence : listing.silences)
        write_silence(json, silence);
    json.end_array();
    json.key("windows").begin_array();
    for (const auto &window : listing.windows) {
        json.begin_object();
        json.key("check").string(window.check);
        json.key("window").string(window.window);
        json.key("until").string(format_utc(window.until));
        json.end_object();
    }
    json.end_array();
    json.end_object();
    return json.take();
}

HttpResponse bad_request(const std::string &detail) {
    return json_response(400, render_error("bad request", detail));
}

std::string lifted_json(bool lifted) {
    JsonWriter json;
    json.begin_object();
    json.key("lifted").boolean(lifted);
    json.end_object();
    return json.take();
}

} // namespace

std::string silence_json(const Silence &silence) {
    JsonWriter json;
    write_silence(json, silence);
    return json.take();
}

std::string maintenance_json(const Maintenance &maintenance) {
    JsonWriter json;
    write_maintenance(json, maintenance);
    return json.take();
}

void add_silence_routes(Router &router, const ResultStore &results, SilenceBoard &board) {
    router.post("/health/checks/<name>/silence", [&results, &board](const HttpRequest &request,
                                                                    const Captures &captures) {
        const std::string &name = captures.at("name");
        if (!results.find(name)) return json_response(404, render_error("unknown check", name));
        auto parsed = parse_silence_request(request.body, true);
        if (const auto *problem = std::get_if<std::string>(&parsed)) return bad_request(*problem);
        const auto &asked = std::get<SilenceRequest>(parsed);
        const WallTime now = board.now();
        Silence silence{name, after(now, *asked.length), request.caller.name, asked.reason, now};
        log(LogLevel::info, "silence", "{} silenced until {} by {}: {}", name,
            format_utc(silence.until), silence.by, silence.reason);
        std::string body = silence_json(silence);
        board.silence(std::move(silence));
        return json_response(200, std::move(body));
    });
    router.del("/health/checks/<name>/silence", [&results, &board](const HttpRequest &request,
                                                                   const Captures &captures) {
        const std::string &name = captures.at("name");
        const bool lifted = board.lift(name);
        // A silence of a check since removed can still be lifted; a name neither known
        // nor silenced is a mistake worth saying.
        if (!lifted && !results.find(name))
            return json_response(404, render_error("unknown check", name));
        if (lifted)
            log(LogLevel::info, "silence", "{}: silence lifted by {}", name, request.caller.name);
        return json_response(200, lifted_json(lifted));
    });
    router.post("/health/maintenance", [&board](const HttpRequest &request, const Captures &) {
        auto parsed = parse_silence_request(request.body, false);
        if (const auto *problem = std::get_if<std::string>(&parsed)) return bad_request(*problem);
        const auto &asked = std::get<SilenceRequest>(parsed);
        const WallTime now = board.now();
        Maintenance maintenance{asked.reason, request.caller.name, now, std::nullopt};
        if (asked.length) maintenance.until = after(now, *asked.length);
        log(LogLevel::warning, "maintenance", "maintenance on{} by {}: {}",
            maintenance.until ? " until " + format_utc(*maintenance.until) : std::string{},
            maintenance.by, maintenance.reason);
        std::string body = maintenance_json(maintenance);
        board.enter_maintenance(std::move(maintenance));
        return json_response(200, std::move(body));
    });
    router.del("/health/maintenance", [&board](const HttpRequest &request, const Captures &) {
        const bool lifted = board.leave_maintenance();
        if (lifted)
            log(LogLevel::info, "maintenance", "maintenance off by {}", request.caller.name);
        return json_response(200, lifted_json(lifted));
    });
    router.get("/health/silences", [&board](const HttpRequest &, const Captures &) {
        return json_response(200, listing_json(board.list(board.now())));
    });
}

} // namespace vitals
