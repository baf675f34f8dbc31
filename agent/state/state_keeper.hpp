// Keeps the result store's state on disk, and gives it back at start. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "push/push_board.hpp"
#include "results/agent_status.hpp"
#include "results/result_observer.hpp"
#include "results/result_store.hpp"
#include "state/state_database.hpp"

namespace vitals::state {

/// The checks in force, each with the identity it is saved under (restore_identity).
using Identities = std::map<std::string, std::string>;

/// One writer thread, batching: whatever changed in a second goes to disk in one
/// transaction, so a result is durable within about a second and nothing that records or
/// answers a request waits for the disk. A disk that fails (full, read-only, removed)
/// costs the writes, counted and logged, never a check or a probe; a later write catches
/// up, as each write holds the latest state.
class StateKeeper final : public AlertLedger, private ResultObserver {
public:
    static constexpr auto flush_interval = std::chrono::seconds{1};
    /// With nothing to write, "still running" is written this often: after a crash, the
    /// time since then counts as unknown in uptime.
    static constexpr auto heartbeat_interval = std::chrono::seconds{60};
    /// Transitions waiting for a write that keeps failing: beyond, the oldest go.
    static constexpr std::size_t max_pending_transitions = 10'000;
    /// A directory that could not be used is tried again this often.
    static constexpr auto reopen_interval = std::chrono::seconds{30};

    /// Opens `dir`'s state; when it cannot, warns, counts the error and keeps nothing
    /// until a later attempt succeeds.
    StateKeeper(std::filesystem::path dir, std::shared_ptr<StateHealth> health);
    ~StateKeeper() override;
    StateKeeper(const StateKeeper &) = delete;
    StateKeeper &operator=(const StateKeeper &) = delete;

    /// What the previous agent left; empty after the first call or when nothing was read.
    SavedState take_saved();
    /// The key the identities given to start() and track() are digested with
    /// (restore_identity); empty when the directory could not be opened at start.
    const std::string &identity_key() const { return identity_key_; }
    /// Begins keeping the state of the checks in `identities`, read from `results` and
    /// `push` (which must outlive stop()).
    void start(ResultStore &results, const PushBoard &push, Identities identities);
    /// Keeps `board`'s silences and maintenance too (written within a flush of a change);
    /// before start(). `board` must outlive stop().
    void keep_silences(const SilenceBoard &board);
    /// The checks in force after a reload: what is kept of gone or changed ones is dropped.
    void track(Identities identities);
    /// Writes what is pending, then stops watching. Idempotent.
    void stop();

    // The alert engine's notes (AlertLedger), written with the next flush.
    Contents take_saved_alerts() override;
    void notified(const NotifiedStatus &status) override;
    void forget_notified(const std::string &check, const std::string &notifier) override;
    void queued(const QueuedAlert &alert) override;
    void dequeued(const std::string &notifier, std::uint64_t alert_id) override;

private:
    void changed(const std::string &check) override;
    void transitioned(const std::string &check, const Transition &transition) override;

    void run(std::stop_token stop);
    void flush(std::chrono::system_clock::time_point now);
    bool ensure_open(std::chrono::steady_clock::time_point now);
    StateBatch take_batch(std::chrono::system_clock::time_point now);
    void give_back(StateBatch batch);
    void prune_if_due(std::chrono::system_clock::time_point now,
                      std::chrono::steady_clock::time_point steady_now);
    void fail(const std::string &what);

    const std::filesystem::path dir_;
    const std::shared_ptr<StateHealth> health_;
    ResultStore *results_ = nullptr;
    const PushBoard *push_ = nullptr;
    const SilenceBoard *silences_ = nullptr;

    std::mutex mutex_; // guards the members up to the writer thread's
    std::condition_variable_any wake_;
    std::set<std::string> changed_;
    std::vector<std::pair<std::string, Transition>> transitions_;
    Identities identities_;
    decltype(StateBatch::notified) notified_;
    decltype(StateBatch::queued) queued_;
    std::uint64_t last_alert_id_ = 0;
    Contents saved_alerts_; ///< what the file held at start, until the engine takes it
    bool stopping_ = false;

    // The writer thread's alone (and the constructor's, before it starts).
    std::unique_ptr<StateDatabase> database_;
    SavedState saved_;
    std::string identity_key_;
    Identities written_identities_; ///< what the file holds rows for, by check
    std::map<std::string, PushInbox::Deadline> written_deadlines_;
    std::optional<std::uint64_t> written_silences_; ///< the board's version last written
    std::chrono::steady_clock::time_point last_open_attempt_;
    std::chrono::steady_clock::time_point last_write_;
    std::optional<std::chrono::steady_clock::time_point> last_prune_;

    std::jthread writer_;
};

} // namespace vitals::state
