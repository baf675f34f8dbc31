// Fuzzes the real route table (built-in routes and [[endpoint]]s in every style) and the
// query parser, with requests as the server hands them over. SPDX-License-Identifier: MIT
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <Poco/JSON/Parser.h>

#include "fuzz_check.hpp"
#include "http/health_routes.hpp"
#include "http/query.hpp"
#include "http/server/request_target.hpp"

namespace {

using namespace vitals;

/// In every check message: a probe caller must never see it.
constexpr std::string_view message_marker = "m7f3a9c";
constexpr std::string_view url_token = "t0kenfz";

CheckInfo info(std::string name, std::vector<std::string> groups) {
    CheckInfo check;
    check.name = std::move(name);
    check.plugin = "tcp";
    check.groups = std::move(groups);
    check.interval = std::chrono::seconds{10};
    check.timeout = std::chrono::seconds{1};
    return check;
}

EndpointDefinition endpoint(std::string path, std::string style, std::vector<std::string> groups,
                            std::vector<std::string> checks = {}, std::string token = {}) {
    EndpointDefinition definition;
    definition.path = std::move(path);
    definition.style = std::move(style);
    definition.groups = std::move(groups);
    definition.checks = std::move(checks);
    definition.token = std::move(token);
    return definition;
}

AgentFacts facts() {
    AgentFacts facts;
    facts.version = "0.1.0";
    facts.abi = "1.0";
    facts.plugins = {{"tcp", "1.0"}};
    return facts;
}

struct Routes {
    ResultStore results{
        {info("db", {"ready", "live"}), info("web", {"startup", "edge"}), info("queue", {})}};
    AgentStatus agent{facts()};
    std::vector<EndpointDefinition> endpoints{
        endpoint("/api/health", "health+json", {"ready"}),
        endpoint("/status/<token>/<name>", "system_check", {}, {}, std::string{url_token}),
        endpoint("/up/<name>", "updown", {}),
        endpoint("/plain", "plain", {"edge"}),
        endpoint("/ready", "ready", {"ready"}),
        endpoint("/nested/", "nested", {}, {"db", "queue"}),
        endpoint("/probes", "probes", {"live", "ready"})};
    Router router;

    Routes() {
        const auto now = std::chrono::system_clock::now();
        results.record("db", {Status::error,
                              "db m7f3a9c refused",
                              {{"latency", 0.5, "seconds"}},
                              std::chrono::milliseconds{3},
                              now});
        results.record(
            "web", {Status::warning, "web m7f3a9c slow", {}, std::chrono::milliseconds{2}, now});
        router = health_router(results, endpoints, agent);
    }
};

bool is_json(const HttpResponse &response) {
    return response.content_type.find("json") != std::string::npos;
}

void check_query(std::string_view raw) {
    const Query query{raw};
    for (const char *key : {"exclude", "verbose", "format", "history"}) {
        FUZZ_CHECK(query.has(key) == query.get(key).has_value());
        for (const auto &item : query.list(key))
            FUZZ_CHECK(!item.empty() && item.find(',') == std::string::npos);
    }
}

} // namespace

/// Input: one byte for the caller (scope, credentials, whether to bypass target parsing),
/// then "<method> <target>".
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static const Routes routes;
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    const std::string_view text{reinterpret_cast<const char *>(data + 1), size - 1};
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return 0;

    HttpRequest request;
    request.method = text.substr(0, space);
    const std::string_view target = text.substr(space + 1);
    const bool raw = flags & 0x8; // the router on its own, with paths no parser vetted
    if (raw) {
        request.path = target.substr(0, target.find('?'));
        if (target.find('?') != std::string_view::npos)
            request.query = target.substr(target.find('?') + 1);
    } else {
        // What the server's head parser lets through: a token method, a vetted target.
        if (request.method.empty() ||
            !std::all_of(request.method.begin(), request.method.end(),
                         [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }))
            return 0;
        auto parsed = parse_request_target(target);
        auto *accepted = std::get_if<RequestTarget>(&parsed);
        if (!accepted) return 0; // the server answers 400 itself
        request.path = std::move(accepted->path);
        request.query = std::move(accepted->query);
    }
    request.caller.scope = static_cast<Scope>(flags & 0x3);
    request.caller.presented_credentials = flags & 0x4;
    check_query(request.query);

    const HttpResponse response = routes.router.handle(request);
    const std::string body{response.payload()}; // a cached answer's is shared, not in .body
    FUZZ_CHECK(response.status >= 100 && response.status <= 599);
    if (response.status == 405) FUZZ_CHECK(!response.headers.at("Allow").empty());
    if (response.status == 401) FUZZ_CHECK(response.headers.count("WWW-Authenticate") == 1);
    // Below the read scope, nothing about the checks comes back (the URL token of its own
    // endpoint is a credential: whoever has it sees that endpoint's details).
    if (request.caller.scope < Scope::read && text.find(message_marker) == std::string_view::npos &&
        text.find(url_token) == std::string_view::npos)
        FUZZ_CHECK(body.find(message_marker) == std::string::npos);
    // Every JSON body is well-formed, whatever the path echoed in it.
    if (!raw && is_json(response) && !body.empty()) {
        try {
            Poco::JSON::Parser{}.parse(body);
        } catch (const Poco::Exception &error) {
            std::fprintf(stderr, "invalid JSON (%s): %s\n", error.displayText().c_str(),
                         body.c_str());
            FUZZ_CHECK(false);
        }
    }
    return 0;
}
