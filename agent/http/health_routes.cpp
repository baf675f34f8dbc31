// SPDX-License-Identifier: MIT
#include "http/health_routes.hpp"

#include <algorithm>
#include <array>

#include "http/health_json.hpp"

namespace vitals {
namespace {

HttpResponse aggregate(const std::vector<CheckState> &states) {
    return json_response(http_status_for(aggregate_status(states)), render_aggregate(states));
}

std::vector<CheckState> in_group(std::vector<CheckState> states, std::string_view group) {
    std::erase_if(states, [&](const CheckState &state) { return !state.info.in_group(group); });
    return states;
}

} // namespace

constexpr std::array<const char *, 3> probe_groups{"live", "ready", "startup"};

int http_status_for(Status status) {
    return status == Status::error ? 503 : 200;
}

Router health_router(const ResultStore &results) {
    Router router;
    router.get("/health", [&results](const HttpRequest &, const std::string &) {
        return aggregate(results.snapshot());
    });
    // The Kubernetes probe groups answer even with no member: an empty group is healthy.
    for (const char *group : probe_groups) {
        router.get(std::string{"/health/"} + group,
                   [&results, group](const HttpRequest &, const std::string &) {
                       return aggregate(in_group(results.snapshot(), group));
                   });
    }
    router.get(
        "/health/groups/<group>", [&results](const HttpRequest &request, const std::string &group) {
            auto members = in_group(results.snapshot(), group);
            const bool probe_group =
                std::find(probe_groups.begin(), probe_groups.end(), group) != probe_groups.end();
            if (members.empty() && !probe_group)
                return json_response(404, render_error("unknown group", request.path));
            return aggregate(members);
        });
    router.get(
        "/health/checks/<name>", [&results](const HttpRequest &request, const std::string &name) {
            const auto state = results.find(name);
            if (!state) return json_response(404, render_error("unknown check", request.path));
            return json_response(http_status_for(effective_status(*state)), render_check(*state));
        });
    return router;
}

} // namespace vitals
