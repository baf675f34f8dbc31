// Push checks without a server: report parsing, config rules, the ttl verdict, the store.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <variant>

#include "app/load_configuration.hpp"
#include "config/config_reader.hpp"
#include "http/push_report.hpp"
#include "results/result_store.hpp"
#include "results/verdict.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vitals;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point received = Clock::time_point{} + 1'700'000'000s;

CheckResult accepted(std::string_view body, std::string_view type = "application/json") {
    auto parsed = parse_push_report(type, body, received);
    if (const auto *problem = std::get_if<PushProblem>(&parsed))
        FAIL("refused: " << problem->http_status << " " << problem->detail);
    return std::get<CheckResult>(parsed);
}

PushProblem refused(std::string_view body, std::string_view type = "application/json") {
    auto parsed = parse_push_report(type, body, received);
    REQUIRE_MESSAGE(std::holds_alternative<PushProblem>(parsed), "accepted: " << body);
    return std::get<PushProblem>(parsed);
}

bool mentions(const std::string &text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("push report: a full JSON report becomes the check's result") {
    const auto result = accepted(R"({"status": "warning", "message": "3 rows late",
        "duration_seconds": 1.5, "metrics": [{"name": "rows", "value": 3, "unit": ""},
        {"name": "lag", "value": 0.25, "unit": "seconds"}]})");
    CHECK(result.status == Status::warning);
    CHECK(result.message == "3 rows late");
    REQUIRE(result.metrics.size() == 2);
    CHECK(result.metrics[1].name == "lag");
    CHECK(result.metrics[1].value == doctest::Approx(0.25));
    CHECK(result.metrics[1].unit == "seconds");
    CHECK(result.duration == 1500ms);
    // It ended when it arrived, so it started duration_seconds earlier.
    CHECK(result.started == received - 1500ms);
}

TEST_CASE("push report: status alone is enough, and every status word maps") {
    CHECK(accepted(R"({"status": "ok"})").status == Status::ok);
    CHECK(accepted(R"({"status": "error"})").status == Status::error);
    CHECK(accepted(R"({"status": "ok"})").message.empty());
    // Sniffed as JSON when the client sent no useful type (curl -d sends a form type).
    CHECK(accepted(R"( {"status": "warning"})", "application/x-www-form-urlencoded").status ==
          Status::warning);
}

TEST_CASE("push report: bad JSON bodies are refused with 400 naming the field") {
    struct Case {
        const char *body;
        const char *names;
    };
    const Case cases[] = {
        {R"({"status": "fine"})", "status: required, one of"},
        {R"({"message": "no status"})", "status: required"},
        {R"({"status": 0})", "status: required"},
        {R"({"status": "ok", "extra": 1})", "unknown field \"extra\""},
        {R"({"status": "ok", "message": 42})", "message: expected a string"},
        {R"({"status": "ok", "metrics": {}})", "metrics: expected an array"},
        {R"({"status": "ok", "metrics": [1]})", "metrics[0]: expected an object"},
        {R"({"status": "ok", "metrics": [{"value": 1}]})", "metrics[0].name: required"},
        {R"({"status": "ok", "metrics": [{"name": "", "value": 1}]})", "metrics[0].name"},
        {R"({"status": "ok", "metrics": [{"name": "a", "value": "1"}]})",
         "metrics[0].value: required, a number"},
        {R"({"status": "ok", "metrics": [{"name": "a", "value": true}]})", "metrics[0].value"},
        {R"({"status": "ok", "metrics": [{"name": "a", "value": 1, "unit": 5}]})",
         "metrics[0].unit"},
        {R"({"status": "ok", "metrics": [{"name": "a", "value": 1, "colour": "x"}]})",
         "metrics[0]: unknown field \"colour\""},
        {R"({"status": "ok", "metrics": [{"name": "a", "value": 1}, {"name": "a", "value": 2}]})",
         "metrics[1].name: \"a\" appears twice"},
        {R"({"status": "ok", "duration_seconds": -1})", "duration_seconds"},
        {R"({"status": "ok", "duration_seconds": "1s"})", "duration_seconds"},
        {R"({"status": "ok")", "not valid JSON"},
        {R"(["ok"])", "expected a JSON object"},
        // Poco's parser refuses bytes that are not UTF-8 (with an odd reason; still a 400).
        {"{\"status\": \"ok\", \"message\": \"bad \xff byte\"}", "not valid JSON"},
    };
    for (const auto &[body, names] : cases) {
        CAPTURE(body);
        const auto problem = refused(body);
        CHECK(problem.http_status == 400);
        CHECK_MESSAGE(mentions(problem.detail, names), problem.detail);
    }
}

TEST_CASE("push report: limits on message, metrics and body size") {
    const std::string long_message(max_push_message_bytes + 1, 'x');
    CHECK(mentions(refused(R"({"status": "ok", "message": ")" + long_message + "\"}").detail,
                   "message: longer than 4096 bytes"));
    std::string metrics;
    for (std::size_t i = 0; i <= max_push_metrics; ++i)
        metrics += (i ? "," : "") + std::string{R"({"name": "m)"} + std::to_string(i) +
                   R"(", "value": 1})";
    CHECK(mentions(refused(R"({"status": "ok", "metrics": [)" + metrics + "]}").detail,
                   "metrics: more than 128"));
    const auto too_big = refused(std::string(max_push_body_bytes + 1, ' '));
    CHECK(too_big.http_status == 413);
}

TEST_CASE("push report: the plain-text form takes a Nagios exit code and output") {
    const auto ok = accepted("0 backup done\n", "text/plain");
    CHECK(ok.status == Status::ok);
    CHECK(ok.message == "backup done");
    const auto warning =
        accepted("1 disk 91% | used=91%;80;90 free=9GB", "text/plain; charset=utf-8");
    CHECK(warning.status == Status::warning);
    CHECK(warning.message == "disk 91%");
    REQUIRE(warning.metrics.size() == 2);
    CHECK(warning.metrics[0].name == "used");
    CHECK(warning.metrics[0].unit == "percent");
    CHECK(accepted("2 CRITICAL: gone", "text/plain").status == Status::error);
    const auto unknown = accepted("3 cannot tell", "text/plain");
    CHECK(unknown.status == Status::error);
    CHECK(unknown.message == "UNKNOWN: cannot tell");
    CHECK(accepted("0", "text/plain").message.empty());
    // No content type and no '{': the plain form (curl -d "0 done").
    CHECK(accepted("0 done", "").status == Status::ok);
}

// Found by fuzzing: the plain form took perfdata labels of any length as metric names,
// where the JSON form refuses names over 128 bytes.
TEST_CASE("push report: the plain form bounds metric names as the JSON form does") {
    const std::string label(max_push_metric_name_bytes + 1, 'x');
    const auto problem = refused("0 done | a=1 " + label + "=2", "text/plain");
    CHECK(problem.http_status == 400);
    CHECK_MESSAGE(mentions(problem.detail, "metrics[1].name"), problem.detail);
    CHECK(accepted("0 done | " + label.substr(1) + "=2", "text/plain").metrics.size() == 1);
}

// Found by fuzzing (ASan: SEGV in Poco::UTF8Encoding::isLegal): the UTF-8 check took a
// lead byte's sequence length without looking at how many bytes were left, and read past
// the body. Here the byte after the body completes the sequence, so the old check passed
// a body that ends in half a character.
TEST_CASE("push report: a body ending in half a UTF-8 character is refused, nothing read past it") {
    const std::string buffer = "0 caf\xC3\xA9";
    const std::string_view body{buffer.data(), buffer.size() - 1};
    const auto problem = refused(body, "text/plain");
    CHECK(problem.http_status == 400);
    CHECK_MESSAGE(mentions(problem.detail, "not valid UTF-8"), problem.detail);
}

TEST_CASE("push report: bad plain-text bodies are refused with the expected form") {
    for (const char *body :
         {"", "ok all good", "4 beyond Nagios", "-1 negative", "0x1 hex", "05a"}) {
        CAPTURE(body);
        const auto problem = refused(body, "text/plain");
        CHECK(problem.http_status == 400);
        CHECK_MESSAGE(mentions(problem.detail, "\"<code> <message>\""), problem.detail);
    }
}

// ---------------------------------------------------------------- configuration

namespace {

ConfigReadResult read_checks(const vitals::test::TempDir &dir, const std::string &checks) {
    dir.write("conf.d/checks.toml", checks);
    const auto agent = dir.write("agent.toml", "conf_d = \"conf.d\"\n");
    return read_configuration(agent, AgentSettings{});
}

} // namespace

TEST_CASE("push config: a push check needs a ttl and gets a short look interval") {
    vitals::test::TempDir dir;
    const auto read = read_checks(dir, "[check.backup]\nplugin = \"push\"\nttl = \"25h\"\n"
                                       "[check.fast]\nplugin = \"push\"\nttl = \"500ms\"\n");
    REQUIRE(read.errors.empty());
    REQUIRE(read.config.checks.size() == 2);
    const auto &backup = read.config.checks[0];
    CHECK(backup.ttl == Duration{25h});
    CHECK(backup.interval == 1s);
    CHECK(read.config.checks[1].interval == 100ms);

    const auto missing = read_checks(dir, "[check.backup]\nplugin = \"push\"\n");
    REQUIRE(missing.errors.size() == 1);
    CHECK(missing.errors[0].key == "check.backup.ttl");
    CHECK(missing.errors[0].where.line == 1);
    CHECK(mentions(missing.errors[0].message, "missing required key 'ttl'"));
}

TEST_CASE("push config: keys that mean nothing for a push check are located errors") {
    vitals::test::TempDir dir;
    const auto read = read_checks(dir, "[check.backup]\nplugin = \"push\"\nttl = \"1h\"\n"
                                       "interval = \"10s\"\nparams = { x = 1 }\n"
                                       "[check.disk]\nplugin = \"disk\"\nttl = \"1h\"\n"
                                       "[check.tiny]\nplugin = \"push\"\nttl = \"1ms\"\n");
    std::vector<std::string> keys;
    for (const auto &error : read.errors)
        keys.push_back(error.key + "@" + std::to_string(error.where.line));
    CHECK(keys == std::vector<std::string>{"check.backup.params@5", "check.backup.interval@4",
                                           "check.disk.ttl@8", "check.tiny.ttl@11"});
    CHECK(mentions(read.errors[0].message, "push checks take no params"));
    CHECK(mentions(read.errors[2].message, "only push checks"));
}

// ---------------------------------------------------------------- verdict

TEST_CASE("push verdict: a report counts for the ttl, then the check is an error") {
    CheckState state;
    state.info.name = "backup";
    state.info.ttl = 10min;
    state.info.interval = 1s;
    state.declared_at = received;
    auto verdict = judge(state, received + 5min);
    CHECK(verdict.pending);
    CHECK(verdict.message == "no report yet");
    verdict = judge(state, received + 11min);
    CHECK(verdict.status == Status::error);
    CHECK_FALSE(verdict.pending);
    CHECK(verdict.message == "no report for 10m");

    CheckResult report;
    report.status = Status::ok;
    report.message = "done";
    report.started = received;
    state.last = report;
    state.reported = Status::ok;
    // Never "stale" like a scheduled check: an hour-long ttl outlives 2 x interval.
    verdict = judge(state, received + 9min);
    CHECK(verdict.status == Status::ok);
    CHECK_FALSE(verdict.stale);
    CHECK(verdict.message == "done");
    REQUIRE(verdict.next_run);
    CHECK(*verdict.next_run == received + 10min);
    verdict = judge(state, received + 10min + 1ms);
    CHECK(verdict.status == Status::error);
    CHECK(verdict.message == "no report for 10m");
}

// ---------------------------------------------------------------- inbox

TEST_CASE("push inbox: a result marked no_news is not recorded") {
    CheckInfo info;
    info.name = "job";
    ResultStore results{{info}};
    CheckResult nothing;
    nothing.no_news = true;
    results.record("job", nothing);
    CHECK_FALSE(results.find("job")->last);
    CHECK(results.history("job").empty());
}
