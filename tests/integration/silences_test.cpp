// Silences and maintenance through the real vitalsd: the API, the CLI, expiry, readiness,
// a restart, windows in conf.d and who may do it. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <map>

#include "support/agent_fixture.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

const std::string write_token = "w-0123456789abcdef0123456789abcdef";
const std::string read_token = "r-0123456789abcdef0123456789abcdef";
const std::string probe_token = "p-0123456789abcdef0123456789abcdef";

const char *two_checks = R"(
[check.web]
plugin = "sleepy"
interval = "200ms"
groups = ["ready"]

[check.db]
plugin = "sleepy"
interval = "200ms"
groups = ["live"]
)";

/// agent.toml's [access] with a token of each scope; the write token is "deployer".
std::string with_tokens(const TempDir &secrets) {
    const auto file =
        secrets.write_secret("tokens", "write " + write_token + " deployer\nread " + read_token +
                                           " reader\nprobe " + probe_token + " kubelet\n");
    return "[access]\ntoken_file = \"" + file.string() + "\"\n";
}

HttpReply send(const Agent &agent, const std::string &method, const std::string &target,
               const std::string &body = "", const std::string &token = write_token) {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return http_request(agent.port(), method, target, body, body.empty() ? "" : "application/json",
                        headers);
}

/// GET as `token` (none for an agent without tokens, where anonymous callers may write).
Object::Ptr get_json(const Agent &agent, const std::string &target,
                     const std::string &token = read_token) {
    const auto reply = send(agent, "GET", target, "", token);
    REQUIRE_MESSAGE((reply.status == 200 || reply.status == 503), reply.body);
    return parse(reply.body);
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

/// Polls `target`'s status code until it is `status`, for up to `limit`.
bool status_becomes(const Agent &agent, const std::string &target, int status,
                    std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        if (send(agent, "GET", target, "", "").status == status) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

/// The value of the first /metrics sample whose line starts with `prefix`; -1 if none.
double metric_starting(const Agent &agent, const std::string &prefix) {
    const std::string body = send(agent, "GET", "/metrics", "", read_token).body;
    const auto at = body.find("\n" + prefix);
    if (at == std::string::npos) return -1;
    const auto end = body.find('\n', at + 1);
    const auto space = body.rfind(' ', end);
    return std::stod(body.substr(space + 1, end - space - 1));
}

CommandResult cli(const Agent &agent, std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--listen", "127.0.0.1:" + std::to_string(agent.port())});
    return run_vitalsd(agent.dir().path(), std::move(args));
}

} // namespace

TEST_CASE(
    "silences: a silence over the API shows on the check, by the token's name, until lifted") {
    TempDir secrets;
    Agent agent{two_checks, with_tokens(secrets)};
    const auto reply = send(agent, "POST", "/health/checks/web/silence",
                            R"({"for": "2h", "reason": "disk swap"})");
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
    CHECK(text(parse(reply.body), "by") == "deployer");

    const auto silenced = get_json(agent, "/health/checks/web")->getObject("silenced");
    REQUIRE(silenced);
    CHECK(text(silenced, "by") == "deployer");
    CHECK(text(silenced, "reason") == "disk swap");
    CHECK(text(silenced, "until") == text(parse(reply.body), "until"));
    CHECK_FALSE(get_json(agent, "/health/checks/db")->has("silenced"));
    CHECK(metric_starting(agent, "vitals_check_silenced{check=\"web\"") == 1);
    CHECK(metric_starting(agent, "vitals_check_silenced{check=\"db\"") == 0);
    // Silenced is not unhealthy: readiness is unaffected.
    CHECK(status_becomes(agent, "/health/ready", 200, 5s));

    const auto listing = get_json(agent, "/health/silences");
    REQUIRE(listing->getArray("silences")->size() == 1);
    CHECK(text(listing->getArray("silences")->getObject(0), "check") == "web");
    CHECK(listing->isNull("maintenance"));

    const auto page = send(agent, "GET", "/", "", read_token);
    CHECK(contains(page.body,
                   "silenced until " + text(silenced, "until") + " by deployer: disk swap"));

    const auto lifted = send(agent, "DELETE", "/health/checks/web/silence");
    REQUIRE_MESSAGE(lifted.status == 200, lifted.body);
    CHECK(parse(lifted.body)->getValue<bool>("lifted"));
    CHECK_FALSE(get_json(agent, "/health/checks/web")->has("silenced"));
    CHECK(get_json(agent, "/health/silences")->getArray("silences")->size() == 0);
    CHECK_FALSE(
        parse(send(agent, "DELETE", "/health/checks/web/silence").body)->getValue<bool>("lifted"));
}

TEST_CASE("silences: bad requests are 400 with a reason, unknown checks 404, and only write may") {
    TempDir secrets;
    Agent agent{two_checks, with_tokens(secrets)};
    const std::string target = "/health/checks/web/silence";
    auto reply = send(agent, "POST", target, R"({"reason": "no end"})");
    CHECK(reply.status == 400);
    CHECK(contains(text(parse(reply.body), "detail"), "for: required (a silence must end)"));
    CHECK(send(agent, "POST", target, "").status == 400);
    reply = send(agent, "POST", target, R"({"for": "31d"})");
    CHECK(reply.status == 400);
    CHECK(contains(text(parse(reply.body), "detail"), "from 1s to 30d"));
    reply = send(agent, "POST", target, R"({"for": 7200})");
    CHECK(reply.status == 400);
    reply = send(agent, "POST", target, "{not json");
    CHECK(reply.status == 400);
    CHECK(contains(text(parse(reply.body), "detail"), "not valid JSON"));
    reply = send(agent, "POST", "/health/checks/nosuch/silence", R"({"for": "1h"})");
    CHECK(reply.status == 404);
    CHECK(send(agent, "DELETE", "/health/checks/nosuch/silence").status == 404);
    CHECK(send(agent, "POST", "/health/maintenance", R"({"for": "forever"})").status == 400);

    // Scopes: probe and read may not silence or enter maintenance, nor may nobody.
    for (const auto &token : {read_token, probe_token}) {
        CHECK(send(agent, "POST", target, R"({"for": "1h"})", token).status == 403);
        CHECK(send(agent, "DELETE", target, "", token).status == 403);
        CHECK(send(agent, "POST", "/health/maintenance", "{}", token).status == 403);
        CHECK(send(agent, "DELETE", "/health/maintenance", "", token).status == 403);
    }
    CHECK(send(agent, "POST", target, R"({"for": "1h"})", "").status == 401);
    CHECK(send(agent, "GET", "/health/silences", "", probe_token).status == 403);
    CHECK(send(agent, "GET", "/health/silences", "", read_token).status == 200);
    CHECK(get_json(agent, "/health/silences")->getArray("silences")->size() == 0);
    CHECK_FALSE(get_json(agent, "/health/checks/web")->has("silenced"));
}

TEST_CASE("silences: maintenance makes readiness 503 with its reason until turned off, liveness "
          "stays up") {
    TempDir secrets;
    Agent agent{two_checks, with_tokens(secrets)};
    REQUIRE(status_becomes(agent, "/health/ready", 200, 5s));
    const auto on = send(agent, "POST", "/health/maintenance", R"({"reason": "kernel update"})");
    REQUIRE_MESSAGE(on.status == 200, on.body);
    CHECK(parse(on.body)->isNull("until"));
    const auto ready = send(agent, "GET", "/health/ready", "", "");
    CHECK(ready.status == 503);
    CHECK(text(parse(ready.body), "reason") == "maintenance: kernel update");
    CHECK(status_becomes(agent, "/health/live", 200, 5s)); // its own check's status only
    CHECK(metric_starting(agent, "vitals_agent_maintenance ") == 1);
    const auto listing = get_json(agent, "/health/silences");
    REQUIRE_FALSE(listing->isNull("maintenance"));
    CHECK(text(listing->getObject("maintenance"), "by") == "deployer");
    CHECK(contains(send(agent, "GET", "/", "", read_token).body,
                   "maintenance by deployer: kernel update"));

    const auto off = send(agent, "DELETE", "/health/maintenance");
    REQUIRE(off.status == 200);
    CHECK(parse(off.body)->getValue<bool>("lifted"));
    CHECK(send(agent, "GET", "/health/ready", "", "").status == 200);
    CHECK(metric_starting(agent, "vitals_agent_maintenance ") == 0);

    // With `for`, it ends by itself.
    REQUIRE(
        send(agent, "POST", "/health/maintenance", R"({"reason": "short", "for": "1s"})").status ==
        200);
    CHECK(send(agent, "GET", "/health/ready", "", "").status == 503);
    CHECK(status_becomes(agent, "/health/ready", 200, 4s));
}

TEST_CASE("silences: a silence ends on time by itself") {
    Agent agent{two_checks};
    REQUIRE(send(agent, "POST", "/health/checks/db/silence", R"({"for": "1s"})", "").status == 200);
    CHECK(get_json(agent, "/health/checks/db", "")->has("silenced"));
    const auto give_up = std::chrono::steady_clock::now() + 4s;
    while (get_json(agent, "/health/checks/db", "")->has("silenced") &&
           std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(50ms);
    CHECK_FALSE(get_json(agent, "/health/checks/db", "")->has("silenced"));
    CHECK(get_json(agent, "/health/silences", "")->getArray("silences")->size() == 0);
}

TEST_CASE("silences: vitalsd silence and vitalsd maintenance, with their exit codes") {
    Agent agent{two_checks};
    auto result = cli(agent, {"silence", "web", "--for", "2h", "--reason", "deploy"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "web: silenced until "));
    const auto silenced = get_json(agent, "/health/checks/web", "")->getObject("silenced");
    REQUIRE(silenced);
    CHECK(text(silenced, "reason") == "deploy");
    CHECK(text(silenced, "by") == "anonymous");

    result = cli(agent, {"silence", "web", "--lift"});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "web: silence lifted"));
    CHECK_FALSE(get_json(agent, "/health/checks/web", "")->has("silenced"));

    result = cli(agent, {"silence", "web", "--reason", "no end"});
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, "--for DURATION is required"));
    result = cli(agent, {"silence", "nosuch", "--for", "1h"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output, "(404): unknown check"));
    result = cli(agent, {"silence", "web", "--for", "99d"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output, "from 1s to 30d"));

    result = cli(agent, {"maintenance", "on", "--reason", "rolling restart", "--for", "30m"});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "maintenance on until "));
    CHECK(send(agent, "GET", "/health/ready", "", "").status == 503);
    result = cli(agent, {"maintenance", "off"});
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "maintenance off"));
    CHECK(send(agent, "GET", "/health/ready", "", "").status == 200);
    result = cli(agent, {"maintenance", "sideways"});
    CHECK(result.exit_code == 64);

    // Nobody listening: 69.
    result = run_vitalsd(agent.dir().path(), {"maintenance", "--listen", "127.0.0.1:1", "off"});
    CHECK(result.exit_code == 69);
    CHECK(contains(result.output, "cannot reach the agent"));
}

TEST_CASE("silences: the CLI presents agent.toml's write token, and a read token is refused") {
    TempDir secrets;
    Agent agent{two_checks, with_tokens(secrets)};
    const std::string listen = "127.0.0.1:" + std::to_string(agent.port());
    const std::string config = (agent.dir().path() / "agent.toml").string();
    auto result = run_vitalsd(agent.dir().path(), {"silence", "--config", config, "--listen",
                                                   listen, "web", "--for", "1h"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(text(get_json(agent, "/health/checks/web")->getObject("silenced"), "by") == "deployer");
    setenv("VITALS_TOKEN", read_token.c_str(), 1);
    result = run_vitalsd(agent.dir().path(), {"silence", "--listen", listen, "web", "--lift"});
    unsetenv("VITALS_TOKEN");
    CHECK(result.exit_code == 77);
    CHECK(contains(result.output, "(403)"));
    CHECK(get_json(agent, "/health/checks/web")->has("silenced"));
}

TEST_CASE("silences: silences and maintenance survive a restart, and a silence of a removed check "
          "stays") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml",
              std::string{two_checks} + "\n[check.tmp]\nplugin = \"sleepy\"\n");
    std::optional<AgentProcess> agent;
    std::uint16_t port = 0;
    const auto start = [&](const std::string &run) {
        agent.reset(); // SIGTERM: the agent writes what is pending as it stops
        std::filesystem::create_directories(dir.path() / run);
        agent.emplace(dir.path() / run, std::vector<std::string>{"--config", config.string()});
        port = agent->wait_for_port(15s);
    };
    const auto post = [&](const std::string &target, const std::string &body) {
        return http_request(port, "POST", target, body, "application/json").status;
    };
    start("run-1");
    REQUIRE(post("/health/checks/web/silence", R"({"for": "2h", "reason": "kept"})") == 200);
    REQUIRE(post("/health/checks/db/silence", R"({"for": "2h", "reason": "db goes"})") == 200);
    REQUIRE(post("/health/checks/tmp/silence", R"({"for": "1s", "reason": "ends"})") == 200);
    REQUIRE(post("/health/maintenance", R"({"reason": "still on"})") == 200);
    const auto before = parse(http_get(port, "/health/silences").body)->getArray("silences");
    REQUIRE(before->size() == 3);

    // db is removed from conf.d before the restart; the tmp silence ends meanwhile.
    dir.write("conf.d/checks.toml", "[check.web]\nplugin = \"sleepy\"\ngroups = [\"ready\"]\n");
    agent.reset();
    std::this_thread::sleep_for(1100ms);
    start("run-2");
    const auto after = parse(http_get(port, "/health/silences").body);
    const auto silences = after->getArray("silences");
    REQUIRE(silences->size() == 2); // by check name: db, web
    CHECK(text(silences->getObject(0), "check") == "db");
    CHECK(text(silences->getObject(1), "check") == "web");
    CHECK(text(silences->getObject(1), "until") == text(before->getObject(2), "until"));
    REQUIRE_FALSE(after->isNull("maintenance"));
    CHECK(text(after->getObject("maintenance"), "reason") == "still on");
    CHECK(http_get(port, "/health/ready").status == 503);
    CHECK(text(parse(http_get(port, "/health/checks/web").body)->getObject("silenced"), "reason") ==
          "kept");

    // Lifted, and restarted again: gone for good.
    REQUIRE(http_request(port, "DELETE", "/health/maintenance").status == 200);
    REQUIRE(http_request(port, "DELETE", "/health/checks/db/silence").status == 200);
    start("run-3");
    const auto last = parse(http_get(port, "/health/silences").body);
    CHECK(last->isNull("maintenance"));
    CHECK(last->getArray("silences")->size() == 1);
}

TEST_CASE("silences: conf.d windows silence a check while open, and a malformed one is named at "
          "file:line:key") {
    Agent agent{R"(
[check.nightly]
plugin = "sleepy"
interval = "200ms"
maintenance = ["* 00:00-24:00 UTC"]

[check.never]
plugin = "sleepy"
maintenance = ["mon 00:00-00:01 UTC", "mon 00:01-00:02 UTC"]
)"};
    const auto silenced = get_json(agent, "/health/checks/nightly", "")->getObject("silenced");
    REQUIRE(silenced);
    CHECK(text(silenced, "window") == "* 00:00-24:00 UTC");
    const auto windows = get_json(agent, "/health/silences", "")->getArray("windows");
    REQUIRE(windows->size() >= 1);
    CHECK(text(windows->getObject(0), "check") == "nightly");

    TempDir dir;
    const auto config = write_agent_toml(dir);
    const auto checks = dir.write("conf.d/checks.toml", R"([check.backup]
plugin = "sleepy"
maintenance = ["sun 02:00-04:00 Europe/Berlin",
               "sunday 02:00-04:00"]

[check.other]
plugin = "sleepy"
maintenance = ["mon 25:00-26:00 Mars/Olympus"]
)");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, checks.string() + ":3:15: check.backup.maintenance: \"sunday "
                                                    "02:00-04:00\": 'sunday' is not a day"));
    CHECK(contains(result.output, checks.string() + ":8:15: check.other.maintenance: \"mon "
                                                    "25:00-26:00 Mars/Olympus\": '25:00-26:00' is "
                                                    "not a time range"));
}
