// What the states a manager reports mean for a check: pure functions of those states, the
// check's expectations and the time, so that every rule reads (and is tested) apart from the
// bus. SPDX-License-Identifier: MIT
#pragma once

#include "unit_facts.hpp"

#include <vitals/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vitals::systemd {

/// What the check's parameters ask of every unit it lists.
struct Expectations {
    /// The ActiveState wanted; nothing means active, or inactive for a oneshot service
    /// whose last run succeeded.
    std::optional<std::string> active_state;
    std::optional<std::string> sub_state;
    std::optional<std::uint64_t> restarts_warning; ///< NRestarts above this warns
    std::optional<std::uint64_t> restarts_error;
    std::optional<std::chrono::nanoseconds> trigger_warning; ///< a timer's last trigger older
    std::optional<std::chrono::nanoseconds> trigger_error;
};

struct Finding {
    vitals::Status status = vitals::Status::ok;
    std::string text; ///< "nginx.service active (running)", "app.service failed (exit status 1)"
};

/// One unit against the expectations: the worst of what is wrong with it, every problem
/// named, or ok with its state.
Finding judge_unit(const UnitFacts &unit, const Expectations &expected,
                   system_clock::time_point now);

/// The manager as a whole: running is ok, degraded (a unit failed) and still starting warn,
/// anything else (stopping, maintenance) is an error.
Finding judge_manager(const std::string &system_state, const std::vector<UnitListing> &failed);

/// How a service's last run ended: "exit status 3", "killed by SIGKILL", "timeout".
std::string describe_run(const ServiceFacts &service);

/// An age as a message shows it: "42 s", "12 min", "5 h", "3 d".
std::string describe_age(std::chrono::nanoseconds age);

/// Whether an ActiveState is on its way to another (activating, reloading...).
bool is_transitional(const std::string &active_state);

} // namespace vitals::systemd
