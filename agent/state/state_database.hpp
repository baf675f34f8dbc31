// The SQLite file that keeps state across restarts: opened, checked and migrated, or moved
// aside. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <vitals_plugins/fd.hpp>

#include "alerts/alert_ledger.hpp"
#include "alerts/silence_board.hpp"
#include "push/push_inbox.hpp"
#include "results/result_store.hpp"

namespace vitals::state {

/// The state directory cannot be used at all (not writable, in use by another agent).
class StateUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One check as a previous agent saved it.
struct SavedCheck {
    std::string identity;          ///< restore_identity() of the definition it ran under
    std::optional<PastCheck> past; ///< nullopt when its row could not be read
    std::optional<PushInbox::Deadline> deadline; ///< push checks only
};

/// Everything read back at start, by check name.
struct SavedState {
    std::map<std::string, SavedCheck> checks;
    /// Silences and maintenance as last written, expired ones included (the board drops them).
    std::vector<Silence> silences;
    std::optional<Maintenance> maintenance;
    std::vector<std::string> unreadable; ///< checks whose saved rows were not understood
    AlertLedger::Contents alerts;        ///< what the alert engine was told, and what was queued
};

/// What one flush writes, in one transaction.
struct StateBatch {
    struct CheckRow {
        std::string name, identity;
        std::string state, history; ///< state_codec's JSON
    };
    struct DeadlineRow {
        std::string name, identity;
        PushInbox::Deadline deadline;
    };
    std::vector<std::string> forget; ///< checks gone or changed: every row of theirs goes first
    std::vector<CheckRow> checks;
    std::vector<std::pair<std::string, Transition>> transitions;
    std::vector<DeadlineRow> deadlines;
    /// Every silence and the maintenance in force, replacing what the file holds; nullopt:
    /// unchanged since the last write.
    std::optional<SilenceListing> quiet;
    std::chrono::system_clock::time_point alive_at; ///< the agent ran until at least then
    /// The alert engine's notes (AlertLedger), by check and notifier: nullopt deletes.
    std::map<std::pair<std::string, std::string>, std::optional<NotifiedStatus>> notified;
    /// Queued alerts by notifier and id, as alert_codec's JSON: nullopt deletes.
    std::map<std::pair<std::string, std::uint64_t>, std::optional<std::string>> queued;
    std::uint64_t last_alert_id = 0; ///< 0: unchanged

    bool empty() const {
        return forget.empty() && checks.empty() && transitions.empty() && deadlines.empty() &&
               notified.empty() && queued.empty() && last_alert_id == 0 && !quiet;
    }
};

/// `state.db` in a state directory, held by one agent at a time (a lock file beside it).
/// Not thread-safe: one thread (StateKeeper's writer) uses it after open().
class StateDatabase {
public:
    static constexpr int schema_version = 2;

    struct Opened;
    /// Opens `dir`/state.db, creating both as needed, and reads what it holds. A file that
    /// is not a database, is damaged, another program's, or from a newer agent is moved
    /// aside (`why` gets a line naming it and where it went) and a fresh one started.
    /// Throws StateUnavailable when even that fails, or another agent holds `dir`.
    static Opened open(const std::filesystem::path &dir, std::vector<std::string> &why);

    /// Writes `batch` in one transaction; throws (Poco::Exception) and writes nothing if
    /// any of it fails, a full disk say.
    void write(const StateBatch &batch);
    /// Drops transitions older than TransitionLog::kept_for at `now`, or beyond
    /// TransitionLog::max_entries for their check.
    void prune(std::chrono::system_clock::time_point now);

    const std::filesystem::path &path() const { return path_; }

private:
    void write_alerts(const StateBatch &batch);

    StateDatabase(std::filesystem::path path, plugins::UniqueFd lock, Poco::Data::Session session);

    std::filesystem::path path_;
    plugins::UniqueFd lock_;
    Poco::Data::Session session_;
};

struct StateDatabase::Opened {
    std::unique_ptr<StateDatabase> database;
    SavedState saved;
    /// What check identities are digested with (restore_identity): kept beside state.db,
    /// so a copy of state.db alone does not let a password in a definition be guessed.
    std::string identity_key;
};

} // namespace vitals::state
