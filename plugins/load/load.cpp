// Vitals "load" checker: the 1, 5 and 15 minute load averages. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace vitals::plugins;
using vitals::Status;

constexpr const char *loadavg_path = "/proc/loadavg";

// key, type, required, default, description, secret
constexpr vitals_param_spec load_params[] = {
    {"load1_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when the 1-minute load average reaches this", 0},
    {"load1_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when the 1-minute load average reaches this", 0},
    {"load5_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when the 5-minute load average reaches this", 0},
    {"load5_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when the 5-minute load average reaches this", 0},
    {"load15_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when the 15-minute load average reaches this", 0},
    {"load15_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when the 15-minute load average reaches this", 0},
    {"per_cpu", VITALS_PARAM_BOOL, 0, "false",
     "Divide the averages by the number of online CPUs before comparing them", 0},
    {}, // the NULL key that ends the table
};

/// One of the three averages: its name in metrics and keys, and its thresholds.
struct Average {
    const char *name;   ///< "load1"
    const char *label;  ///< "1m", in messages
    const char *metric; ///< "load1_per_cpu"
    std::optional<double> warning;
    std::optional<double> error;
};

/// The three numbers at the start of /proc/loadavg: "0.69 0.79 0.76 1/87 32700".
std::optional<std::array<double, 3>> parse_loadavg(const std::string &text) {
    std::array<double, 3> values{};
    const char *at = text.data();
    const char *end = text.data() + text.size();
    for (double &value : values) {
        while (at < end && *at == ' ')
            ++at;
        const auto [next, error] = std::from_chars(at, end, value);
        if (error != std::errc{}) return std::nullopt;
        at = next;
    }
    return values;
}

class LoadCheck {
public:
    explicit LoadCheck(const vitals::Params &params) : per_cpu_(params.boolean("per_cpu")) {
        for (auto &average : averages_) {
            const std::string warning_key = average.name + std::string{"_warning"};
            const std::string error_key = average.name + std::string{"_error"};
            average.warning = threshold(params, warning_key);
            average.error = threshold(params, error_key);
            require_not_above(params, warning_key.c_str(), average.warning, error_key.c_str(),
                              average.error, [](double load) { return fixed(load, 2); });
        }
    }

    void run(vitals::Run &run) const {
        std::ifstream file{loadavg_path};
        if (!file.is_open()) {
            run.error(std::string{"cannot read "} + loadavg_path + ": " + describe_errno(errno));
            return;
        }
        std::ostringstream text;
        text << file.rdbuf();
        const auto loads = parse_loadavg(text.str());
        if (!loads) {
            run.error(std::string{"cannot parse "} + loadavg_path + ": \"" + text.str() + "\"");
            return;
        }
        // Online, not configured: a CPU taken offline runs nothing. This counts the host's CPUs;
        // a container limited to fewer by its cgroup still sees the host-wide load.
        const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
        const long cpus = online > 0 ? online : 1;
        report(run, *loads, cpus);
    }

private:
    static std::optional<double> threshold(const vitals::Params &params, const std::string &key) {
        if (!params.has(key.c_str())) return std::nullopt;
        const double value = params.number(key.c_str());
        // Written as a positive range test so that NaN, which TOML allows, fails it too.
        if (!(value >= 0 && value < 1e9))
            params.reject(key.c_str(), "must be a load of 0 or more, got " + fixed(value, 2));
        return value;
    }

    void report(vitals::Run &run, const std::array<double, 3> &loads, long cpus) const {
        for (std::size_t i = 0; i < averages_.size(); ++i)
            run.metric(averages_[i].name, loads[i]);
        run.metric("cpus", static_cast<double>(cpus), "count");
        const double divisor = per_cpu_ ? static_cast<double>(cpus) : 1.0;
        if (per_cpu_)
            for (std::size_t i = 0; i < averages_.size(); ++i)
                run.metric(averages_[i].metric, loads[i] / divisor);

        Status status = Status::ok;
        std::vector<std::string> reasons;
        for (std::size_t i = 0; i < averages_.size(); ++i) {
            const Average &average = averages_[i];
            const double value = loads[i] / divisor;
            const auto crossed = [&](Status level, double limit) {
                status = std::max(status, level);
                reasons.push_back(std::string{average.label} + " " + fixed(value, 2) +
                                  " >= " + fixed(limit, 2));
            };
            if (average.error && value >= *average.error)
                crossed(Status::error, *average.error);
            else if (average.warning && value >= *average.warning)
                crossed(Status::warning, *average.warning);
        }

        // "load 0.69 0.79 0.76 on 2 CPUs" or "load per CPU 0.35 0.40 0.38 on 2 CPUs"
        std::string message = per_cpu_ ? "load per CPU" : "load";
        for (const double load : loads)
            message += " " + fixed(load / divisor, 2);
        message += " on " + std::to_string(cpus) + (cpus == 1 ? " CPU" : " CPUs");
        for (std::size_t i = 0; i < reasons.size(); ++i)
            message += (i ? ", " : ": ") + reasons[i];
        run.result(status, message);
    }

    bool per_cpu_;
    std::array<Average, 3> averages_{{{"load1", "1m", "load1_per_cpu", {}, {}},
                                      {"load5", "5m", "load5_per_cpu", {}, {}},
                                      {"load15", "15m", "load15_per_cpu", {}, {}}}};
};

} // namespace

VITALS_CPP_PLUGIN(LoadCheck, "load", "0.1.0",
                  "The 1, 5 and 15 minute load averages, optionally per online CPU", load_params)
