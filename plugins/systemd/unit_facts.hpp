// What a manager says about a unit, as plain values: filled from the bus (manager.hpp),
// judged without it (verdict.hpp). SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace vitals::systemd {

using std::chrono::system_clock;

/// One row of ListUnits*: what `systemctl list-units` shows.
struct UnitListing {
    std::string name;
    std::string load_state;   ///< loaded, not-found, masked, bad-setting, error...
    std::string active_state; ///< active, inactive, failed, activating...
    std::string sub_state;    ///< running, exited, dead, waiting, auto-restart...
    std::string path;         ///< the unit's object path
};

/// A service's last run, from org.freedesktop.systemd1.Service.
struct ServiceFacts {
    std::string type;           ///< simple, exec, forking, oneshot, notify...
    std::string result;         ///< success, exit-code, signal, core-dump, timeout...
    std::uint64_t restarts{};   ///< NRestarts: automatic restarts since it was last started
    std::int64_t exit_code{};   ///< ExecMainCode: 0 never ran, 1 exited, 2 killed, 3 dumped
    std::int64_t exit_status{}; ///< ExecMainStatus: the exit status, or the signal
};

/// A timer, from org.freedesktop.systemd1.Timer, and the unit it starts.
struct TimerFacts {
    std::optional<system_clock::time_point> last_trigger; ///< nothing: never triggered
    std::string triggers;                                 ///< the unit it starts
    std::optional<UnitListing> triggered;                 ///< that unit, when listed
    std::optional<ServiceFacts> triggered_service;        ///< its last run, for a service
};

struct UnitFacts {
    UnitListing listing;
    std::optional<ServiceFacts> service;
    std::optional<TimerFacts> timer;
};

} // namespace vitals::systemd
