// The CPU quota of the cgroup the agent runs in. SPDX-License-Identifier: MIT
#include "cgroup_cpu.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <system_error>
#include <vector>

namespace vitals::plugins::cpu {
namespace {

/// A level's quota in CPUs: v2's cpu.max "50000 100000" ("max 100000": none), v1's
/// cpu.cfs_quota_us over cpu.cfs_period_us (-1: none).
std::optional<double> quota_at(const std::string &directory, bool v2) {
    std::uint64_t quota = 0;
    std::uint64_t period = 0;
    if (v2) {
        const auto text = cgroup::read_file(directory + "/cpu.max");
        if (!text) return std::nullopt;
        const std::string_view line{*text};
        const auto space = line.find(' ');
        if (space == std::string_view::npos) return std::nullopt;
        const auto digits = [](std::string_view field, std::uint64_t &value) {
            field = field.substr(0, field.find_first_of(" \n"));
            const auto [end, error] =
                std::from_chars(field.data(), field.data() + field.size(), value);
            return error == std::errc{} && end == field.data() + field.size();
        };
        if (!digits(line.substr(0, space), quota) || !digits(line.substr(space + 1), period))
            return std::nullopt;
    } else {
        const auto v1_quota = cgroup::read_number(directory + "/cpu.cfs_quota_us");
        const auto v1_period = cgroup::read_number(directory + "/cpu.cfs_period_us");
        if (!v1_quota || !v1_period) return std::nullopt;
        quota = *v1_quota;
        period = *v1_period;
    }
    if (quota == 0 || period == 0) return std::nullopt;
    return static_cast<double>(quota) / static_cast<double>(period);
}

} // namespace

std::optional<CgroupCpu> cpu_limit(const cgroup::Location &cpu,
                                   const std::optional<cgroup::Location> &cpuacct,
                                   double host_cpus) {
    const auto quota_levels = cgroup::levels(cpu);
    std::optional<CgroupCpu> tightest;
    for (std::size_t level = 0; level < quota_levels.size(); ++level) {
        const auto cpus = quota_at(quota_levels[level], cpu.v2);
        if (!cpus || *cpus >= host_cpus || (tightest && *cpus >= tightest->cpus)) continue;
        std::string usage_directory = quota_levels[level];
        if (!cpu.v2) {
            // v1 counts time in the cpuacct hierarchy: the cgroup as many levels up there.
            if (!cpuacct) continue;
            const auto usage_levels = cgroup::levels(*cpuacct);
            usage_directory = usage_levels[std::min(level, usage_levels.size() - 1)];
        }
        tightest = CgroupCpu{*cpus, quota_levels[level], usage_directory, cpu.v2};
    }
    return tightest;
}

std::optional<CgroupCpuTimes> read_cgroup_times(const CgroupCpu &limit) {
    CgroupCpuTimes times;
    const auto stat = cgroup::read_file(limit.quota_directory + "/cpu.stat");
    if (!stat) return std::nullopt;
    times.periods = cgroup::stat_value(*stat, "nr_periods").value_or(0);
    times.throttled = cgroup::stat_value(*stat, "nr_throttled").value_or(0);
    if (limit.v2) {
        const auto usage = cgroup::stat_value(*stat, "usage_usec");
        if (!usage) return std::nullopt;
        times.usage_ns = *usage * 1000;
        times.user = cgroup::stat_value(*stat, "user_usec").value_or(0);
        times.system = cgroup::stat_value(*stat, "system_usec").value_or(0);
        return times;
    }
    const auto usage = cgroup::read_number(limit.usage_directory + "/cpuacct.usage");
    const auto split = cgroup::read_file(limit.usage_directory + "/cpuacct.stat");
    if (!usage || !split) return std::nullopt;
    times.usage_ns = *usage;
    times.user = cgroup::stat_value(*split, "user").value_or(0);
    times.system = cgroup::stat_value(*split, "system").value_or(0);
    return times;
}

std::optional<CgroupUtilisation> cgroup_utilisation(const CgroupCpuTimes &before,
                                                    const CgroupCpuTimes &after, double seconds,
                                                    double cpus) {
    const auto delta = [](std::uint64_t from, std::uint64_t to) {
        return static_cast<double>(to > from ? to - from : 0);
    };
    if (!(seconds > 0 && cpus > 0)) return std::nullopt;
    CgroupUtilisation shares;
    shares.used = delta(before.usage_ns, after.usage_ns) / 1e9 / (seconds * cpus) * 100;
    // The split comes in coarser units than the usage (ticks in v1): it divides, not adds.
    const double user = delta(before.user, after.user);
    const double system = delta(before.system, after.system);
    if (user + system > 0) {
        shares.user = shares.used * user / (user + system);
        shares.system = shares.used * system / (user + system);
    }
    const double periods = delta(before.periods, after.periods);
    if (periods > 0) shares.throttled = delta(before.throttled, after.throttled) / periods * 100;
    return shares;
}

} // namespace vitals::plugins::cpu
