// Vitals "systemd" checker: units, timers and the manager's own state, read from systemd's
// D-Bus API through sd-bus. SPDX-License-Identifier: MIT
#include "bus.hpp"
#include "manager.hpp"
#include "verdict.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace vitals::plugins;
using namespace vitals::systemd;
using vitals::Status;

// key, type, required, default, description, secret
constexpr vitals_param_spec systemd_params[] = {
    {"bus", VITALS_PARAM_STRING, 0, "system",
     "\"system\", \"user\" (the agent's user's own manager) or a D-Bus address such as "
     "\"unix:path=/run/dbus/system_bus_socket\"",
     0},
    {"units", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "Unit names or shell-style globs, e.g. [\"nginx.service\", \"app-*.service\"]", 0},
    {"active_state", VITALS_PARAM_STRING, 0, nullptr,
     "ActiveState every listed unit must be in (default active; a oneshot service may also "
     "be inactive after a successful run)",
     0},
    {"sub_state", VITALS_PARAM_STRING, 0, nullptr,
     "SubState every listed unit must be in, e.g. running", 0},
    {"restarts_warning", VITALS_PARAM_INT, 0, nullptr,
     "Warn when a service restarted itself (NRestarts) more often than this", 0},
    {"restarts_error", VITALS_PARAM_INT, 0, nullptr,
     "Fail when a service restarted itself more often than this", 0},
    {"last_trigger_warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when a timer last triggered longer ago than this (or never)", 0},
    {"last_trigger_error", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when a timer last triggered longer ago than this (or never)", 0},
    {"manager", VITALS_PARAM_BOOL, 0, nullptr,
     "Judge the manager's own state too (degraded warns); default: only when no units are "
     "listed",
     0},
    {}, // the NULL key that ends the table
};

constexpr std::array unit_types{".service", ".socket", ".device", ".mount", ".automount", ".swap",
                                ".target",  ".path",   ".timer",  ".slice", ".scope"};
constexpr std::array active_states{"active",       "reloading",   "inactive",  "activating",
                                   "deactivating", "maintenance", "refreshing"};

/// The most problems one message names; the rest are counted.
constexpr std::size_t named_problems = 10;
/// The most healthy units an all-ok message names; more are counted.
constexpr std::size_t named_healthy = 5;

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_glob(const std::string &unit) {
    return unit.find_first_of("*?[") != std::string::npos;
}

/// Why `unit` cannot name a unit, or "" when it can. Globs are left to the manager's own
/// matching; exact names must say their type, since "nginx" is no unit systemd knows.
std::string unit_problem(const std::string &unit) {
    if (unit.empty()) return "an entry is empty";
    if (unit.size() > 256) return "\"" + unit.substr(0, 32) + "...\" is longer than 256 bytes";
    for (const char c : unit)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
            return "\"" + unit + "\" holds a space or control character";
    if (is_glob(unit)) return {};
    const bool typed = std::any_of(unit_types.begin(), unit_types.end(),
                                   [&](const char *type) { return ends_with(unit, type); });
    if (!typed)
        return "\"" + unit + "\" names no unit type; write it in full, e.g. \"" + unit +
               ".service\", or as a glob";
    if (unit.find("@.") != std::string::npos)
        return "\"" + unit + "\" is a template; name an instance or use a glob such as \"" +
               unit.substr(0, unit.find("@.") + 1) + "*" + unit.substr(unit.find("@.") + 1) + "\"";
    return {};
}

std::optional<std::uint64_t> restart_limit(const vitals::Params &params, const char *key) {
    if (!params.has(key)) return std::nullopt;
    const std::int64_t limit = params.integer(key);
    if (limit < 0) params.reject(key, "must not be negative, got " + std::to_string(limit));
    return static_cast<std::uint64_t>(limit);
}

/// One unit's metric, the unit named by a label: a unit name ("nginx.service") is no part
/// of a metric name, which the host takes only as [a-zA-Z_][a-zA-Z0-9_]*.
void add_unit_metric(vitals::Run &run, const std::string &unit_name, const char *metric,
                     double value, const char *unit,
                     vitals_metric_kind kind = VITALS_METRIC_GAUGE) {
    const vitals_label label{"systemd_unit", unit_name.c_str()};
    vitals_metric reported{};
    reported.struct_size = sizeof reported;
    reported.kind = kind;
    reported.name = metric;
    reported.value = value;
    reported.unit = unit;
    reported.labels = &label;
    reported.label_count = 1;
    run.metric(reported);
}

class SystemdCheck {
public:
    explicit SystemdCheck(const vitals::Params &params) {
        const std::string bus = params.string("bus");
        const auto target = BusTarget::parse(bus);
        if (!target)
            params.reject("bus", "must be \"system\", \"user\" or a D-Bus address such as "
                                 "\"unix:path=/run/dbus/system_bus_socket\", got \"" +
                                     bus + "\"");
        target_ = *target;
        if (params.has("units")) read_units(params);
        read_expectations(params);
        manager_ = params.has("manager") ? params.boolean("manager") : units_.empty();
        if (units_.empty() && !manager_)
            params.reject("manager", "is false and no units are listed: nothing to check");
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to ask " + target_.describe());
            return;
        }
        std::vector<Finding> findings;
        try {
            Bus bus{target_, *deadline};
            Manager manager{bus};
            if (manager_) findings.push_back(judge_manager_state(run, manager));
            judge_units(run, manager, findings);
        } catch (const BusError &error) {
            run.error(target_.describe() + ": " + error.what());
            return;
        }
        report(run, findings);
    }

private:
    void read_units(const vitals::Params &params) {
        std::set<std::string> seen;
        for (const auto &unit : params.strings("units")) {
            if (const auto problem = unit_problem(unit); !problem.empty())
                params.reject("units", problem);
            if (!seen.insert(unit).second) continue;
            (is_glob(unit) ? patterns_ : names_).push_back(unit);
            units_.push_back(unit);
        }
    }

    void read_expectations(const vitals::Params &params) {
        if (params.has("active_state")) {
            const std::string state = params.string("active_state");
            if (state == "failed")
                params.reject("active_state", "cannot be failed: a failed unit is always an error");
            if (std::find(active_states.begin(), active_states.end(), state) == active_states.end())
                params.reject(
                    "active_state",
                    "must be one of " +
                        join(std::vector<std::string>(active_states.begin(), active_states.end()),
                             ", ") +
                        ", got \"" + state + "\"");
            expected_.active_state = state;
        }
        if (params.has("sub_state")) {
            expected_.sub_state = params.string("sub_state");
            if (expected_.sub_state->empty()) params.reject("sub_state", "must not be empty");
        }
        expected_.restarts_warning = restart_limit(params, "restarts_warning");
        expected_.restarts_error = restart_limit(params, "restarts_error");
        require_not_above(params, "restarts_warning", expected_.restarts_warning, "restarts_error",
                          expected_.restarts_error,
                          [](std::uint64_t n) { return std::to_string(n); });
        expected_.trigger_warning =
            time_limit(params, "last_trigger_warning", "every timer would warn");
        expected_.trigger_error =
            time_limit(params, "last_trigger_error", "every timer would fail");
        require_not_above(params, "last_trigger_warning", expected_.trigger_warning,
                          "last_trigger_error", expected_.trigger_error, format_duration);
        const bool unit_rules = expected_.active_state || expected_.sub_state ||
                                expected_.restarts_warning || expected_.restarts_error ||
                                expected_.trigger_warning || expected_.trigger_error;
        if (unit_rules && units_.empty())
            params.reject("units", "is missing: the unit limits given apply to listed units");
    }

    static Finding judge_manager_state(vitals::Run &run, Manager &manager) {
        const std::string state = manager.system_state();
        const auto failed = manager.failed_units();
        run.metric("failed_units", static_cast<double>(failed.size()), "count");
        return judge_manager(state, failed);
    }

    void judge_units(vitals::Run &run, Manager &manager, std::vector<Finding> &findings) const {
        if (units_.empty()) return;
        std::vector<UnitListing> listings = manager.units_named(names_);
        const auto matched = manager.units_matching(patterns_);
        for (const auto &pattern : patterns_) {
            const bool any = std::any_of(matched.begin(), matched.end(), [&](const auto &unit) {
                return ::fnmatch(pattern.c_str(), unit.name.c_str(), 0) == 0;
            });
            if (!any) findings.push_back({Status::error, "no loaded unit matches " + pattern});
        }
        for (const auto &unit : matched)
            if (std::none_of(listings.begin(), listings.end(),
                             [&](const auto &listed) { return listed.name == unit.name; }))
                listings.push_back(unit);

        std::size_t failed = 0;
        const auto now = system_clock::now();
        for (const auto &listing : listings) {
            const UnitFacts facts = gather(manager, listing);
            failed += listing.active_state == "failed";
            findings.push_back(judge_unit(facts, expected_, now));
            unit_metrics(run, facts, now);
        }
        run.metric("units", static_cast<double>(listings.size()), "count");
        run.metric("units_failed", static_cast<double>(failed), "count");
    }

    static UnitFacts gather(Manager &manager, const UnitListing &listing) {
        UnitFacts facts{listing, std::nullopt, std::nullopt};
        if (listing.load_state != "loaded") return facts;
        if (ends_with(listing.name, ".service")) facts.service = service_facts(manager, listing);
        if (ends_with(listing.name, ".timer")) facts.timer = timer_facts(manager, listing);
        return facts;
    }

    static ServiceFacts service_facts(Manager &manager, const UnitListing &service) {
        const auto properties =
            manager.properties(service, "org.freedesktop.systemd1.Service",
                               {"Type", "Result", "NRestarts", "ExecMainCode", "ExecMainStatus"});
        return {text_property(properties, "Type"), text_property(properties, "Result"),
                static_cast<std::uint64_t>(number_property(properties, "NRestarts")),
                number_property(properties, "ExecMainCode"),
                number_property(properties, "ExecMainStatus")};
    }

    static TimerFacts timer_facts(Manager &manager, const UnitListing &timer) {
        const auto properties = manager.properties(timer, "org.freedesktop.systemd1.Timer",
                                                   {"Unit", "LastTriggerUSec"});
        TimerFacts facts;
        // Microseconds of the realtime clock; 0 for a timer that never triggered.
        const std::int64_t last = number_property(properties, "LastTriggerUSec");
        if (last > 0)
            facts.last_trigger =
                system_clock::time_point{std::chrono::duration_cast<system_clock::duration>(
                    std::chrono::microseconds{last})};
        facts.triggers = text_property(properties, "Unit");
        if (facts.triggers.empty()) return facts;
        const auto triggered = manager.units_named({facts.triggers});
        if (triggered.empty()) return facts;
        facts.triggered = triggered.front();
        if (facts.triggered->load_state == "loaded" && ends_with(facts.triggers, ".service"))
            facts.triggered_service = service_facts(manager, *facts.triggered);
        return facts;
    }

    static void unit_metrics(vitals::Run &run, const UnitFacts &facts,
                             system_clock::time_point now) {
        const std::string &name = facts.listing.name;
        if (facts.service) {
            add_unit_metric(run, name, "restarts", static_cast<double>(facts.service->restarts),
                            "count", VITALS_METRIC_COUNTER);
            if (facts.service->type == "oneshot" && facts.service->exit_code != 0)
                add_unit_metric(run, name, "exit_status",
                                static_cast<double>(facts.service->exit_status), "");
        }
        if (facts.timer && facts.timer->last_trigger)
            add_unit_metric(run, name, "since_last_trigger",
                            std::chrono::duration<double>(now - *facts.timer->last_trigger).count(),
                            "seconds");
    }

    /// One message for every finding: problems first, the worst leading, then the healthy
    /// units named or counted.
    static void report(vitals::Run &run, std::vector<Finding> findings) {
        std::stable_sort(findings.begin(), findings.end(), [](const Finding &a, const Finding &b) {
            return static_cast<int>(a.status) > static_cast<int>(b.status);
        });
        std::vector<std::string> problems;
        std::vector<std::string> healthy;
        for (const auto &finding : findings)
            (finding.status == Status::ok ? healthy : problems).push_back(finding.text);
        const Status status = findings.empty() ? Status::ok : findings.front().status;
        if (problems.empty()) {
            std::string message = join(healthy, "; ");
            if (healthy.size() > named_healthy)
                message =
                    std::to_string(healthy.size()) + " fine: " +
                    join(std::vector<std::string>(healthy.begin(), healthy.begin() + named_healthy),
                         "; ") +
                    "; ...";
            run.result(status, message);
            return;
        }
        std::string message =
            join(std::vector<std::string>(problems.begin(),
                                          problems.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                 problems.size(), named_problems))),
                 "; ");
        if (problems.size() > named_problems)
            message += "; and " + std::to_string(problems.size() - named_problems) + " more";
        if (!healthy.empty()) message += "; " + std::to_string(healthy.size()) + " fine";
        run.result(status, message);
    }

    BusTarget target_;
    std::vector<std::string> units_;    ///< as listed, without repeats
    std::vector<std::string> names_;    ///< the exact names among them
    std::vector<std::string> patterns_; ///< the globs among them
    Expectations expected_;
    bool manager_ = false;
};

} // namespace

VITALS_CPP_PLUGIN(SystemdCheck, "systemd", "0.1.0",
                  "systemd units, timers and the manager's state, read over D-Bus", systemd_params)
