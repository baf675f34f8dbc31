// Vitals "cpu" checker: CPU utilisation since the previous run: used, user, system, iowait and
// steal, of the host's CPUs or of the agent's cgroup quota. SPDX-License-Identifier: MIT
#include "cgroup_cpu.hpp"
#include "cpu_times.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace vitals::plugins;
using namespace vitals::plugins::cpu;
using vitals::Status;

constexpr const char *stat_path = "/proc/stat";

/// The shortest window a result covers: the first run, with no previous run to compare with,
/// watches the CPUs this long, and so does a run that comes this soon after the previous one.
constexpr std::chrono::milliseconds first_window{200};

// key, type, required, default, description, secret
constexpr vitals_param_spec cpu_params[] = {
    {"used_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when this percentage of CPU time was used (all but idle and iowait)", 0},
    {"used_error", VITALS_PARAM_FLOAT, 0, nullptr, "Fail when this percentage of CPU time was used",
     0},
    {"user_warning", VITALS_PARAM_FLOAT, 0, nullptr, "Warn at this percentage in user mode", 0},
    {"user_error", VITALS_PARAM_FLOAT, 0, nullptr, "Fail at this percentage in user mode", 0},
    {"system_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn at this percentage in the kernel (system, irq, softirq)", 0},
    {"system_error", VITALS_PARAM_FLOAT, 0, nullptr, "Fail at this percentage in the kernel", 0},
    {"iowait_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn at this percentage idle waiting for I/O", 0},
    {"iowait_error", VITALS_PARAM_FLOAT, 0, nullptr, "Fail at this percentage idle waiting for I/O",
     0},
    {"steal_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn at this percentage taken by the hypervisor for other guests", 0},
    {"steal_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail at this percentage taken by the hypervisor", 0},
    {"cgroup", VITALS_PARAM_BOOL, 0, "true",
     "Judge used, user and system against the CPU quota of the agent's cgroup (a container's) "
     "when it has one",
     0},
    {}, // the NULL key that ends the table
};

/// One share of CPU time: its name in keys, metrics and messages, and its limits.
struct Share {
    const char *name;
    double Utilisation::*value;
    std::optional<double> warning;
    std::optional<double> error;
};

/// What the CPUs did, of the host or of the cgroup's quota: what the limits judge.
struct Figures {
    Utilisation shares;
    std::optional<CgroupUtilisation> cgroup; ///< the cgroup's shares replace used, user, system
    std::optional<CgroupCpu> limit;
};

struct Sample {
    CpuTimes times;
    std::optional<CgroupCpu> limit;       ///< the agent's cgroup quota, if any
    std::optional<CgroupCpuTimes> cgroup; ///< the time used against it
    Clock::time_point at;
};

/// The agent's cgroup CPU quota, if it has one below the host's CPUs.
std::optional<CgroupCpu> own_cpu_limit(long host_cpus) {
    const auto cpu = cgroup::locate_own("cpu");
    if (!cpu) return std::nullopt;
    return cpu_limit(*cpu, cpu->v2 ? cpu : cgroup::locate_own("cpuacct"),
                     static_cast<double>(host_cpus));
}

/// Online, not configured: a CPU taken offline runs nothing.
long online_cpus() {
    const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? online : 1;
}

class CpuCheck {
public:
    explicit CpuCheck(const vitals::Params &params) : cgroup_(params.boolean("cgroup")) {
        for (Share &share : shares_) {
            const std::string warning_key = share.name + std::string{"_warning"};
            const std::string error_key = share.name + std::string{"_error"};
            if (params.has(warning_key.c_str()))
                share.warning = percentage(params, warning_key.c_str());
            if (params.has(error_key.c_str())) share.error = percentage(params, error_key.c_str());
            require_not_above(params, warning_key.c_str(), share.warning, error_key.c_str(),
                              share.error, [](double percent) { return fixed(percent, 1); });
        }
    }

    void run(vitals::Run &run) {
        const long cpus = online_cpus();
        std::string problem;
        auto now = sample(cpus, problem);
        if (!now) {
            run.error(problem);
            return;
        }
        // No previous run, or one just now (a late run is followed by an early one): watch
        // for a moment, so that every result is a measurement over a window worth the name.
        if (!previous_) previous_ = now;
        if (const auto since = now->at - previous_->at; since < first_window) {
            const auto left = run.time_left();
            std::this_thread::sleep_for(
                std::min<std::chrono::nanoseconds>(first_window - since, left / 4));
            now = sample(cpus, problem);
            if (!now) {
                run.error(problem);
                return;
            }
        }
        const auto shares = utilisation(previous_->times, now->times);
        const auto window = now->at - previous_->at;
        std::optional<CgroupUtilisation> cgroup_shares;
        // The same quota at both ends, or the two readings count different things.
        if (previous_->cgroup && now->cgroup &&
            previous_->limit->usage_directory == now->limit->usage_directory)
            cgroup_shares =
                cgroup_utilisation(*previous_->cgroup, *now->cgroup,
                                   std::chrono::duration<double>(window).count(), now->limit->cpus);
        previous_ = now;
        run.metric("cpus", static_cast<double>(cpus), "count");
        if (!shares) {
            run.ok("no CPU time passed since the previous run, " + format_duration(window) +
                   " ago");
            return;
        }
        report(run, Figures{*shares, cgroup_shares, cgroup_shares ? now->limit : std::nullopt},
               window, cpus);
    }

private:
    std::optional<Sample> sample(long cpus, std::string &problem) const {
        std::ifstream file{stat_path};
        if (!file.is_open()) {
            problem = std::string{"cannot read "} + stat_path + ": " + describe_errno(errno);
            return std::nullopt;
        }
        std::ostringstream text;
        text << file.rdbuf();
        const auto times = parse_proc_stat(text.str());
        if (!times) {
            problem = std::string{stat_path} + " has no \"cpu\" line";
            return std::nullopt;
        }
        Sample sample{*times, {}, {}, Clock::now()};
        // Looked up every run: a quota can be set or lifted while the agent runs.
        if (cgroup_) sample.limit = own_cpu_limit(cpus);
        if (sample.limit) sample.cgroup = read_cgroup_times(*sample.limit);
        return sample;
    }

    void report(vitals::Run &run, const Figures &figures, Clock::duration window, long cpus) const {
        Utilisation shares = figures.shares;
        if (figures.cgroup) {
            shares.used = figures.cgroup->used;
            shares.user = figures.cgroup->user;
            shares.system = figures.cgroup->system;
            run.metric("limit_cpus", figures.limit->cpus, "count");
            run.metric("throttled_percent", figures.cgroup->throttled, "percent");
        }
        Status status = Status::ok;
        std::vector<std::string> reasons;
        for (const Share &share : shares_) {
            const double value = shares.*share.value;
            run.metric((share.name + std::string{"_percent"}).c_str(), value, "percent");
            const auto crossed = [&](Status level, double limit) {
                status = std::max(status, level);
                reasons.push_back(std::string{share.name} + " >= " + fixed(limit, 1) + "%");
            };
            if (share.error && value >= *share.error)
                crossed(Status::error, *share.error);
            else if (share.warning && value >= *share.warning)
                crossed(Status::warning, *share.warning);
        }
        std::string message = figures.cgroup ? cgroup_message(shares, figures, window)
                                             : host_message(shares, window, cpus);
        for (std::size_t i = 0; i < reasons.size(); ++i)
            message += (i ? ", " : ": ") + reasons[i];
        run.result(status, message);
    }

    /// "CPU 23.4% used (user 20.1%, system 3.3%, iowait 0.0%, steal 0.0%) over 30.0 s on 2 CPUs"
    static std::string host_message(const Utilisation &shares, Clock::duration window, long cpus) {
        return "CPU " + fixed(shares.used, 1) + "% used (user " + fixed(shares.user, 1) +
               "%, system " + fixed(shares.system, 1) + "%, iowait " + fixed(shares.iowait, 1) +
               "%, steal " + fixed(shares.steal, 1) + "%) over " + format_duration(window) +
               " on " + std::to_string(cpus) + (cpus == 1 ? " CPU" : " CPUs");
    }

    /// "CPU 95.3% of the cgroup quota of 0.50 CPUs used (user 90.1%, system 5.2%), throttled
    /// in 80.0% of periods, over 1.00 s; host iowait 0.0%, steal 0.0%"
    static std::string cgroup_message(const Utilisation &shares, const Figures &figures,
                                      Clock::duration window) {
        return "CPU " + fixed(shares.used, 1) + "% of the cgroup quota of " +
               fixed(figures.limit->cpus, 2) + " CPUs used (user " + fixed(shares.user, 1) +
               "%, system " + fixed(shares.system, 1) + "%), throttled in " +
               fixed(figures.cgroup->throttled, 1) + "% of periods, over " +
               format_duration(window) + "; host iowait " + fixed(shares.iowait, 1) + "%, steal " +
               fixed(shares.steal, 1) + "%";
    }

    std::array<Share, 5> shares_{{{"used", &Utilisation::used, {}, {}},
                                  {"user", &Utilisation::user, {}, {}},
                                  {"system", &Utilisation::system, {}, {}},
                                  {"iowait", &Utilisation::iowait, {}, {}},
                                  {"steal", &Utilisation::steal, {}, {}}}};
    bool cgroup_;
    std::optional<Sample> previous_;
};

} // namespace

VITALS_CPP_PLUGIN(CpuCheck, "cpu", "0.1.0",
                  "CPU utilisation since the previous run: used, user, system, iowait and steal, "
                  "of the host or of the agent's cgroup quota",
                  cpu_params)
