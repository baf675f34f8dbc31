// Push checks and the status page against the real vitalsd. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstdlib>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include "support/agent_fixture.hpp"
#include "support/raw_client.hpp"
#include "support/test_certificates.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

const char *push_and_run = R"(
[check.backup]
plugin = "push"
ttl = "1s"
groups = ["cron"]
description = "nightly backup"

[check.daily]
plugin = "push"
ttl = "1h"

[check.fine]
plugin = "sleepy"
interval = "200ms"
params = { message = "all good" }
)";

HttpReply post(const Agent &agent, const std::string &check, const std::string &body,
               const std::string &type = "application/json") {
    return http_request(agent.port(), "POST", "/health/checks/" + check, body, type);
}

bool contains(const std::string &text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

std::string detail(const HttpReply &reply) {
    return text(parse(reply.body), "detail");
}

} // namespace

TEST_CASE("push api: a report shows at once, then the ttl turns it into an error") {
    Agent agent{push_and_run};
    auto before = parse(http_get(agent.port(), "/health/checks/backup").body);
    CHECK(before->getValue<bool>("pending"));
    CHECK(text(before, "message") == "no report yet");

    const auto reply = post(agent, "backup", R"({"status": "warning", "message": "3 tables skipped",
        "metrics": [{"name": "tables", "value": 3, "unit": ""}]})");
    REQUIRE_MESSAGE(reply.status == 200, reply.body);
    CHECK(parse(reply.body)->getValue<bool>("accepted"));
    auto after = parse(http_get(agent.port(), "/health/checks/backup").body);
    CHECK(text(after, "status") == "warning");
    CHECK(text(after, "message") == "3 tables skipped");
    CHECK(metric(after, "tables") == 3);
    CHECK(after->getValue<double>("ttl_seconds") == 1);

    // Every answer says so once the ttl passes; the expiry is then recorded within 100ms.
    const auto expired = wait_until(
        agent.port(), "backup",
        [](const Object::Ptr &json) {
            return !json->isNull("last_status") && text(json, "last_status") == "error";
        },
        3s);
    CHECK(text(expired, "status") == "error");
    CHECK(text(expired, "message") == "no report for 1s");
    // The expiry is on record (history, "since"), not only computed per request.
    const auto history =
        parse(http_get(agent.port(), "/health/checks/backup?history").body)->getArray("history");
    REQUIRE(history->size() >= 2);
    CHECK(text(history->getObject(0), "message") == "no report for 1s");
    CHECK(text(history->getObject(1), "message") == "3 tables skipped");

    REQUIRE(post(agent, "backup", "0 back in business", "text/plain").status == 200);
    const auto again = parse(http_get(agent.port(), "/health/checks/backup").body);
    CHECK(text(again, "status") == "ok");
    CHECK(text(again, "message") == "back in business");
}

TEST_CASE("push api: a push check never reported to turns error after its ttl") {
    Agent agent{push_and_run};
    const auto silent = wait_until(
        agent.port(), "backup",
        [](const Object::Ptr &json) { return text(json, "message") == "no report for 1s"; }, 3s);
    CHECK(text(silent, "status") == "error");
    // The hour-long one is still waiting, pending like any check before its first result.
    const auto daily = parse(http_get(agent.port(), "/health/checks/daily").body);
    CHECK(daily->getValue<bool>("pending"));
    CHECK_FALSE(daily->getValue<bool>("stale"));
}

TEST_CASE("push api: bad reports are 400 naming the field, and change nothing") {
    Agent agent{push_and_run};
    REQUIRE(post(agent, "daily", R"({"status": "ok", "message": "fine"})").status == 200);
    struct Case {
        std::string body;
        std::string type;
        std::string names;
    };
    const std::vector<Case> cases{
        {R"({"status": "great"})", "application/json", "status: required, one of"},
        {R"({"status": "ok", "colour": "red"})", "application/json", "unknown field \"colour\""},
        {R"({"status": "ok", "metrics": [{"name": "x"}]})", "application/json", "metrics[0].value"},
        {"{not json", "application/json", "not valid JSON"},
        {"all good", "text/plain", "\"<code> <message>\""},
        {"7 odd", "text/plain", "got code 7"},
    };
    for (const auto &c : cases) {
        CAPTURE(c.body);
        const auto reply = post(agent, "daily", c.body, c.type);
        CHECK(reply.status == 400);
        CHECK(text(parse(reply.body), "error") == "bad request");
        CHECK_MESSAGE(contains(detail(reply), c.names), detail(reply));
    }
    const auto state = parse(http_get(agent.port(), "/health/checks/daily").body);
    CHECK(text(state, "message") == "fine");
    CHECK(consecutive(state) == 1);
}

TEST_CASE("push api: a body over 64 KiB (the default [http] max_body_size) is 413") {
    Agent agent{push_and_run};
    // Only the head: the server answers from Content-Length and closes, and a client
    // still writing the body could see the reset before the answer.
    const auto reply = raw_exchange(agent.port(), "POST /health/checks/daily HTTP/1.1\r\nHost: "
                                                  "x\r\nContent-Type: text/plain\r\n"
                                                  "Content-Length: 102400\r\n\r\n0 big");
    CHECK(raw_status(reply) == 413);
    CHECK(parse(http_get(agent.port(), "/health/checks/daily").body)->getValue<bool>("pending"));
}

TEST_CASE("push api: pushing to a scheduled check is 409, to an unknown one 404") {
    Agent agent{push_and_run};
    wait_until_not_pending(agent.port(), "fine");
    const auto scheduled = post(agent, "fine", R"({"status": "error"})");
    CHECK(scheduled.status == 409);
    CHECK(contains(detail(scheduled), "check 'fine' runs plugin 'sleepy'"));
    const auto unknown = post(agent, "nosuch", R"({"status": "ok"})");
    CHECK(unknown.status == 404);
    CHECK(text(parse(unknown.body), "error") == "unknown check");
    // GET still answers the same path, and other methods are told what is allowed.
    CHECK(http_get(agent.port(), "/health/checks/fine").status == 200);
    const auto put = http_request(agent.port(), "PUT", "/health/checks/fine");
    CHECK(put.status == 405);
    CHECK(put.allow == "GET, HEAD, POST");
}

TEST_CASE("push api: a push check with bad keys stops the agent with located errors") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    const auto checks = dir.write("conf.d/checks.toml", "[check.job]\nplugin = \"push\"\n"
                                                        "interval = \"5s\"\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, checks.string() + ":1:1: check.job.ttl: missing required key"));
    CHECK(contains(result.output,
                   checks.string() + ":3:12: check.job.interval: push checks take no interval"));
}

TEST_CASE("push command: vitalsd push reports, and says why not in its exit code") {
    Agent agent{push_and_run};
    const std::string listen = "127.0.0.1:" + std::to_string(agent.port());
    // The address from an agent.toml, as a cron job on the host would use it.
    TempDir client;
    const auto config =
        client.write("agent.toml", "listen = \"" + listen + "\"\nconf_d = \"" +
                                       (agent.dir().path() / "conf.d").string() + "\"\n");
    auto result = run_vitalsd(client.path(), {"push", "--config", config.string(), "daily",
                                              "warning", "disk", "almost", "full"});
    CHECK_MESSAGE(result.exit_code == 0, result.output);
    CHECK(result.output.empty());
    auto state = parse(http_get(agent.port(), "/health/checks/daily").body);
    CHECK(text(state, "status") == "warning");
    CHECK(text(state, "message") == "disk almost full");

    result = run_vitalsd(client.path(), {"push", "--listen", listen, "daily", "3", "no idea"});
    CHECK(result.exit_code == 0);
    state = parse(http_get(agent.port(), "/health/checks/daily").body);
    CHECK(text(state, "status") == "error");
    CHECK(text(state, "message") == "UNKNOWN: no idea");

    result = run_vitalsd(client.path(), {"push", "--listen", listen, "fine", "ok"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output,
                   "vitalsd push: " + listen + " refused the report for 'fine' (409)"));
    result = run_vitalsd(client.path(), {"push", "--listen", listen, "nosuch", "ok"});
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output, "(404): unknown check"));
    result = run_vitalsd(client.path(), {"push", "--listen", listen, "daily", "fine"});
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, "STATUS \"fine\" is not ok, warning, error"));
    result = run_vitalsd(client.path(), {"push", "--listen", listen, "daily"});
    CHECK(result.exit_code == 64);
    result = run_vitalsd(client.path(), {"push", "--listen", "127.0.0.1:1", "daily", "ok"});
    CHECK(result.exit_code == 69);
    CHECK(contains(result.output, "cannot reach the agent at 127.0.0.1:1"));
    // The agent's own agent.toml says port 0: the client cannot know the port.
    result =
        run_vitalsd(client.path(), {"push", "--config",
                                    (agent.dir().path() / "agent.toml").string(), "daily", "ok"});
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "listens on port 0"));
}

namespace {

/// GET over HTTPS trusting the test CA and presenting the client certificate.
HttpReply https_get(std::uint16_t port, const TestCertificates &certs, const std::string &path) {
    using Poco::Net::Context;
    Context::Params params;
    params.caLocation = certs.path("ca.crt").string();
    params.verificationMode = Context::VERIFY_RELAXED;
    params.certificateFile = certs.path("client.crt").string();
    params.privateKeyFile = certs.path("client.key").string();
    Poco::Net::HTTPSClientSession session{"127.0.0.1", port,
                                          new Context(Context::TLS_CLIENT_USE, params)};
    session.setTimeout(Poco::Timespan{5, 0});
    Poco::Net::HTTPRequest get{Poco::Net::HTTPRequest::HTTP_GET, path,
                               Poco::Net::HTTPMessage::HTTP_1_1};
    session.sendRequest(get);
    Poco::Net::HTTPResponse response;
    HttpReply reply;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), reply.body);
    reply.status = response.getStatus();
    return reply;
}

/// An agent.toml for `vitalsd push` on the agent's host: its address and `tls` table.
std::filesystem::path client_config(const TempDir &client, const Agent &agent,
                                    const std::string &tls) {
    return client.write("agent.toml", "listen = \"127.0.0.1:" + std::to_string(agent.port()) +
                                          "\"\nconf_d = \"" +
                                          (agent.dir().path() / "conf.d").string() + "\"\n" + tls);
}

} // namespace

TEST_CASE("push command: over HTTPS when agent.toml has [tls], checking the agent's certificate") {
    TestCertificates certs;
    Agent agent{push_and_run, certs.tls_table(false)};
    const std::string address = "https://127.0.0.1:" + std::to_string(agent.port());
    TempDir client;
    // The agent's own agent.toml: push trusts the certificate it names.
    const auto config = client_config(client, agent, certs.tls_table(false));
    auto result = run_vitalsd(
        client.path(), {"push", "--config", config.string(), "daily", "warning", "over", "tls"});
    CHECK_MESSAGE(result.exit_code == 0, result.output);
    CHECK(text(parse(https_get(agent.port(), certs, "/health/checks/daily").body), "message") ==
          "over tls");

    // Without [tls], --ca turns HTTPS on and names whom to trust.
    const auto plain = client_config(client, agent, "");
    result = run_vitalsd(client.path(), {"push", "--config", plain.string(), "--ca",
                                         certs.path("ca.crt").string(), "daily", "ok"});
    CHECK_MESSAGE(result.exit_code == 0, result.output);
    result = run_vitalsd(client.path(), {"push", "--config", plain.string(), "--ca",
                                         certs.path("stranger-ca.crt").string(), "daily", "ok"});
    CHECK(result.exit_code == 69);
    CHECK(contains(result.output, "cannot reach the agent at " + address));
    CHECK(contains(result.output, "stranger-ca.crt"));
    result = run_vitalsd(client.path(), {"push", "--config", plain.string(), "--ca",
                                         (client.path() / "missing.crt").string(), "daily", "ok"});
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "cannot use the TLS files (trusting '"));
    // Plain HTTP gets no answer from a TLS agent.
    result = run_vitalsd(client.path(), {"push", "--config", plain.string(), "daily", "error"});
    CHECK(result.exit_code == 69);
    CHECK(text(parse(https_get(agent.port(), certs, "/health/checks/daily").body), "status") ==
          "ok");
}

TEST_CASE("push command: a client certificate for an agent that requires one") {
    TestCertificates certs;
    Agent agent{push_and_run, certs.tls_table(true)};
    TempDir client;
    const auto without = client_config(client, agent, certs.tls_table(true));
    auto result = run_vitalsd(client.path(), {"push", "--config", without.string(), "daily", "ok"});
    CHECK(result.exit_code == 69);
    CHECK(contains(result.output, "the agent asks for a client certificate"));

    result = run_vitalsd(client.path(),
                         {"push", "--config", without.string(), "--cert",
                          certs.path("client.crt").string(), "--key",
                          certs.path("client.key").string(), "daily", "warning", "by flags"});
    CHECK_MESSAGE(result.exit_code == 0, result.output);
    CHECK(text(parse(https_get(agent.port(), certs, "/health/checks/daily").body), "message") ==
          "by flags");

    const auto with = client_config(client, agent,
                                    certs.tls_table(true) + "client_certificate = \"" +
                                        certs.path("client.crt").string() + "\"\nclient_key = \"" +
                                        certs.path("client.key").string() + "\"\n");
    result = run_vitalsd(client.path(),
                         {"push", "--config", with.string(), "daily", "error", "by config"});
    CHECK_MESSAGE(result.exit_code == 0, result.output);
    CHECK(text(parse(https_get(agent.port(), certs, "/health/checks/daily").body), "message") ==
          "by config");

    // The client key is a secret: one every user may read is refused before use.
    std::filesystem::permissions(certs.path("client.key"), std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    result = run_vitalsd(client.path(), {"push", "--config", with.string(), "daily", "ok"});
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "accessible by every user"));
    result = run_vitalsd(client.path(), {"push", "--config", with.string(), "--cert",
                                         certs.path("client.crt").string(), "daily", "ok"});
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, "--cert and --key go together"));
    // The agent reads the two keys as a pair, and only `vitalsd push` opens the files.
    const auto half = client_config(
        client, agent, certs.tls_table(true) + "client_certificate = \"nowhere.crt\"\n");
    result = run_vitalsd(client.path(), {"--check-config", "--config", half.string()});
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "tls.client_key"));
    result = run_vitalsd(client.path(), {"push", "--config", half.string(), "daily", "ok"});
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "tls.client_key"));
}

TEST_CASE("status page: GET / over HTTP has the rows before any script runs") {
    Agent agent{push_and_run};
    wait_until_not_pending(agent.port(), "fine");
    REQUIRE(post(agent, "daily", R"({"status": "error", "message": "<script>alert(1)</script>"})")
                .status == 200);
    const auto page = http_get(agent.port(), "/");
    REQUIRE(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(contains(page.body, R"(<tr class="check status-ok" data-name="fine")"));
    CHECK(contains(page.body, R"(<tr class="check status-error" data-name="daily")"));
    CHECK(contains(page.body, R"(<tr class="check status-pending" data-name="backup")"));
    CHECK(contains(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK(contains(page.body, R"(id="count-all">3<)"));
    const auto filtered = http_get(agent.port(), "/?status=error");
    CHECK(contains(filtered.body, R"(data-name="daily")"));
    CHECK_FALSE(contains(filtered.body, R"(data-name="fine")"));
    // What the script polls: every check with its history, in one answer.
    const auto health = parse(http_get(agent.port(), "/health?history").body);
    const auto fine = health->getObject("checks")->getObject("fine");
    REQUIRE(fine->has("history"));
    CHECK(fine->getArray("history")->size() >= 1);
    CHECK_FALSE(parse(http_get(agent.port(), "/health").body)
                    ->getObject("checks")
                    ->getObject("fine")
                    ->has("history"));
}

TEST_CASE("push api: with access tokens a report needs the write scope") {
    TempDir secrets;
    const std::string read_token = "read-0123456789abcdef";
    const std::string write_token = "write-0123456789abcdef";
    const auto tokens = secrets.write_secret("tokens", "read " + read_token + " dashboard\nwrite " +
                                                           write_token + " cron\n");
    Agent agent{push_and_run, "[access]\ntoken_file = \"" + tokens.string() + "\"\n"};
    const std::string report = R"({"status": "ok", "message": "done"})";
    const auto as = [&](const std::string &token) {
        return http_request(agent.port(), "POST", "/health/checks/daily", report,
                            "application/json", {{"Authorization", "Bearer " + token}});
    };
    const auto anonymous = post(agent, "daily", report);
    CHECK(anonymous.status == 401);
    CHECK(contains(anonymous.body, "write scope"));
    CHECK(as(read_token).status == 403);
    CHECK(as(write_token + "x").status == 401);
    const auto read_state = http_request(agent.port(), "GET", "/health/checks/daily", "", "",
                                         {{"Authorization", "Bearer " + read_token}});
    CHECK(parse(read_state.body)->getValue<bool>("pending")); // nothing got through
    CHECK(as(write_token).status == 200);

    // vitalsd push takes the write token from the agent.toml it reads, or $VITALS_TOKEN.
    TempDir client;
    const std::string listen = "127.0.0.1:" + std::to_string(agent.port());
    const auto config =
        client.write("agent.toml", "listen = \"" + listen + "\"\nconf_d = \"" +
                                       (agent.dir().path() / "conf.d").string() +
                                       "\"\n[access]\ntoken_file = \"" + tokens.string() + "\"\n");
    auto result = run_vitalsd(
        client.path(), {"push", "--config", config.string(), "daily", "warning", "from cron"});
    CHECK_MESSAGE(result.exit_code == 0, result.output);
    result = run_vitalsd(client.path(), {"push", "--listen", listen, "daily", "ok"});
    CHECK(result.exit_code == 77);
    CHECK(contains(result.output, "(401)"));
    CHECK(contains(result.output, "it needs a write token"));
    ::setenv("VITALS_TOKEN", read_token.c_str(), 1);
    result = run_vitalsd(client.path(), {"push", "--listen", listen, "daily", "ok"});
    ::unsetenv("VITALS_TOKEN");
    CHECK(result.exit_code == 77);
    CHECK(contains(result.output, "(403)"));
    const auto state = http_request(agent.port(), "GET", "/health/checks/daily", "", "",
                                    {{"Authorization", "Bearer " + read_token}});
    CHECK(text(parse(state.body), "message") == "from cron");

    // The status page: the overall status for anyone, details only for a reader.
    const auto page = http_get(agent.port(), "/");
    CHECK(page.status == 200);
    CHECK_FALSE(contains(page.body, "from cron"));
    CHECK(contains(page.body, "need the <code>read</code> scope"));
    const auto reader_page =
        http_request(agent.port(), "GET", "/", "", "", {{"Authorization", "Bearer " + read_token}});
    CHECK(contains(reader_page.body, "from cron"));
}
