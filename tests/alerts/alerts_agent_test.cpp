// Alerts through the real vitalsd: checks driven by pushes and status files, a webhook
// receiver (and Alertmanager) the test runs, restarts in between. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "receivers.hpp"
#include "support/agent_fixture.hpp"
#include "support/test_certificates.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::alerts;
using Poco::JSON::Object;

/// An agent whose conf.d and agent.toml the test writes, started and restarted on demand,
/// keeping its state directory across restarts.
class AlertingAgent {
public:
    AlertingAgent(const std::string &checks, const std::string &agent_extra)
        : config_(write_agent_toml(dir_, agent_extra)) {
        dir_.write("conf.d/checks.toml", checks);
    }
    std::uint16_t start() {
        process_.reset();
        // A folder of its own per run: its log is read for the port it listens on.
        const auto run = dir_.path() / ("run-" + std::to_string(++runs_));
        std::filesystem::create_directories(run);
        process_.emplace(run, std::vector<std::string>{"--config", config_.string()});
        port_ = process_->wait_for_port(15s);
        return port_;
    }
    void stop() { process_.reset(); }
    std::uint16_t port() const { return port_; }
    std::string log() const { return process_->log(); }
    const TempDir &dir() const { return dir_; }

    void push(const std::string &check, const std::string &status) {
        const auto reply =
            http_request(port_, "POST", "/health/checks/" + check,
                         R"({"status":")" + status + R"(","message":"pushed )" + status + R"("})",
                         "application/json");
        REQUIRE_MESSAGE(reply.status == 200, reply.body);
    }

private:
    TempDir dir_;
    std::filesystem::path config_;
    std::optional<AgentProcess> process_;
    std::uint16_t port_ = 0;
    int runs_ = 0;
};

/// A push check "job" that tells `notifier`.
std::string job_notifying(const std::string &notifier) {
    return "[check.job]\nplugin = \"push\"\nttl = \"1h\"\nnotify = [\"" + notifier + "\"]\n";
}

std::string webhook_notifier(const std::string &name, const std::string &url,
                             const std::string &extra = "") {
    return "[[notifier]]\nname = \"" + name + "\"\ntype = \"webhook\"\nurl = \"" + url + "\"\n" +
           extra + "\n";
}

Object::Ptr body_of(const Delivery &delivery) {
    return delivery.body.extract<Object::Ptr>();
}

/// "firing web error" for each delivery.
std::vector<std::string> told(const std::vector<Delivery> &deliveries) {
    std::vector<std::string> words;
    for (const auto &delivery : deliveries) {
        const auto body = body_of(delivery);
        words.push_back(body->getValue<std::string>("kind") + " " +
                        body->getValue<std::string>("check") + " " +
                        body->getValue<std::string>("status"));
    }
    std::string all;
    for (const auto &word : words)
        all += word + "; ";
    MESSAGE("told: " << all);
    return words;
}

using Words = std::vector<std::string>;

/// What /metrics says of vitals_notifications_total for `notifier` and `outcome`.
double notifications(std::uint16_t port, const std::string &notifier, const std::string &outcome) {
    return sample_value(http_get(port, "/metrics").body, "vitals_notifications_total{notifier=\"" +
                                                             notifier + "\",outcome=\"" + outcome +
                                                             "\"}");
}

} // namespace

TEST_CASE("alerts through vitalsd: one firing and one resolved through a flapping push check") {
    WebhookReceiver receiver;
    AlertingAgent agent{R"(
[check.job]
plugin = "push"
ttl = "1h"
description = "the nightly job"
failure_threshold = 2
success_threshold = 2
notify = ["hook"]
labels = { team = "ops" }
)",
                        webhook_notifier("hook", receiver.url())};
    const auto port = agent.start();
    agent.push("job", "ok");
    agent.push("job", "error"); // one error: not reported
    agent.push("job", "ok");
    agent.push("job", "error");
    agent.push("job", "error"); // reported: firing
    auto posts = receiver.wait_for(1);
    REQUIRE(told(posts) == Words{"firing job error"});
    const auto firing = body_of(posts[0]);
    CHECK(firing->getValue<std::string>("previous_status") == "ok");
    CHECK(firing->getValue<std::string>("message") == "pushed error");
    CHECK(firing->getValue<std::string>("description") == "the nightly job");
    CHECK(firing->getObject("labels")->getValue<std::string>("team") == "ops");
    CHECK(firing->getObject("labels")->has("instance"));
    CHECK(firing->getValue<std::string>("link") ==
          "http://127.0.0.1:" + std::to_string(port) + "/#check-job");
    agent.push("job", "ok"); // one ok: still error
    agent.push("job", "error");
    agent.push("job", "ok");
    agent.push("job", "ok"); // reported: resolved
    posts = receiver.wait_for(2);
    std::this_thread::sleep_for(1500ms); // a sweep or more: nothing else comes
    CHECK(told(receiver.deliveries()) == Words{"firing job error", "resolved job ok"});
    CHECK(notifications(port, "hook", "delivered") == 2);
    CHECK(notifications(port, "hook", "retried") == 0);
    const auto health = parse(http_get(port, "/health").body);
    const auto notifiers = health->getArray("notifiers");
    REQUIRE(notifiers);
    CHECK(notifiers->getObject(0)->getValue<std::string>("name") == "hook");
    CHECK(notifiers->getObject(0)->getValue<int>("delivered") == 2);
}

TEST_CASE("alerts through vitalsd: a failing dependency alerts, its dependents do not") {
    WebhookReceiver receiver;
    TempDir files;
    const auto db_status = files.write("db", "ok");
    std::string checks = R"(
[check.db]
plugin = "sleepy"
interval = "100ms"
notify = ["hook"]
params = { status_file = ")" +
                         db_status.string() + "\" }\n";
    for (const char *dependent : {"orders", "billing"})
        checks += std::string{"[check."} + dependent +
                  "]\nplugin = \"sleepy\"\ninterval = \"100ms\"\ndepends_on = [\"db\"]\n"
                  "notify = [\"hook\"]\n";
    AlertingAgent agent{checks, webhook_notifier("hook", receiver.url())};
    const auto port = agent.start();
    wait_until(port, "orders", [](const Object::Ptr &json) {
        return json->getValue<std::string>("status") == "ok";
    });
    files.write("db", "error");
    wait_until(port, "billing",
               [](const Object::Ptr &json) { return json->getValue<bool>("suppressed"); });
    receiver.wait_for(1);
    files.write("db", "ok");
    receiver.wait_for(2);
    wait_until(port, "orders", [](const Object::Ptr &json) {
        return !json->getValue<bool>("suppressed") && json->getValue<std::string>("status") == "ok";
    });
    std::this_thread::sleep_for(1500ms);
    CHECK(told(receiver.deliveries()) == Words{"firing db error", "resolved db ok"});
}

TEST_CASE("alerts through vitalsd: the alert after an on_failure action says how it went") {
    WebhookReceiver receiver;
    TempDir files;
    const auto status = files.write("web", "error");
    AlertingAgent agent{R"(
[check.web]
plugin = "sleepy"
interval = "100ms"
notify = ["hook"]
params = { status_file = ")" +
                            status.string() +
                            R"(" }
on_failure = { run = ["/bin/echo", "restarted web"], after = 2, max = "1/1h" }
)",
                        webhook_notifier("hook", receiver.url())};
    const auto port = agent.start();
    receiver.wait_for(1); // firing, told before the action could run
    // The action runs after two errors; its note reaches the check's history.
    const bool acted = eventually(
        [&] {
            return contains(http_get(port, "/health/checks/web?history").body,
                            "exit 0: restarted web");
        },
        10s);
    REQUIRE(acted);
    files.write("web", "ok");
    const auto posts = receiver.wait_for(2);
    REQUIRE(told(posts) == Words{"firing web error", "resolved web ok"});
    CHECK(body_of(posts[1])->getValue<std::string>("action") == "exit 0: restarted web");
}

TEST_CASE("alerts through vitalsd: a check that fails is mailed over STARTTLS with AUTH") {
    const vitals::test::TestCertificates certificates;
    const SmtpReceiver mail{certificates.path("server.crt"), certificates.path("server.key"),
                            "vitals", "pa55word"};
    TempDir secrets;
    const auto password = secrets.write("smtp.password", "pa55word\n");
    std::filesystem::permissions(password, std::filesystem::perms::owner_read);
    AlertingAgent agent{job_notifying("mail"), "[[notifier]]\nname = \"mail\"\ntype = \"email\"\n"
                                               "smtp_host = \"127.0.0.1\"\nsmtp_port = " +
                                                   std::to_string(mail.port()) +
                                                   "\ntls = \"starttls\"\nusername = \"vitals\"\n"
                                                   "password = { file = \"" +
                                                   password.string() +
                                                   "\" }\nfrom = \"vitals@host1.example\"\n" +
                                                   "to = [\"ops@example.org\"]\nca_file = \"" +
                                                   certificates.path("ca.crt").string() + "\"\n"};
    agent.start();
    agent.push("job", "error");
    REQUIRE(eventually([&] { return mail.messages().size() == 1; }, 10s));
    const std::string message = mail.messages()[0];
    CHECK(contains(message, "X-Envelope-To: ops@example.org"));
    CHECK(contains(message, "X-Vitals-Check: job"));
    CHECK(contains(message, "pushed error"));
    CHECK_FALSE(contains(agent.log(), "pa55word"));
}

TEST_CASE(
    "alerts through vitalsd: a restart re-sends nothing already told, then tells the next change") {
    WebhookReceiver receiver;
    AlertingAgent agent{job_notifying("hook"), webhook_notifier("hook", receiver.url())};
    agent.start();
    agent.push("job", "error");
    receiver.wait_for(1);
    const auto first_id = body_of(receiver.deliveries()[0])->getValue<std::uint64_t>("id");
    std::this_thread::sleep_for(1500ms); // the state keeper writes within a second
    agent.start();                       // SIGTERM, then a new agent on the same state
    std::this_thread::sleep_for(2500ms); // its engine has looked, more than once
    CHECK(receiver.deliveries().size() == 1);
    agent.push("job", "ok");
    const auto posts = receiver.wait_for(2);
    REQUIRE(told(posts) == Words{"firing job error", "resolved job ok"});
    CHECK(body_of(posts[1])->getValue<std::uint64_t>("id") > first_id);
}

TEST_CASE("alerts through vitalsd: a receiver down for a while gets every alert once it is up") {
    const std::uint16_t hook_port = services::free_port();
    AlertingAgent agent{job_notifying("hook"),
                        webhook_notifier("hook",
                                         "http://127.0.0.1:" + std::to_string(hook_port) + "/hook",
                                         "timeout = \"1s\"")};
    const auto port = agent.start();
    agent.push("job", "error");
    REQUIRE(eventually([&] { return notifications(port, "hook", "retried") >= 1; }, 10s));
    agent.push("job", "ok");
    const auto hook_health = [&] {
        return parse(http_get(port, "/health").body)->getArray("notifiers")->getObject(0);
    };
    CHECK(eventually([&] { return hook_health()->getValue<int>("queued") == 2; }, 5s));
    const auto hook = hook_health();
    CHECK_FALSE(hook->getValue<bool>("ok"));
    CHECK(contains(hook->getValue<std::string>("last_error"), "127.0.0.1"));
    CHECK(contains(http_get(port, "/metrics").body,
                   "vitals_notifier_last_error_info{notifier=\"hook\""));
    WebhookReceiver receiver{200, hook_port}; // up now: the next retry, at most 4 s away, gets in
    const auto posts = receiver.wait_for(2, 15s);
    CHECK(told(posts) == Words{"firing job error", "resolved job ok"});
    CHECK(notifications(port, "hook", "delivered") == 2);
    CHECK(notifications(port, "hook", "retried") >= 1);
}

TEST_CASE(
    "alerts through vitalsd: Alertmanager groups what it is sent and resolves it at the far end") {
    WebhookReceiver far_end;
    Alertmanager alertmanager{far_end.url("/am")};
    AlertingAgent agent{job_notifying("am"),
                        "[[notifier]]\nname = \"am\"\ntype = \"alertmanager\"\nurls = [\"" +
                            alertmanager.url() + "\"]\n"};
    agent.start();
    agent.push("job", "error");
    const auto firing = far_end.wait_for(1, 15s);
    REQUIRE(!firing.empty());
    const auto group = body_of(firing[0]);
    CHECK(group->getValue<std::string>("status") == "firing");
    const auto alert = group->getArray("alerts")->getObject(0);
    CHECK(alert->getObject("labels")->getValue<std::string>("check") == "job");
    agent.push("job", "ok");
    const bool resolved = eventually(
        [&] {
            for (const auto &post : far_end.deliveries())
                if (body_of(post)->getValue<std::string>("status") == "resolved") return true;
            return false;
        },
        15s);
    CHECK(resolved);
}

TEST_CASE(
    "alerts through vitalsd: a notify naming no [[notifier]] is an error at file, line and key") {
    TempDir dir;
    const auto config = write_agent_toml(dir, webhook_notifier("hook", "http://127.0.0.1:9/hook"));
    dir.write("conf.d/checks.toml", R"(
[check.job]
plugin = "push"
ttl = "1h"
notify = ["hook", "pager"]
)");
    const auto run = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    CHECK(run.exit_code == 78);
    CHECK(contains(run.output, "checks.toml:5:"));
    CHECK(contains(run.output,
                   "check.job.notify: no notifier named 'pager' (agent.toml declares: hook)"));
}
