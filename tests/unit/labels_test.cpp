// Labels: [labels] in agent.toml and per check, on every series and JSON result of the check.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>

#include "config/config_reader.hpp"
#include "config/labels.hpp"
#include "core/host_name.hpp"
#include "http/health_routes.hpp"
#include "results/result_store.hpp"
#include "support/config_case.hpp"
#include "support/http_request.hpp"

using namespace vitals;
using vitals::test::ConfigCase;
using vitals::test::errors_of;
using vitals::test::get_request;
using namespace std::chrono_literals;

TEST_CASE("labels: names follow Prometheus' rules and leave the agent's own alone") {
    CHECK(is_valid_label_name("team"));
    CHECK(is_valid_label_name("_private"));
    CHECK(is_valid_label_name("service_2"));
    CHECK_FALSE(is_valid_label_name(""));
    CHECK_FALSE(is_valid_label_name("2nd"));
    CHECK_FALSE(is_valid_label_name("__name__"));
    CHECK_FALSE(is_valid_label_name("team-name"));
    CHECK_FALSE(is_valid_label_name("équipe"));
    for (const char *own :
         {"check", "plugin", "metric", "unit", "status", "result", "group", "le", "window"})
        CHECK(is_reserved_label_name(own));
    CHECK_FALSE(is_reserved_label_name("instance"));
    CHECK_FALSE(is_reserved_label_name("team"));
}

TEST_CASE("labels: instance, then agent.toml's [labels], then the check's own") {
    const ConfigCase c;
    const auto result = c.read("[labels]\nenv = \"prod\"\nregion = \"eu\"\n",
                               "[check.db]\nplugin = \"sleepy\"\n"
                               "labels = { team = \"db\", env = \"staging\" }\n"
                               "[check.web]\nplugin = \"sleepy\"\n");
    INFO(errors_of(result));
    REQUIRE(result.errors.empty());
    REQUIRE(result.config.checks.size() == 2);
    CHECK(result.config.agent.labels == Labels{{"env", "prod"}, {"region", "eu"}});
    CHECK(result.config.checks[0].labels ==
          Labels{{"env", "staging"}, {"instance", host_name()}, {"region", "eu"}, {"team", "db"}});
    CHECK(result.config.checks[1].labels ==
          Labels{{"env", "prod"}, {"instance", host_name()}, {"region", "eu"}});
    // The host's name is a default: a fleet that knows its hosts by another name says so.
    const auto renamed =
        c.read("[labels]\ninstance = \"web-1\"\n", "[check.web]\nplugin = \"sleepy\"\n");
    REQUIRE(renamed.config.checks.size() == 1);
    CHECK(renamed.config.checks[0].labels.at("instance") == "web-1");
}

TEST_CASE("labels: a bad name or value is an error at file, line and key") {
    const ConfigCase c;
    const auto result = c.read("[labels]\n__meta = \"x\"\n",
                               "[check.db]\nplugin = \"sleepy\"\n"
                               "labels = { \"team-name\" = \"db\", check = \"x\", size = 3 }\n");
    const std::string errors = errors_of(result);
    INFO(errors);
    CHECK(result.errors.size() == 4);
    CHECK(errors.find("agent.toml:3:10: labels.__meta: \"__meta\" is not a label name") !=
          std::string::npos);
    CHECK(errors.find("checks.toml:3:26: check.db.labels.team-name: \"team-name\" is not a label "
                      "name") != std::string::npos);
    CHECK(errors.find("checks.toml:3:40: check.db.labels.check: \"check\" is a label of the "
                      "agent's own") != std::string::npos);
    CHECK(errors.find("check.db.labels.size: expected a string, got integer") != std::string::npos);
    CHECK(result.config.checks.empty());
}

TEST_CASE("labels: on every series of the check, in JSON and health+json, and groups exported") {
    CheckInfo db{"db", "sleepy", "", {"live", "storage"}, 1h, 5s};
    db.labels = {{"instance", "host-1"}, {"team", "db \"core\""}};
    ResultStore store{{db}};
    CheckResult result;
    result.status = Status::ok;
    result.message = "fine";
    result.metrics = {{"latency", 12, "milliseconds"}, {"rows", 3, ""}};
    result.started = std::chrono::system_clock::now();
    store.record("db", result);
    const AgentStatus facts{AgentFacts{}};
    EndpointDefinition health_json;
    health_json.path = "/health+json";
    health_json.style = "health+json";
    const Router router = health_router(store, {health_json}, facts);

    const std::string metrics{router.handle(get_request("/metrics")).payload()};
    INFO(metrics);
    const std::string labels = R"(check="db",instance="host-1",team="db \"core\"")";
    int series = 0;
    std::istringstream lines{metrics};
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("vitals_check_")) continue;
        ++series;
        CHECK_MESSAGE(line.find(labels) != std::string::npos, line);
    }
    CHECK(series >= 12);
    // Every label name the agent writes itself is one a user may not take.
    static const std::regex label_name{R"(([a-zA-Z_][a-zA-Z0-9_]*)=")"};
    for (auto match = std::sregex_iterator{metrics.begin(), metrics.end(), label_name};
         match != std::sregex_iterator{}; ++match) {
        const std::string name = (*match)[1];
        if (name == "instance" || name == "team") continue; // the labels given above
        CHECK_MESSAGE(is_reserved_label_name(name), name);
    }
    CHECK(metrics.find("vitals_check_group{" + labels + R"(,group="live"} 1)") !=
          std::string::npos);
    CHECK(metrics.find("vitals_check_group{" + labels + R"(,group="storage"} 1)") !=
          std::string::npos);
    CHECK(metrics.find("vitals_check_status{" + labels + R"(,status="ok"} 1)") !=
          std::string::npos);

    CHECK(router.handle(get_request("/health/checks/db"))
              .payload()
              .find(R"("labels":{"instance":"host-1","team":"db \"core\""})") != std::string::npos);
    CHECK(
        router.handle(get_request("/health+json"))
            .payload()
            .find(
                R"("componentType":"sleepy","labels":{"instance":"host-1","team":"db \"core\""})") !=
        std::string::npos);
}
