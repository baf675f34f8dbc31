// A plugin built against the 1.1 header reports labelled, typed metrics with thresholds
// (tests/plugins/labelled.c); they reach /metrics, JSON and the log intact, in the agent's
// process and through a worker process alike. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <sys/wait.h>

#include "core/host_name.hpp"
#include "support/agent_fixture.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

/// The same plugin twice: in the agent's process and in a worker of its own.
const std::string two_checks = R"(
[check.web]
plugin = "labelled"
interval = "100ms"

[check.web_isolated]
plugin = "labelled"
interval = "100ms"
isolation = "process"
params = { requests = 43 }
)";

int promtool_exit_code(const TempDir &dir, const std::string &body) {
    const auto file = dir.write("metrics.txt", body);
    const int status = std::system(("promtool check metrics < '" + file.string() + "'").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Object::Ptr metric_entry(const Object::Ptr &check, const std::string &name,
                         const std::string &label = "", const std::string &value = "") {
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto item = metrics->getObject(static_cast<unsigned>(i));
        if (text(item, "name") != name) continue;
        if (label.empty() || item->getObject("labels")->getValue<std::string>(label) == value)
            return item;
    }
    FAIL("no metric " << name << " with " << label << "=" << value);
    return nullptr;
}

std::size_t occurrences(const std::string &text, const std::string &part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

} // namespace

TEST_CASE("labelled metrics: counters, labels and thresholds reach /metrics, promtool accepts "
          "them") {
    Agent agent{two_checks};
    for (const std::string name : {"web", "web_isolated"})
        CHECK(text(wait_until_not_pending(agent.port(), name), "message") == "kept 4, dropped 5");
    const auto reply = http_get(agent.port(), "/metrics");
    REQUIRE(reply.status == 200);
    INFO(reply.body);
    CHECK(promtool_exit_code(agent.dir(), reply.body) == 0);

    const std::string host = vitals::host_name();
    CHECK(reply.body.find("# TYPE vitals_check_metric_total counter\n") != std::string::npos);
    for (const auto &[check, requests] :
         {std::pair{"web", "42"}, std::pair{"web_isolated", "43"}}) {
        const std::string labels = "check=\"" + std::string{check} + "\",instance=\"" + host + '"';
        CHECK(sample_value(reply.body, "vitals_check_metric_total{" + labels +
                                           R"(,metric="requests",code="200",method="get"})") ==
              std::stod(requests));
        CHECK(sample_value(reply.body, "vitals_check_metric_total{" + labels +
                                           R"(,metric="requests",code="200",method="post"})") == 7);
        // The newline in the label's value became a space when the agent took it.
        CHECK(sample_value(
                  reply.body,
                  "vitals_check_metric{" + labels +
                      R"(,metric="temperature",unit="celsius",sensor="a \"b\" \\ c d é"})") ==
              61.5);
        CHECK(sample_value(reply.body, "vitals_check_metric_seconds{" + labels +
                                           R"(,metric="latency"})") == doctest::Approx(0.12));
    }
    // Dropped metrics have no series at all.
    for (const std::string dropped :
         {"bad-name", "has space", "steals_check", "underscores", "tiny", "cpu-load"})
        CHECK_MESSAGE(reply.body.find("metric=\"" + dropped + '"') == std::string::npos, dropped);
}

TEST_CASE("labelled metrics: JSON carries kind, labels and thresholds, from a worker too") {
    Agent agent{two_checks};
    for (const std::string name : {"web", "web_isolated"}) {
        CAPTURE(name);
        const auto check = wait_until_not_pending(agent.port(), name);
        const auto get = metric_entry(check, "requests", "method", "get");
        REQUIRE(get);
        CHECK(text(get, "kind") == "counter");
        CHECK(get->getObject("labels")->getValue<std::string>("code") == "200");
        CHECK_FALSE(get->has("warn"));
        const auto temperature = metric_entry(check, "temperature");
        REQUIRE(temperature);
        CHECK(text(temperature, "kind") == "gauge");
        CHECK(text(temperature, "unit") == "celsius");
        CHECK(temperature->getObject("labels")->getValue<std::string>("sensor") ==
              "a \"b\" \\ c d é");
        CHECK(temperature->getValue<double>("warn") == 70);
        CHECK(temperature->getValue<double>("crit") == 90);
        CHECK(temperature->getValue<double>("min") == -40);
        CHECK(temperature->getValue<double>("max") == 150);
        const auto latency = metric_entry(check, "latency");
        REQUIRE(latency);
        CHECK(latency->getValue<double>("warn") == 200);
        CHECK_FALSE(latency->has("crit"));
        CHECK(latency->getObject("labels")->size() == 0);
        CHECK(check->getArray("metrics")->size() == 4);
    }
}

TEST_CASE("labelled metrics: each drop is logged once, naming the metric and the reason") {
    Agent agent{two_checks};
    // Several runs of each: a drop repeated every run is still said once.
    for (const std::string name : {"web", "web_isolated"})
        wait_until(agent.port(), name,
                   [](const Object::Ptr &check) { return consecutive(check) >= 4; });
    const std::string log = agent.log();
    INFO(log);
    for (const std::string check : {"web", "web_isolated"}) {
        CAPTURE(check);
        const std::string prefix = check + ": dropped metric ";
        CHECK(occurrences(log, prefix + R"("bad-name": the name is not [a-zA-Z_][a-zA-Z0-9_]*)") ==
              1);
        CHECK(occurrences(log, prefix + R"("has space": the name is not)") == 1);
        CHECK(occurrences(log, prefix + R"("cpu-load": the name is not)") == 1);
        CHECK(occurrences(log, prefix + R"("steals_check": a label name is one the agent )"
                                        R"(writes on the series itself: label "check")") == 1);
        CHECK(occurrences(log, prefix + R"("underscores": a label name is not)") == 1);
        CHECK(occurrences(log, prefix + R"x("(no name)": its vitals_metric is smaller)x") == 1);
    }
    CHECK(log.find("invalid or excess metric") == std::string::npos);
}
