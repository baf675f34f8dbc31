// Plugin metrics: the name rule, what add_metric_ex keeps and drops, and how a labelled,
// typed metric with thresholds crosses the worker boundary, the state store, JSON, /metrics
// and perfdata. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "app/perfdata_text.hpp"
#include "checks/host_context.hpp"
#include "checks/metric_name.hpp"
#include "http/health_routes.hpp"
#include "isolation/wire.hpp"
#include "results/result_store.hpp"
#include "state/state_codec.hpp"
#include "support/http_request.hpp"

using namespace vitals;
using vitals::test::get_request;
using namespace std::chrono_literals;

namespace {

vitals_metric gauge(const char *name, double value) {
    vitals_metric metric{};
    metric.struct_size = sizeof metric;
    metric.kind = VITALS_METRIC_GAUGE;
    metric.name = name;
    metric.value = value;
    return metric;
}

RunContext run_context(Labels check_labels = {}) {
    return RunContext{"c",
                      nullptr,
                      std::chrono::steady_clock::now() + 1s,
                      CheckTiming{},
                      RunHistory{},
                      std::make_shared<MetricIntake>("c", nullptr, std::move(check_labels))};
}

/// requests{method="get"} 42 counter, and temperature 61.5 celsius with all four thresholds.
std::vector<Metric> labelled_metrics() {
    Metric requests{"requests", 42, ""};
    requests.kind = MetricKind::counter;
    requests.labels = {{"method", "get"}, {"code", "200"}};
    Metric temperature{"temperature", 61.5, "celsius"};
    temperature.labels = {{"sensor", "cpu \"0\""}};
    temperature.warn = 70;
    temperature.crit = 90;
    temperature.min = -40;
    temperature.max = 150;
    Metric latency{"latency", 120, "milliseconds"};
    latency.warn = 200;
    return {requests, temperature, latency, Metric{"plain", 1, ""}};
}

} // namespace

TEST_CASE("metric names: Prometheus' rule, the same for add_metric and add_metric_ex") {
    for (const char *name : {"a", "_", "used_percent", "RTT_2", "_x9"})
        CHECK_MESSAGE(is_valid_metric_name(name), name);
    for (const char *name : {"", "cpu-load", "has space", "9lives", "a.b", "a:b", "é", "a\n"})
        CHECK_FALSE_MESSAGE(is_valid_metric_name(name), name);
    CHECK(is_valid_metric_name(std::string(max_metric_name_bytes, 'a')));
    CHECK_FALSE(is_valid_metric_name(std::string(max_metric_name_bytes + 1, 'a')));

    auto run = run_context();
    const vitals_host_api &api = host_api();
    api.add_metric(&run, "cpu-load", 1, "");
    api.add_metric(&run, "has space", 1, "");
    api.add_metric(&run, "fine", 1, "");
    const vitals_metric dashed = gauge("cpu-load", 1);
    CHECK(api.add_metric_ex(&run, &dashed) != 0);
    CHECK(run.dropped_metrics() == 3);
    const auto result = run.take_result();
    REQUIRE(result.metrics.size() == 1);
    CHECK(result.metrics[0].name == "fine");
}

TEST_CASE("add_metric_ex: kind, labels and thresholds kept, one series per name and labels") {
    auto run = run_context();
    const vitals_host_api &api = host_api();
    const vitals_label get[] = {{"method", "get"}, {"code", "200"}};
    const vitals_label post[] = {{"method", "post"}, {"code", "200"}};
    vitals_metric requests = gauge("requests", 1);
    requests.kind = VITALS_METRIC_COUNTER;
    requests.labels = get;
    requests.label_count = 2;
    requests.has = VITALS_METRIC_HAS_WARN | VITALS_METRIC_HAS_MAX;
    requests.warn = 10;
    requests.max = std::numeric_limits<double>::infinity(); // cannot be written: as if unset
    requests.crit = 99;                                     // not flagged in `has`: unset
    CHECK(api.add_metric_ex(&run, &requests) == 0);
    requests.value = 2; // the same name and labels: replaces the first
    CHECK(api.add_metric_ex(&run, &requests) == 0);
    requests.labels = post;
    requests.value = 3;
    CHECK(api.add_metric_ex(&run, &requests) == 0);
    const auto result = run.take_result();
    REQUIRE(result.metrics.size() == 2);
    const Metric &first = result.metrics[0];
    CHECK(first.value == 2);
    CHECK(first.kind == MetricKind::counter);
    CHECK(first.labels == Labels{{"code", "200"}, {"method", "get"}});
    CHECK(first.warn == 10);
    CHECK_FALSE(first.crit);
    CHECK_FALSE(first.max);
    CHECK(result.metrics[1].labels.at("method") == "post");
}

TEST_CASE("add_metric_ex: struct_size read first, smaller refused, larger read as far as known") {
    const vitals_host_api &api = host_api();
    auto run = run_context();
    vitals_metric small = gauge("small", 1);
    small.struct_size = offsetof(vitals_metric, max); // a struct without its last member
    CHECK(api.add_metric_ex(&run, &small) != 0);
    CHECK(api.add_metric_ex(&run, nullptr) != 0);
    // A plugin built against a later 1.x: its struct goes on past what this host knows.
    struct {
        vitals_metric known;
        double added_later;
    } larger{gauge("larger", 5), 1.0};
    larger.known.struct_size = sizeof larger;
    CHECK(api.add_metric_ex(&run, &larger.known) == 0);
    const auto result = run.take_result();
    REQUIRE(result.metrics.size() == 1);
    CHECK(result.metrics[0].name == "larger");
}

TEST_CASE("add_metric_ex: bad labels and kinds are dropped, label values cleaned and bounded") {
    const vitals_host_api &api = host_api();
    auto run = run_context({{"instance", "h"}, {"team", "db"}});
    const auto refused = [&](std::vector<vitals_label> labels, std::int32_t kind = 0) {
        vitals_metric metric = gauge("m", 1);
        metric.kind = kind;
        metric.labels = labels.data();
        metric.label_count = labels.size();
        return api.add_metric_ex(&run, &metric) != 0;
    };
    CHECK(refused({{"check", "x"}}));    // the agent's own
    CHECK(refused({{"instance", "x"}})); // on every series already
    CHECK(refused({{"team", "x"}}));     // the check's configured label
    CHECK(refused({{"__meta", "x"}}));   // Prometheus' own
    CHECK(refused({{"a-b", "x"}}));      // not a label name
    CHECK(refused({{nullptr, "x"}}));    // no name
    CHECK(refused({{"a", nullptr}}));    // no value
    CHECK(refused({{"a", "1"}, {"a", "2"}}));
    CHECK(refused(std::vector<vitals_label>(MetricIntake::max_labels + 1, {"a", "1"})));
    CHECK(refused({}, 7)); // a kind this host does not know
    vitals_metric missing = gauge("m", 1);
    missing.label_count = 1; // labels NULL
    CHECK(api.add_metric_ex(&run, &missing) != 0);
    const vitals_metric nan = gauge("m", std::nan(""));
    CHECK(api.add_metric_ex(&run, &nan) != 0);

    const std::string long_value(1000, 'v');
    const vitals_label fine[] = {{"path", "line\none\x1b[31m"}, {"long", long_value.c_str()}};
    vitals_metric metric = gauge("m", 1);
    metric.labels = fine;
    metric.label_count = 2;
    CHECK(api.add_metric_ex(&run, &metric) == 0);
    const auto result = run.take_result();
    REQUIRE(result.metrics.size() == 1);
    CHECK(result.metrics[0].labels.at("path") == "line one[31m");
    CHECK(result.metrics[0].labels.at("long").size() <= MetricIntake::max_label_value_bytes + 3);
}

TEST_CASE("labelled metrics cross the worker boundary and the state store intact") {
    wire::RunReply reply;
    reply.result.status = Status::ok;
    reply.result.metrics = labelled_metrics();
    const std::string frame = wire::encode(reply);
    const auto decoded = wire::decode(std::string_view{frame}.substr(wire::frame_prefix_bytes));
    REQUIRE(decoded);
    const auto *back = std::get_if<wire::RunReply>(&*decoded);
    REQUIRE(back);

    ResultStore store{{CheckInfo{"c", "labelled", "", {}, 1h, 5s}}};
    store.record("c", back->result);
    const auto restored = state::decode_state(state::encode_state(*store.state("c")));
    REQUIRE(restored);
    for (const auto *metrics : {&back->result.metrics, &restored->last->metrics}) {
        const auto expected = labelled_metrics();
        REQUIRE(metrics->size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            CAPTURE(expected[i].name);
            CHECK((*metrics)[i].name == expected[i].name);
            CHECK((*metrics)[i].value == expected[i].value);
            CHECK((*metrics)[i].unit == expected[i].unit);
            CHECK((*metrics)[i].kind == expected[i].kind);
            CHECK((*metrics)[i].labels == expected[i].labels);
            CHECK((*metrics)[i].warn == expected[i].warn);
            CHECK((*metrics)[i].crit == expected[i].crit);
            CHECK((*metrics)[i].min == expected[i].min);
            CHECK((*metrics)[i].max == expected[i].max);
        }
    }

    const vitals::wire::CreateRequest create{.check_name = "c", .labels = {{"team", "db"}}};
    const auto created = wire::decode(std::string_view{wire::encode(create)}.substr(4));
    REQUIRE(created);
    CHECK(std::get<wire::CreateRequest>(*created).labels == Labels{{"team", "db"}});
}

TEST_CASE("state store: a 1.0 metric is stored as before 1.1, so old rows read back") {
    ResultStore store{{CheckInfo{"c", "sleepy", "", {}, 1h, 5s}}};
    CheckResult result;
    result.status = Status::ok;
    result.metrics = {{"runs", 3, ""}};
    store.record("c", result);
    const std::string row = state::encode_state(*store.state("c"));
    CHECK(row.find(R"({"name":"runs","unit":"","value":3})") != std::string::npos);
    const auto restored = state::decode_state(row);
    REQUIRE(restored);
    REQUIRE(restored->last->metrics.size() == 1);
    CHECK(restored->last->metrics[0].kind == MetricKind::gauge);
    CHECK(restored->last->metrics[0].labels.empty());
    CHECK_FALSE(restored->last->metrics[0].warn);
}

TEST_CASE("labelled metrics in /metrics, native JSON and health+json") {
    CheckInfo web{"web", "labelled", "", {}, 1h, 5s};
    web.labels = {{"instance", "h"}};
    ResultStore store{{web}};
    CheckResult result;
    result.status = Status::ok;
    result.metrics = labelled_metrics();
    result.started = std::chrono::system_clock::now();
    store.record("web", result);
    const AgentStatus facts{AgentFacts{}};
    EndpointDefinition health_json;
    health_json.path = "/health+json";
    health_json.style = "health+json";
    const Router router = health_router(store, {health_json}, facts);

    const std::string metrics{router.handle(get_request("/metrics")).payload()};
    INFO(metrics);
    const std::string series = R"(check="web",instance="h",metric=)";
    CHECK(metrics.find("# TYPE vitals_check_metric_total counter\n"
                       "vitals_check_metric_total{" +
                       series + R"("requests",code="200",method="get"} 42)") != std::string::npos);
    CHECK(metrics.find("vitals_check_metric{" + series +
                       R"("temperature",unit="celsius",sensor="cpu \"0\""} 61.5)") !=
          std::string::npos);
    CHECK(metrics.find("vitals_check_metric_seconds{" + series + R"("latency"} 0.12)") !=
          std::string::npos);
    // A 1.0 metric's series is what it always was.
    CHECK(metrics.find("# TYPE vitals_check_metric gauge\n") != std::string::npos);
    CHECK(metrics.find("\nvitals_check_metric{" + series + R"("plain"} 1)") != std::string::npos);

    const std::string native{router.handle(get_request("/health/checks/web")).payload()};
    INFO(native);
    CHECK(native.find(R"({"name":"requests","value":42,"unit":"","labels":{"code":"200",)"
                      R"("method":"get"},"kind":"counter"})") != std::string::npos);
    CHECK(native.find(R"({"name":"temperature","value":61.5,"unit":"celsius","labels":)"
                      R"({"sensor":"cpu \"0\""},"kind":"gauge","warn":70,"crit":90,"min":-40,)"
                      R"("max":150})") != std::string::npos);
    CHECK(native.find(R"({"name":"plain","value":1,"unit":"","labels":{},"kind":"gauge"})") !=
          std::string::npos);

    const std::string health{router.handle(get_request("/health+json")).payload()};
    INFO(health);
    CHECK(
        health.find(R"("web:requests":[{"componentId":"web","componentType":"labelled",)"
                    R"("labels":{"instance":"h","code":"200","method":"get"},"status":"pass",)") !=
        std::string::npos);
    CHECK(health.find(R"("observedValue":42,"kind":"counter"})") != std::string::npos);
    CHECK(health.find(R"("observedValue":61.5,"observedUnit":"celsius","kind":"gauge",)"
                      R"("warn":70,"crit":90,"min":-40,"max":150})") != std::string::npos);
}

TEST_CASE(
    "perfdata text: name=value and UOM, then warn, crit, min and max, as Nagios writes them") {
    const auto metrics = labelled_metrics();
    CHECK(perfdata_text(metrics[0]) == R"('requests{code="200",method="get"}'=42c)");
    CHECK(perfdata_text(metrics[1]) ==
          R"('temperature{sensor="cpu \"0\""}'=61.5;70;90;-40;150 (celsius))");
    CHECK(perfdata_text(metrics[2]) == "latency=120ms;200");
    CHECK(perfdata_text(metrics[3]) == "plain=1");
    Metric quoted{"q", 1, "seconds"};
    quoted.labels = {{"who", "it's"}};
    quoted.max = 5;
    CHECK(perfdata_text(quoted) == R"('q{who="it''s"}'=1s;;;;5)");
    Metric counted{"bytes_sent", 10, "bytes"};
    counted.kind = MetricKind::counter;
    CHECK(perfdata_text(counted) == "bytes_sent=10B (counter)");
    CHECK(perfdata_text(Metric{"runs", 1, "count"}) == "runs=1 (count)");
}
