// What the alert engine keeps in state.db: its notes and queued alerts written and read
// back, through the database and through the state keeper. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "state/alert_codec.hpp"
#include "state/state_database.hpp"
#include "state/state_keeper.hpp"
#include "support/temp_dir.hpp"

using namespace vitals;
using namespace vitals::state;
using namespace std::chrono_literals;
using vitals::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::chrono::system_clock::time_point t0 =
    std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

Alert sample_alert(std::uint64_t id) {
    Alert alert;
    alert.id = id;
    alert.kind = AlertKind::resolved;
    alert.check = "web";
    alert.status = Status::ok;
    alert.previous = Status::error;
    alert.message = "200 OK in 12 ms — fine \"quoted\"";
    alert.description = "the shop";
    alert.since = t0;
    alert.at = t0 + 1s;
    alert.host = "web-1";
    alert.labels = {{"instance", "web-1"}, {"team", "shop"}};
    alert.groups = {"live", "shop"};
    alert.link = "http://web-1:9188/#check-web";
    alert.action = "exit 0: restarted";
    return alert;
}

bool same(const Alert &a, const Alert &b) {
    return a.id == b.id && a.kind == b.kind && a.check == b.check && a.status == b.status &&
           a.previous == b.previous && a.message == b.message && a.description == b.description &&
           a.since == b.since && a.at == b.at && a.host == b.host && a.labels == b.labels &&
           a.groups == b.groups && a.link == b.link && a.action == b.action;
}

} // namespace

TEST_CASE("alert codec: a queued alert reads back as it was written") {
    const Alert alert = sample_alert(7);
    const auto back = decode_alert(encode_alert(alert));
    REQUIRE(back);
    CHECK(same(*back, alert));
    CHECK_FALSE(decode_alert("{}"));
    CHECK_FALSE(decode_alert("not json"));
    CHECK_FALSE(decode_alert(R"({"id":1,"kind":"exploded"})"));
}

TEST_CASE("state file: the alert engine's notes and queue read back, deletions included") {
    TempDir dir;
    std::vector<std::string> why;
    {
        auto opened = StateDatabase::open(dir.path(), why);
        StateBatch batch;
        batch.notified[{"web", "oncall"}] = NotifiedStatus{"web", "oncall", Status::error, t0, t0};
        batch.notified[{"db", "oncall"}] = NotifiedStatus{"db", "oncall", Status::ok, t0, t0};
        batch.queued[{"oncall", 1}] = encode_alert(sample_alert(1));
        batch.queued[{"oncall", 2}] = encode_alert(sample_alert(2));
        batch.last_alert_id = 2;
        opened.database->write(batch);
        StateBatch later;
        later.notified[{"db", "oncall"}] = std::nullopt;
        later.queued[{"oncall", 1}] = std::nullopt;
        opened.database->write(later);
    }
    const auto alerts = StateDatabase::open(dir.path(), why).saved.alerts;
    REQUIRE(alerts.notified.size() == 1);
    CHECK(alerts.notified[0] == NotifiedStatus{"web", "oncall", Status::error, t0, t0});
    REQUIRE(alerts.queued.size() == 1);
    CHECK(alerts.queued[0].notifier == "oncall");
    CHECK(same(alerts.queued[0].alert, sample_alert(2)));
    CHECK(alerts.last_alert_id == 2);
}

TEST_CASE("state file: a file of schema 1 is migrated, its checks kept, with no alert notes") {
    TempDir dir;
    Poco::Data::SQLite::Connector::registerConnector();
    {
        // What an agent before alerts left: schema 1, one check.
        Poco::Data::Session session{"SQLite", (dir.path() / "state.db").string()};
        using Poco::Data::Keywords::now;
        session << "CREATE TABLE checks(name TEXT PRIMARY KEY, identity TEXT NOT NULL,"
                   " state TEXT NOT NULL, history TEXT NOT NULL, saved_at INTEGER NOT NULL)",
            now;
        session << "CREATE TABLE transitions(id INTEGER PRIMARY KEY, check_name TEXT NOT NULL,"
                   " at INTEGER NOT NULL, status TEXT NOT NULL)",
            now;
        session << "CREATE INDEX transitions_by_check ON transitions(check_name, at)", now;
        session << "CREATE TABLE push_deadlines(name TEXT PRIMARY KEY, identity TEXT NOT NULL,"
                   " last_heard INTEGER NOT NULL, expiry_recorded INTEGER NOT NULL)",
            now;
        session << "CREATE TABLE agent(key TEXT PRIMARY KEY, value INTEGER NOT NULL)", now;
        session << "INSERT INTO push_deadlines VALUES('nightly', 'id', 1, 0)", now;
        session << "PRAGMA user_version = 1", now;
        session << "PRAGMA application_id = 1448365139", now; // "VTLS"
    }
    std::vector<std::string> why;
    const auto opened = StateDatabase::open(dir.path(), why);
    CHECK(why.empty()); // migrated, not moved aside
    CHECK(opened.saved.checks.count("nightly") == 1);
    CHECK(opened.saved.alerts.notified.empty());
    CHECK(opened.saved.alerts.queued.empty());
}

TEST_CASE("state keeper: the alert ledger is written with the next flush and given back once") {
    TempDir dir;
    const std::vector<CheckInfo> infos{};
    {
        StateKeeper keeper{dir.path(), std::make_shared<StateHealth>()};
        ResultStore results{infos};
        PushBoard push{results};
        keeper.start(results, push, {});
        AlertLedger &ledger = keeper;
        ledger.notified({"web", "oncall", Status::error, t0, t0});
        ledger.queued({"oncall", sample_alert(5)});
        ledger.queued({"oncall", sample_alert(6)});
        ledger.dequeued("oncall", 5);
        keeper.stop(); // writes what is pending, though its writer may not have begun
    }
    StateKeeper again{dir.path(), std::make_shared<StateHealth>()};
    AlertLedger &ledger = again;
    const auto saved = ledger.take_saved_alerts();
    REQUIRE(saved.notified.size() == 1);
    CHECK(saved.notified[0].status == Status::error);
    REQUIRE(saved.queued.size() == 1);
    CHECK(saved.queued[0].alert.id == 6);
    CHECK(saved.last_alert_id == 6);
    CHECK(ledger.take_saved_alerts().queued.empty());
}
