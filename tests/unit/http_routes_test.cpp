// The /health routes over a hand-filled ResultStore. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "core/utc_time.hpp"
#include "http/health_routes.hpp"
#include "http/response_cache.hpp"
#include "results/result_store.hpp"
#include "support/http_request.hpp"

namespace {

using vitals::test::make_request;

using namespace vitals;
using namespace std::chrono_literals;
using Poco::JSON::Object;

CheckInfo info(std::string name, std::vector<std::string> groups) {
    return CheckInfo{std::move(name), "sleepy", "a test check", std::move(groups), 30s, 5s};
}

/// A fixed moment a few seconds ago (whole seconds + 535 ms) plus `offset`:
/// recent enough that results are not stale, exact enough to assert on.
std::chrono::system_clock::time_point at(std::chrono::milliseconds offset = 0ms) {
    using namespace std::chrono;
    static const auto base = floor<seconds>(system_clock::now()) - 10s + 535ms;
    return base + offset;
}

CheckResult result(Status status, std::string message = "fine",
                   std::chrono::system_clock::time_point started = at(),
                   Duration duration = 250ms) {
    CheckResult r;
    r.status = status;
    r.message = std::move(message);
    r.duration = duration;
    r.started = started;
    return r;
}

HttpResponse request(const ResultStore &store, const std::string &path,
                     const std::string &method = "GET") {
    static const AgentStatus facts{AgentFacts{}};
    const Router router = health_router(store, {}, facts);
    return router.handle(make_request(method, path));
}

/// The body minus "age_seconds", the one field that moves with the clock.
std::string without_age(std::string_view body) {
    static const std::regex age{R"("age_seconds":[0-9.]+,)"};
    return std::regex_replace(std::string{body}, age, "");
}

Object::Ptr parse(std::string_view body) {
    Poco::JSON::Parser parser;
    return parser.parse(std::string{body}).extract<Object::Ptr>();
}

std::string text(const Object::Ptr &json, const std::string &key) {
    return json->getValue<std::string>(key);
}

Object::Ptr check_in(const Object::Ptr &aggregate, const std::string &name) {
    const auto checks = aggregate->getObject("checks");
    REQUIRE(checks);
    const auto check = checks->getObject(name);
    REQUIRE(check);
    return check;
}

} // namespace

TEST_CASE("http routes: aggregate status is the worst check, 200 unless error") {
    ResultStore store{{info("a", {}), info("b", {}), info("c", {})}};
    store.record("a", result(Status::ok));
    store.record("b", result(Status::ok));
    store.record("c", result(Status::ok));

    auto response = request(store, "/health");
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    CHECK(response.headers["Cache-Control"] == "no-store");
    auto json = parse(response.payload());
    CHECK(text(json, "status") == "ok");
    CHECK(json->getObject("checks")->size() == 3);

    store.record("b", result(Status::warning));
    response = request(store, "/health");
    CHECK(response.status == 200);
    CHECK(text(parse(response.payload()), "status") == "warning");

    store.record("c", result(Status::error));
    response = request(store, "/health");
    CHECK(response.status == 503);
    json = parse(response.payload());
    CHECK(text(json, "status") == "error");
    CHECK(text(check_in(json, "a"), "status") == "ok");
    CHECK(text(check_in(json, "b"), "status") == "warning");
    CHECK(text(check_in(json, "c"), "status") == "error");

    // Back to warning once the error clears.
    store.record("c", result(Status::ok));
    response = request(store, "/health");
    CHECK(response.status == 200);
    CHECK(text(parse(response.payload()), "status") == "warning");
}

TEST_CASE("http routes: no checks at all is ok") {
    ResultStore store{{}};
    const auto response = request(store, "/health");
    CHECK(response.status == 200);
    const auto json = parse(response.payload());
    CHECK(text(json, "status") == "ok");
    CHECK(json->getObject("checks")->size() == 0);
}

TEST_CASE("http routes: a check with no result yet is a pending error") {
    ResultStore store{{info("done", {"ready"}), info("waiting", {"ready"})}};
    store.record("done", result(Status::ok));

    const auto response = request(store, "/health");
    CHECK(response.status == 503);
    const auto json = parse(response.payload());
    CHECK(text(json, "status") == "error");

    const auto waiting = check_in(json, "waiting");
    CHECK(text(waiting, "status") == "error");
    CHECK(waiting->getValue<bool>("pending"));
    CHECK(text(waiting, "message") == "no result yet");
    CHECK(waiting->isNull("last_run"));
    CHECK(waiting->isNull("status_since"));
    CHECK(waiting->isNull("duration_seconds"));
    CHECK(waiting->getValue<int>("consecutive") == 0);
    CHECK(waiting->getArray("metrics")->size() == 0);

    CHECK_FALSE(check_in(json, "done")->getValue<bool>("pending"));

    const auto single = request(store, "/health/checks/waiting");
    CHECK(single.status == 503);
    CHECK(parse(single.payload())->getValue<bool>("pending"));
    CHECK(request(store, "/health/ready").status == 503);
}

TEST_CASE("http routes: probe groups filter by group and an empty one is ok") {
    ResultStore store{{info("disk", {"live", "ready"}), info("db", {"ready", "backend"}),
                       info("cache", {"backend"})}};
    store.record("disk", result(Status::ok));
    store.record("db", result(Status::error, "down"));
    store.record("cache", result(Status::warning));

    auto live = request(store, "/health/live");
    CHECK(live.status == 200);
    auto json = parse(live.payload());
    CHECK(text(json, "status") == "ok");
    CHECK(json->getObject("checks")->size() == 1);
    CHECK(json->getObject("checks")->has("disk"));

    auto ready = request(store, "/health/ready");
    CHECK(ready.status == 503);
    json = parse(ready.payload());
    CHECK(text(json, "status") == "error");
    CHECK(json->getObject("checks")->size() == 2);
    CHECK_FALSE(json->getObject("checks")->has("cache"));

    // No check is in "startup": the probe answers, healthy and empty.
    auto startup = request(store, "/health/startup");
    CHECK(startup.status == 200);
    json = parse(startup.payload());
    CHECK(text(json, "status") == "ok");
    CHECK(json->getObject("checks")->size() == 0);

    // The probe groups are reachable through /health/groups/ too, even empty.
    CHECK(request(store, "/health/groups/startup").status == 200);
    CHECK(request(store, "/health/groups/live").status == 200);
    CHECK(request(store, "/health/groups/ready").status == 503);
}

TEST_CASE("http routes: custom groups, and an unknown one is 404") {
    ResultStore store{{info("db", {"backend"}), info("cache", {"backend", "fast"})}};
    store.record("db", result(Status::ok));
    store.record("cache", result(Status::warning));

    auto backend = request(store, "/health/groups/backend");
    CHECK(backend.status == 200);
    auto json = parse(backend.payload());
    CHECK(text(json, "status") == "warning");
    CHECK(json->getObject("checks")->size() == 2);

    auto fast = request(store, "/health/groups/fast");
    CHECK(fast.status == 200);
    CHECK(parse(fast.payload())->getObject("checks")->size() == 1);

    store.record("db", result(Status::error));
    CHECK(request(store, "/health/groups/backend").status == 503);
    CHECK(request(store, "/health/groups/fast").status == 200);

    const auto unknown = request(store, "/health/groups/nosuch");
    CHECK(unknown.status == 404);
    CHECK(unknown.content_type == "application/json");
    json = parse(unknown.payload());
    CHECK(text(json, "error") == "unknown group");
    CHECK(text(json, "detail") == "/health/groups/nosuch");
}

TEST_CASE("http routes: one check by name, 404 for an unknown name") {
    ResultStore store{{info("good", {}), info("bad", {})}};
    store.record("good", result(Status::warning, "slow"));
    store.record("bad", result(Status::error, "broken"));

    auto good = request(store, "/health/checks/good");
    CHECK(good.status == 200);
    auto json = parse(good.payload());
    CHECK(text(json, "name") == "good");
    CHECK(text(json, "status") == "warning");
    CHECK(text(json, "message") == "slow");
    CHECK(text(json, "plugin") == "sleepy");
    CHECK(text(json, "description") == "a test check");
    CHECK(json->getValue<double>("interval_seconds") == doctest::Approx(30));
    CHECK(json->getValue<double>("timeout_seconds") == doctest::Approx(5));

    auto bad = request(store, "/health/checks/bad");
    CHECK(bad.status == 503);
    CHECK(text(parse(bad.payload()), "message") == "broken");

    const auto unknown = request(store, "/health/checks/nosuch");
    CHECK(unknown.status == 404);
    CHECK(unknown.content_type == "application/json");
    json = parse(unknown.payload());
    CHECK(text(json, "error") == "unknown check");
    CHECK(text(json, "detail") == "/health/checks/nosuch");

    // A capture is one segment: a name followed by more path is no route at all.
    CHECK(request(store, "/health/checks/good/extra").status == 404);
    CHECK(request(store, "/health/checks/").status == 404);
}

TEST_CASE("http routes: unknown paths are 404 JSON, other methods 405") {
    ResultStore store{{info("a", {})}};
    store.record("a", result(Status::ok));

    // ("/" is the status page: see status_page_test.cpp.)
    for (const char *path :
         {"/index.html", "/nope", "/healthz", "/health/nope", "/health/live/x"}) {
        CAPTURE(path);
        const auto response = request(store, path);
        CHECK(response.status == 404);
        CHECK(response.content_type == "application/json");
        const auto json = parse(response.payload());
        CHECK(text(json, "error") == "not found");
        CHECK(text(json, "detail") == path);
    }

    for (const char *method : {"POST", "PUT", "DELETE", "PATCH"}) {
        for (const char *path : {"/health", "/health/ready", "/health/checks/a"}) {
            CAPTURE(method);
            CAPTURE(path);
            auto response = request(store, path, method);
            CHECK(response.status == 405);
            CHECK(response.headers["Allow"] == "GET, HEAD");
            CHECK(text(parse(response.payload()), "error") == "method not allowed");
        }
    }
    // An unknown path stays 404 whatever the method.
    CHECK(request(store, "/nope", "POST").status == 404);

    // HEAD is answered by the GET handler (the server drops the body).
    const auto head = request(store, "/health", "HEAD");
    CHECK(head.status == 200);
    CHECK(without_age(head.payload()) == without_age(request(store, "/health").payload()));
}

// Found by fuzzing: Poco::URI::decode threw on a stray '%', and the server turned that
// into a 500 and an error in the log for any anonymous caller.
TEST_CASE("http routes: malformed escapes in the query are taken literally, never a 500") {
    ResultStore store{{info("a", {"live"}), info("b%zz", {"live"})}};
    store.record("a", result(Status::ok));
    store.record("b%zz", result(Status::error));

    const std::vector<std::pair<std::string, int>> answers{{"/health?verbose=%", 503},
                                                           {"/health/live?%", 503},
                                                           {"/health?exclude=%4", 503},
                                                           {"/health/checks/a?history=%G0", 200}};
    for (const auto &[target, status] : answers) {
        CAPTURE(target);
        CHECK(request(store, target).status == status);
    }
    // A '%' that is not an escape stays a '%': this excludes the check named "b%zz".
    CHECK(request(store, "/health?exclude=b%zz").status == 200);
    CHECK(request(store, "/health?exclude=b%25zz").status == 200);
    CHECK(request(store, "/health?exclude=a+b,%62%25zz").status == 200);
}

TEST_CASE("http routes: a trailing slash still matches") {
    ResultStore store{{info("a", {"ready"})}};
    store.record("a", result(Status::error));

    CHECK(request(store, "/health/").status == 503);
    CHECK(request(store, "/health/ready/").status == 503);
    CHECK(request(store, "/health/checks/a/").status == 503);
    CHECK(text(parse(request(store, "/health/").payload()), "status") == "error");
}

TEST_CASE("http routes: check fields: metrics, duration, times, consecutive") {
    ResultStore store{{info("a", {"live", "custom"})}};
    CheckResult first = result(Status::ok, "fine", at(), 250ms);
    first.metrics = {{"used_percent", 42.5, "percent"}, {"count", 3, ""}};
    store.record("a", first);

    auto json = parse(request(store, "/health/checks/a").payload());
    CHECK(text(json, "status") == "ok");
    CHECK_FALSE(json->getValue<bool>("pending"));
    const auto metrics = json->getArray("metrics");
    REQUIRE(metrics->size() == 2);
    CHECK(text(metrics->getObject(0), "name") == "used_percent");
    CHECK(metrics->getObject(0)->getValue<double>("value") == doctest::Approx(42.5));
    CHECK(text(metrics->getObject(0), "unit") == "percent");
    CHECK(text(metrics->getObject(1), "name") == "count");
    CHECK(metrics->getObject(1)->getValue<double>("value") == doctest::Approx(3));
    CHECK(text(metrics->getObject(1), "unit") == "");
    CHECK(json->getValue<double>("duration_seconds") == doctest::Approx(0.25));
    const auto groups = json->getArray("groups");
    REQUIRE(groups->size() == 2);
    CHECK(groups->getElement<std::string>(0) == "live");
    CHECK(groups->getElement<std::string>(1) == "custom");

    static const std::regex utc{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"};
    CHECK(std::regex_match(text(json, "last_run"), utc));
    CHECK(text(json, "last_run") == format_utc(at()));
    // A status starts when the run that produced it ended.
    CHECK(text(json, "status_since") == format_utc(at(250ms)));
    CHECK(json->getValue<int>("consecutive") == 1);

    // Same status again: counted, status_since kept.
    store.record("a", result(Status::ok, "fine", at(30s), 100ms));
    json = parse(request(store, "/health/checks/a").payload());
    CHECK(json->getValue<int>("consecutive") == 2);
    CHECK(text(json, "last_run") == format_utc(at(30s)));
    CHECK(text(json, "status_since") == format_utc(at(250ms)));
    CHECK(json->getValue<double>("duration_seconds") == doctest::Approx(0.1));
    CHECK(json->getArray("metrics")->size() == 0);

    store.record("a", result(Status::ok, "fine", at(60s), 100ms));
    CHECK(parse(request(store, "/health/checks/a").payload())->getValue<int>("consecutive") == 3);

    // A new status restarts the count and the clock.
    store.record("a", result(Status::warning, "hmm", at(90s), 1500ms));
    json = parse(request(store, "/health/checks/a").payload());
    CHECK(text(json, "status") == "warning");
    CHECK(json->getValue<int>("consecutive") == 1);
    CHECK(text(json, "last_run") == format_utc(at(90s)));
    CHECK(text(json, "status_since") == format_utc(at(91500ms)));

    // The aggregate carries the same fields.
    const auto in_aggregate = check_in(parse(request(store, "/health").payload()), "a");
    CHECK(text(in_aggregate, "status_since") == format_utc(at(91500ms)));
    CHECK(in_aggregate->getValue<int>("consecutive") == 1);
    CHECK(text(in_aggregate, "message") == "hmm");

    // Results for checks the store does not know are ignored.
    store.record("ghost", result(Status::error));
    CHECK(request(store, "/health").status == 200);
    CHECK(request(store, "/health/checks/ghost").status == 404);
}

TEST_CASE("http routes: messages and names are JSON-escaped") {
    const std::string message = "said \"no\" \\ then\nnext line\ttab\r é ✓ \x01 </script>";
    ResultStore store{{info("a", {})}};
    CheckResult r = result(Status::error, message);
    r.metrics = {{"naïve \"metric\"", 1, "µs\\"}};
    store.record("a", r);

    const auto single = request(store, "/health/checks/a");
    const auto json = parse(single.payload());
    CHECK(text(json, "message") == message);
    const auto metric = json->getArray("metrics")->getObject(0);
    CHECK(text(metric, "name") == "naïve \"metric\"");
    CHECK(text(metric, "unit") == "µs\\");
    // Raw control characters never reach the wire.
    CHECK(single.payload().find('\n') == std::string::npos);
    CHECK(single.payload().find('\x01') == std::string::npos);

    CHECK(text(check_in(parse(request(store, "/health").payload()), "a"), "message") == message);

    // The path echoed in an error body is escaped too.
    const auto missing = request(store, "/health/checks/\"x\\y\"");
    CHECK(missing.status == 404);
    CHECK(text(parse(missing.payload()), "detail") == "/health/checks/\"x\\y\"");
}

TEST_CASE("http routes: a rendered answer is reused until the results change or it ages") {
    using namespace std::chrono_literals;
    int renders = 0;
    const auto render = [&] {
        ++renders;
        return vitals::json_response(200, std::to_string(renders));
    };
    vitals::ResponseCache cache{1h};
    CHECK(cache.get("a", 1, render).payload() == "1");
    CHECK(cache.get("a", 1, render).payload() == "1"); // same version, young: reused
    CHECK(cache.get("b", 1, render).payload() == "2"); // another query renders its own
    CHECK(cache.get("a", 2, render).payload() == "3"); // a new result: rendered again
    // With no age allowed, an answer is too old as soon as it is made: rendered every time.
    vitals::ResponseCache aged{0ms};
    CHECK(aged.get("a", 2, render).payload() == "4");
    CHECK(aged.get("a", 2, render).payload() == "5");
    CHECK(renders == 5);
}

TEST_CASE("http routes: a reused answer shares one copy of its body") {
    // Issue 16: a thousand slow readers of a big /health held a thousand copies of it.
    vitals::ResultStore store{{info("a", {})}};
    store.record("a", result(vitals::Status::ok, "fine"));
    static const vitals::AgentStatus facts{vitals::AgentFacts{}};
    const vitals::Router router = vitals::health_router(store, {}, facts);
    for (const std::string path : {"/health", "/health/live", "/health/checks/a", "/metrics"}) {
        CAPTURE(path);
        const auto first = router.handle(make_request("GET", path));
        const auto second = router.handle(make_request("GET", path));
        REQUIRE(first.shared_body);
        CHECK(second.shared_body == first.shared_body);
        CHECK(first.body.empty());
        CHECK_FALSE(first.payload().empty());
    }
}

TEST_CASE("http routes: /health shows a new result at once despite the cache") {
    vitals::ResultStore store{{info("a", {})}};
    static const vitals::AgentStatus facts{vitals::AgentFacts{}};
    const vitals::Router router = vitals::health_router(store, {}, facts);
    store.record("a", result(vitals::Status::ok, "first"));
    CHECK(router.handle(make_request("GET", "/health")).status == 200);
    store.record("a", result(vitals::Status::error, "second"));
    const auto after = router.handle(make_request("GET", "/health"));
    CHECK(after.status == 503);
    CHECK(after.payload().find("second") != std::string::npos);
}
