// The alert engine and its delivery queues on a manual clock: which alerts a sequence of
// results sends, to whom, and what a receiver that is down costs. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/alert_engine.hpp"
#include "support/manual_clock.hpp"

namespace {

using namespace vitals;
using vitals::test::ManualClock;
using namespace std::chrono_literals;

/// Records what it is given; answers with the outcomes a test scripts, then delivered.
class RecordingNotifier final : public Notifier {
public:
    DeliveryOutcome deliver(const Alert &alert) override {
        const std::lock_guard lock{mutex};
        attempts.push_back(alert);
        if (!script.empty()) {
            auto outcome = script.front();
            script.erase(script.begin());
            if (!outcome.ok()) return outcome;
        }
        delivered.push_back(alert);
        return DeliveryOutcome::delivered();
    }
    Duration resend_interval() const override { return resend; }

    std::mutex mutex;
    std::vector<Alert> attempts, delivered;
    std::vector<DeliveryOutcome> script;
    Duration resend{};
};

/// Keeps in memory what a restart would find in state.db.
class MemoryLedger final : public AlertLedger {
public:
    Contents take_saved_alerts() override {
        const std::lock_guard lock{mutex};
        Contents contents;
        for (const auto &[key, status] : statuses)
            contents.notified.push_back(status);
        for (const auto &[key, alert] : queue)
            contents.queued.push_back(alert);
        contents.last_alert_id = last_id;
        return contents;
    }
    void notified(const NotifiedStatus &status) override {
        const std::lock_guard lock{mutex};
        statuses.insert_or_assign({status.check, status.notifier}, status);
    }
    void forget_notified(const std::string &check, const std::string &notifier) override {
        const std::lock_guard lock{mutex};
        statuses.erase({check, notifier});
    }
    void queued(const QueuedAlert &alert) override {
        const std::lock_guard lock{mutex};
        queue.insert_or_assign({alert.notifier, alert.alert.id}, alert);
        last_id = std::max(last_id, alert.alert.id);
    }
    void dequeued(const std::string &notifier, std::uint64_t id) override {
        const std::lock_guard lock{mutex};
        queue.erase({notifier, id});
    }

    std::mutex mutex;
    std::map<std::pair<std::string, std::string>, NotifiedStatus> statuses;
    std::map<std::pair<std::string, std::uint64_t>, QueuedAlert> queue;
    std::uint64_t last_id = 0;
};

NotifierDefinition notifier(const std::string &name, Status min_status = Status::warning) {
    NotifierDefinition definition;
    definition.name = name;
    definition.min_status = min_status;
    return definition;
}

CheckDefinition check(const std::string &name, std::vector<std::string> notify) {
    CheckDefinition definition;
    definition.name = name;
    definition.plugin = "disk";
    definition.interval = 24h; // never stale within a test
    definition.notify = std::move(notify);
    return definition;
}

std::vector<CheckInfo> infos(const Configuration &config) {
    std::vector<CheckInfo> all;
    for (const auto &definition : config.checks)
        all.push_back(check_info(definition));
    return all;
}

/// An engine over a result store, on a manual clock, with one recording sender per notifier.
struct Fixture {
    explicit Fixture(Configuration configuration,
                     std::shared_ptr<MemoryLedger> kept = std::make_shared<MemoryLedger>())
        : config(std::move(configuration)), ledger(std::move(kept)), results(infos(config)) {
        for (const auto &definition : config.agent.notifiers)
            senders[definition.name] = std::make_shared<RecordingNotifier>();
        engine = std::make_unique<AlertEngine>(
            results, *ledger,
            [this](const NotifierDefinition &d) -> std::shared_ptr<Notifier> {
                return senders.at(d.name);
            },
            clock);
        engine->configure(config, "http://vitals.test:9188");
    }
    ~Fixture() { engine->stop(); }

    void start() {
        engine->start();
        settle();
    }
    /// Every thread asleep: the engine's and one per notifier.
    void settle() {
        clock->settle([&] { return 1 + config.agent.notifiers.size(); });
    }

    void record(const std::string &name, Status status, bool suppressed = false) {
        CheckResult result;
        result.status = status;
        result.message = std::string{to_string(status)};
        result.started = clock->system_now();
        result.suppressed = suppressed;
        results.record(name, std::move(result));
        settle();
    }
    void pass(Duration time) {
        clock->advance(time);
        settle();
    }
    std::vector<Alert> delivered(const std::string &name) {
        auto &sender = *senders.at(name);
        const std::lock_guard lock{sender.mutex};
        return sender.delivered;
    }
    /// "firing error" for each alert delivered to `name`; all of them in the test's output.
    std::vector<std::string> told(const std::string &name) {
        std::vector<std::string> words;
        for (const auto &alert : delivered(name))
            words.push_back(std::string{to_string(alert.kind)} + " " +
                            std::string{to_string(alert.status)});
        std::string all;
        for (const auto &word : words)
            all += word + "; ";
        MESSAGE(name << " was told: " << all);
        return words;
    }

    Configuration config;
    std::shared_ptr<MemoryLedger> ledger;
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    ResultStore results;
    std::map<std::string, std::shared_ptr<RecordingNotifier>> senders;
    std::unique_ptr<AlertEngine> engine;
};

Configuration one_check(CheckDefinition definition, std::vector<NotifierDefinition> notifiers) {
    Configuration config;
    config.agent.notifiers = std::move(notifiers);
    config.checks.push_back(std::move(definition));
    return config;
}

using Words = std::vector<std::string>;

} // namespace

namespace {} // namespace

TEST_CASE("alerts: one alert per reported change through flapping, thresholds applied") {
    auto definition = check("web", {"oncall"});
    definition.failure_threshold = 2;
    definition.success_threshold = 2;
    Fixture f{one_check(definition, {notifier("oncall")})};
    f.start();
    f.record("web", Status::ok);
    f.record("web", Status::error); // one error: not reported yet
    f.record("web", Status::ok);
    CHECK(f.told("oncall").empty());
    f.record("web", Status::error);
    f.record("web", Status::error); // reported error
    f.record("web", Status::error);
    f.record("web", Status::ok);
    f.record("web", Status::error);
    CHECK(f.told("oncall") == Words{"firing error"});
    f.record("web", Status::ok);
    f.record("web", Status::ok); // reported ok
    f.record("web", Status::ok);
    CHECK(f.told("oncall") == Words{"firing error", "resolved ok"});
    const auto alerts = f.delivered("oncall");
    CHECK(alerts[0].previous == Status::ok);
    CHECK(alerts[0].check == "web");
    CHECK(alerts[0].link == "http://vitals.test:9188/#check-web");
    CHECK(alerts[0].labels.empty()); // none configured here: the reader adds `instance`
    CHECK(alerts[1].previous == Status::error);
    CHECK(alerts[1].id > alerts[0].id);
    // Nothing more however long it stays ok.
    f.pass(2h);
    CHECK(f.delivered("oncall").size() == 2);
}

TEST_CASE("alerts: none for a check suppressed by a failing dependency") {
    Fixture f{one_check(check("api", {"oncall"}), {notifier("oncall")})};
    f.start();
    f.record("api", Status::ok);
    f.record("api", Status::error, true);
    f.record("api", Status::error, true);
    f.pass(1min);
    CHECK(f.told("oncall").empty());
    f.record("api", Status::ok); // the dependency is back, and so is the check
    CHECK(f.told("oncall").empty());
    // Failing on its own account is told.
    f.record("api", Status::error);
    CHECK(f.told("oncall") == Words{"firing error"});
}

TEST_CASE("alerts: a notifier's min_status filters, and dropping below it resolves") {
    Fixture f{one_check(check("db", {"pager", "chat"}),
                        {notifier("pager", Status::error), notifier("chat", Status::warning)})};
    f.start();
    f.record("db", Status::warning);
    CHECK(f.told("pager").empty());
    CHECK(f.told("chat") == Words{"firing warning"});
    f.record("db", Status::error);
    CHECK(f.told("pager") == Words{"firing error"});
    CHECK(f.told("chat") == Words{"firing warning", "firing error"});
    f.record("db", Status::warning);
    CHECK(f.told("pager") == Words{"firing error", "resolved warning"});
    CHECK(f.told("chat") == Words{"firing warning", "firing error", "firing warning"});
}

TEST_CASE("alerts: a notifier chosen by group tells every check of the group once") {
    auto in_group = check("disk", {"team"});
    in_group.groups = {"storage"};
    auto other = check("cpu", {});
    auto team = notifier("team");
    team.groups = {"storage"};
    Configuration config = one_check(in_group, {team});
    config.checks.push_back(other);
    Fixture f{config};
    f.start();
    f.record("disk", Status::error);
    f.record("cpu", Status::error);
    const auto alerts = f.delivered("team");
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].check == "disk");
    CHECK(notifiers_for(in_group, {team}) == std::vector<std::string>{"team"});
}

TEST_CASE("alerts: reminders at the set interval while not ok, none once resolved") {
    auto oncall = notifier("oncall");
    oncall.repeat = 4h;
    Fixture f{one_check(check("backup", {"oncall"}), {oncall})};
    f.start();
    f.record("backup", Status::error);
    f.pass(3h);
    CHECK(f.told("oncall") == Words{"firing error"});
    f.pass(1h);
    CHECK(f.told("oncall") == Words{"firing error", "reminder error"});
    f.pass(4h);
    CHECK(f.told("oncall") == Words{"firing error", "reminder error", "reminder error"});
    f.record("backup", Status::ok);
    f.pass(8h);
    CHECK(f.told("oncall") ==
          Words{"firing error", "reminder error", "reminder error", "resolved ok"});
}

TEST_CASE("alerts: a firing alert is sent again at the receiver's resend interval") {
    Fixture f{one_check(check("web", {"am"}), {notifier("am")})};
    f.senders.at("am")->resend = 1min;
    // The sender is asked its interval when made: a changed definition makes it again.
    f.config.agent.notifiers[0].timeout = 5s;
    f.engine->configure(f.config, "");
    f.start();
    f.record("web", Status::error);
    f.pass(1min);
    f.pass(1min);
    CHECK(f.told("am") == Words{"firing error", "firing error", "firing error"});
    CHECK(f.delivered("am")[0].link.empty());
}

TEST_CASE("alerts: a quiet check is not told, then told as it stands once quiet ends") {
    Fixture f{one_check(check("web", {"oncall"}), {notifier("oncall")})};
    std::atomic<bool> quiet{true};
    f.engine->quiet_when([&](const std::string &, Clock::SystemTime) { return quiet.load(); });
    f.start();
    f.record("web", Status::error);
    f.pass(10min);
    CHECK(f.told("oncall").empty());
    quiet = false;
    f.pass(AlertEngine::sweep_interval);
    CHECK(f.told("oncall") == Words{"firing error"});
}

TEST_CASE("alerts: a restart sends nothing for a change already told") {
    auto ledger = std::make_shared<MemoryLedger>();
    const auto config = one_check(check("web", {"oncall"}), {notifier("oncall")});
    std::uint64_t first_id = 0;
    {
        Fixture f{config, ledger};
        f.start();
        f.record("web", Status::error);
        REQUIRE(f.told("oncall") == Words{"firing error"});
        first_id = f.delivered("oncall")[0].id;
    }
    Fixture again{config, ledger};
    again.start();
    again.record("web", Status::error);
    again.pass(1h);
    CHECK(again.told("oncall").empty());
    again.record("web", Status::ok);
    REQUIRE(again.told("oncall") == Words{"resolved ok"});
    CHECK(again.delivered("oncall")[0].id > first_id); // ids are never reused
}

TEST_CASE("alerts: a receiver that is down gets every alert in order once it is up") {
    Fixture f{one_check(check("web", {"hook"}), {notifier("hook")})};
    auto &hook = *f.senders.at("hook");
    hook.script = {DeliveryOutcome::retry("connection refused"),
                   DeliveryOutcome::retry("connection refused"),
                   DeliveryOutcome::retry("connection refused")};
    f.start();
    f.record("web", Status::error);
    f.record("web", Status::ok);
    CHECK(f.told("hook").empty());
    CHECK(f.ledger->queue.size() == 2); // kept for a restart meanwhile
    f.pass(1s);                         // backoff 1 s, then 2 s, then 4 s
    f.pass(2s);
    CHECK(f.told("hook").empty());
    f.pass(4s);
    CHECK(f.told("hook") == Words{"firing error", "resolved ok"});
    CHECK(f.ledger->queue.empty());
    const auto health = f.engine->health();
    REQUIRE(health.size() == 1);
    CHECK(health[0]->retried == 3);
    CHECK(health[0]->delivered == 2);
    CHECK(health[0]->ok);
    REQUIRE(health[0]->last_error());
    CHECK(health[0]->last_error()->error == "connection refused");
}

TEST_CASE("alerts: a refused alert is not sent again, and a full queue drops its oldest") {
    auto hook_definition = notifier("hook");
    hook_definition.queue_size = 2;
    Configuration config = one_check(check("a", {"hook"}), {hook_definition});
    config.checks.push_back(check("b", {"hook"}));
    config.checks.push_back(check("c", {"hook"}));
    Fixture f{config};
    auto &hook = *f.senders.at("hook");
    hook.script = {DeliveryOutcome::rejected("400 Bad Request")};
    f.start();
    f.record("a", Status::error); // refused: gone
    CHECK(f.told("hook").empty());
    hook.script = {DeliveryOutcome::retry("503"), DeliveryOutcome::retry("503")};
    f.record("a", Status::ok); // held by the receiver being down...
    f.record("b", Status::error);
    f.record("c", Status::error); // ...so the queue of 2 drops the oldest
    f.pass(1s);
    f.pass(2s);
    const auto health = f.engine->health();
    CHECK(health[0]->rejected == 1);
    CHECK(health[0]->dropped == 1);
    const auto alerts = f.delivered("hook");
    REQUIRE(alerts.size() == 2);
    CHECK(alerts[0].check == "b");
    CHECK(alerts[1].check == "c");
}

TEST_CASE("alerts: a notifier removed at a reload drops what it held, and the ledger forgets it") {
    Fixture f{one_check(check("web", {"hook"}), {notifier("hook")})};
    f.senders.at("hook")->script = {DeliveryOutcome::retry("connection refused")};
    f.start();
    f.record("web", Status::error); // held: the receiver is down
    REQUIRE(f.ledger->queue.size() == 1);
    REQUIRE(f.ledger->statuses.size() == 1);
    f.config.agent.notifiers.clear();
    f.config.checks[0].notify.clear();
    f.engine->configure(f.config, ""); // waits for nothing: the queue sleeps in its backoff
    f.settle();
    CHECK(f.ledger->queue.empty());
    CHECK(f.ledger->statuses.empty());
    CHECK(f.engine->health().empty());
    CHECK(f.told("hook").empty());
}
