// The status page's first paint, rendered without a server. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "http/health_routes.hpp"
#include "http/status_page.hpp"
#include "http/status_page_assets.hpp"
#include "support/http_request.hpp"

namespace {

using namespace vitals;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point now = Clock::time_point{} + 1'700'000'000s;

CheckState check(std::string name, Status status, std::string message,
                 std::vector<std::string> groups = {}) {
    CheckState state;
    state.info.name = std::move(name);
    state.info.plugin = "sleepy";
    state.info.groups = std::move(groups);
    state.info.interval = 10s;
    state.info.timeout = 1s;
    state.declared_at = now - 1h;
    CheckResult result;
    result.status = status;
    result.message = std::move(message);
    result.started = now - 2s;
    result.duration = 25ms;
    state.last = result;
    state.reported = status;
    state.status_since = now - 90s;
    return state;
}

StatusPageInput three_checks() {
    StatusPageInput input;
    input.agent_name = "db-1";
    input.facts.version = "9.9.9";
    input.facts.started = now - 3h - 4min;
    input.now = now;
    input.checks = {check("api", Status::ok, "fine", {"web"}),
                    check("disk", Status::warning, "91% used", {"system"}),
                    check("postgres", Status::error, "connection refused", {"db", "web"})};
    CheckState pending;
    pending.info.name = "queue";
    pending.info.interval = 10s;
    pending.declared_at = now - 1s;
    input.checks.push_back(pending);
    input.histories["api"] = {{Status::ok, "fine", now - 2s, 25ms, false},
                              {Status::error, "down", now - 12s, 40ms, true}};
    return input;
}

std::size_t occurrences(const std::string &text, std::string_view part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

bool contains(const std::string &text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("status page: the first paint has every check, its status, counts and facts") {
    const std::string page = render_status_page(three_checks());
    CHECK(page.starts_with("<!doctype html>"));
    CHECK(occurrences(page, "<tr class=\"check ") == 4);
    CHECK(contains(page, R"(<tr class="check status-ok" data-name="api" data-status="ok")"));
    CHECK(contains(page, R"( id="check-api">)")); // what alerts link to
    CHECK(contains(page, R"(<tr class="check status-warning" data-name="disk")"));
    CHECK(contains(page, R"(<tr class="check status-error" data-name="postgres")"));
    CHECK(contains(page, R"(<tr class="check status-pending" data-name="queue")"));
    CHECK(contains(page, R"(id="count-all">4<)"));
    CHECK(contains(page, R"(id="count-error">1<)"));
    CHECK(contains(page, R"(id="count-pending">1<)"));
    CHECK(contains(page, R"(<span class="badge status-error" id="overall">error</span>)"));
    CHECK(contains(page, "db-1"));
    CHECK(contains(page, "vitalsd 9.9.9"));
    CHECK(contains(page, R"(<span id="uptime">3h 4m</span>)"));
    CHECK(contains(page, R"(data-label="in state"><time datetime=)"));
    CHECK(contains(page, ">1m 30s</time>"));
    CHECK(contains(page, ">25ms<"));
    // History: oldest first, one cell per run, and a sparkline once there are two.
    CHECK(contains(page, R"(<i class="cell status-error" title="error · )"));
    CHECK(page.find("cell status-error") < page.find("cell status-ok"));
    CHECK(occurrences(page, "<polyline") == 1);
    // Groups become filter options; the embedded assets are inline, nothing external.
    CHECK(contains(page, R"(<option value="db">db</option>)"));
    CHECK(contains(page, std::string{assets::status_css}.substr(0, 60)));
    CHECK(contains(page, std::string{assets::status_js}.substr(0, 60)));
    CHECK_FALSE(contains(page, "src=\"http"));
    CHECK_FALSE(contains(page, "href=\"http"));
    CHECK_FALSE(contains(page, "{{"));
}

namespace {

/// The y coordinates of the first sparkline's points (0 is the top, 15 the bottom).
std::vector<double> sparkline_heights(const std::string &page) {
    const std::string marker = R"(<polyline points=")";
    const auto start = page.find(marker);
    REQUIRE(start != std::string::npos);
    std::istringstream points{page.substr(
        start + marker.size(), page.find('"', start + marker.size()) - start - marker.size())};
    std::vector<double> heights;
    for (std::string point; points >> point;)
        heights.push_back(std::stod(point.substr(point.find(',') + 1)));
    return heights;
}

} // namespace

TEST_CASE("status page: a run an on_failure action followed says what it did, on hover") {
    StatusPageInput input = three_checks();
    input.histories["api"].front().action = "exit 0: Restarted <api>";
    const std::string page = render_status_page(input);
    CHECK(contains(page, "fine · action: exit 0: Restarted &lt;api&gt;"));
    CHECK(occurrences(page, "action: exit") == 1); // on that run alone
}

TEST_CASE("status page: the sparkline's scale is the longest run, but at least 10 ms") {
    auto input = three_checks();
    // Microseconds of jitter in a fast check: a flat line at the bottom, not 4x swings.
    input.histories["api"] = {{Status::ok, "", now - 2s, 20us, false},
                              {Status::ok, "", now - 12s, 80us, false},
                              {Status::ok, "", now - 22s, 40us, false}};
    for (const double y : sparkline_heights(render_status_page(input)))
        CHECK(y >= 14.8);
    // Above the floor the longest run takes the full height.
    input.histories["api"] = {{Status::ok, "", now - 2s, 5ms, false},
                              {Status::ok, "", now - 12s, 50ms, false}};
    CHECK(sparkline_heights(render_status_page(input)) == std::vector<double>{1.0, 13.6});
}

TEST_CASE("status page: untrusted text is escaped everywhere it appears") {
    auto input = three_checks();
    input.agent_name = "host\"><script>alert(1)</script>";
    input.checks[0].last->message = "<img src=x onerror=alert(1)> & 'quoted' \"too\"";
    input.checks[0].info.description = "<b>bold</b>";
    input.histories["api"][0].message = "\"><script>alert(2)</script>";
    input.facts.config_ok = false;
    input.facts.config_errors = {"conf.d/x.toml:1:1: <oops>"};
    const std::string page = render_status_page(input);
    CHECK(contains(page,
                   "&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quoted&#39; &quot;too&quot;"));
    CHECK(contains(page, "&lt;b&gt;bold&lt;/b&gt;"));
    CHECK(contains(page, "host&quot;&gt;&lt;script&gt;"));
    CHECK(contains(page, "&quot;&gt;&lt;script&gt;alert(2)"));
    CHECK(contains(page, "conf.d/x.toml:1:1: &lt;oops&gt;"));
    CHECK(contains(page, "reload failed (1 error)"));
    CHECK(occurrences(page, "<script>") == 1); // ours, and nothing else
    CHECK_FALSE(contains(page, "<img"));
}

TEST_CASE("status page: without the read scope it shows the overall status and no check") {
    auto input = three_checks();
    input.details = false;
    const std::string page = render_status_page(input);
    CHECK(contains(page, R"(id="overall">error<)"));
    CHECK(contains(page, "need the <code>read</code> scope"));
    for (const char *secret : {"postgres", "connection refused", "91% used", "<script>", "<table"})
        CHECK_MESSAGE(!contains(page, secret), secret);
}

TEST_CASE("status page: ?status= and ?group= filter the server-rendered rows") {
    auto input = three_checks();
    input.status_filter = "error";
    std::string page = render_status_page(input);
    CHECK(occurrences(page, "<tr class=\"check ") == 1);
    CHECK(contains(page, R"(value="error" checked>)"));
    CHECK(contains(page, R"(id="count-all">4<)")); // counts stay whole
    input.status_filter.clear();
    input.group_filter = "web";
    page = render_status_page(input);
    CHECK(occurrences(page, "<tr class=\"check ") == 2);
    CHECK(contains(page, R"(<option value="web" selected>)"));
    input.group_filter = "nothing-here";
    page = render_status_page(input);
    CHECK(contains(page, R"(<p id="empty">No check matches)"));
}

TEST_CASE("status page: ?label= filters by a label some checks have, offered like groups") {
    auto input = three_checks();
    for (auto &check : input.checks)
        check.info.labels = {{"instance", "db-1"}};
    input.checks[0].info.labels["team"] = "web <ops>";
    input.checks[2].info.labels["team"] = "dba";
    std::string page = render_status_page(input);
    // Every label on its row, for the script; the choices leave out what every check has.
    CHECK(contains(
        page, R"(data-labels="[&quot;instance=db-1&quot;,&quot;team=web &lt;ops&gt;&quot;]")"));
    CHECK(contains(page, R"(<option value="team=dba">team=dba</option>)"));
    CHECK(contains(page, R"(<option value="team=web &lt;ops&gt;">)"));
    CHECK_FALSE(contains(page, R"(<option value="instance=db-1")"));
    input.label_filter = "team=dba";
    page = render_status_page(input);
    CHECK(occurrences(page, "<tr class=\"check ") == 1);
    CHECK(contains(page, R"(data-name="postgres")"));
    CHECK(contains(page, R"(<option value="team=dba" selected>)"));
    input.label_filter = "instance=db-1";
    CHECK(occurrences(render_status_page(input), "<tr class=\"check ") == 4);
    input.label_filter = "team=nobody";
    CHECK(contains(render_status_page(input), R"(<p id="empty">No check matches)"));
}

TEST_CASE("status page: spans read short") {
    CHECK(format_span(0.0042) == "4ms");
    CHECK(format_span(1.25) == "1.2s");
    CHECK(format_span(42) == "42s");
    CHECK(format_span(125) == "2m 5s");
    CHECK(format_span(3 * 3600 + 4 * 60 + 5) == "3h 4m");
    CHECK(format_span(2 * 86400 + 3600) == "2d 1h");
    CHECK(format_span(-5) == "0ms");
}

TEST_CASE("status page: GET / answers HTML with a strict content security policy") {
    CheckInfo info;
    info.name = "api";
    ResultStore results{{info}};
    AgentStatus agent{AgentFacts{}};
    const Router router = health_router(results, {}, agent);
    auto request = vitals::test::get_request("/");
    auto response = router.handle(request);
    CHECK(response.status == 200);
    CHECK(response.content_type == "text/html; charset=utf-8");
    const auto &policy = response.headers.at("Content-Security-Policy");
    CHECK(contains(policy, "default-src 'none'"));
    CHECK(contains(policy, "script-src 'sha256-"));
    CHECK_FALSE(contains(policy, "unsafe-eval"));
    CHECK(contains(response.body, R"(data-name="api")"));
    // A probe-scope caller still gets the page, without details.
    request.caller.scope = Scope::probe;
    response = router.handle(request);
    CHECK(response.status == 200);
    CHECK_FALSE(contains(response.body, R"(data-name="api")"));
}
