// Finding the agent's cgroup and reading its limits, on made-up /proc text and on directory
// trees laid out as cgroup v2 lays them out: this machine binds memory and cpu to cgroup v1, so
// the v2 files are tested here and v1 end to end in cgroup_test.cpp. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include <vitals_plugins/cgroup.hpp>

#include "cgroup_cpu.hpp"
#include "cgroup_memory.hpp"
#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::plugins;
using vitals::test::TempDir;

/// This machine's shape: every controller on a v1 hierarchy of its own, and an empty v2.
constexpr const char *hybrid_mountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr const char *hybrid_cgroups = "8:pids:/\n"
                                       "4:memory:/jobs/a7e0\n"
                                       "2:cpuacct:/\n"
                                       "1:cpu:/\n"
                                       "0::/\n";

} // namespace

TEST_CASE("cgroup: /proc/self/cgroup lines, paths with colons included") {
    const auto memberships = cgroup::parse_proc_cgroup("4:memory:/a:b\n0::/system.slice/x\nbad\n");
    REQUIRE(memberships.size() == 2);
    CHECK(memberships[0].controllers == "memory");
    CHECK(memberships[0].path == "/a:b");
    CHECK(memberships[1].controllers.empty());
    CHECK(memberships[1].path == "/system.slice/x");
}

TEST_CASE("cgroup: located on v1 before v2, co-mounted or not, and walked up to the mount") {
    const auto mounts = parse_mountinfo(hybrid_mountinfo);
    const auto memberships = cgroup::parse_proc_cgroup(hybrid_cgroups);
    const auto memory = cgroup::locate("memory", memberships, mounts);
    REQUIRE(memory.has_value());
    CHECK_FALSE(memory->v2);
    CHECK(memory->directory == "/sys/fs/cgroup/memory/jobs/a7e0");
    CHECK(memory->mount_point == "/sys/fs/cgroup/memory");
    CHECK(cgroup::levels(*memory) == std::vector<std::string>{"/sys/fs/cgroup/memory/jobs/a7e0",
                                                              "/sys/fs/cgroup/memory/jobs",
                                                              "/sys/fs/cgroup/memory"});
    const auto cpu = cgroup::locate("cpu", memberships, mounts);
    REQUIRE(cpu.has_value());
    CHECK(cpu->directory == "/sys/fs/cgroup/cpu");
    CHECK(cgroup::levels(*cpu) == std::vector<std::string>{"/sys/fs/cgroup/cpu"});
    // Not "cpu" inside "cpuset": controllers are compared whole.
    const auto comounted = cgroup::locate(
        "cpuacct", cgroup::parse_proc_cgroup("3:cpuset:/x\n2:cpu,cpuacct:/docker/c1\n"),
        parse_mountinfo(
            "1 0 0:1 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
            "2 0 0:2 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"));
    REQUIRE(comounted.has_value());
    CHECK(comounted->directory == "/sys/fs/cgroup/cpu,cpuacct/docker/c1");
}

TEST_CASE("cgroup: v2 alone, and the views from inside a container") {
    const auto pure = cgroup::locate(
        "memory", cgroup::parse_proc_cgroup("0::/system.slice/vitals.service\n"),
        parse_mountinfo("25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"));
    REQUIRE(pure.has_value());
    CHECK(pure->v2);
    CHECK(pure->directory == "/sys/fs/cgroup/system.slice/vitals.service");
    // A private cgroup namespace: the container's cgroup is "/" and mounted as the root.
    const auto private_ns =
        cgroup::locate("memory", cgroup::parse_proc_cgroup("0::/\n"),
                       parse_mountinfo("5 1 0:30 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n"));
    REQUIRE(private_ns.has_value());
    CHECK(private_ns->directory == "/sys/fs/cgroup");
    CHECK(cgroup::levels(*private_ns) == std::vector<std::string>{"/sys/fs/cgroup"});
    // The host's namespace, the container's own cgroup bind-mounted (older Docker on v1).
    const auto bound = cgroup::locate(
        "memory", cgroup::parse_proc_cgroup("9:memory:/docker/c1\n"),
        parse_mountinfo(
            "7 1 0:33 /docker/c1 /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"));
    REQUIRE(bound.has_value());
    CHECK(bound->directory == "/sys/fs/cgroup/memory");
    // A mount of another part of the hierarchy shows nothing of this process's cgroup.
    CHECK_FALSE(cgroup::locate("memory", cgroup::parse_proc_cgroup("9:memory:/other\n"),
                               parse_mountinfo("7 1 0:33 /docker/c1 /sys/fs/cgroup/memory ro - "
                                               "cgroup cgroup rw,memory\n"))
                    .has_value());
    CHECK_FALSE(
        cgroup::locate("memory", cgroup::parse_proc_cgroup(hybrid_cgroups), {}).has_value());
}

TEST_CASE("cgroup: v2 memory, the tightest limit by room left, file cache not counted") {
    TempDir root;
    // A pod with 1 GiB, a container in it with 768 MiB; the pod's is tighter by room left.
    root.write("kubepods/memory.max", "1073741824\n");
    root.write("kubepods/memory.current", "1000000000\n");
    root.write("kubepods/memory.stat", "anon 900000000\nfile 100000000\ninactive_file 50000000\n");
    root.write("kubepods/app/memory.max", "805306368\n");
    root.write("kubepods/app/memory.current", "500000000\n");
    root.write("kubepods/app/memory.stat", "anon 400000000\ninactive_file 100000000\n");
    root.write("kubepods/app/worker/memory.max", "max\n");
    root.write("kubepods/app/worker/memory.current", "1000\n");
    const cgroup::Location location{(root.path() / "kubepods/app/worker").string(),
                                    root.path().string(), true};
    const auto limited = memory::memory_limit(location, 32ull << 30);
    REQUIRE(limited.has_value());
    CHECK(limited->limit == 1073741824);
    CHECK(limited->working_set == 950000000);
    CHECK(limited->directory == (root.path() / "kubepods").string());
    // A limit at or above the host's memory limits nothing.
    CHECK_FALSE(memory::memory_limit(location, 512ull << 20).has_value());
    CHECK_FALSE(memory::memory_limit({(root.path() / "kubepods/app/worker").string(),
                                      (root.path() / "kubepods/app/worker").string(), true},
                                     32ull << 30)
                    .has_value());
}

TEST_CASE("cgroup: v2 CPU, the tightest quota, its usage and throttling between two readings") {
    TempDir root;
    root.write("slice/cpu.max", "200000 100000\n");
    root.write("slice/app/cpu.max", "50000 100000\n");
    root.write("slice/app/cpu.stat", "usage_usec 1000000\nuser_usec 800000\nsystem_usec 200000\n"
                                     "nr_periods 100\nnr_throttled 10\nthrottled_usec 5\n");
    root.write("slice/app/inner/cpu.max", "max 100000\n");
    const cgroup::Location location{(root.path() / "slice/app/inner").string(),
                                    root.path().string(), true};
    const auto limit = cpu::cpu_limit(location, std::nullopt, 8);
    REQUIRE(limit.has_value());
    CHECK(limit->cpus == 0.5);
    CHECK(limit->quota_directory == (root.path() / "slice/app").string());
    CHECK(limit->usage_directory == limit->quota_directory);
    const auto before = cpu::read_cgroup_times(*limit);
    REQUIRE(before.has_value());
    CHECK(before->usage_ns == 1'000'000'000);
    // Two seconds later: a quarter CPU-second used, of the 0.5 * 2 the quota allowed.
    root.write("slice/app/cpu.stat", "usage_usec 1250000\nuser_usec 1000000\nsystem_usec 250000\n"
                                     "nr_periods 120\nnr_throttled 15\n");
    const auto after = cpu::read_cgroup_times(*limit);
    REQUIRE(after.has_value());
    const auto shares = cpu::cgroup_utilisation(*before, *after, 2.0, limit->cpus);
    REQUIRE(shares.has_value());
    CHECK(shares->used == doctest::Approx(25));
    CHECK(shares->user == doctest::Approx(20));
    CHECK(shares->system == doctest::Approx(5));
    CHECK(shares->throttled == doctest::Approx(25));
    // A quota of at least the host's CPUs limits nothing.
    CHECK_FALSE(cpu::cpu_limit(location, std::nullopt, 0.5).has_value());
}

TEST_CASE("cpu: /proc/stat's first line, and the shares between two readings") {
    const auto before = cpu::parse_proc_stat("cpu  100 0 50 800 40 5 5 0 0 0\ncpu0 1 2 3 4\n");
    REQUIRE(before.has_value());
    CHECK(before->user == 100);
    CHECK(before->system == 60);
    const auto after = cpu::parse_proc_stat("cpu  160 20 70 900 60 0 10 20 5 0\n");
    REQUIRE(after.has_value());
    const auto shares = cpu::utilisation(*before, *after);
    REQUIRE(shares.has_value());
    // 80 user (nice in it), 20 system (irq and softirq in it), 100 idle, 20 iowait, 20 steal.
    CHECK(shares->user == doctest::Approx(80.0 / 240 * 100));
    CHECK(shares->system == doctest::Approx(20.0 / 240 * 100));
    CHECK(shares->iowait == doctest::Approx(20.0 / 240 * 100));
    CHECK(shares->steal == doctest::Approx(20.0 / 240 * 100));
    CHECK(shares->used == doctest::Approx(50));
    CHECK_FALSE(cpu::utilisation(*after, *after).has_value());
    CHECK_FALSE(cpu::parse_proc_stat("intr 1 2 3\n").has_value());
}
