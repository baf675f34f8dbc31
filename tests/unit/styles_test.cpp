// Every response style, body for body, for ok, warning and error. SPDX-License-Identifier: MIT
//
// Each expected body below is the shape of its reference document in
// ../shared/seeds; a change in field names, words, nesting or codes fails here.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/utc_time.hpp"
#include "http/health_routes.hpp"
#include "http/json_body.hpp"
#include "http/json_writer.hpp"
#include "results/result_store.hpp"
#include "support/http_request.hpp"

using namespace vitals;
using vitals::test::get_request;
using namespace std::chrono_literals;

namespace {

const auto recent = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - 5s;

/// Results dated `recent` stay fresh (2 x interval + timeout) for as long as any run of this
/// binary takes: with a 30 s interval they turned stale 65 s after it started, and every
/// style test after that failed when the suite ran as one process.
CheckInfo info(std::string name, Duration interval = 1h) {
    return CheckInfo{std::move(name), "sleepy", "", {"live"}, interval, 5s};
}

CheckResult result(Status status, std::string message, Duration duration = 120ms) {
    CheckResult r;
    r.status = status;
    r.message = std::move(message);
    r.duration = duration;
    r.started = recent;
    return r;
}

/// A store with the checks `db` and `cache.data`, `db` in the given state.
struct Fixture {
    ResultStore store{{info("cache.data"), info("db")}};
    std::vector<EndpointDefinition> endpoints;
    AgentStatus facts{AgentFacts{}};

    explicit Fixture(Status db_status, std::string db_message = "db says hi") {
        store.record("cache.data", result(Status::ok, "cache fine", 100ms));
        store.record("db", result(db_status, std::move(db_message), 2400ms));
    }
    void endpoint(std::string path, std::string style, std::string token = "") {
        EndpointDefinition e;
        e.path = std::move(path);
        e.style = std::move(style);
        e.token = std::move(token);
        endpoints.push_back(std::move(e));
    }
    HttpResponse get(const std::string &target) const {
        const Router router = health_router(store, endpoints, facts);
        return router.handle(get_request(target));
    }
    /// An answer that carries the second it was rendered in, and that second: of the two
    /// read around the request, the one the body names (the other, if it names neither,
    /// so the comparison shows the difference).
    HttpResponse get_stamped(const std::string &target, std::string &stamp) const {
        const auto second = [] {
            return format_utc(std::chrono::system_clock::now()).substr(0, 19) + "Z";
        };
        const std::string before = second();
        HttpResponse response = get(target);
        const std::string after = second();
        stamp = response.payload().find(after) != std::string::npos ? after : before;
        return response;
    }
};

void expect(const HttpResponse &response, int status, const std::string &body) {
    CHECK(response.status == status);
    CHECK(response.payload() == body);
}

} // namespace

TEST_CASE("styles: probes (seed 000) for ok, warning and error") {
    for (auto [status, word, code] :
         {std::tuple{Status::ok, "success", 200}, std::tuple{Status::warning, "success", 200},
          std::tuple{Status::error, "error", 503}}) {
        Fixture f{status};
        f.endpoint("/api/probes/liveness/", "probes");
        expect(
            f.get("/api/probes/liveness/"), code,
            std::string{R"({"status":")"} + word +
                R"(","details":[{"status":"success","service":"cache.data","message":"cache fine"},)"
                R"({"status":")" +
                word + R"(","service":"db","message":"db says hi"}]})");
    }
}

TEST_CASE("styles: updown, plain and ready (seed 001)") {
    std::string stamp;
    for (auto [status, word, code] :
         {std::tuple{Status::ok, "UP", 200}, std::tuple{Status::warning, "UP", 200},
          std::tuple{Status::error, "DOWN", 503}}) {
        Fixture f{status};
        f.endpoint("/health-guide", "updown");
        f.endpoint("/live", "plain");
        f.endpoint("/ready", "ready");
        const auto health = f.get_stamped("/health-guide", stamp);
        CHECK(health.status == code);
        CHECK(health.payload() ==
              std::string{R"({"status":")"} + word + R"(","timestamp":")" + stamp +
                  R"(","components":{"cache.data":{"status":"UP","message":"cache fine"},)"
                  R"("db":{"status":")" +
                  word + R"(","message":"db says hi"}}})");
        const auto live = f.get("/live");
        CHECK(live.status == code);
        CHECK(live.payload() == (status == Status::error ? "DOWN" : "OK"));
        CHECK(live.content_type == "text/plain; charset=utf-8");
        const auto ready = f.get_stamped("/ready", stamp);
        CHECK(ready.status == code);
        CHECK(ready.payload() ==
              (status == Status::error
                   ? R"({"status":"NOT READY","reason":"db: db says hi","timestamp":")" + stamp +
                         "\"}"
                   : R"({"status":"READY","timestamp":")" + stamp + "\"}"));
    }
}

TEST_CASE("styles: nested with access token (seed 002), bodies and its error codes") {
    for (auto [status, db_status, code] :
         {std::tuple{Status::ok, "working", 200}, std::tuple{Status::warning, "working", 200},
          std::tuple{Status::error, "connection refused", 503}}) {
        Fixture f{status, "connection refused"};
        f.endpoint("/api/health/<token>/", "nested", "s3cret");
        expect(f.get("/api/health/s3cret/?format=json"), code,
               std::string{R"({"cache":{"data":{"status":"working","response_time":"0.1"}},)"} +
                   R"("db":{"status":")" + db_status + R"(","response_time":"2.4"}})");
    }
    Fixture f{Status::ok};
    f.endpoint("/api/health/<token>/", "nested", "s3cret");
    expect(f.get("/api/health/s3cret/"), 200,
           R"({"cache":{"data":{"status":"working","response_time":"0.1"}},)"
           R"("db":{"status":"working","response_time":"2.4"}})");
    // The document's own error answers.
    expect(f.get("/api/health/s3cret/?format=xml"), 404, R"({"detail":"Not found."})");
    expect(f.get("/api/health/wrong/?format=json"), 405,
           R"({"detail":"Method \"GET\" not allowed."})");
    CHECK(f.get("/api/health/").status == 404);       // no token at all
    CHECK(f.get("/api/health/s3cre/").status == 405); // a prefix of the token is wrong too
}

TEST_CASE("styles: nested's URL token is its whole credential, whatever the caller's scope") {
    Fixture f{Status::ok};
    f.endpoint("/api/health/<token>/", "nested", "s3cret");
    const Router router = health_router(f.store, f.endpoints, f.facts);
    // Below every scope: `anonymous = "none"`, or a bearer token that matched nothing.
    for (const bool presented : {false, true}) {
        CAPTURE(presented);
        const auto as_nobody = [&](const std::string &target) {
            auto request = get_request(target);
            request.caller = {Scope::none, presented};
            return router.handle(request);
        };
        expect(as_nobody("/api/health/s3cret/?format=json"), 200,
               R"({"cache":{"data":{"status":"working","response_time":"0.1"}},)"
               R"("db":{"status":"working","response_time":"2.4"}})");
        expect(as_nobody("/api/health/s3cret/?format=xml"), 404, R"({"detail":"Not found."})");
        expect(as_nobody("/api/health/wrong/"), 405, R"({"detail":"Method \"GET\" not allowed."})");
        CHECK(as_nobody("/api/health/").status == 404);
    }
}

TEST_CASE("styles: system_check (seed 003) aggregate and per check") {
    for (auto [status, aggregate, single, code] :
         {std::tuple{Status::ok, R"({"message":"API running","code":"OK","ok":true})",
                     R"({"code":"OK","ok":true})", 200},
          std::tuple{Status::warning, R"({"code":"WARNING","error":true})",
                     R"({"code":"WARNING","error":true})", 500},
          std::tuple{Status::error, R"({"code":"ERROR","error":true})",
                     R"({"code":"ERROR","error":true})", 500}}) {
        Fixture f{status};
        f.endpoint("/_system/check", "system_check");
        f.endpoint("/_system/check/<name>", "system_check");
        expect(f.get("/_system/check"), code, aggregate);
        expect(f.get("/_system/check/db"), code, single);
        expect(f.get("/_system/check/cache.data"), 200, R"({"code":"OK","ok":true})");
    }
}

TEST_CASE("styles: health+json (IETF draft) for pass, warn and fail") {
    const std::string time = format_utc(recent);
    for (auto [status, word, code] :
         {std::tuple{Status::ok, "pass", 200}, std::tuple{Status::warning, "warn", 200},
          std::tuple{Status::error, "fail", 503}}) {
        Fixture f{status};
        f.endpoint("/health+json", "health+json");
        const auto response = f.get("/health+json");
        CHECK(response.content_type == "application/health+json");
        const std::string db_output = status == Status::ok ? "" : R"(,"output":"db says hi")";
        expect(
            response, code,
            std::string{R"({"status":")"} + word +
                R"(","serviceId":"vitals","description":"health of this host, from the Vitals agent","checks":{)"
                R"("cache.data":[{"componentId":"cache.data","componentType":"sleepy","status":"pass","time":")" +
                time + R"("}],"db":[{"componentId":"db","componentType":"sleepy","status":")" +
                word + R"(","time":")" + time + "\"" + db_output + "}]}}");
    }
}

TEST_CASE("styles: endpoint codes override the style's defaults") {
    Fixture f{Status::warning};
    EndpointDefinition e;
    e.path = "/strict";
    e.style = "vitals";
    e.warning_code = 429;
    e.error_code = 500;
    f.endpoints.push_back(e);
    CHECK(f.get("/strict").status == 429);
    CHECK(f.get("/health").status == 200); // the built-in route keeps its codes
}

TEST_CASE("styles: an endpoint covers only its groups and named checks") {
    Fixture f{Status::error};
    EndpointDefinition e;
    e.path = "/cache-only";
    e.style = "probes";
    e.checks = {"cache.data"};
    f.endpoints.push_back(e);
    expect(
        f.get("/cache-only"), 200,
        R"({"status":"success","details":[{"status":"success","service":"cache.data","message":"cache fine"}]})");
}

TEST_CASE("styles: ?exclude leaves checks out of an aggregate, ?verbose=0 keeps only the status") {
    Fixture f{Status::error};
    CHECK(f.get("/health").status == 503);
    CHECK(f.get("/health?exclude=db").status == 200);
    CHECK(f.get("/health/live?exclude=db,cache.data").payload() ==
          R"({"status":"ok","checks":{}})");
    expect(f.get("/health?verbose=0"), 503, R"({"status":"error"})");
    expect(f.get("/health/checks/db?verbose=false"), 503, R"({"status":"error"})");
}

TEST_CASE("styles: the same state gives the same bytes") {
    Fixture f{Status::warning};
    f.endpoint("/probes", "probes");
    f.endpoint("/nested/<token>", "nested", "t");
    for (const char *path : {"/probes", "/nested/t", "/health?verbose=0", "/metrics"})
        CHECK(f.get(path).payload() == f.get(path).payload());
}

TEST_CASE("styles: a result older than 2 x interval + timeout is stale, reported as error") {
    ResultStore store{{info("old", 30s)}};
    CheckResult ancient = result(Status::ok, "was fine");
    ancient.started = std::chrono::system_clock::now() - 66s; // limit: 2 x 30s + 5s
    store.record("old", ancient);
    const AgentStatus facts{AgentFacts{}};
    const Router router = health_router(store, {}, facts);
    const auto response = router.handle(get_request("/health/checks/old"));
    CHECK(response.status == 503);
    CHECK(response.payload().find(R"("status":"error","message":"stale: last result is 1m)") !=
          std::string::npos);
    CHECK(response.payload().find(R"(it said: was fine")") != std::string::npos);
    CHECK(response.payload().find(R"("stale":true)") != std::string::npos);
    CHECK(router.handle(get_request("/metrics"))
              .payload()
              .find("vitals_check_stale{check=\"old\"} 1") != std::string::npos);

    // Just inside the limit it is still the plugin's word.
    ResultStore fresh{{info("young", 30s)}};
    CheckResult recent_enough = result(Status::ok, "fine");
    recent_enough.started = std::chrono::system_clock::now() - 60s;
    fresh.record("young", recent_enough);
    CHECK(health_router(fresh, {}, facts).handle(get_request("/health/checks/young")).status ==
          200);
}

TEST_CASE("styles: ?history lists the last results, newest first, bounded") {
    ResultStore store{{info("flappy")}, 3};
    for (auto [status, message] :
         {std::pair{Status::ok, "one"}, std::pair{Status::ok, "two"},
          std::pair{Status::error, "three"}, std::pair{Status::ok, "four"}})
        store.record("flappy", result(status, message));
    const AgentStatus facts{AgentFacts{}};
    const std::string body{health_router(store, {}, facts)
                               .handle(get_request("/health/checks/flappy?history"))
                               .payload()};
    const auto history = body.substr(body.find("\"history\":"));
    CHECK(history.find(R"("status":"ok","message":"four")") < history.find(R"("message":"three")"));
    CHECK(history.find(R"("message":"three")") < history.find(R"("message":"two")"));
    CHECK(history.find(R"("message":"one")") == std::string::npos); // only the last 3 are kept
    CHECK(history.find(R"("message":"four","time")") != std::string::npos);
    CHECK(history.find(R"("message":"two","time":")" + format_utc(recent) +
                       R"(","duration_seconds":0.12,"status_changed":false})") !=
          std::string::npos);
    CHECK(history.find(R"("message":"three","time":")" + format_utc(recent) +
                       R"(","duration_seconds":0.12,"status_changed":true})") != std::string::npos);
    // Without ?history the body does not carry it.
    CHECK(health_router(store, {}, facts)
              .handle(get_request("/health/checks/flappy"))
              .payload()
              .find("history") == std::string::npos);
}

TEST_CASE("styles: JsonWriter spells keys, strings and numbers as Poco::JSON does") {
    // The styles write their bodies with JsonWriter (Poco's ordered object takes time in the
    // square of its keys), and their bodies must stay the bytes Poco::JSON wrote.
    const std::vector<std::string> texts{"plain",
                                         "",
                                         "q\"uote",
                                         "back\\slash",
                                         "a/b",
                                         "t\tn\n\x01\x1f",
                                         "\xC3\xA9 \xE6\xBC\xA2",
                                         "\x7f",
                                         {"nul\0x", 5}};
    const std::vector<double> numbers{0,    -0.0,  1,      0.1 + 0.2,      12.5e-7,
                                      1e21, -3.25, 1e-300, 123456789012.0, 2.0 / 3.0};
    auto object = json_object();
    JsonWriter json;
    json.begin_object();
    for (std::size_t i = 0; i < texts.size(); ++i) {
        object->set(texts[i] + "=" + std::to_string(i), texts[i]);
        json.key(texts[i] + "=" + std::to_string(i)).string(texts[i]);
    }
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        object->set("n" + std::to_string(i), numbers[i]);
        json.key("n" + std::to_string(i)).number(numbers[i]);
    }
    object->set("int", Poco::Int64{-42});
    json.key("int").integer(-42);
    object->set("uint", std::numeric_limits<Poco::UInt64>::max());
    json.key("uint").unsigned_integer(std::numeric_limits<std::uint64_t>::max());
    object->set("yes", true);
    json.key("yes").boolean(true);
    object->set("nothing", Poco::Dynamic::Var{});
    json.key("nothing").null();
    auto array = json_array();
    auto inner = json_object();
    inner->set("a", std::string{"b"});
    array->add(inner);
    array->add(json_array());
    array->add(std::string{"c"});
    object->set("list", array);
    json.key("list").begin_array();
    json.begin_object().key("a").string("b").end_object();
    json.begin_array().end_array();
    json.string("c");
    json.end_array();
    json.end_object();
    CHECK(json.take() == to_json(object));
}
