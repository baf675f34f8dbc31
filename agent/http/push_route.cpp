// SPDX-License-Identifier: MIT
#include "http/push_route.hpp"

#include <fmt/format.h>

#include "core/utc_time.hpp"
#include "http/health_json.hpp"
#include "http/json_body.hpp"
#include "http/push_report.hpp"

namespace vitals {
namespace {

std::string_view reason_for(int status) {
    switch (status) {
    case 413:
        return "payload too large";
    case 415:
        return "unsupported media type";
    default:
        return "bad request";
    }
}

HttpResponse accepted(const std::string &name, const CheckResult &report, Duration ttl) {
    auto root = json_object();
    root->set("accepted", true);
    root->set("check", name);
    root->set("status", std::string{to_string(report.status)});
    const auto ended =
        report.started +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(report.duration);
    root->set(
        "next_report_due",
        format_utc(ended + std::chrono::duration_cast<std::chrono::system_clock::duration>(ttl)));
    return json_response(200, to_json(root));
}

} // namespace

void add_push_route(Router &router, const ResultStore &results, const PushBoard &board) {
    router.post("/health/checks/<name>", [&results, &board](const HttpRequest &request,
                                                            const Captures &captures) {
        const std::string &name = captures.at("name");
        const auto inbox = board.find(name);
        if (!inbox) {
            if (const auto check = results.find(name))
                return json_response(
                    409, render_error("not a push check",
                                      fmt::format("check '{}' runs plugin '{}'; only checks with "
                                                  "plugin = \"push\" take reports",
                                                  name, check->info.plugin)));
            return json_response(404, render_error("unknown check", request.path));
        }
        const auto type = request.headers.find("Content-Type");
        auto parsed = parse_push_report(type == request.headers.end() ? "" : type->second,
                                        request.body, std::chrono::system_clock::now());
        if (const auto *problem = std::get_if<PushProblem>(&parsed))
            return json_response(problem->http_status,
                                 render_error(reason_for(problem->http_status), problem->detail));
        auto &report = std::get<CheckResult>(parsed);
        auto response = accepted(name, report, inbox->ttl());
        inbox->accept(std::move(report));
        return response;
    });
}

} // namespace vitals
