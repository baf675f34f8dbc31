// A real Prometheus server scraping three real agents on loopback, loaded with
// the shipped alerting rules (packaging/prometheus/vitals.rules.yml).
// SPDX-License-Identifier: MIT
#include "fleet/fleet_support.hpp"

#include "core/host_name.hpp"

#include <optional>
#include <set>

using namespace vitals::fleet;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

/// The same two checks on every agent; only `service`'s outcome differs.
std::string checks(const char *service_status) {
    return std::string{R"(
[check.steady]
plugin = "sleepy"
interval = "1s"
groups = ["live"]
labels = { team = "platform" }

[check.service]
plugin = "sleepy"
interval = "1s"
groups = ["ready"]
labels = { team = "payments" }
params = { status = ")"} +
           service_status + R"(", message = "service said )" + service_status + R"(" }
)";
}

std::string instance(const Agent &agent) {
    return "127.0.0.1:" + std::to_string(agent.port());
}

std::set<std::string> instances(const std::vector<PrometheusServer::Sample> &samples) {
    std::set<std::string> out;
    for (const auto &sample : samples)
        out.insert(sample.labels.at("instance"));
    return out;
}

/// The alerts Prometheus holds (pending or firing) named `name`.
std::vector<Object::Ptr> alerts(const PrometheusServer &prometheus, const std::string &name) {
    const auto list = prometheus.api("alerts").extract<Object::Ptr>()->getArray("alerts");
    std::vector<Object::Ptr> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto alert = list->getObject(static_cast<unsigned>(i));
        if (alert->getObject("labels")->getValue<std::string>("alertname") == name)
            out.push_back(alert);
    }
    return out;
}

} // namespace

TEST_CASE("fleet: a real Prometheus scrapes three agents, a failing check shows for its instance "
          "only, and the shipped rules evaluate against them") {
    const std::string production = "[labels]\nenv = \"production\"\n";
    Agent healthy{checks("ok"), production};
    std::optional<Agent> healthy_too{std::in_place, checks("ok"), "[labels]\nenv = \"staging\"\n"};
    Agent failing{checks("error"), production};
    // Steady state before the first scrape: a check that has not run yet is
    // reported as error, and would show on every instance.
    for (const Agent *agent : {&healthy, &*healthy_too, &failing})
        for (const char *name : {"steady", "service"})
            wait_until_not_pending(agent->port(), name, 15s);
    const std::set<std::string> all{instance(healthy), instance(*healthy_too), instance(failing)};

    // Scraped every second, with the shipped rules evaluated every second.
    const std::string targets = "\"" + instance(healthy) + "\", \"" + instance(*healthy_too) +
                                "\", \"" + instance(failing) + "\"";
    TempDir dir;
    const auto config = dir.write("prometheus.yml", R"(
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - )" + std::string{VITALS_PACKAGING_DIR} + R"(/prometheus/vitals.rules.yml
scrape_configs:
  - job_name: vitals
    static_configs:
      - targets: [)" + targets + "]\n");
    PrometheusServer prometheus{config, dir.path()};
    INFO("prometheus log:\n", prometheus.log());

    // Two scrapes of every target.
    const bool scraped_twice = eventually(90s, [&] {
        const auto counts = prometheus.query(R"(count_over_time(up{job="vitals"}[10m]) >= 2)");
        return instances(counts) == all;
    });
    REQUIRE_MESSAGE(scraped_twice, "prometheus did not scrape all three agents twice");

    // Every target is up.
    const auto up = prometheus.query(R"(up{job="vitals"})");
    CHECK(instances(up) == all);
    for (const auto &sample : up)
        CHECK_MESSAGE(sample.value == 1, sample.labels.at("instance"));

    // The failing check is down on its instance only; the same check elsewhere is up.
    const auto down = prometheus.query("vitals_check_up == 0");
    REQUIRE(down.size() == 1);
    CHECK(down[0].labels.at("instance") == instance(failing));
    CHECK(down[0].labels.at("check") == "service");
    CHECK(down[0].labels.at("job") == "vitals");
    const auto service = prometheus.query(R"(vitals_check_up{check="service"})");
    CHECK(instances(service) == all);
    const auto errors = prometheus.query(R"(vitals_check_status{status="error"} == 1)");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].labels.at("instance") == instance(failing));
    CHECK(errors[0].labels.at("check") == "service");
    const auto error_runs = prometheus.query(R"(vitals_check_runs_total{result="error"} > 0)");
    REQUIRE(error_runs.size() == 1);
    CHECK(error_runs[0].labels.at("instance") == instance(failing));
    // Queries by the labels the agents and their checks were given.
    const auto payments = prometheus.query(R"(vitals_check_up{team="payments"})");
    CHECK(instances(payments) == all);
    for (const auto &sample : payments) {
        CHECK(sample.labels.at("check") == "service");
        // The target's own `instance` wins; the agent's (its host name) is kept beside it.
        CHECK(sample.labels.at("exported_instance") == vitals::host_name());
    }
    const auto staging = prometheus.query(R"(vitals_check_up{env="staging"})");
    CHECK(instances(staging) == std::set<std::string>{instance(*healthy_too)});
    CHECK(staging.size() == 2);
    const auto failing_in_production =
        prometheus.query(R"(vitals_check_up{env="production",team="payments"} == 0)");
    REQUIRE(failing_in_production.size() == 1);
    CHECK(failing_in_production[0].labels.at("instance") == instance(failing));
    const auto ready = prometheus.query(R"(vitals_check_group{group="ready"})");
    CHECK(instances(ready) == all);
    for (const auto &sample : ready)
        CHECK(sample.labels.at("check") == "service");
    CHECK(instances(prometheus.query("vitals_config_load_success == 1")) == all);
    CHECK(instances(prometheus.query("vitals_agent_info")) == all);
    CHECK(prometheus.query("vitals_check_stale == 1").empty());

    // The shipped rules loaded and evaluate without errors against real series.
    const bool rules_evaluated = eventually(30s, [&] {
        const auto groups = prometheus.api("rules").extract<Object::Ptr>()->getArray("groups");
        if (groups->size() != 1) return false;
        const auto rules = groups->getObject(0)->getArray("rules");
        for (std::size_t i = 0; i < rules->size(); ++i) {
            const auto rule = rules->getObject(static_cast<unsigned>(i));
            if (rule->getValue<std::string>("health") != "ok") return false;
        }
        return rules->size() == 5;
    });
    CHECK_MESSAGE(
        rules_evaluated,
        "rules: " << prometheus.api("rules").extract<Object::Ptr>()->get("groups").toString());
    // Every vitals_* family the rules name is one the agents export: a misspelt
    // name would leave its alert silent forever, with the rule healthy.
    std::set<std::string> exported;
    for (const auto &sample : prometheus.query(R"(group by (__name__) ({__name__=~"vitals_.+"}))"))
        exported.insert(sample.labels.at("__name__"));
    const std::string rules_text =
        read_text(std::string{VITALS_PACKAGING_DIR} + "/prometheus/vitals.rules.yml");
    static const std::regex family{R"(\bvitals_[a-z_]+)"};
    int named = 0;
    for (auto it = std::sregex_iterator(rules_text.begin(), rules_text.end(), family);
         it != std::sregex_iterator(); ++it, ++named)
        CHECK_MESSAGE(exported.count(it->str()) == 1,
                      "the rules name " << it->str() << ", which no agent exports");
    CHECK(named >= 5);

    // VitalsCheckFailing waits 5 minutes before firing, but is pending at once,
    // for the failing instance and check only.
    REQUIRE(eventually(30s, [&] { return !alerts(prometheus, "VitalsCheckFailing").empty(); }));
    const auto failing_alerts = alerts(prometheus, "VitalsCheckFailing");
    REQUIRE(failing_alerts.size() == 1);
    const auto labels = failing_alerts[0]->getObject("labels");
    CHECK(labels->getValue<std::string>("instance") == instance(failing));
    CHECK(labels->getValue<std::string>("check") == "service");
    CHECK(labels->getValue<std::string>("severity") == "critical");
    CHECK(failing_alerts[0]->getValue<std::string>("state") == "pending");
    CHECK(alerts(prometheus, "VitalsAgentDown").empty());
    CHECK(alerts(prometheus, "VitalsConfigReloadFailed").empty());
    CHECK(alerts(prometheus, "VitalsCheckStale").empty());

    // An agent that goes away: up drops to 0 for that instance alone, and
    // VitalsAgentDown is pending for it.
    const std::string gone = instance(*healthy_too);
    healthy_too.reset();
    const bool noticed = eventually(60s, [&] {
        const auto zero = prometheus.query(R"(up{job="vitals"} == 0)");
        return instances(zero) == std::set<std::string>{gone};
    });
    CHECK_MESSAGE(noticed, "up did not drop to 0 for the stopped agent " << gone);
    CHECK(instances(prometheus.query(R"(up{job="vitals"} == 1)")) ==
          std::set<std::string>{instance(healthy), instance(failing)});
    REQUIRE(eventually(30s, [&] { return !alerts(prometheus, "VitalsAgentDown").empty(); }));
    const auto down_alerts = alerts(prometheus, "VitalsAgentDown");
    REQUIRE(down_alerts.size() == 1);
    CHECK(down_alerts[0]->getObject("labels")->getValue<std::string>("instance") == gone);
}
