// SPDX-License-Identifier: MIT
#include "http/health_routes.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/config_reader.hpp"
#include "core/secret_digest.hpp"
#include "http/health_json.hpp"
#include "http/push_route.hpp"
#include "http/query.hpp"
#include "http/response_cache.hpp"
#include "http/response_style.hpp"
#include "http/silence_routes.hpp"
#include "http/status_page.hpp"

namespace vitals {
namespace {

constexpr std::array<const char *, 11> builtin_paths{"/",
                                                     "/health",
                                                     "/health/live",
                                                     "/health/ready",
                                                     "/health/startup",
                                                     "/health/groups/<group>",
                                                     "/health/checks/<name>",
                                                     "/health/checks/<name>/silence",
                                                     "/health/maintenance",
                                                     "/health/silences",
                                                     "/metrics"};

/// Names looked up once per check of a render: a set, as a list searched for each of
/// 10,000 checks is 10,000 times its length.
using NameSet = std::set<std::string, std::less<>>;

/// Which checks an answer covers: members of any group or named ones; all when both are empty.
struct Selection {
    std::vector<std::string> groups;
    NameSet names;

    bool covers(const CheckInfo &info) const {
        if (groups.empty() && names.empty()) return true;
        return std::any_of(groups.begin(), groups.end(),
                           [&](const auto &g) { return info.in_group(g); }) ||
               names.contains(info.name);
    }
};

/// Callers with only the probe scope get the status and nothing about the checks.
bool may_see_details(const HttpRequest &request) {
    return request.caller.scope >= Scope::read;
}

HealthView make_view(std::vector<std::shared_ptr<const CheckState>> checks,
                     const StatusCodes &codes, const Query &query, bool details) {
    HealthView view;
    view.checks = std::move(checks);
    view.now = std::chrono::system_clock::now();
    view.codes = codes;
    view.verbose = details && query.flag("verbose").value_or(true);
    return view;
}

/// What an answer adds beyond its checks.
struct Extras {
    const AgentStatus *agent = nullptr;
    bool readiness = false;                 ///< 503 while starting, draining or in maintenance
    bool show_config = false;               ///< the configuration's state (GET /health)
    const SilenceBoard *silences = nullptr; ///< shows silences; readiness sees maintenance
};

class Answerer {
public:
    Answerer(const ResultStore &results, const ResponseStyle &style, StatusCodes codes,
             Selection selection, Extras extras = {})
        : results_(results), style_(style), codes_(codes), selection_(std::move(selection)),
          extras_(extras) {}

    /// Many checks; `?exclude=a,b` leaves some out, `?verbose=0` keeps only the status
    /// (as does a caller without the read scope, unless `details` vouches for it).
    HttpResponse aggregate(const HttpRequest &request, bool details = false) const {
        details = details || may_see_details(request);
        return cache_->get(cache_key(request, details, ""), version(),
                           [&] { return render_aggregate(request, details); });
    }

    /// One check; `?history` adds its last results (native style).
    HttpResponse single(const HttpRequest &request, const std::string &name,
                        bool details = false) const {
        details = details || may_see_details(request);
        return cache_->get(cache_key(request, details, name), version(),
                           [&] { return render_single(request, name, details); });
    }

private:
    HttpResponse render_aggregate(const HttpRequest &request, bool details) const {
        const Query query{request.query};
        if (auto format = query.get("format"); format && !style_.accepts_format(*format))
            return style_.not_found(request);
        const auto excluding = query.list("exclude");
        const NameSet excluded{excluding.begin(), excluding.end()};
        auto checks = results_.snapshot();
        std::erase_if(checks, [&](const auto &check) {
            return !selection_.covers(check->info) || excluded.contains(check->info.name);
        });
        HealthView view = make_view(std::move(checks), codes_, query, details);
        view.silences = extras_.silences;
        add_extras(view);
        if (query.flag("history").value_or(false)) {
            view.histories.emplace();
            view.histories->reserve(view.checks.size());
            for (const auto &check : view.checks)
                view.histories->push_back(results_.history(check->info.name));
        }
        return style_.aggregate(view);
    }

    HttpResponse render_single(const HttpRequest &request, const std::string &name,
                               bool details) const {
        const Query query{request.query};
        if (auto format = query.get("format"); format && !style_.accepts_format(*format))
            return style_.not_found(request);
        const auto check = results_.find(name);
        if (!check || !selection_.covers(check->info)) return style_.not_found(request);
        HealthView view = make_view({}, codes_, query, details);
        view.silences = extras_.silences;
        if (query.flag("history").value_or(false)) view.history = results_.history(name);
        return style_.single(*check, view);
    }

    static std::string cache_key(const HttpRequest &request, bool details,
                                 const std::string &name) {
        return (details ? "d" : "-") + name + '?' + request.query;
    }
    std::uint64_t version() const {
        return results_.version() + (extras_.agent ? extras_.agent->version() : 0) +
               (extras_.silences ? extras_.silences->version() : 0);
    }

    void add_extras(HealthView &view) const {
        if (!extras_.agent) return;
        const AgentFacts facts = extras_.agent->snapshot();
        const auto maintenance = extras_.readiness && extras_.silences
                                     ? extras_.silences->in_maintenance(view.now)
                                     : std::nullopt;
        if (extras_.readiness && facts.draining)
            view.unavailable = "draining: the agent is shutting down";
        else if (maintenance)
            view.unavailable = "maintenance: " + maintenance->reason;
        else if (extras_.readiness && !results_.startup_complete())
            view.unavailable = "starting: not every startup check has passed yet";
        if (extras_.show_config) view.agent = facts;
    }

    const ResultStore &results_;
    const ResponseStyle &style_;
    StatusCodes codes_;
    Selection selection_;
    Extras extras_;
    std::shared_ptr<ResponseCache> cache_ = std::make_shared<ResponseCache>();
};

StatusCodes codes_for(const EndpointDefinition &endpoint, const ResponseStyle &style) {
    StatusCodes codes = style.default_codes();
    if (endpoint.ok_code) codes.ok = *endpoint.ok_code;
    if (endpoint.warning_code) codes.warning = *endpoint.warning_code;
    if (endpoint.error_code) codes.error = *endpoint.error_code;
    return codes;
}

void add_builtin_routes(Router &router, const ResultStore &results, const AgentStatus &agent,
                        const SilenceBoard *silences) {
    const ResponseStyle &native = vitals_style();
    const StatusCodes codes = native.default_codes();
    router.get(
        "/health",
        [all = Answerer{results, native, codes, {}, {&agent, false, true, silences}}](
            const HttpRequest &request, const Captures &) { return all.aggregate(request); });
    for (const std::string_view group : probe_groups) {
        // The probe groups answer even with no member: an empty group is healthy.
        router.get(
            fmt::format("/health/{}", group),
            [members = Answerer{results,
                                native,
                                codes,
                                {{std::string{group}}, {}},
                                {&agent, group == "ready", false, silences}}](
                const HttpRequest &request, const Captures &) {
                return members.aggregate(request);
            },
            Scope::probe);
    }
    router.get("/health/groups/<group>", [&results, native = &native, codes, silences](
                                             const HttpRequest &request, const Captures &captures) {
        const std::string &group = captures.at("group");
        const auto snapshot = results.snapshot();
        const bool known = is_probe_group(group) ||
                           std::any_of(snapshot.begin(), snapshot.end(), [&](const auto &check) {
                               return check->info.in_group(group);
                           });
        if (!known) return json_response(404, render_error("unknown group", request.path));
        return Answerer{results, *native, codes, {{group}, {}}, {nullptr, false, false, silences}}
            .aggregate(request);
    });
    router.get("/health/checks/<name>",
               [one = Answerer{results, native, codes, {}, {nullptr, false, false, silences}}](
                   const HttpRequest &request, const Captures &captures) {
                   const auto response = one.single(request, captures.at("name"));
                   return response.status == 404
                              ? json_response(404, render_error("unknown check", request.path))
                              : response;
               });
    // Rendered per scrape, /metrics ran at a tenth of /health's rate; it is reused the same
    // way, so its process and lag figures are at most the cache's 100 ms old.
    router.get("/metrics", [&results, &agent, silences, cache = std::make_shared<ResponseCache>()](
                               const HttpRequest &, const Captures &) {
        const std::uint64_t quiet = silences ? silences->version() : 0;
        return cache->get("metrics", results.version() + agent.version() + quiet, [&] {
            HttpResponse response =
                json_response(200, render_metrics(results.snapshot(), agent.snapshot(),
                                                  std::chrono::system_clock::now(), silences));
            response.content_type = prometheus_content_type;
            return response;
        });
    });
}

/// An endpoint over probe groups only is a probe: kubelets and load balancers
/// use it without a token, and see statuses only.
bool readiness_only(const EndpointDefinition &endpoint) {
    return !endpoint.groups.empty() && endpoint.checks.empty() &&
           std::all_of(endpoint.groups.begin(), endpoint.groups.end(),
                       [](const std::string &group) { return is_probe_group(group); });
}

/// A URL token is the endpoint's whole credential: bearer scopes do not apply to it, so its
/// style's own codes answer with `anonymous = "none"` and whatever Authorization header a
/// client happens to send. Without one, probe-group endpoints need probe and others read.
Scope needed_scope(const EndpointDefinition &endpoint) {
    if (endpoint.has_token()) return Scope::none;
    return readiness_only(endpoint) ? Scope::probe : Scope::read;
}

void add_endpoint(Router &router, const ResultStore &results, const AgentStatus &agent,
                  const EndpointDefinition &endpoint, const SilenceBoard *silences) {
    const ResponseStyle &style = *find_style(endpoint.style);
    // An endpoint over the ready group is a readiness probe: it drains and waits for startup too.
    const bool readiness =
        std::find(endpoint.groups.begin(), endpoint.groups.end(), "ready") != endpoint.groups.end();
    Answerer answerer{results,
                      style,
                      codes_for(endpoint, style),
                      {endpoint.groups, {endpoint.checks.begin(), endpoint.checks.end()}},
                      {&agent, readiness, false, silences}};
    router.get(
        endpoint.path,
        [answerer, &style, token = endpoint.token,
         per_check = endpoint.per_check()](const HttpRequest &request, const Captures &captures) {
            const auto given = captures.find("token");
            if (given != captures.end() && !same_secret(given->second, token))
                return style.wrong_token(request);
            // A URL token, once matched, is its own credential for details.
            const bool details = given != captures.end();
            return per_check ? answerer.single(request, captures.at("name"), details)
                             : answerer.aggregate(request, details);
        },
        needed_scope(endpoint));
}

std::vector<std::string> placeholders(std::string_view path) {
    std::vector<std::string> found;
    for (std::size_t open = path.find('<'); open != std::string_view::npos;
         open = path.find('<', open + 1)) {
        const auto close = path.find('>', open);
        found.emplace_back(
            path.substr(open, close == std::string_view::npos ? close : close - open + 1));
    }
    return found;
}

} // namespace

Router health_router(const ResultStore &results, const std::vector<EndpointDefinition> &endpoints,
                     const AgentStatus &agent, const PushBoard *push, SilenceBoard *silences) {
    Router router;
    add_builtin_routes(router, results, agent, silences);
    add_status_page(router, results, agent, silences);
    if (push) add_push_route(router, results, *push);
    if (silences) add_silence_routes(router, results, *silences);
    for (const auto &endpoint : endpoints)
        add_endpoint(router, results, agent, endpoint, silences);
    return router;
}

void validate_endpoints(const Configuration &config, ConfigErrors &errors) {
    std::set<std::string> check_names;
    for (const auto &check : config.checks)
        check_names.insert(check.name);
    std::set<std::string> paths{builtin_paths.begin(), builtin_paths.end()};
    std::size_t index = 0;
    for (const auto &endpoint : config.agent.endpoints) {
        const std::string key = fmt::format("endpoint[{}]", index++);
        if (!find_style(endpoint.style))
            errors.push_back({endpoint.style_where, key + ".style",
                              fmt::format("unknown style '{}' (expected one of: {})",
                                          endpoint.style, fmt::join(style_names(), ", "))});
        for (const auto &name : endpoint.checks)
            if (!check_names.contains(name))
                errors.push_back({endpoint.checks_where, key + ".checks",
                                  fmt::format("no check named '{}'", name)});
        // A token with no <token> segment to compare it with would guard nothing.
        if (!endpoint.token.empty() && !endpoint.has_token())
            errors.push_back({endpoint.where, key + ".token_file",
                              "the path has no <token> segment for this token to guard"});
        for (const auto &placeholder : placeholders(endpoint.path))
            if (placeholder != "<name>" && placeholder != "<token>")
                errors.push_back({endpoint.where, key + ".path",
                                  fmt::format("'{}' is not a known segment (use <name> or <token>)",
                                              placeholder)});
        std::string normal = endpoint.path;
        while (normal.size() > 1 && normal.back() == '/')
            normal.pop_back();
        if (!paths.insert(normal).second)
            errors.push_back(
                {endpoint.where, key + ".path",
                 fmt::format("path '{}' is already served by another route", endpoint.path)});
    }
}

} // namespace vitals
