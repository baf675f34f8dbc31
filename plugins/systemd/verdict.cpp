// SPDX-License-Identifier: MIT
#include "verdict.hpp"

#include <vitals_plugins/text.hpp>
#include <vitals_plugins/units.hpp>

#include <signal.h>
#include <string.h>

#include <algorithm>

namespace vitals::systemd {

using namespace vitals::plugins;
using vitals::Status;

namespace {

/// ExecMainCode values: how the main process ended (siginfo's si_code, CLD_*).
constexpr std::int64_t exited = 1;

void worsen(Status &status, Status to) {
    if (static_cast<int>(to) > static_cast<int>(status)) status = to;
}

std::string state_text(const UnitListing &unit) {
    return unit.active_state + " (" + unit.sub_state + ")";
}

/// Why a unit that is not loaded cannot be judged: "no such unit", "masked"...
std::string load_problem(const UnitListing &unit) {
    if (unit.load_state == "not-found") return unit.name + ": no such unit";
    if (unit.load_state == "masked") return unit.name + " is masked";
    return unit.name + " does not load (" + unit.load_state + ")";
}

/// A finished oneshot service that nobody asked a state of: inactive is how it ends well.
bool is_finished_oneshot(const UnitFacts &unit, const Expectations &expected) {
    return !expected.active_state && unit.service && unit.service->type == "oneshot" &&
           unit.listing.active_state == "inactive";
}

class Problems {
public:
    void add(Status status, std::string text) {
        worsen(status_, status);
        texts_.push_back(std::move(text));
    }
    bool empty() const { return texts_.empty(); }
    Finding finding() const { return {status_, join(texts_, ", ")}; }

private:
    Status status_ = Status::ok;
    std::vector<std::string> texts_;
};

void judge_state(const UnitFacts &unit, const Expectations &expected, Problems &problems) {
    const UnitListing &listing = unit.listing;
    if (listing.active_state == "failed") {
        problems.add(Status::error,
                     listing.name + " failed" +
                         (unit.service ? " (" + describe_run(*unit.service) + ")" : std::string{}));
        return;
    }
    if (is_finished_oneshot(unit, expected)) {
        if (unit.service->result != "success")
            problems.add(Status::error,
                         listing.name + "'s last run failed (" + describe_run(*unit.service) + ")");
        return;
    }
    const std::string wanted = expected.active_state.value_or("active");
    if (listing.active_state != wanted)
        problems.add(is_transitional(listing.active_state) ? Status::warning : Status::error,
                     listing.name + " is " + state_text(listing) + ", expected " + wanted);
    else if (expected.sub_state && listing.sub_state != *expected.sub_state)
        problems.add(Status::error, listing.name + " is " + state_text(listing) +
                                        ", expected sub-state " + *expected.sub_state);
}

void judge_restarts(const UnitFacts &unit, const Expectations &expected, Problems &problems) {
    if (!unit.service) return;
    const std::uint64_t restarts = unit.service->restarts;
    const auto text = [&](std::uint64_t limit) {
        return unit.listing.name + " restarted " + std::to_string(restarts) +
               (restarts == 1 ? " time" : " times") + " (more than " + std::to_string(limit) + ")";
    };
    if (expected.restarts_error && restarts > *expected.restarts_error)
        problems.add(Status::error, text(*expected.restarts_error));
    else if (expected.restarts_warning && restarts > *expected.restarts_warning)
        problems.add(Status::warning, text(*expected.restarts_warning));
}

void judge_timer(const UnitFacts &unit, const Expectations &expected, system_clock::time_point now,
                 Problems &problems) {
    if (!unit.timer) return;
    const TimerFacts &timer = *unit.timer;
    const std::string &name = unit.listing.name;
    if (!timer.last_trigger) {
        if (expected.trigger_error)
            problems.add(Status::error, name + " never triggered");
        else if (expected.trigger_warning)
            problems.add(Status::warning, name + " never triggered");
    } else {
        const auto age = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::max(now - *timer.last_trigger, system_clock::duration::zero()));
        const auto text = [&](std::chrono::nanoseconds limit) {
            return name + " last triggered " + describe_age(age) + " ago (more than " +
                   describe_age(limit) + ")";
        };
        if (expected.trigger_error && age > *expected.trigger_error)
            problems.add(Status::error, text(*expected.trigger_error));
        else if (expected.trigger_warning && age > *expected.trigger_warning)
            problems.add(Status::warning, text(*expected.trigger_warning));
    }
    if (timer.triggers.empty()) return;
    if (!timer.triggered || timer.triggered->load_state != "loaded") {
        problems.add(Status::error, name + " starts " + timer.triggers + ", which " +
                                        (timer.triggered ? "is " + timer.triggered->load_state
                                                         : std::string{"is not listed"}));
        return;
    }
    // A service that failed on its last run stays failed until the next: the nightly job
    // that failed is an error until a run succeeds.
    const bool failed = timer.triggered->active_state == "failed" ||
                        (timer.triggered_service && timer.triggered_service->result != "success");
    if (failed)
        problems.add(Status::error, name + ": last run of " + timer.triggers + " failed" +
                                        (timer.triggered_service
                                             ? " (" + describe_run(*timer.triggered_service) + ")"
                                             : std::string{}));
}

/// What a healthy unit's finding says.
std::string healthy_text(const UnitFacts &unit, system_clock::time_point now) {
    std::string text = unit.listing.name + " " + state_text(unit.listing);
    // The manager forgets an inactive unit's last run when it unloads the unit (a oneshot
    // without RemainAfterExit soon after it succeeded): "no run on record", not "never ran".
    if (unit.service && unit.service->type == "oneshot")
        text += unit.service->exit_code == 0 ? ", no run on record"
                                             : ", last run " + describe_run(*unit.service);
    if (unit.timer) {
        text +=
            unit.timer->last_trigger
                ? ", triggered " +
                      describe_age(std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(
                          now - *unit.timer->last_trigger, system_clock::duration::zero()))) +
                      " ago"
                : ", never triggered";
    }
    return text;
}

} // namespace

Finding judge_unit(const UnitFacts &unit, const Expectations &expected,
                   system_clock::time_point now) {
    if (unit.listing.load_state != "loaded") return {Status::error, load_problem(unit.listing)};
    Problems problems;
    judge_state(unit, expected, problems);
    judge_restarts(unit, expected, problems);
    judge_timer(unit, expected, now, problems);
    if (problems.empty()) return {Status::ok, healthy_text(unit, now)};
    return problems.finding();
}

Finding judge_manager(const std::string &system_state, const std::vector<UnitListing> &failed) {
    if (system_state == "running") return {Status::ok, "manager running"};
    if (system_state == "degraded") {
        std::vector<std::string> names;
        for (const auto &unit : failed)
            names.push_back(unit.name);
        return {Status::warning,
                "manager degraded" +
                    (names.empty() ? std::string{} : ": failed " + join(names, ", "))};
    }
    if (system_state == "initializing" || system_state == "starting")
        return {Status::warning, "manager " + system_state};
    return {Status::error, "manager " + system_state};
}

std::string describe_run(const ServiceFacts &service) {
    if (service.result == "exit-code" ||
        (service.result == "success" && service.exit_code == exited))
        return "exit status " + std::to_string(service.exit_status);
    if (service.result == "signal" || service.result == "core-dump") {
        const char *signal_name = ::sigabbrev_np(static_cast<int>(service.exit_status));
        return std::string{service.result == "signal" ? "killed by " : "dumped core on "} +
               (signal_name ? std::string{"SIG"} + signal_name
                            : "signal " + std::to_string(service.exit_status));
    }
    return service.result;
}

std::string describe_age(std::chrono::nanoseconds age) {
    using namespace std::chrono;
    const auto in = [&](auto unit) { return duration_cast<decltype(unit)>(age).count(); };
    if (age < seconds{10}) return format_duration(age); // sub-second limits stay visible
    if (age < minutes{2}) return std::to_string(in(seconds{})) + " s";
    if (age < hours{2}) return std::to_string(in(minutes{})) + " min";
    if (age < hours{48}) return std::to_string(in(hours{})) + " h";
    return std::to_string(in(hours{}) / 24) + " d";
}

bool is_transitional(const std::string &active_state) {
    return active_state == "activating" || active_state == "deactivating" ||
           active_state == "reloading" || active_state == "refreshing";
}

} // namespace vitals::systemd
