// Reload plan: what a reload keeps, restarts, adds and removes, from values alone.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "app/reload_plan.hpp"

// Names in a failed CHECK, rather than doctest's "{?}".
template <> struct doctest::StringMaker<std::set<std::string>> {
    static String convert(const std::set<std::string> &names) {
        return fmt::format("{}", names).c_str();
    }
};
template <> struct doctest::StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string> &names) {
        return fmt::format("{}", names).c_str();
    }
};

namespace {

using namespace std::chrono_literals;
using namespace vitals;
using Names = std::set<std::string>;

CheckParams params(std::string_view toml) {
    return std::make_shared<const toml::table>(toml::parse(toml, std::string_view{"params.toml"}));
}

/// A check with every field away from its default, so that changing any one is a change.
CheckDefinition disk_check() {
    CheckDefinition check;
    check.name = "disk";
    check.plugin = "disk";
    check.description = "the root filesystem";
    check.interval = 30s;
    check.timeout = 5s;
    check.groups = {"ready"};
    check.enabled = true;
    check.params = params(R"(path = "/")");
    check.failure_threshold = 2;
    check.success_threshold = 3;
    check.depends_on = {"mounts"};
    check.isolation = Isolation::in_process;
    check.isolation_set = true;
    check.ttl = std::nullopt;
    check.where = {"conf.d/10-system.toml", 3, 1};
    check.plugin_where = {"conf.d/10-system.toml", 4, 1};
    check.depends_where = {"conf.d/10-system.toml", 9, 1};
    return check;
}

CheckVersion version(CheckDefinition definition, std::string plugin_build = "disk.so@1") {
    return {std::move(definition), std::move(plugin_build)};
}

ReloadSide side(std::vector<CheckVersion> checks, AgentSettings agent = {}) {
    return {std::move(agent), std::move(checks)};
}

/// The plan for one check whose definition goes from `before` to `after`.
ReloadPlan plan_one(const CheckDefinition &before, const CheckDefinition &after,
                    const AgentSettings &agent = {}) {
    return plan_reload(side({version(before)}, agent), side({version(after)}, agent));
}

/// A check's params table, as TOML text before and after an edit.
struct ParamsEdit {
    const char *before;
    const char *after;
};

/// The plan for disk_check() when only its params change as `edit` says.
ReloadPlan plan_params(const ParamsEdit &edit) {
    CheckDefinition before = disk_check(), after = disk_check();
    before.params = params(edit.before);
    after.params = params(edit.after);
    return plan_one(before, after);
}

/// Converts to the type of any field: how many of these an aggregate takes in braces is how
/// many fields it has (the technique of Boost.PFR).
struct AnyField {
    template <typename T> operator T &() const;
};

template <typename Aggregate, typename... Fields> constexpr std::size_t field_count() {
    if constexpr (requires { Aggregate{Fields{}..., AnyField{}}; })
        return field_count<Aggregate, Fields..., AnyField>();
    else
        return sizeof...(Fields);
}

enum class Outcome { restart, keep, rename };

struct FieldChange {
    const char *field;
    void (*change)(CheckDefinition &);
    Outcome outcome;
};

/// One change per field of CheckDefinition, and what a reload does about it.
constexpr std::array field_changes{
    FieldChange{"name", [](CheckDefinition &c) { c.name = "root"; }, Outcome::rename},
    FieldChange{"plugin", [](CheckDefinition &c) { c.plugin = "disks"; }, Outcome::restart},
    FieldChange{"description", [](CheckDefinition &c) { c.description += "!"; }, Outcome::restart},
    FieldChange{"interval", [](CheckDefinition &c) { c.interval += 1ms; }, Outcome::restart},
    FieldChange{"timeout", [](CheckDefinition &c) { c.timeout += 1ms; }, Outcome::restart},
    FieldChange{"groups", [](CheckDefinition &c) { c.groups.push_back("live"); }, Outcome::restart},
    // (A disabled check does not run, so it is on neither side in the agent: compared anyway.)
    FieldChange{"enabled", [](CheckDefinition &c) { c.enabled = false; }, Outcome::restart},
    FieldChange{"params", [](CheckDefinition &c) { c.params = params(R"(path = "/var")"); },
                Outcome::restart},
    FieldChange{"failure_threshold", [](CheckDefinition &c) { ++c.failure_threshold; },
                Outcome::restart},
    FieldChange{"success_threshold", [](CheckDefinition &c) { ++c.success_threshold; },
                Outcome::restart},
    FieldChange{"depends_on", [](CheckDefinition &c) { c.depends_on.push_back("network"); },
                Outcome::restart},
    // Where alerts go: the alert engine takes it from each configuration (alerts/).
    FieldChange{"notify", [](CheckDefinition &c) { c.notify.push_back("oncall"); }, Outcome::keep},
    FieldChange{"notify_where", [](CheckDefinition &c) { ++c.notify_where.line; }, Outcome::keep},
    FieldChange{"maintenance",
                [](CheckDefinition &c) {
                    c.maintenance.push_back(std::get<MaintenanceWindow>(
                        parse_maintenance_window("sun 02:00-04:00 UTC")));
                },
                Outcome::keep},
    // What runs on failure: FailureActions takes it from each configuration (alerts/).
    FieldChange{"on_failure",
                [](CheckDefinition &c) {
                    c.on_failure = FailureAction{};
                    c.on_failure->run = {"/bin/true"};
                },
                Outcome::keep},
    FieldChange{"isolation", [](CheckDefinition &c) { c.isolation = Isolation::process; },
                Outcome::restart},
    // Saying nothing where [isolation] does not list the plugin is saying in_process.
    FieldChange{"isolation_set", [](CheckDefinition &c) { c.isolation_set = false; },
                Outcome::keep},
    FieldChange{"ttl", [](CheckDefinition &c) { c.ttl = 5min; }, Outcome::restart},
    // Like groups, only shown beside results, and like them kept with the running instance.
    FieldChange{"labels", [](CheckDefinition &c) { c.labels["team"] = "db"; }, Outcome::restart},
    // Where the check is written points errors at a line; it changes nothing it does.
    FieldChange{"where", [](CheckDefinition &c) { c.where.line += 2; }, Outcome::keep},
    FieldChange{"plugin_where", [](CheckDefinition &c) { c.plugin_where.file = "conf.d/x.toml"; },
                Outcome::keep},
    FieldChange{"depends_where", [](CheckDefinition &c) { ++c.depends_where.column; },
                Outcome::keep},
};

// A field added to CheckDefinition fails this until it has a row above, saying whether a
// reload restarts a check for it; the defaulted operator== compares it either way.
static_assert(field_count<CheckDefinition>() == field_changes.size(),
              "CheckDefinition has a field with no row in field_changes");

/// agent.toml settings, each changed in a way a reload sees.
struct SettingChange {
    const char *key;
    void (*change)(AgentSettings &);
};

const std::array restart_only_changes{
    SettingChange{"listen", [](AgentSettings &a) { a.listen.port = 9189; }},
    SettingChange{"workers", [](AgentSettings &a) { a.workers = 8; }},
    SettingChange{"[http]", [](AgentSettings &a) { a.http.max_body_size *= 2; }},
    SettingChange{"[tls]", [](AgentSettings &a) { a.tls.certificate = "/etc/vitals/tls.pem"; }},
    SettingChange{"history", [](AgentSettings &a) { a.history_size = 50; }},
    SettingChange{"state_dir", [](AgentSettings &a) { a.state_dir = "/srv/vitals"; }},
};

const std::array applied_changes{
    SettingChange{"conf_d", [](AgentSettings &a) { a.conf_d = "/srv/conf.d"; }},
    SettingChange{"plugin_dirs", [](AgentSettings &a) { a.plugin_dirs.push_back("/srv/p"); }},
    SettingChange{"[access]", [](AgentSettings &a) { a.access.anonymous = Scope::probe; }},
    SettingChange{"[[endpoint]]", [](AgentSettings &a) { a.endpoints.push_back({}); }},
    SettingChange{"shutdown_delay", [](AgentSettings &a) { a.shutdown_delay = 5s; }},
    SettingChange{"[isolation]", [](AgentSettings &a) { a.isolation.memory_limit = 1 << 30; }},
};

} // namespace

TEST_CASE("reload plan: an unchanged check is kept") {
    const auto running = side({version(disk_check())});
    const ReloadPlan plan = plan_reload(running, running);
    CHECK(plan.keep == Names{"disk"});
    CHECK(plan.restart.empty());
    CHECK(plan.add.empty());
    CHECK(plan.remove.empty());
    CHECK(plan.restart_only_changes.empty());
}

TEST_CASE("reload plan: every field of a check is compared, and a change restarts it unless "
          "set aside") {
    for (const auto &row : field_changes) {
        CAPTURE(row.field);
        CheckDefinition changed = disk_check();
        row.change(changed);
        // The defaulted operator== sees every field, those a reload sets aside included.
        CHECK_FALSE(changed == disk_check());
        const ReloadPlan plan = plan_one(disk_check(), changed);
        switch (row.outcome) {
        case Outcome::restart:
            CHECK(plan.restart == Names{"disk"});
            CHECK(plan.keep.empty());
            break;
        case Outcome::keep:
            CHECK(plan.keep == Names{"disk"});
            CHECK(plan.restart.empty());
            break;
        case Outcome::rename:
            CHECK(plan.remove == Names{"disk"});
            CHECK(plan.add == Names{"root"});
            CHECK(plan.keep.empty());
            CHECK(plan.restart.empty());
            break;
        }
    }
}

TEST_CASE("reload plan: params equal as TOML values are the same however they are written") {
    const std::vector<ParamsEdit> edits{
        {"a = 1\nb = \"x\"", "b = 'x'\na = 1"},
        {"port = 16", "port = 0x10"},
        {"count = 1000", "count = 1_000"},
        {"count = 1", "count = +1"},
        {"ratio = 1000.0", "ratio = 1e3"},
        {"nan = nan", "nan = nan"},
        {"t = { x = 1, list = [1, 2] }", "[t]\nlist = [ 1, 2 ]\nx = 1"},
    };
    for (const auto &edit : edits) {
        CAPTURE(edit.before);
        CAPTURE(edit.after);
        CHECK(plan_params(edit).keep == Names{"disk"});
    }
}

TEST_CASE("reload plan: params that differ as TOML values restart the check") {
    const std::vector<ParamsEdit> edits{
        {"port = 1", "port = 1.0"},         // an integer is not a float
        {"port = 1", "port = \"1\""},       // nor a string
        {"port = 1", "port = 2"},           // another value
        {"a = 1", "a = 1\nb = 2"},          // one more key
        {"a = 1", "A = 1"},                 // keys are case-sensitive
        {"l = [1, 2]", "l = [2, 1]"},       // arrays keep their order
        {"t = { x = 1 }", "t = { x = 2 }"}, // nested tables compare deeply
        {"on = true", "on = false"},
    };
    for (const auto &edit : edits) {
        CAPTURE(edit.before);
        CAPTURE(edit.after);
        CHECK(plan_params(edit).restart == Names{"disk"});
    }
}

TEST_CASE("reload plan: no params table is the same as an empty one") {
    CheckDefinition none = disk_check(), empty = disk_check();
    none.params = {};
    empty.params = params("");
    CHECK(plan_one(none, empty).keep == Names{"disk"});
    CHECK(plan_one(none, disk_check()).restart == Names{"disk"});
}

TEST_CASE("reload plan: a plugin file replaced by a new build restarts its checks") {
    const ReloadPlan plan = plan_reload(side({version(disk_check(), "disk.so@1")}),
                                        side({version(disk_check(), "disk.so@2")}));
    CHECK(plan.restart == Names{"disk"});
    CHECK(plan.keep.empty());
}

TEST_CASE("reload plan: checks only in the loaded configuration are added, checks only in the "
          "running one removed") {
    CheckDefinition load = disk_check(), mounts = disk_check(), memory = disk_check();
    load.name = "load";
    mounts.name = "mounts";
    memory.name = "memory";
    const ReloadPlan plan =
        plan_reload(side({version(load), version(disk_check()), version(mounts)}),
                    side({version(memory), version(disk_check())}));
    CHECK(plan.keep == Names{"disk"});
    CHECK(plan.restart.empty());
    CHECK(plan.add == Names{"memory"});
    CHECK(plan.remove == Names{"load", "mounts"});
}

TEST_CASE("reload plan: from or to no checks at all") {
    const auto checks = side({version(disk_check())});
    CHECK(plan_reload(side({}), checks).add == Names{"disk"});
    CHECK(plan_reload(checks, side({})).remove == Names{"disk"});
    const ReloadPlan nothing = plan_reload(side({}), side({}));
    CHECK(nothing.keep.empty());
    CHECK(nothing.add.empty());
    CHECK(nothing.remove.empty());
}

TEST_CASE("reload plan: [isolation] moving a plugin into workers restarts its checks that do "
          "not say where they run") {
    CheckDefinition unsaid = disk_check(), in_process = disk_check();
    unsaid.name = "unsaid";
    unsaid.isolation_set = false;
    in_process.name = "in_process";
    AgentSettings isolating;
    isolating.isolation.plugins = {"disk"};
    const auto checks = std::vector{version(unsaid), version(in_process)};
    const ReloadPlan into = plan_reload(side(checks), side(checks, isolating));
    CHECK(into.restart == Names{"unsaid"});
    CHECK(into.keep == Names{"in_process"});
    const ReloadPlan back = plan_reload(side(checks, isolating), side(checks));
    CHECK(back.restart == Names{"unsaid"});
    CHECK(back.keep == Names{"in_process"});
}

TEST_CASE("reload plan: saying process where [isolation] already puts the plugin is no change") {
    CheckDefinition unsaid = disk_check(), said = disk_check();
    unsaid.isolation_set = false;
    said.isolation = Isolation::process;
    AgentSettings isolating;
    isolating.isolation.plugins = {"disk"};
    CHECK(plan_one(unsaid, said, isolating).keep == Names{"disk"});
    CHECK(plan_one(said, unsaid, isolating).keep == Names{"disk"});
    // Without [isolation] listing it, the same edit moves the check into a worker.
    CHECK(plan_one(unsaid, said).restart == Names{"disk"});
}

TEST_CASE("reload plan: a worker's limits restart the checks in workers only") {
    CheckDefinition worker = disk_check(), in_process = disk_check();
    worker.name = "worker";
    worker.isolation = Isolation::process;
    in_process.name = "in_process";
    const auto checks = std::vector{version(worker), version(in_process)};
    using Limit = void (*)(IsolationSettings &);
    const std::array<Limit, 3> limits{
        [](IsolationSettings &i) { i.memory_limit = 256 << 20; },
        [](IsolationSettings &i) { i.cpu_time_limit = 10s; },
        [](IsolationSettings &i) { i.respawn_backoff = 5s; },
    };
    for (const auto &limit : limits) {
        AgentSettings limited;
        limit(limited.isolation);
        const ReloadPlan plan = plan_reload(side(checks), side(checks, limited));
        CHECK(plan.restart == Names{"worker"});
        CHECK(plan.keep == Names{"in_process"});
    }
}

TEST_CASE("reload plan: [isolation] listing another plugin leaves a check's worker alone") {
    CheckDefinition worker = disk_check();
    worker.isolation = Isolation::process;
    AgentSettings other;
    other.isolation.plugins = {"http"};
    CHECK(plan_reload(side({version(worker)}), side({version(worker)}, other)).keep ==
          Names{"disk"});
}

TEST_CASE("reload plan: settings only a restart applies are reported by their key") {
    for (const auto &row : restart_only_changes) {
        CAPTURE(row.key);
        AgentSettings changed;
        row.change(changed);
        const ReloadPlan plan =
            plan_reload(side({version(disk_check())}), side({version(disk_check())}, changed));
        CHECK(plan.restart_only_changes == std::vector<std::string>{row.key});
        CHECK(plan.keep == Names{"disk"});
    }
    AgentSettings all;
    for (const auto &row : restart_only_changes)
        row.change(all);
    CHECK(plan_reload(side({}), side({}, all)).restart_only_changes ==
          std::vector<std::string>{"listen", "workers", "[http]", "[tls]", "history", "state_dir"});
}

TEST_CASE("reload plan: settings a reload applies are not reported") {
    for (const auto &row : applied_changes) {
        CAPTURE(row.key);
        AgentSettings changed;
        row.change(changed);
        CHECK(plan_reload(side({}), side({}, changed)).restart_only_changes.empty());
    }
}

TEST_CASE("reload plan: the running values of restart-only settings are kept, and only those") {
    AgentSettings running;
    running.workers = 4;
    running.shutdown_delay = 1s;
    for (const auto &row : restart_only_changes) {
        CAPTURE(row.key);
        AgentSettings loaded = running;
        row.change(loaded);
        loaded.shutdown_delay = 5s;
        keep_restart_only_settings(loaded, running);
        // What the plan reports and what is kept is the one list.
        CHECK(plan_reload(side({}, running), side({}, loaded)).restart_only_changes.empty());
        CHECK(loaded.shutdown_delay == 5s);
    }
}

TEST_CASE("restore identity: what restarts a check at a reload also keeps its saved state from "
          "it") {
    const std::string before = restore_identity(disk_check(), {});
    CHECK(before.size() == 64); // SHA-256, in hex
    for (const auto &row : field_changes) {
        CAPTURE(row.field);
        CheckDefinition changed = disk_check();
        row.change(changed);
        const bool same = restore_identity(changed, {}) == before;
        CHECK(same == (row.outcome == Outcome::keep));
    }
}

TEST_CASE("restore identity: the key changes every identity") {
    CHECK(restore_identity(disk_check(), {}, "one key") ==
          restore_identity(disk_check(), {}, "one key"));
    CHECK(restore_identity(disk_check(), {}, "one key") !=
          restore_identity(disk_check(), {}, "another"));
    CHECK(restore_identity(disk_check(), {}, "one key") != restore_identity(disk_check(), {}));
}

TEST_CASE("restore identity: params equal as TOML values are the same check") {
    CheckDefinition a = disk_check(), b = disk_check();
    a.params = params("path = \"/\"\nwarning = 0x10");
    b.params = params("warning = 16\n\n path = '/'");
    CHECK(restore_identity(a, {}) == restore_identity(b, {}));
    b.params = params("warning = 16.0\npath = '/'");
    CHECK(restore_identity(a, {}) != restore_identity(b, {}));
}

TEST_CASE("restore identity: [isolation] limits count for a check in a worker only") {
    IsolationSettings limited;
    limited.memory_limit = 1 << 30;
    CHECK(restore_identity(disk_check(), {}) == restore_identity(disk_check(), limited));
    CheckDefinition isolated = disk_check();
    isolated.isolation = Isolation::process;
    CHECK(restore_identity(isolated, {}) != restore_identity(isolated, limited));
    // Listing the plugin in [isolation] is the same as the check's own isolation = "process".
    CheckDefinition unset = disk_check();
    unset.isolation_set = false;
    IsolationSettings by_plugin;
    by_plugin.plugins = {"disk"};
    CHECK(restore_identity(unset, by_plugin) == restore_identity(isolated, {}));
}
