// The status page in a real browser: headless Chromium through chromedriver.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "browser/webdriver.hpp"
#include "support/agent_fixture.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path output_dir = VITALS_BROWSER_OUTPUT_DIR;

/// ok, warning and error from scheduled checks, and a push check to flip at will.
const char *mixed_checks = R"toml(
[check.api]
plugin = "sleepy"
interval = "300ms"
groups = ["web"]
labels = { team = "frontend" }
description = "public API"
params = { sleep = "15ms", message = "200 OK in 14ms" }

[check.disk]
plugin = "sleepy"
interval = "300ms"
groups = ["system"]
labels = { team = "storage" }
params = { status = "warning", message = "/var is 91% full" }

[check.postgres]
plugin = "sleepy"
interval = "300ms"
groups = ["db", "web"]
params = { status = "error", message = "connection refused (127.0.0.1:5432)" }

[check.backup]
plugin = "push"
ttl = "1h"
groups = ["cron"]
description = "nightly pg_dump"
)toml";

/// Rows as the browser shows them: name, status, the badge's colour, visibility.
const char *rows_script = R"(
  return Array.from(document.querySelectorAll('#rows tr.check')).map(function (tr) {
    var badge = tr.querySelector('.badge');
    return { name: tr.dataset.name, status: tr.dataset.status,
             colour: getComputedStyle(badge).backgroundColor,
             message: tr.querySelector('td.message').textContent,
             visible: tr.offsetParent !== null };
  });)";

std::string counts(BrowserSession &browser) {
    return browser.run(R"(
      return ['all', 'ok', 'warning', 'error', 'pending'].map(function (k) {
        return k + '=' + document.getElementById('count-' + k).textContent; }).join(' ');)");
}

bool contains(const std::string &text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

/// Polls `script` in the page until its JSON result contains `wanted`.
std::string wait_in_page(BrowserSession &browser, const std::string &script,
                         const std::string &wanted, std::chrono::seconds limit = 10s) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    std::string last;
    while (std::chrono::steady_clock::now() < give_up) {
        last = browser.run(script);
        if (contains(last, wanted)) return last;
        std::this_thread::sleep_for(100ms);
    }
    FAIL("the page never showed " << wanted << "; last: " << last);
    return last;
}

} // namespace

TEST_CASE("browser: the status page shows rows, colours and counts, and updates in place") {
    const auto started = std::chrono::steady_clock::now();
    Agent agent{mixed_checks};
    for (const char *name : {"api", "disk", "postgres"})
        wait_until_not_pending(agent.port(), name);
    // A few runs each, so the history strips and sparklines have something to draw.
    wait_until(agent.port(), "api", [](const Object::Ptr &json) { return consecutive(json) >= 4; });
    REQUIRE(
        http_request(agent.port(), "POST", "/health/checks/backup",
                     R"({"status": "ok", "message": "dump 2.1 GB in 48s", "duration_seconds": 48})",
                     "application/json")
            .status == 200);

    TempDir profile;
    ChromeDriver driver{output_dir / "chromedriver.log"};
    BrowserSession browser{driver, profile.path(), {}};
    const std::string url = "http://127.0.0.1:" + std::to_string(agent.port()) + "/";
    browser.go(url);

    const std::string rows = browser.run(rows_script);
    INFO(rows);
    CHECK(contains(rows, R"x({"name":"api","status":"ok","colour":"rgb(26, 127, 55)")x"));
    CHECK(contains(rows, R"x({"name":"backup","status":"ok","colour":"rgb(26, 127, 55)")x"));
    CHECK(contains(rows, R"x({"name":"disk","status":"warning","colour":"rgb(154, 103, 0)")x"));
    CHECK(contains(rows, R"x({"name":"postgres","status":"error","colour":"rgb(207, 34, 46)")x"));
    CHECK(counts(browser) == R"("all=4 ok=2 warning=1 error=1 pending=0")");
    CHECK(browser.count("#rows tr.check") == 4);
    CHECK(browser.count("tr[data-name='api'] .cells .cell") >= 4);
    CHECK(browser.count("tr[data-name='api'] svg.spark polyline") == 1);
    CHECK(contains(browser.run("return document.getElementById('overall').textContent;"), "error"));
    browser.screenshot(output_dir / "status-page.png");

    // Flip the push check: the page must follow without a reload (the marker survives).
    browser.run("window.vitalsMarker = 'same page'; return true;");
    REQUIRE(http_request(agent.port(), "POST", "/health/checks/backup",
                         "2 CRITICAL: pg_dump exited 1", "text/plain")
                .status == 200);
    const std::string flipped = wait_in_page(
        browser, rows_script, R"x({"name":"backup","status":"error","colour":"rgb(207, 34, 46)")x");
    CHECK(contains(flipped, "CRITICAL: pg_dump exited 1"));
    CHECK(counts(browser) == R"("all=4 ok=1 warning=1 error=2 pending=0")");
    CHECK(browser.run("return window.vitalsMarker;") == R"("same page")");
    // The script's sparklines (the rows are its own now): full height is the longest
    // run, at least 10 ms. api's 15 ms sleeps reach the top (y 1); disk's runs of
    // microseconds stay near the bottom (y 15) instead of swinging to the top.
    const std::string tops = browser.run(R"(
      return ['api', 'disk'].map(function (name) {
        var line = document.querySelector("tr[data-name='" + name + "'] svg.spark polyline");
        var ys = line.getAttribute('points').split(' ').map(function (p) { return Number(p.split(',')[1]); });
        return name + ' ' + (Math.min.apply(null, ys) > 8 ? 'low' : 'top ' + Math.min.apply(null, ys));
      }).join(', ');)");
    CHECK(tops == R"("api top 1, disk low")");

    // Filters: the error chip leaves the two errors; a group narrows to its members.
    browser.click("label.chip.status-error");
    const std::string errors_only = browser.run(rows_script);
    CHECK(contains(
        errors_only,
        R"x("name":"api","status":"ok","colour":"rgb(26, 127, 55)","message":"200 OK in 14ms","visible":false)x"));
    CHECK(contains(
        errors_only,
        R"x("name":"postgres","status":"error","colour":"rgb(207, 34, 46)","message":"connection refused (127.0.0.1:5432)","visible":true)x"));
    CHECK(contains(browser.run("return location.search;"), "status=error"));
    browser.run(R"(var s = document.getElementById('group'); s.value = 'web';
                   s.dispatchEvent(new Event('change', {bubbles: true})); return true;)");
    CHECK(browser.run("return Array.from(document.querySelectorAll('#rows tr.check'))"
                      ".filter(function (tr) { return !tr.hidden; })"
                      ".map(function (tr) { return tr.dataset.name; }).join(',');") ==
          R"("postgres")");
    // A label narrows like a group, whatever the status chip and group were.
    browser.click("label.chip:first-of-type");
    browser.run(R"(var g = document.getElementById('group'); g.value = '';
                   var s = document.getElementById('label'); s.value = 'team=storage';
                   s.dispatchEvent(new Event('change', {bubbles: true})); return true;)");
    CHECK(browser.run("return Array.from(document.querySelectorAll('#rows tr.check'))"
                      ".filter(function (tr) { return !tr.hidden; })"
                      ".map(function (tr) { return tr.dataset.name; }).join(',');") == R"("disk")");
    CHECK(browser.run("return location.search;") == R"("?label=team%3Dstorage")");
    MESSAGE("browser test took "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s; screenshot in " << (output_dir / "status-page.png").string());
}

TEST_CASE("browser: on a phone the table becomes labelled cards") {
    Agent agent{mixed_checks};
    wait_until_not_pending(agent.port(), "postgres");
    TempDir profile;
    ChromeDriver driver{output_dir / "chromedriver-phone.log"};
    BrowserSession browser{driver, profile.path(), {.width = 390, .height = 844}};
    browser.go("http://127.0.0.1:" + std::to_string(agent.port()) + "/");
    CHECK(browser.run("return getComputedStyle(document.querySelector('thead')).display;") ==
          R"("none")");
    CHECK(browser.run("return getComputedStyle(document.querySelector('tr.check')).display;") ==
          R"("block")");
    // Nothing wider than the screen: no sideways scrolling.
    CHECK(browser.run("return document.documentElement.scrollWidth <= window.innerWidth;") ==
          "true");
    browser.screenshot(output_dir / "status-page-phone.png");
}

TEST_CASE("browser: with JavaScript off the server-rendered page has every row") {
    Agent agent{mixed_checks};
    for (const char *name : {"api", "disk", "postgres"})
        wait_until_not_pending(agent.port(), name);
    TempDir profile;
    ChromeDriver driver{output_dir / "chromedriver-nojs.log"};
    BrowserSession browser{driver, profile.path(), {.javascript = false}};
    browser.go("http://127.0.0.1:" + std::to_string(agent.port()) + "/?status=error");
    // WebDriver's own element lookup: no page script involved.
    CHECK(browser.count("#rows tr.check") == 1);
    CHECK(browser.count("#rows tr.check.status-error[data-name='postgres']") == 1);
    CHECK(browser.count("#count-all") == 1);
    browser.go("http://127.0.0.1:" + std::to_string(agent.port()) + "/");
    CHECK(browser.count("#rows tr.check") == 4);
    CHECK(browser.count("#rows tr.check.status-pending[data-name='backup']") == 1);
}

TEST_CASE("browser: chromedriver's log goes into a folder made for it") {
    TempDir dir;
    const auto log = dir.path() / "not" / "made" / "chromedriver.log";
    { ChromeDriver driver{log}; }
    REQUIRE(std::filesystem::exists(log));
    std::ifstream in{log};
    const std::string text{std::istreambuf_iterator<char>{in}, {}};
    CHECK_MESSAGE(contains(text, "ChromeDriver"), text);
}
