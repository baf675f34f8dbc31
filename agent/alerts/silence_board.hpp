// Who silenced which check until when, and the agent's maintenance mode.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/maintenance_window.hpp"
#include "core/clock.hpp"

namespace vitals {

using WallTime = std::chrono::system_clock::time_point;

/// A check silenced by someone: no alerts, no actions until `until`; its status is still
/// measured and shown. An expiry is mandatory: a forgotten silence ends by itself.
struct Silence {
    std::string check;
    WallTime until;
    std::string by; ///< the access token's name, or "anonymous"
    std::string reason;
    WallTime created;
    bool operator==(const Silence &) const = default;
};

/// The agent's maintenance mode (Consul's `maint`): readiness answers 503 and every alert is
/// silenced until it is turned off, or until `until` when one was given.
struct Maintenance {
    std::string reason;
    std::string by;
    WallTime since;
    std::optional<WallTime> until;
    bool operator==(const Maintenance &) const = default;
};

/// Why a check is quiet now: a silence, or one of its conf.d maintenance windows.
struct Quiet {
    WallTime until;
    std::string by;     ///< who silenced it; empty for a window
    std::string reason; ///< the silence's reason; empty for a window
    std::string window; ///< the window's text; empty for a silence
};

/// A check's window that is open now.
struct OpenWindow {
    std::string check;
    std::string window;
    WallTime until;
};

/// Everything in force at one instant, for GET /health/silences and the status page.
struct SilenceListing {
    std::vector<Silence> silences; ///< by check name
    std::vector<OpenWindow> windows;
    std::optional<Maintenance> maintenance;
};

/// Thread-safe. Expired silences and maintenance stop counting at their instant by the
/// clock it is given (each question passes `now`), and are dropped at the next change.
///
/// A silence outlives its check: a reload that removes the check keeps it until it
/// expires, so a check that a later reload brings back (a typo fixed, a file restored)
/// is still silent, as the operator asked. It is listed meanwhile; lift it to drop it.
class SilenceBoard {
public:
    explicit SilenceBoard(std::shared_ptr<Clock> clock);

    /// The wall-clock time by the board's clock.
    WallTime now() const;

    /// Silences `silence.check` (replacing an earlier silence of it).
    void silence(Silence silence);
    /// False when the check had no silence in force.
    bool lift(const std::string &check);
    void enter_maintenance(Maintenance maintenance);
    /// False when the agent was not in maintenance.
    bool leave_maintenance();
    /// Every check's conf.d windows, replacing the previous ones (at start and each reload).
    void set_windows(std::map<std::string, std::vector<MaintenanceWindow>> windows);
    /// What a previous agent kept, as read from the state store; what has expired is dropped.
    void restore(std::vector<Silence> silences, std::optional<Maintenance> maintenance);

    /// The silence or open window that makes `check` quiet at `now`; the silence wins.
    std::optional<Quiet> silenced(const std::string &check, WallTime now) const;
    std::optional<Maintenance> in_maintenance(WallTime now) const;
    SilenceListing list(WallTime now) const;
    /// The silences and maintenance to keep across a restart (expired ones left out).
    SilenceListing kept(WallTime now) const;

    /// Moves on every silence, lift and change of maintenance: what keeps the board (the
    /// state store) and caches of what shows it compare it.
    std::uint64_t version() const { return version_.load(); }

private:
    void drop_expired(WallTime now);
    std::optional<OpenWindow> open_window(const std::string &check, WallTime now) const;

    std::shared_ptr<Clock> clock_;
    mutable std::mutex mutex_;
    std::map<std::string, Silence, std::less<>> silences_;
    std::optional<Maintenance> maintenance_;
    std::map<std::string, std::vector<MaintenanceWindow>, std::less<>> windows_;
    std::atomic<std::uint64_t> version_{0};
};

} // namespace vitals
