// The memory and cpu plugins in a cgroup with limits, end to end: the test makes the cgroup,
// starts the real vitalsd and a helper process (hog.c) in it, sets the limits and makes the
// helper use memory and CPU against them. Needs root (see test_cgroup.hpp).
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include <vitals_plugins/cgroup.hpp>

#include "plugins_system/hog.hpp"
#include "plugins_system/system_fixture.hpp"
#include "plugins_system/test_cgroup.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;
namespace cgroup = vitals::plugins::cgroup;

constexpr double mib = 1024.0 * 1024.0;

/// Memory charged to the cgroup less its inactive file cache: what the plugin calls the
/// working set.
double working_set(const TestCgroup &group) {
    const double usage =
        std::stod(group.read(group.v2() ? "memory.current" : "memory.usage_in_bytes"));
    const auto inactive = cgroup::stat_value(group.read("memory.stat"),
                                             group.v2() ? "inactive_file" : "total_inactive_file");
    return usage - static_cast<double>(inactive.value_or(0));
}

double host_memory() {
    std::istringstream meminfo{read_text("/proc/meminfo")};
    std::string key;
    double kib = 0;
    meminfo >> key >> kib;
    REQUIRE(key == "MemTotal:");
    return kib * 1024;
}

/// Makes the hog grow until the cgroup's working set is about `share` of `limit`.
void grow_to(Hog &hog, const TestCgroup &group, double limit, double share) {
    const double missing = share * limit - working_set(group);
    REQUIRE_MESSAGE(missing > mib, "already at " << working_set(group) / limit * 100 << "%");
    hog.command("memory " + std::to_string(static_cast<int>(missing / mib)));
}

} // namespace

TEST_CASE("cgroup limits: memory is judged against a memory limit set while the agent runs") {
    if (!cgroups_available()) return;
    TestCgroup group{"memory"};
    group.enter();
    Hog hog{"vitals-cgroup-memory"};
    Agent agent{
        check_toml("limited", "memory", "available_warning = 60, available_error = 30") +
        check_toml("host", "memory", "available_warning = 0, available_error = 0, cgroup = false")};
    group.leave();

    // No limit yet: the host's memory, as outside any container.
    const auto unlimited = wait_until_not_pending(agent.port(), "limited", 10s);
    CHECK(required_metric(unlimited, "total_bytes") == host_memory());
    CHECK_FALSE(contains(message_of(unlimited), "cgroup"));

    // A limit eight times what the agent and the hog use now: 87.5% available.
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    const double limit = std::ceil(std::max(8 * working_set(group), 128 * mib) / page) * page;
    group.write(group.v2() ? "memory.max" : "memory.limit_in_bytes",
                std::to_string(static_cast<long long>(limit)));
    const auto limited = wait_until(
        agent.port(), "limited",
        [limit](const Object::Ptr &json) { return required_metric(json, "total_bytes") == limit; },
        10s);
    CHECK(status_of(limited) == "ok");
    CHECK(contains(message_of(limited), " within the cgroup limit of " + group.path() + ", "));
    CHECK(required_metric(limited, "available_percent") ==
          doctest::Approx((limit - working_set(group)) / limit * 100).epsilon(0.1));

    grow_to(hog, group, limit, 0.55);
    const auto tight = wait_for_status(agent.port(), "limited", "warning");
    CHECK(required_metric(tight, "available_percent") < 60);
    CHECK(contains(message_of(tight), ": available < 60.0%"));

    grow_to(hog, group, limit, 0.85);
    const auto exhausted = wait_for_status(agent.port(), "limited", "error");
    CHECK(required_metric(exhausted, "available_percent") < 30);
    CHECK(http_get(agent.port(), "/health/checks/limited").status == 503);

    // cgroup = false: the host's view, whatever the limit.
    const auto host = wait_until_not_pending(agent.port(), "host", 10s);
    CHECK(status_of(host) == "ok");
    CHECK(required_metric(host, "total_bytes") == host_memory());
}

TEST_CASE("cgroup limits: CPU is judged against a quota set while the agent runs, throttling too") {
    if (!cgroups_available()) return;
    TestCgroup cpu{"cpu"};
    // v1 counts CPU time in the cpuacct hierarchy: a twin there, unless it is the same one.
    std::optional<TestCgroup> cpuacct;
    const auto own_cpu = cgroup::locate_own("cpu");
    const auto own_cpuacct = cgroup::locate_own("cpuacct");
    if (!cpu.v2() && own_cpuacct && own_cpuacct->mount_point != own_cpu->mount_point)
        cpuacct.emplace("cpuacct");
    cpu.enter();
    if (cpuacct) cpuacct->enter();
    Hog hog{"vitals-cgroup-cpu"};
    Agent agent{check_toml("limited", "cpu", "used_warning = 40, used_error = 70") +
                check_toml("host", "cpu", "cgroup = false")};
    cpu.leave();
    if (cpuacct) cpuacct->leave();

    // No quota yet: the host's CPUs, as outside any container.
    const auto unlimited = wait_until_not_pending(agent.port(), "limited", 10s);
    CHECK_FALSE(metric(unlimited, "limit_cpus").has_value());
    CHECK(contains(message_of(unlimited), " on "));

    // A fifth of one CPU, set while the agent runs (and after it started, which a sanitizer
    // build does slowly enough without a quota).
    if (cpu.v2())
        cpu.write("cpu.max", "20000 100000");
    else
        cpu.write("cpu.cfs_quota_us", "20000");
    const auto idle = wait_until(
        agent.port(), "limited",
        [](const Object::Ptr &json) {
            return metric(json, "limit_cpus").has_value() && status_of(json) == "ok";
        },
        10s);
    CHECK(required_metric(idle, "limit_cpus") == doctest::Approx(0.2));
    CHECK(contains(message_of(idle), "% of the cgroup quota of 0.20 CPUs used (user "));
    CHECK(metric_unit(idle, "throttled_percent") == "percent");

    // Four spinning threads want far more than a fifth of a CPU, however busy the machine:
    // the quota runs out in every period.
    for (int thread = 0; thread < 4; ++thread)
        hog.command("spin");
    const auto busy = wait_until(
        agent.port(), "limited",
        [](const Object::Ptr &json) {
            return status_of(json) == "error" && required_metric(json, "throttled_percent") > 0;
        },
        15s);
    CHECK(required_metric(busy, "used_percent") >= 70);
    CHECK(contains(message_of(busy), ": used >= 70.0%"));

    // cgroup = false: the host's CPUs, whatever the quota.
    const auto host = wait_until_not_pending(agent.port(), "host", 10s);
    CHECK_FALSE(metric(host, "limit_cpus").has_value());
    CHECK(required_metric(host, "cpus") == static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)));
    expect_promtool_clean(agent.port());
}
