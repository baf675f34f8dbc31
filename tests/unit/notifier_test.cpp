// [[notifier]] of agent.toml, every error located, and what the notifiers make of an alert
// (bodies, environment), pure functions. The transports meet real receivers in tests/alerts.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "alerts/alert_json.hpp"
#include "alerts/alertmanager_notifier.hpp"
#include "alerts/email_notifier.hpp"
#include "alerts/exec_notifier.hpp"
#include "config/config_reader.hpp"
#include "config/notifier_reader.hpp"
#include "support/scoped_environment.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vitals;
using vitals::test::ScopedEnvironment;
using vitals::test::TempDir;
using namespace std::chrono_literals;
using Poco::JSON::Array;
using Poco::JSON::Object;

ConfigReadResult read_agent(const std::string &text,
                            const std::filesystem::path &file = "/etc/vitals/agent.toml") {
    return read_configuration(ConfigText{file, text}, {}, AgentSettings{});
}

/// Every error as "line:key: message", to compare whole.
std::vector<std::string> located(const ConfigReadResult &result) {
    std::vector<std::string> lines;
    for (const auto &error : result.errors)
        lines.push_back(std::to_string(error.where.line) + ":" + error.key + ": " + error.message);
    return lines;
}

bool has_error(const ConfigReadResult &result, const std::string &start) {
    const auto lines = located(result);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string &line) { return line.starts_with(start); });
}

Alert sample_alert() {
    Alert alert;
    alert.id = 42;
    alert.kind = AlertKind::firing;
    alert.check = "web";
    alert.status = Status::error;
    alert.previous = Status::ok;
    alert.message = "connection refused <!channel> & co";
    alert.description = "the shop's front page";
    alert.since = std::chrono::system_clock::time_point{1'800'000'000s};
    alert.at = alert.since + 2s;
    alert.host = "host1";
    alert.labels = {{"instance", "host1"}, {"team", "shop"}, {"dc-name", "fra"}};
    alert.groups = {"frontend"};
    alert.link = "http://host1:8080/#check-web";
    return alert;
}

Object::Ptr parse_object(const std::string &json) {
    return Poco::JSON::Parser{}.parse(json).extract<Object::Ptr>();
}

} // namespace

TEST_CASE("notifier config: each transport reads its keys with their defaults") {
    TempDir dir;
    const auto token = dir.write_secret("hook.token", "s3cret-token\n");
    const auto script = dir.write("notify.sh", "#!/bin/sh\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const auto result = read_agent(R"(
[[notifier]]
name = "am"
type = "alertmanager"
urls = ["http://127.0.0.1:9093", "https://am2.example:9093/"]
resend = "30s"

[[notifier]]
name = "hook"
type = "webhook"
url = "https://hooks.example/x"
format = "slack"
token_file = "hook.token"
headers = { X-Team = "shop" }
min_status = "error"
repeat = "4h"

[[notifier]]
name = "mail"
type = "email"
smtp_host = "mx.example"
tls = "tls"
username = "vitals"
password = { file = "hook.token" }
to = ["ops@example.org"]

[[notifier]]
name = "run"
type = "exec"
command = [")" + script.string() + R"(", "--page"]
timeout = "5s"
)",
                                   dir.path() / "agent.toml");
    REQUIRE(located(result).empty());
    const auto &notifiers = result.config.agent.notifiers;
    REQUIRE(notifiers.size() == 4);
    CHECK(notifiers[0].type == NotifierType::alertmanager);
    CHECK(notifiers[0].urls.size() == 2);
    CHECK(notifiers[0].resend == 30s);
    CHECK(notifiers[1].token == "s3cret-token");
    CHECK(notifiers[1].format == "slack");
    CHECK(notifiers[1].min_status == Status::error);
    CHECK(notifiers[1].repeat == 4h);
    CHECK(notifiers[1].headers ==
          std::vector<std::pair<std::string, std::string>>{{"X-Team", "shop"}});
    CHECK(notifiers[2].smtp_port == 465); // tls = "tls": the submission port of implicit TLS
    CHECK(notifiers[2].password == "s3cret-token");
    CHECK(notifiers[3].command.size() == 2);
    CHECK(notifiers[3].timeout == 5s);
    CHECK(notifiers[3].min_status == Status::warning);
}

TEST_CASE("notifier config: every mistake is named at its line and key") {
    const auto result = read_agent(R"([[notifier]]
name = "a"
type = "pager"

[[notifier]]
name = "b"
type = "webhook"
url = "ftp://x/hook"
min_status = "ok"
timeout = "20m"
smtp_host = "mx"

[[notifier]]
name = "b"
type = "exec"
command = ["relative.sh"]

[[notifier]]
name = "c"
type = "email"
smtp_host = "mx"
to = ["not an address"]
username = "u"

[[notifier]]
type = "webhook"
url = "http://user:pw@hooks/x"
send_resolved = "yes"

[[notifier]]
name = "d"
type = "exec"
shell = true
command = ["echo", "two words"]

[[notifier]]
name = "e"
type = "email"
smtp_host = "mx"

[[notifier]]
name = "f"
type = "alertmanager"
urls = []
)");
    const auto lines = located(result);
    std::string all;
    for (const auto &line : lines)
        all += line + "\n";
    INFO(all);
    CHECK(has_error(result,
                    "3:notifier[0].type: \"pager\" is not alertmanager, webhook, email or exec"));
    CHECK(has_error(result,
                    "8:notifier[1].url: \"ftp://x/hook\" must start with http:// or https://"));
    CHECK(has_error(result, "9:notifier[1].min_status: \"ok\" is not warning or error"));
    CHECK(has_error(result, "10:notifier[1].timeout:"));
    CHECK(has_error(result, "11:notifier[1].smtp_host: unknown key 'smtp_host'"));
    CHECK(has_error(result, "16:notifier[2].command: \"relative.sh\" must be an absolute path"));
    CHECK(has_error(result, "22:notifier[3].to: \"not an address\" is not an e-mail address"));
    CHECK(has_error(result, "23:notifier[3].username: a username needs a password"));
    CHECK(has_error(result, "25:notifier[4].name: missing required key 'name'"));
    CHECK(has_error(result, "27:notifier[4].url: \"http://user:pw@hooks/x\" must not hold a user"));
    CHECK(has_error(result, "28:notifier[4].send_resolved: expected a boolean"));
    CHECK(
        has_error(result, "34:notifier[5].command: with shell = true, the command is one string"));
    CHECK(has_error(result, "36:notifier[6].to: missing required key 'to'"));
    CHECK(has_error(result, "44:notifier[7].urls: must name at least one URL"));
    // No secret of the URL in the message beyond what the user wrote; and nothing else.
    CHECK(lines.size() == 14);
}

TEST_CASE("notifier config: a duplicate name points at the first") {
    const auto result = read_agent(R"([[notifier]]
name = "oncall"
type = "webhook"
url = "http://127.0.0.1:9/a"

[[notifier]]
name = "oncall"
type = "alertmanager"
url = "http://127.0.0.1:9093"
)");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].where.line == 7);
    CHECK(result.errors[0].key == "notifier[1].name");
    CHECK(result.errors[0].message ==
          "duplicate notifier name 'oncall', first defined at /etc/vitals/agent.toml:1");
    CHECK(result.config.agent.notifiers.size() == 1);
}

TEST_CASE("notifier config: their number is bounded, as each has a thread") {
    std::string text;
    for (std::size_t i = 0; i <= max_notifiers; ++i)
        text += fmt::format("[[notifier]]\nname = \"n{}\"\ntype = \"webhook\"\n"
                            "url = \"http://127.0.0.1:9/a\"\n",
                            i);
    const auto result = read_agent(text);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].key == fmt::format("notifier[{}]", max_notifiers));
    CHECK(result.errors[0].where.line == static_cast<int>(4 * max_notifiers + 1));
    CHECK(result.config.agent.notifiers.size() == max_notifiers);
}

TEST_CASE("notifier config: secrets come from references and never show in errors") {
    TempDir dir;
    dir.write("open.token", "visible-token\n"); // readable by everyone: refused
    const ScopedEnvironment password{"VITALS_TEST_SMTP_PASSWORD", "env-pass-123"};
    const auto result = read_agent(R"([[notifier]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:9/a"
token_file = "open.token"

[[notifier]]
name = "mail"
type = "email"
smtp_host = "mx"
to = ["ops@example.org"]
username = "vitals"
password = { env = "VITALS_TEST_SMTP_PASSWORD" }

[[notifier]]
name = "mail2"
type = "email"
smtp_host = "mx"
tls = "none"
to = ["ops@example.org"]
username = "vitals"
password = "inline-pass-456"
)",
                                   dir.path() / "agent.toml");
    std::string all;
    for (const auto &line : located(result))
        all += line + "\n";
    INFO(all);
    REQUIRE(result.config.agent.notifiers.size() == 1);
    CHECK(result.config.agent.notifiers[0].password == "env-pass-123");
    CHECK(has_error(result, "5:notifier[0].token_file:"));
    CHECK(has_error(result, "22:notifier[2].password: would be sent in clear text"));
    for (const auto &error : result.errors) {
        CHECK(error.to_string().find("visible-token") == std::string::npos);
        CHECK(error.to_string().find("inline-pass-456") == std::string::npos);
    }
}

TEST_CASE("alert json: the documented body with every field") {
    const auto body = parse_object(alert_json(sample_alert()));
    CHECK(body->getValue<int>("version") == 1);
    CHECK(body->getValue<std::uint64_t>("id") == 42);
    CHECK(body->getValue<std::string>("kind") == "firing");
    CHECK(body->getValue<std::string>("check") == "web");
    CHECK(body->getValue<std::string>("status") == "error");
    CHECK(body->getValue<std::string>("previous_status") == "ok");
    CHECK(body->getValue<std::string>("summary") == "web: ok → error on host1");
    CHECK(body->getValue<std::string>("since") == "2027-01-15T08:00:00.000Z");
    CHECK(body->getValue<std::string>("at") == "2027-01-15T08:00:02.000Z");
    CHECK(body->getObject("labels")->getValue<std::string>("team") == "shop");
    CHECK(body->getArray("groups")->getElement<std::string>(0) == "frontend");
    CHECK(body->getValue<std::string>("link") == "http://host1:8080/#check-web");
}

TEST_CASE("alert json: the slack body escapes what Slack reads as markup") {
    const auto body = parse_object(slack_json(sample_alert()));
    CHECK(body->getValue<std::string>("text") == "web: ok → error on host1");
    const auto attachment = body->getArray("attachments")->getObject(0);
    CHECK(attachment->getValue<std::string>("color") == "danger");
    CHECK(attachment->getValue<std::string>("text") ==
          "connection refused &lt;!channel&gt; &amp; co");
    CHECK(attachment->getValue<std::string>("title_link") == "http://host1:8080/#check-web");
}

TEST_CASE("alertmanager body: firing ends after four resends, resolved at the alert") {
    auto alert = sample_alert();
    const auto now = alert.at + 1s;
    auto alerts =
        Poco::JSON::Parser{}.parse(alertmanager_body(alert, now, 1min)).extract<Array::Ptr>();
    REQUIRE(alerts->size() == 1);
    auto entry = alerts->getObject(0);
    const auto labels = entry->getObject("labels");
    CHECK(labels->getValue<std::string>("alertname") == "VitalsCheck");
    CHECK(labels->getValue<std::string>("check") == "web");
    CHECK(labels->getValue<std::string>("severity") == "error");
    CHECK(labels->getValue<std::string>("instance") == "host1");
    CHECK(labels->getValue<std::string>("team") == "shop");
    CHECK(entry->getValue<std::string>("startsAt") == "2027-01-15T08:00:00.000Z");
    CHECK(entry->getValue<std::string>("endsAt") == "2027-01-15T08:04:03.000Z");
    CHECK(entry->getValue<std::string>("generatorURL") == "http://host1:8080/#check-web");
    CHECK(entry->getObject("annotations")->getValue<std::string>("summary") ==
          "web: ok → error on host1");

    alert.kind = AlertKind::resolved;
    alert.previous = Status::error;
    alert.status = Status::ok;
    alerts = Poco::JSON::Parser{}.parse(alertmanager_body(alert, now, 1min)).extract<Array::Ptr>();
    REQUIRE(alerts->size() == 1);
    entry = alerts->getObject(0);
    CHECK(entry->getObject("labels")->getValue<std::string>("severity") == "error");
    CHECK(entry->getValue<std::string>("endsAt") == "2027-01-15T08:00:02.000Z");
}

TEST_CASE("alertmanager body: warning to error resolves the warning alert it replaces") {
    auto alert = sample_alert();
    alert.previous = Status::warning;
    const auto alerts =
        Poco::JSON::Parser{}.parse(alertmanager_body(alert, alert.at, 1min)).extract<Array::Ptr>();
    REQUIRE(alerts->size() == 2);
    CHECK(alerts->getObject(0)->getObject("labels")->getValue<std::string>("severity") ==
          "warning");
    CHECK(alerts->getObject(0)->getValue<std::string>("endsAt") == "2027-01-15T08:00:02.000Z");
    CHECK(alerts->getObject(1)->getObject("labels")->getValue<std::string>("severity") == "error");
}

TEST_CASE("exec environment: the alert in VITALS_ variables and nothing of the agent's") {
    const ScopedEnvironment secret{"VITALS_TEST_AGENT_SECRET", "do-not-pass"};
    const auto env = exec_environment(sample_alert());
    const auto has = [&](const std::string &entry) {
        return std::find(env.begin(), env.end(), entry) != env.end();
    };
    CHECK(has("VITALS_ALERT_KIND=firing"));
    CHECK(has("VITALS_CHECK=web"));
    CHECK(has("VITALS_STATUS=error"));
    CHECK(has("VITALS_PREVIOUS_STATUS=ok"));
    CHECK(has("VITALS_SINCE=2027-01-15T08:00:00.000Z"));
    CHECK(has("VITALS_HOST=host1"));
    CHECK(has("VITALS_LINK=http://host1:8080/#check-web"));
    CHECK(has("VITALS_LABEL_TEAM=shop"));
    CHECK(has("VITALS_LABEL_DC_NAME=fra"));
    CHECK(has("VITALS_GROUPS=frontend"));
    for (const auto &entry : env)
        CHECK(entry.find("do-not-pass") == std::string::npos);
}

TEST_CASE("email subject: what changed, where, at a glance") {
    CHECK(email_subject(sample_alert()) == "[Vitals] web: ok → error on host1");
}
