// State kept across restarts: transitions and uptime, what is saved, the SQLite file and
// what becomes of a file that cannot be read. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "results/result_store.hpp"
#include "results/transition_log.hpp"
#include "state/state_codec.hpp"
#include "state/state_database.hpp"
#include "support/temp_dir.hpp"

using namespace vitals;
using namespace vitals::state;
using namespace std::chrono_literals;
using vitals::test::TempDir;
using TimePoint = std::chrono::system_clock::time_point;
namespace fs = std::filesystem;

namespace {

// Near now: restoring trims transitions by age against the real clock.
const TimePoint t0 =
    std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());

Transition at(std::chrono::system_clock::duration offset, std::optional<Status> status) {
    return {t0 + offset, status};
}

std::vector<fs::path> files_in(const fs::path &dir) {
    std::vector<fs::path> names;
    for (const auto &entry : fs::directory_iterator{dir})
        names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

bool has_file_starting(const fs::path &dir, const std::string &prefix) {
    for (const auto &name : files_in(dir))
        if (name.string().rfind(prefix, 0) == 0) return true;
    return false;
}

CheckResult result(Status status, TimePoint started, std::string message = "fine") {
    CheckResult r;
    r.status = status;
    r.message = std::move(message);
    r.started = started;
    r.duration = 1500us;
    r.metrics = {{"used", 42.5, "percent"}, {"free", 1e12, "bytes"}};
    return r;
}

ResultStore store_of(const std::string &name) {
    CheckInfo info;
    info.name = name;
    info.groups = {"startup"};
    return ResultStore{{info}};
}

/// A state file a previous agent wrote, with one check "c" in it.
SavedState saved_after_one_run(const fs::path &dir) {
    std::vector<std::string> why;
    auto opened = StateDatabase::open(dir, why);
    ResultStore store = store_of("c");
    store.record("c", result(Status::warning, t0));
    StateBatch batch;
    batch.alive_at = t0 + 5s;
    batch.checks.push_back(
        {"c", "id-1", encode_state(*store.state("c")), encode_history(store.history("c"))});
    batch.transitions.push_back({"c", at(0s, Status::warning)});
    batch.deadlines.push_back({"c", "id-1", {t0 + 2s, true}});
    opened.database->write(batch);
    opened.database.reset();
    return StateDatabase::open(dir, why).saved;
}

} // namespace

// ---------------------------------------------------------------- transitions and uptime

TEST_CASE("uptime: ok and warning time over the time the status was known") {
    TransitionLog log;
    CHECK(log.add(at(0s, Status::ok)));
    CHECK_FALSE(log.add(at(10s, Status::ok))); // no change, no transition
    CHECK(log.add(at(60s, Status::error)));
    CHECK(log.add(at(90s, Status::warning)));
    // 60 s up, 30 s down, 10 s up (warning counts as up) in the last 100 s.
    CHECK(log.uptime(100s, t0 + 100s).value() == doctest::Approx(0.7));
    // A window that starts inside the error: 30 s of it down, 10 s up.
    CHECK(log.uptime(40s, t0 + 100s).value() == doctest::Approx(0.25));
    // Before the first transition nothing was known: it does not count either way.
    CHECK(log.uptime(24h, t0 + 100s).value() == doctest::Approx(0.7));
}

TEST_CASE("uptime: time with nothing known is left out, and none at all is no figure") {
    TransitionLog log;
    CHECK_FALSE(log.uptime(24h, t0).has_value());
    log.add(at(0s, Status::error));
    log.add(at(10s, std::nullopt)); // the agent stopped
    log.add(at(100s, Status::ok));
    CHECK(log.uptime(24h, t0 + 110s).value() == doctest::Approx(0.5));
    CHECK_FALSE(TransitionLog{}.uptime(24h, t0 + 110s).has_value());
    TransitionLog unknown_only;
    unknown_only.add(at(0s, std::nullopt));
    CHECK_FALSE(unknown_only.uptime(24h, t0 + 10s).has_value());
}

TEST_CASE("uptime: a clock stepped back never makes the log run backwards") {
    TransitionLog log;
    log.add(at(100s, Status::ok));
    log.add(at(50s, Status::error)); // dated before the last: taken as at the same time
    CHECK(log.entries().back().at == t0 + 100s);
    CHECK(log.uptime(24h, t0 + 200s).value() == doctest::Approx(0.0));
}

TEST_CASE("transition log: bounded by count and by age, keeping the status at the boundary") {
    TransitionLog log;
    for (std::size_t i = 0; i < TransitionLog::max_entries + 10; ++i)
        log.add(at(std::chrono::seconds{i}, i % 2 ? Status::error : Status::ok));
    CHECK(log.entries().size() == TransitionLog::max_entries);
    CHECK(log.entries().front().at == t0 + 10s);

    TransitionLog old;
    old.add(at(0s, Status::error));
    old.add(at(1h, Status::ok));
    old.add(at(std::chrono::hours{24 * 100}, Status::warning));
    // The first is older than kept_for and not the last before it: gone. The second says
    // what the status was when the kept time begins, so it stays.
    REQUIRE(old.entries().size() == 2);
    CHECK(old.entries().front().status == Status::ok);
}

TEST_CASE("transition log: saved transitions are read back in order, trimmed at the time given") {
    const TransitionLog log{{at(50s, Status::error), at(0s, Status::ok), at(60s, Status::error)},
                            t0 + 100s};
    REQUIRE(log.entries().size() == 2); // the repeated error is one transition
    CHECK(log.entries()[0] == at(0s, Status::ok));
    CHECK(log.entries()[1] == at(50s, Status::error));
    const TransitionLog stale{{at(0s, Status::ok), at(10s, Status::error)},
                              t0 + std::chrono::hours{24 * 200}};
    CHECK(stale.entries().size() == 1); // only the status in force when the kept time begins
}

// ---------------------------------------------------------------- restoring results

TEST_CASE("results: a restored check shows its last result, marked, until its first run here") {
    ResultStore before = store_of("c");
    before.record("c", result(Status::ok, t0));
    before.record("c", result(Status::error, t0 + 10s, "down"));
    PastCheck past{*before.state("c"), before.history("c"),
                   before.state("c")->transitions->entries(), t0 + 15s};

    ResultStore after = store_of("c");
    CHECK(after.restore("c", past));
    const auto restored = after.state("c");
    CHECK(restored->restored);
    CHECK(restored->last->message == "down");
    CHECK(restored->reported == Status::error);
    CHECK(restored->consecutive == 1);
    CHECK(restored->runs_by_status == std::array<std::uint64_t, 3>{}); // counted since start
    CHECK_FALSE(after.startup_complete()); // this agent has not seen it pass yet
    CHECK(after.history("c").size() == 2);
    // Its log: ok, error, then nothing known from when the old agent was last alive.
    const auto &log = restored->transitions->entries();
    REQUIRE(log.size() == 3);
    CHECK(log.back() == at(15s, std::nullopt));

    CHECK_FALSE(after.restore("c", past)); // once only, and never over a result of this run
    after.record("c", result(Status::ok, t0 + 100s));
    CHECK_FALSE(after.state("c")->restored);
    CHECK(after.state("c")->transitions->current() == Status::ok);
    CHECK(after.startup_complete());
    CHECK_FALSE(after.restore("unknown", past));
}

TEST_CASE("results: an observer hears of every change and transition") {
    struct Heard final : ResultObserver {
        std::vector<std::string> checks_changed;
        std::vector<Transition> transitions;
        void transitioned(const std::string &, const Transition &t) override {
            transitions.push_back(t);
        }
        void changed(const std::string &check) override { checks_changed.push_back(check); }
    } heard;
    ResultStore store = store_of("c");
    store.observe(&heard);
    store.record("c", result(Status::ok, t0));
    store.record("c", result(Status::ok, t0 + 1s));
    store.record("c", result(Status::error, t0 + 2s));
    CHECK(heard.checks_changed.size() == 3);
    REQUIRE(heard.transitions.size() == 2);
    CHECK(heard.transitions[1].status == Status::error);
    // A second observer hears what follows, the first only until it is forgotten.
    decltype(heard) also;
    store.observe(&also);
    store.record("c", result(Status::ok, t0 + 3s));
    CHECK(heard.checks_changed.size() == 4);
    CHECK(also.checks_changed.size() == 1);
    store.forget(&heard);
    store.record("c", result(Status::ok, t0 + 4s));
    CHECK(heard.checks_changed.size() == 4);
    CHECK(also.checks_changed.size() == 2);
}

TEST_CASE("results: an action's note goes on the newest run, and observers hear of it") {
    struct Heard final : ResultObserver {
        std::vector<std::string> checks_changed;
        void transitioned(const std::string &, const Transition &) override {}
        void changed(const std::string &check) override { checks_changed.push_back(check); }
    } heard;
    ResultStore store = store_of("c");
    CHECK_FALSE(store.note_action("c", "exit 0")); // no run yet: nothing to note it on
    store.record("c", result(Status::error, t0));
    store.record("c", result(Status::error, t0 + 1s));
    store.observe(&heard);
    const auto version = store.version();
    CHECK(store.note_action("c", "exit 0: restarted"));
    CHECK(store.version() != version);
    CHECK(heard.checks_changed == std::vector<std::string>{"c"});
    const auto history = store.history("c");
    CHECK(history[0].action == "exit 0: restarted");
    CHECK(history[1].action.empty());
    CHECK_FALSE(store.note_action("unknown", "exit 0"));
    store.forget(&heard);
}

// ---------------------------------------------------------------- what is saved

TEST_CASE("state codec: a check's state and history read back as they were written") {
    ResultStore store = store_of("c");
    store.record("c", result(Status::ok, t0));
    store.record("c", result(Status::warning, t0 + 1s, "line one\n\"quoted\" ünïcode"));
    const auto state = decode_state(encode_state(*store.state("c")));
    REQUIRE(state);
    const CheckState &original = *store.state("c");
    CHECK(state->last->status == Status::warning);
    CHECK(state->last->message == original.last->message);
    CHECK(state->last->metrics.size() == 2);
    CHECK(state->last->metrics[1].value == doctest::Approx(1e12));
    CHECK(state->last->duration == 1500us);
    CHECK(state->last->started == t0 + 1s);
    CHECK(state->reported == original.reported);
    CHECK(state->status_since == original.status_since);
    CHECK(state->at_least == original.at_least);
    CHECK(state->at_most == original.at_most);
    // An on_failure action's note, on the newest run only.
    CHECK(store.note_action("c", "exit 1: still down"));
    const auto history = decode_history(encode_history(store.history("c")));
    REQUIRE(history);
    REQUIRE(history->size() == 2);
    CHECK((*history)[0].message == original.last->message);
    CHECK((*history)[0].action == "exit 1: still down");
    CHECK((*history)[1].status == Status::ok);
    CHECK((*history)[1].action.empty());
    CHECK_FALSE(decode_state("{\"reported\":\"fine\"}"));
    CHECK_FALSE(decode_state("not json"));
    CHECK_FALSE(decode_history("{}"));
}

// ---------------------------------------------------------------- the file

TEST_CASE("state file: what one agent writes the next reads back") {
    TempDir dir;
    const SavedState saved = saved_after_one_run(dir.path() / "state");
    REQUIRE(saved.checks.count("c") == 1);
    const SavedCheck &check = saved.checks.at("c");
    CHECK(check.identity == "id-1");
    REQUIRE(check.past);
    CHECK(check.past->state.last->status == Status::warning);
    CHECK(check.past->history.size() == 1);
    CHECK(check.past->transitions == std::vector{at(0s, Status::warning)});
    CHECK(check.past->last_alive == t0 + 5s);
    REQUIRE(check.deadline);
    CHECK(check.deadline->last_heard == t0 + 2s);
    CHECK(check.deadline->expiry_recorded);
    // Only its owner may read it.
    struct stat info {};
    REQUIRE(::stat((dir.path() / "state").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0700);
}

TEST_CASE(
    "state file: the identity key is made once, kept beside it, and only its owner reads it") {
    TempDir dir;
    std::vector<std::string> why;
    std::string key;
    {
        const auto opened = StateDatabase::open(dir.path(), why);
        key = opened.identity_key;
    }
    CHECK(key.size() == 64);
    CHECK(StateDatabase::open(dir.path(), why).identity_key == key);
    struct stat info {};
    REQUIRE(::stat((dir.path() / "identity.key").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    // A damaged key is replaced: what was saved under the old one no longer matches.
    dir.write("identity.key", "not a key\n");
    const std::string replaced = StateDatabase::open(dir.path(), why).identity_key;
    CHECK(replaced.size() == 64);
    CHECK(replaced != key);
}

TEST_CASE("state file: forgetting a check removes all it had") {
    TempDir dir;
    const fs::path state_dir = dir.path() / "state";
    saved_after_one_run(state_dir);
    std::vector<std::string> why;
    auto opened = StateDatabase::open(state_dir, why);
    StateBatch batch;
    batch.forget = {"c"};
    opened.database->write(batch);
    opened.database.reset();
    CHECK(StateDatabase::open(state_dir, why).saved.checks.empty());
}

TEST_CASE("state file: one agent at a time") {
    TempDir dir;
    std::vector<std::string> why;
    auto first = StateDatabase::open(dir.path(), why);
    CHECK_THROWS_WITH_AS(StateDatabase::open(dir.path(), why),
                         doctest::Contains("in use by another vitalsd"), StateUnavailable);
    first.database.reset();
    CHECK_NOTHROW(StateDatabase::open(dir.path(), why));
}

TEST_CASE("state file: one that cannot be read is moved aside, named, and a fresh one started") {
    struct Case {
        const char *what;
        void (*spoil)(const fs::path &file);
        const char *reason;
        const char *moved_as;
    };
    const Case cases[] = {
        {"text", [](const fs::path &file) { std::ofstream{file} << "hello, not a database\n"; },
         "cannot be read", "state.db.corrupt-"},
        {"truncated",
         [](const fs::path &file) { fs::resize_file(file, fs::file_size(file) / 2 + 100); }, "",
         "state.db.corrupt-"},
        {"another program's",
         [](const fs::path &file) {
             fs::remove(file);
             Poco::Data::SQLite::Connector::registerConnector();
             Poco::Data::Session session{"SQLite", file.string()};
             session << "CREATE TABLE songs(title TEXT)", Poco::Data::Keywords::now;
         },
         "not a Vitals state file", "state.db.foreign-"},
        {"newer",
         [](const fs::path &file) {
             Poco::Data::Session session{"SQLite", file.string()};
             session << "PRAGMA user_version = 7", Poco::Data::Keywords::now;
         },
         "newer Vitals (schema 7", "state.db.newer-"},
    };
    for (const auto &c : cases) {
        CAPTURE(c.what);
        TempDir dir;
        const fs::path state_dir = dir.path() / "state";
        saved_after_one_run(state_dir);
        c.spoil(state_dir / "state.db");
        std::vector<std::string> why;
        const auto opened = StateDatabase::open(state_dir, why);
        CHECK(opened.database);
        // A truncated file may still open: then it lost rows, or it is moved aside.
        if (std::string{c.what} == "truncated" && why.empty()) continue;
        REQUIRE(why.size() == 1);
        CHECK(why[0].find((state_dir / "state.db").string()) != std::string::npos);
        CHECK(why[0].find(c.reason) != std::string::npos);
        CHECK(opened.saved.checks.empty());
        CHECK(has_file_starting(state_dir, c.moved_as));
    }
}

TEST_CASE("state file: transitions are pruned by age and by count per check") {
    TempDir dir;
    std::vector<std::string> why;
    auto opened = StateDatabase::open(dir.path(), why);
    StateBatch batch;
    const TimePoint now = t0 + std::chrono::hours{24 * 200};
    batch.alive_at = now;
    batch.checks.push_back({"c", "id", encode_state(CheckState{}), "[]"});
    batch.transitions.push_back({"c", at(0s, Status::ok)}); // older than kept_for
    for (std::size_t i = 0; i < TransitionLog::max_entries + 5; ++i)
        batch.transitions.push_back(
            {"c", {now - std::chrono::seconds{10'000 - i}, i % 2 ? Status::ok : Status::error}});
    opened.database->write(batch);
    opened.database->prune(now);
    opened.database.reset();
    const auto saved = StateDatabase::open(dir.path(), why).saved;
    REQUIRE(saved.checks.at("c").past);
    const auto &transitions = saved.checks.at("c").past->transitions;
    CHECK(transitions.size() == TransitionLog::max_entries);
    CHECK(transitions.front().at == now - std::chrono::seconds{10'000 - 5});
}

TEST_CASE("state file: a directory that cannot be made is unavailable, with the reason") {
    TempDir dir;
    dir.write("file", "in the way");
    std::vector<std::string> why;
    CHECK_THROWS_WITH_AS(StateDatabase::open(dir.path() / "file" / "state", why),
                         doctest::Contains("cannot create"), StateUnavailable);
}

TEST_CASE("state file: silences and maintenance read back as written, and a write replaces them") {
    TempDir dir;
    std::vector<std::string> why;
    const TimePoint at =
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
    {
        auto opened = StateDatabase::open(dir.path(), why);
        StateBatch batch;
        batch.alive_at = at;
        batch.quiet = SilenceListing{
            {{"disk", at + 2h, "deploy", "resize", at}, {"cpu", at + 1h, "anonymous", "", at}},
            {},
            Maintenance{"kernel", "ops", at, std::nullopt}};
        opened.database->write(batch);
    }
    auto saved = StateDatabase::open(dir.path(), why).saved;
    REQUIRE(saved.silences.size() == 2);
    const auto disk = std::find_if(saved.silences.begin(), saved.silences.end(),
                                   [](const Silence &s) { return s.check == "disk"; });
    REQUIRE(disk != saved.silences.end());
    CHECK(*disk == Silence{"disk", at + 2h, "deploy", "resize", at});
    REQUIRE(saved.maintenance);
    CHECK(*saved.maintenance == Maintenance{"kernel", "ops", at, std::nullopt});
    {
        auto opened = StateDatabase::open(dir.path(), why);
        StateBatch batch;
        batch.alive_at = at;
        batch.quiet = SilenceListing{{}, {}, Maintenance{"again", "ops", at, at + 30min}};
        opened.database->write(batch);
        StateBatch unchanged; // no `quiet`: what is there stays
        unchanged.alive_at = at;
        opened.database->write(unchanged);
    }
    saved = StateDatabase::open(dir.path(), why).saved;
    CHECK(saved.silences.empty());
    REQUIRE(saved.maintenance);
    CHECK(saved.maintenance->until == at + 30min);
    CHECK(why.empty());
}
