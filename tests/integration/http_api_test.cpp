// The HTTP API read by real clients: promtool, Nagios check_http, a kubelet's rule.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <fmt/format.h>

#include "core/host_name.hpp"
#include "http/prometheus.hpp"
#include "support/agent_fixture.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

struct Command {
    int exit_code = -1;
    std::string output;
};

/// Runs a shell command line, capturing stdout and stderr.
Command shell(const std::string &command_line) {
    FILE *pipe = popen((command_line + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    Command result;
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe))
        result.output.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// Three checks covering the three statuses, in the three probe groups.
const char *three_statuses = R"(
[check.fine]
plugin = "sleepy"
interval = "200ms"
groups = ["live", "startup"]
params = { message = "all good" }

[check.shaky]
plugin = "sleepy"
interval = "200ms"
groups = ["ready", "startup"]
params = { status = "warning", message = "slow but working" }

[check.broken]
plugin = "sleepy"
interval = "200ms"
groups = ["ready"]
params = { status = "error", message = "down" }
)";

void wait_for_all(const Agent &agent, std::initializer_list<const char *> names) {
    for (const char *name : names)
        wait_until_not_pending(agent.port(), name);
}

} // namespace

TEST_CASE("http api: promtool accepts the live /metrics, hostile label values included") {
    Agent agent{R"(
[check.odd]
plugin = "sleepy"
interval = "200ms"
params = { status = "warning", message = "quote \" backslash \\ newline \n non-ASCII é ✓", extra_metric = "odd_name", extra_unit = "per \"thing\"\n ü" }
labels = { team = "a \"b\" \\ c\nd é", env = "test" }

[check.disk]
plugin = "disk"
interval = "200ms"
groups = ["live", "disks"]
)",
                "[labels]\nenv = \"prod\"\nregion = \"eu-1\"\n"};
    wait_for_all(agent, {"odd", "disk"});
    const auto reply = http_get(agent.port(), "/metrics");
    REQUIRE(reply.status == 200);
    CHECK(reply.content_type == "text/plain; version=0.0.4; charset=utf-8");
    TempDir dir;
    const auto file = dir.write("metrics.txt", reply.body);
    const auto lint = shell("promtool check metrics < '" + file.string() + "'");
    INFO(lint.output, "\n", reply.body);
    CHECK(lint.exit_code == 0);
    // Escaped as the format says (the newline became a space when the agent took the
    // plugin's text; a metric name has no such characters: the agent refuses them), and
    // units converted to base units.
    CHECK(reply.body.find(R"(metric="odd_name",unit="per \"thing\"  ü")") != std::string::npos);
    // Every check has its host's name as `instance`, agent.toml's [labels] and its own, which
    // win and are escaped like any value, on every series.
    const std::string disk_labels =
        R"(check="disk",env="prod",instance=")" + vitals::host_name() + R"(",region="eu-1")";
    const std::string odd_labels = R"(check="odd",env="test",instance=")" + vitals::host_name() +
                                   R"(",region="eu-1",team="a \"b\" \\ c\nd é")";
    CHECK(reply.body.find("vitals_check_metric_ratio{" + disk_labels +
                          R"(,metric="used_percent"} 0.)") != std::string::npos);
    CHECK(reply.body.find("vitals_check_status{" + odd_labels + R"(,status="warning"} 1)") !=
          std::string::npos);
    CHECK(reply.body.find("vitals_check_runs_total{" + odd_labels + R"(,result="warning"} )") !=
          std::string::npos);
    CHECK(reply.body.find("vitals_check_group{" + disk_labels + R"(,group="disks"} 1)") !=
          std::string::npos);
    CHECK(reply.body.find("vitals_config_load_success 1") != std::string::npos);
    const auto odd = parse(http_get(agent.port(), "/health/checks/odd").body)->getObject("labels");
    REQUIRE(odd);
    CHECK(odd->getValue<std::string>("team") == "a \"b\" \\ c\nd é");
    CHECK(odd->getValue<std::string>("env") == "test");
    CHECK(odd->getValue<std::string>("region") == "eu-1");
    CHECK(odd->getValue<std::string>("instance") == vitals::host_name());
}

TEST_CASE("http api: label values that are not text still make an exposition promtool accepts") {
    // The loader refuses such plugin strings; the exposition must hold even so.
    vitals::AgentFacts facts;
    facts.version = "0.1.0";
    facts.abi = "1.0";
    facts.plugins = {{"odd", "1.0\"} 1\nvitals_fake 1\xff\\"}};
    const auto body = vitals::render_metrics({}, facts, std::chrono::system_clock::now());
    CHECK(body.find(R"(vitals_plugin_info{plugin="odd",version="1.0\"} 1\nvitals_fake 1)"
                    "\xEF\xBF\xBD"
                    R"(\\"} 1)") != std::string::npos);
    TempDir dir;
    const auto lint = shell("promtool check metrics < '" + dir.write("m.txt", body).string() + "'");
    INFO(lint.output, "\n", body);
    CHECK(lint.exit_code == 0);
}

TEST_CASE("http api: /metrics carries the schedule lag and the agent's own CPU and memory") {
    Agent agent{R"(
[check.quick]
plugin = "sleepy"
interval = "100ms"
)"};
    // Several runs, so the histogram has something to count.
    wait_until(agent.port(), "quick", [](const Object::Ptr &json) {
        const auto runs = metric(json, "runs");
        return runs && *runs >= 3;
    });
    const auto body = http_get(agent.port(), "/metrics").body;
    INFO(body);
    CHECK(body.find("# TYPE vitals_schedule_lag_seconds histogram\n") != std::string::npos);
    CHECK(body.find("vitals_schedule_lag_seconds_bucket{le=\"0.005\"} ") != std::string::npos);
    // +Inf holds every run: it equals the count.
    const auto count = sample_value(body, "vitals_schedule_lag_seconds_count");
    CHECK(body.find(fmt::format("vitals_schedule_lag_seconds_bucket{{le=\"+Inf\"}} {}\n", count)) !=
          std::string::npos);
    CHECK(sample_value(body, "vitals_schedule_lag_seconds_sum") >= 0);
    CHECK(sample_value(body, "vitals_schedule_lag_max_seconds") >= 0);
    CHECK(sample_value(body, "process_cpu_seconds_total") > 0);
    CHECK(sample_value(body, "process_resident_memory_bytes") > 1e6);
    // The scheduler's pool: the default places, at least the one thread keeping watch.
    CHECK(sample_value(body, "vitals_scheduler_run_limit{lane=\"checks\"}") == 64);
    CHECK(sample_value(body, "vitals_scheduler_run_limit{lane=\"probe_reserve\"}") == 4);
    CHECK(sample_value(body, "vitals_scheduler_threads") >= 1);
    CHECK(sample_value(body, "vitals_scheduler_waits_total") == 0);
    TempDir dir;
    const auto lint = shell("promtool check metrics < '" + dir.write("m.txt", body).string() + "'");
    INFO(lint.output);
    CHECK(lint.exit_code == 0);
}

TEST_CASE("http api: Nagios check_http reads the probe routes, exit codes matching the statuses") {
    Agent agent{three_statuses};
    wait_for_all(agent, {"fine", "shaky", "broken"});
    const std::string check_http = "/usr/lib/nagios/plugins/check_http -H 127.0.0.1 -p " +
                                   std::to_string(agent.port()) + " -u ";
    CHECK(shell(check_http + "/health/live").exit_code == 0);    // ok → OK
    CHECK(shell(check_http + "/health/startup").exit_code == 0); // warning → still 200 → OK
    CHECK(shell(check_http + "/health/ready").exit_code == 2);   // error → 503 → CRITICAL
    CHECK(shell(check_http + "/health/checks/broken").exit_code == 2);
    // With a body expectation a warning can be told apart, as operators do.
    CHECK(shell(check_http + "/health/startup -r '^\\{\"status\":\"ok\"'").exit_code == 2);
    CHECK(shell(check_http + "/health/live -r '^\\{\"status\":\"ok\"'").exit_code == 0);
}

TEST_CASE("http api: the Kubernetes probe rule (2xx/3xx succeeds) over live, ready and startup") {
    Agent agent{three_statuses};
    wait_for_all(agent, {"fine", "shaky", "broken"});
    const auto kubelet_succeeds = [&](const std::string &path) {
        const int code = http_get(agent.port(), path).status;
        return code >= 200 && code < 400;
    };
    CHECK(kubelet_succeeds("/health/live"));    // only ok checks
    CHECK(kubelet_succeeds("/health/startup")); // ok + warning: a warning must not restart a pod
    CHECK_FALSE(kubelet_succeeds("/health/ready")); // an error takes the pod out of rotation
    CHECK(kubelet_succeeds("/health/ready?exclude=broken"));
}

TEST_CASE("http api: agent.toml endpoints serve their styles through the real agent") {
    TempDir secrets;
    const auto token_file = secrets.write_secret("token", "t0ken-value\n");
    Agent agent{three_statuses, R"(
[[endpoint]]
path = "/api/probes/readiness/"
style = "probes"
groups = ["ready"]

[[endpoint]]
path = "/api/health/<token>/"
style = "nested"
token_file = ")" + token_file.string() +
                                    R"("

[[endpoint]]
path = "/_system/check/<name>"
style = "system_check"
)"};
    wait_for_all(agent, {"fine", "shaky", "broken"});
    const auto readiness = http_get(agent.port(), "/api/probes/readiness/");
    CHECK(readiness.status == 503);
    CHECK(
        readiness.body.find(
            R"({"status":"error","details":[{"status":"error","service":"broken","message":"down"})") ==
        0);
    const auto nested = http_get(agent.port(), "/api/health/t0ken-value/?format=json");
    CHECK(nested.status == 503);
    CHECK(nested.body.find(R"("broken":{"status":"down","response_time":")") != std::string::npos);
    CHECK(http_get(agent.port(), "/api/health/nope/?format=json").status == 405);
    CHECK(http_get(agent.port(), "/api/health/t0ken-value/?format=yaml").status == 404);
    CHECK(http_get(agent.port(), "/_system/check/fine").body == R"({"code":"OK","ok":true})");
    CHECK(http_get(agent.port(), "/_system/check/shaky").status == 500);
    CHECK(http_request(agent.port(), "HEAD", "/_system/check/shaky").status == 500);
    // The token is a secret: the log does not carry it.
    CHECK(agent.log().find("t0ken-value") == std::string::npos);
}

TEST_CASE("http api: bad endpoints are configuration errors with file and line") {
    TempDir dir;
    const auto config = write_agent_toml(dir, R"(
[[endpoint]]
path = "/x"
style = "soap"

[[endpoint]]
path = "/health/"
checks = ["ghost"]

[[endpoint]]
path = "/api/<who>/<token>"
)");
    dir.write("conf.d/checks.toml", "[check.real]\nplugin = \"sleepy\"\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    const std::string file = config.string();
    CHECK(result.output.find(
              file + ":8:9: endpoint[0].style: unknown style 'soap' (expected one of: vitals,") !=
          std::string::npos);
    CHECK(result.output.find(file + ":12:10: endpoint[1].checks: no check named 'ghost'") !=
          std::string::npos);
    CHECK(
        result.output.find(
            file + ":10:1: endpoint[1].path: path '/health/' is already served by another route") !=
        std::string::npos);
    CHECK(result.output.find("endpoint[2].path: a <token> segment needs token_file") !=
          std::string::npos);
}

TEST_CASE("http api: history and result age through the real agent") {
    Agent agent{R"(
[check.ticker]
plugin = "sleepy"
interval = "100ms"
)",
                "history = 4\n"};
    wait_until(agent.port(), "ticker",
               [](const Object::Ptr &json) { return consecutive(json) >= 6; });
    const auto reply = http_get(agent.port(), "/health/checks/ticker?history");
    const auto json = Poco::JSON::Parser().parse(reply.body).extract<Object::Ptr>();
    const auto history = json->getArray("history");
    REQUIRE(history);
    CHECK(history->size() == 4);
    CHECK(history->getObject(0)->getValue<std::string>("status") == "ok");
    CHECK_FALSE(history->getObject(0)->getValue<bool>("status_changed"));
    CHECK(json->getValue<std::int64_t>("age_seconds") <= 1);
    CHECK(json->getValue<std::string>("next_run") > json->getValue<std::string>("last_run"));
}

TEST_CASE("http api: native bodies follow docs/vitals-health.schema.json") {
    Agent agent{three_statuses};
    wait_for_all(agent, {"fine", "shaky", "broken"});
    TempDir dir;
    std::string files;
    int index = 0;
    for (const char *target :
         {"/health", "/health/ready", "/health/live?verbose=0", "/health/checks/shaky",
          "/health/checks/broken?history", "/health/groups/startup?exclude=fine"}) {
        const auto body = http_get(agent.port(), target).body;
        files += " '" + dir.write("body" + std::to_string(index++) + ".json", body).string() + "'";
    }
    // A body the schema must reject, so this test cannot pass vacuously.
    const auto wrong = dir.write("wrong.json", R"({"status":"fine","checks":{}})");
    const std::string validate =
        "python3 -c 'import json,sys,jsonschema\n"
        "schema=json.load(open(sys.argv[1]))\n"
        "for f in sys.argv[2:]: jsonschema.validate(json.load(open(f)), schema)' '" VITALS_DOCS_DIR
        "/vitals-health.schema.json'";
    const auto good = shell(validate + files);
    INFO(good.output);
    CHECK(good.exit_code == 0);
    CHECK(shell(validate + " '" + wrong.string() + "'").exit_code != 0);
}
