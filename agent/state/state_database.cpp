// SPDX-License-Identifier: MIT
#include "state/state_database.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Statement.h>
#include <Poco/Data/Transaction.h>
#include <Poco/DigestEngine.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>
#include <fmt/format.h>

#include "core/utc_time.hpp"
#include "state/alert_codec.hpp"
#include "state/state_codec.hpp"

namespace vitals::state {
namespace fs = std::filesystem;
using namespace Poco::Data::Keywords;

namespace {

/// Marks the file as ours ("VTLS"): another program's SQLite file is not read as state.
constexpr int application_id = 0x56544c53;

/// The schema, one step per version: step i takes a file from version i to i + 1. A step
/// is never edited once released; a change is a new step.
const std::vector<std::vector<std::string_view>> migrations = {
    {
        "CREATE TABLE checks(name TEXT PRIMARY KEY, identity TEXT NOT NULL,"
        " state TEXT NOT NULL, history TEXT NOT NULL, saved_at INTEGER NOT NULL)",
        // status: a Status word, or '' when nothing was known from then on.
        "CREATE TABLE transitions(id INTEGER PRIMARY KEY, check_name TEXT NOT NULL,"
        " at INTEGER NOT NULL, status TEXT NOT NULL)",
        "CREATE INDEX transitions_by_check ON transitions(check_name, at)",
        "CREATE TABLE push_deadlines(name TEXT PRIMARY KEY, identity TEXT NOT NULL,"
        " last_heard INTEGER NOT NULL, expiry_recorded INTEGER NOT NULL)",
        "CREATE TABLE agent(key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    },
    {
        // What each notifier was last told of each check (alerts/alert_engine).
        "CREATE TABLE alert_notified(check_name TEXT NOT NULL, notifier TEXT NOT NULL,"
        " status TEXT NOT NULL, sent_at INTEGER NOT NULL, reminded_at INTEGER NOT NULL,"
        " PRIMARY KEY(check_name, notifier))",
        // Alerts waiting for their receiver, as alert_codec's JSON.
        "CREATE TABLE alert_queue(notifier TEXT NOT NULL, id INTEGER NOT NULL,"
        " alert TEXT NOT NULL, PRIMARY KEY(notifier, id))",
        // Silences and the agent's maintenance mode (alerts/silence_board.hpp). Times in
        // microseconds since the epoch, as elsewhere; a maintenance `until` of NULL: open-ended.
        "CREATE TABLE silences(check_name TEXT PRIMARY KEY, until INTEGER NOT NULL,"
        " by TEXT NOT NULL, reason TEXT NOT NULL, created INTEGER NOT NULL)",
        "CREATE TABLE maintenance(id INTEGER PRIMARY KEY CHECK (id = 1), reason TEXT NOT NULL,"
        " by TEXT NOT NULL, since INTEGER NOT NULL, until INTEGER)",
    },
};
static_assert(StateDatabase::schema_version == 2, "add the step to `migrations`");

/// The file cannot be read as our state: `what` says why, for the warning.
struct Unreadable {
    std::string what;
    std::string_view suffix; ///< the name it is moved aside under: state.db.<suffix>-<time>
};

plugins::UniqueFd lock_directory(const fs::path &dir) {
    std::error_code ec;
    // Only its owner reads it: check messages can say more than /health shows anonymously.
    if (fs::create_directories(dir, ec)) fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) throw StateUnavailable(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    const fs::path lock_path = dir / "state.lock";
    plugins::UniqueFd lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
    if (!lock.valid()) {
        const int error = errno;
        // Typically files left by vitalsd run by hand as root, beside a service user's.
        const std::string whose = error == EACCES
                                      ? fmt::format(" (this agent runs as uid {}: is the directory "
                                                    "another user's?)",
                                                    ::geteuid())
                                      : "";
        throw StateUnavailable(
            fmt::format("cannot open {}: {}{}", lock_path.string(), std::strerror(error), whose));
    }
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
        throw StateUnavailable(fmt::format("{} is in use by another vitalsd", dir.string()));
    return lock;
}

/// The key check identities are digested with (`state_dir`/identity.key, 32 random bytes in
/// hex), made on first use. A definition can hold a password: the key keeps its digest in
/// state.db, or a copy of it, from being tried against guesses without the key as well.
std::string identity_key(const fs::path &dir) {
    const fs::path path = dir / "identity.key";
    std::string key;
    std::ifstream{path} >> key;
    const bool well_formed =
        key.size() == 64 && key.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (well_formed) return key;
    Poco::DigestEngine::Digest bytes(32);
    if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
        throw StateUnavailable(
            fmt::format("cannot make {}: {}", path.string(), std::strerror(errno)));
    key = Poco::DigestEngine::digestToHex(bytes);
    // A new key: whatever was saved under the old one starts afresh, as it should.
    const fs::path written = path.string() + ".new";
    plugins::UniqueFd file{::open(written.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    const std::string line = key + "\n";
    if (!file.valid() ||
        ::write(file.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(file.get()) != 0 || ::rename(written.c_str(), path.c_str()) != 0)
        throw StateUnavailable(
            fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    return key;
}

int pragma(Poco::Data::Session &session, const std::string &name) {
    int value = 0;
    session << "PRAGMA " + name, into(value), now;
    return value;
}

/// Throws Unreadable unless `session` holds our state, at a version this agent reads, whole.
void check_readable(Poco::Data::Session &session) {
    int tables = 0;
    session << "SELECT count(*) FROM sqlite_master", into(tables), now;
    const int id = pragma(session, "application_id");
    const int version = pragma(session, "user_version");
    if (tables == 0 && id == 0 && version == 0) return; // new and empty: ours to set up
    if (id != application_id)
        throw Unreadable{"it is not a Vitals state file (another program's database)", "foreign"};
    if (version > StateDatabase::schema_version)
        throw Unreadable{fmt::format("it was written by a newer Vitals (schema {}, this agent "
                                     "reads up to {})",
                                     version, StateDatabase::schema_version),
                         "newer"};
    std::string verdict;
    session << "PRAGMA quick_check(1)", into(verdict), now;
    if (verdict != "ok") throw Unreadable{"it is damaged: " + verdict, "corrupt"};
}

void migrate(Poco::Data::Session &session) {
    for (int version = pragma(session, "user_version"); version < StateDatabase::schema_version;
         ++version) {
        Poco::Data::Transaction transaction{session};
        for (const auto statement : migrations[static_cast<std::size_t>(version)])
            session << std::string{statement}, now;
        session << fmt::format("PRAGMA user_version = {}", version + 1), now;
        transaction.commit();
    }
    session << fmt::format("PRAGMA application_id = {}", application_id), now;
}

Poco::Data::Session open_session(const fs::path &path) {
    Poco::Data::Session session{"SQLite", path.string()};
    try {
        check_readable(session);
    } catch (const Poco::Exception &e) {
        // SQLite says "file is not a database" or "database disk image is malformed".
        throw Unreadable{"it cannot be read: " + e.displayText(), "corrupt"};
    }
    // WAL: a reader never waits for the writer, and a kill -9 at any instant leaves either
    // the last transaction or the one before, never half of one. NORMAL syncs at
    // checkpoints: a crash of the agent loses nothing; of the machine, the last moments.
    std::string mode;
    session << "PRAGMA journal_mode = WAL", into(mode), now;
    session << "PRAGMA synchronous = NORMAL", now;
    migrate(session);
    return session;
}

/// Moves `path` and its WAL files aside under `suffix` and the time; returns where to.
fs::path move_aside(const fs::path &path, std::string_view suffix) {
    const std::string stamp = format_utc(std::chrono::system_clock::now());
    const fs::path aside = path.string() + fmt::format(".{}-{}", suffix, stamp);
    for (const std::string_view extra : {"", "-wal", "-shm"}) {
        std::error_code ec;
        const fs::path from = path.string() + std::string{extra};
        if (fs::exists(from, ec)) fs::rename(from, aside.string() + std::string{extra}, ec);
        if (ec)
            throw StateUnavailable(
                fmt::format("cannot move {} aside: {}", from.string(), ec.message()));
    }
    return aside;
}

using Rows = std::vector<Poco::Tuple<std::string, std::string, std::string, std::string>>;

std::vector<Transition> transitions_of(Poco::Data::Session &session, std::string name) {
    std::vector<Poco::Tuple<std::int64_t, std::string>> rows;
    session << "SELECT at, status FROM transitions WHERE check_name = ? ORDER BY at, id", use(name),
        into(rows), now;
    std::vector<Transition> transitions;
    for (const auto &row : rows)
        transitions.push_back({from_micros(row.get<0>()), status_from_text(row.get<1>())});
    return transitions;
}

AlertLedger::Contents read_alerts(Poco::Data::Session &session) {
    AlertLedger::Contents alerts;
    std::vector<Poco::Tuple<std::string, std::string, std::string, std::int64_t, std::int64_t>>
        notified;
    session << "SELECT check_name, notifier, status, sent_at, reminded_at FROM alert_notified",
        into(notified), now;
    for (const auto &row : notified)
        if (const auto status = status_from_text(row.get<2>()))
            alerts.notified.push_back({row.get<0>(), row.get<1>(), *status,
                                       from_micros(row.get<3>()), from_micros(row.get<4>())});
    std::vector<Poco::Tuple<std::string, std::string>> queued;
    session << "SELECT notifier, alert FROM alert_queue ORDER BY id", into(queued), now;
    for (const auto &row : queued)
        if (auto alert = decode_alert(row.get<1>()))
            alerts.queued.push_back({row.get<0>(), std::move(*alert)});
    std::int64_t last_id = 0;
    session << "SELECT coalesce(max(value), 0) FROM agent WHERE key = 'last_alert_id'",
        into(last_id), now;
    alerts.last_alert_id = static_cast<std::uint64_t>(last_id);
    return alerts;
}

void read_quiet(Poco::Data::Session &session, SavedState &saved) {
    std::vector<Poco::Tuple<std::string, std::int64_t, std::string, std::string, std::int64_t>>
        silences;
    session << "SELECT check_name, until, by, reason, created FROM silences", into(silences), now;
    for (const auto &row : silences)
        saved.silences.push_back({row.get<0>(), from_micros(row.get<1>()), row.get<2>(),
                                  row.get<3>(), from_micros(row.get<4>())});
    std::vector<Poco::Tuple<std::string, std::string, std::int64_t, Poco::Nullable<std::int64_t>>>
        maintenance;
    session << "SELECT reason, by, since, until FROM maintenance", into(maintenance), now;
    for (const auto &row : maintenance) {
        saved.maintenance =
            Maintenance{row.get<0>(), row.get<1>(), from_micros(row.get<2>()), std::nullopt};
        if (!row.get<3>().isNull()) saved.maintenance->until = from_micros(row.get<3>().value());
    }
}

void write_quiet(Poco::Data::Session &session, const SilenceListing &quiet) {
    session << "DELETE FROM silences", now;
    session << "DELETE FROM maintenance", now;
    for (Silence silence : quiet.silences)
        session << "INSERT INTO silences(check_name, until, by, reason, created)"
                   " VALUES(?, ?, ?, ?, ?)",
            use(silence.check), bind(to_micros(silence.until)), use(silence.by),
            use(silence.reason), bind(to_micros(silence.created)), now;
    if (!quiet.maintenance) return;
    Maintenance maintenance = *quiet.maintenance;
    Poco::Nullable<std::int64_t> until;
    if (maintenance.until) until = to_micros(*maintenance.until);
    session << "INSERT INTO maintenance(id, reason, by, since, until) VALUES(1, ?, ?, ?, ?)",
        use(maintenance.reason), use(maintenance.by), bind(to_micros(maintenance.since)),
        use(until), now;
}

/// Every check saved in `session`. Throws Unreadable when the tables themselves cannot be
/// read; a row that cannot be understood only costs that check its state.
SavedState read_all(Poco::Data::Session &session) {
    try {
        SavedState saved;
        std::int64_t alive_at = 0;
        session << "SELECT value FROM agent WHERE key = 'alive_at'", into(alive_at), now;
        Rows checks;
        session << "SELECT name, identity, state, history FROM checks", into(checks), now;
        for (const auto &row : checks) {
            SavedCheck &check = saved.checks[row.get<0>()];
            check.identity = row.get<1>();
            auto state = decode_state(row.get<2>());
            auto history = decode_history(row.get<3>());
            if (!state || !history) {
                saved.unreadable.push_back(row.get<0>());
                continue;
            }
            check.past = PastCheck{std::move(*state), std::move(*history),
                                   transitions_of(session, row.get<0>()), from_micros(alive_at)};
        }
        std::vector<Poco::Tuple<std::string, std::string, std::int64_t, int>> deadlines;
        session << "SELECT name, identity, last_heard, expiry_recorded FROM push_deadlines",
            into(deadlines), now;
        for (const auto &row : deadlines) {
            SavedCheck &check = saved.checks[row.get<0>()];
            if (check.identity.empty()) check.identity = row.get<1>();
            if (check.identity != row.get<1>()) continue; // from a definition since changed
            check.deadline = PushInbox::Deadline{from_micros(row.get<2>()), row.get<3>() != 0};
        }
        saved.alerts = read_alerts(session);
        read_quiet(session, saved);
        return saved;
    } catch (const Poco::Exception &e) {
        throw Unreadable{"it cannot be read: " + e.displayText(), "corrupt"};
    }
}

} // namespace

StateDatabase::StateDatabase(fs::path path, plugins::UniqueFd lock, Poco::Data::Session session)
    : path_(std::move(path)), lock_(std::move(lock)), session_(std::move(session)) {}

StateDatabase::Opened StateDatabase::open(const fs::path &dir, std::vector<std::string> &why) {
    Poco::Data::SQLite::Connector::registerConnector();
    auto lock = lock_directory(dir);
    const std::string key = identity_key(dir);
    const fs::path path = dir / "state.db";
    // What cannot be read is moved aside once and a fresh file started; if even that
    // fails, the directory is unusable.
    for (int attempt = 0;; ++attempt) {
        try {
            auto session = open_session(path);
            SavedState saved = read_all(session);
            return {std::unique_ptr<StateDatabase>(
                        new StateDatabase(path, std::move(lock), std::move(session))),
                    std::move(saved), key};
        } catch (const Unreadable &unreadable) {
            if (attempt > 0)
                throw StateUnavailable(fmt::format("{}: {}", path.string(), unreadable.what));
            const fs::path aside = move_aside(path, unreadable.suffix);
            why.push_back(fmt::format("{}: {}; moved to {}, starting afresh", path.string(),
                                      unreadable.what, aside.filename().string()));
        } catch (const Poco::Exception &e) {
            throw StateUnavailable(fmt::format("{}: {}", path.string(), e.displayText()));
        }
    }
}

void StateDatabase::write(const StateBatch &batch) {
    Poco::Data::Transaction transaction{session_};
    for (std::string name : batch.forget) {
        session_ << "DELETE FROM checks WHERE name = ?", use(name), now;
        session_ << "DELETE FROM transitions WHERE check_name = ?", use(name), now;
        session_ << "DELETE FROM push_deadlines WHERE name = ?", use(name), now;
    }
    const std::int64_t saved_at = to_micros(batch.alive_at);
    for (StateBatch::CheckRow row : batch.checks)
        session_ << "INSERT OR REPLACE INTO checks(name, identity, state, history, saved_at)"
                    " VALUES(?, ?, ?, ?, ?)",
            use(row.name), use(row.identity), use(row.state), use(row.history), bind(saved_at), now;
    for (const auto &[check, transition] : batch.transitions) {
        std::string name = check;
        std::string status{transition.status ? to_string(*transition.status) : ""};
        session_ << "INSERT INTO transitions(check_name, at, status) VALUES(?, ?, ?)", use(name),
            bind(to_micros(transition.at)), use(status), now;
    }
    for (StateBatch::DeadlineRow row : batch.deadlines)
        session_ << "INSERT OR REPLACE INTO push_deadlines(name, identity, last_heard,"
                    " expiry_recorded) VALUES(?, ?, ?, ?)",
            use(row.name), use(row.identity), bind(to_micros(row.deadline.last_heard)),
            bind(row.deadline.expiry_recorded ? 1 : 0), now;
    write_alerts(batch);
    if (batch.quiet) write_quiet(session_, *batch.quiet);
    session_ << "INSERT OR REPLACE INTO agent(key, value) VALUES('alive_at', ?)", bind(saved_at),
        now;
    transaction.commit();
}

void StateDatabase::write_alerts(const StateBatch &batch) {
    for (const auto &[key, row] : batch.notified) {
        std::string check = key.first, notifier = key.second;
        if (!row) {
            session_ << "DELETE FROM alert_notified WHERE check_name = ? AND notifier = ?",
                use(check), use(notifier), now;
            continue;
        }
        std::string status{to_string(row->status)};
        session_ << "INSERT OR REPLACE INTO alert_notified(check_name, notifier, status, sent_at,"
                    " reminded_at) VALUES(?, ?, ?, ?, ?)",
            use(check), use(notifier), use(status), bind(to_micros(row->sent_at)),
            bind(to_micros(row->reminded_at)), now;
    }
    for (const auto &[key, alert] : batch.queued) {
        std::string notifier = key.first;
        const auto id = static_cast<std::int64_t>(key.second);
        if (!alert) {
            session_ << "DELETE FROM alert_queue WHERE notifier = ? AND id = ?", use(notifier),
                bind(id), now;
            continue;
        }
        std::string text = *alert;
        session_ << "INSERT OR REPLACE INTO alert_queue(notifier, id, alert) VALUES(?, ?, ?)",
            use(notifier), bind(id), use(text), now;
    }
    if (batch.last_alert_id != 0)
        session_ << "INSERT OR REPLACE INTO agent(key, value) VALUES('last_alert_id', ?)",
            bind(static_cast<std::int64_t>(batch.last_alert_id)), now;
}

void StateDatabase::prune(std::chrono::system_clock::time_point now_time) {
    const std::int64_t oldest = to_micros(now_time - TransitionLog::kept_for);
    const auto most = static_cast<std::int64_t>(TransitionLog::max_entries);
    Poco::Data::Transaction transaction{session_};
    session_ << "DELETE FROM transitions WHERE at < ?", bind(oldest), now;
    session_ << "DELETE FROM transitions WHERE id IN (SELECT id FROM (SELECT id, row_number()"
                " OVER (PARTITION BY check_name ORDER BY at DESC, id DESC) AS newer"
                " FROM transitions) WHERE newer > ?)",
        bind(most), now;
    transaction.commit();
}

} // namespace vitals::state
