// Monit-style limits on what matched processes use. SPDX-License-Identifier: MIT
#include "resource_limits.hpp"

#include <vitals_plugins/sizes.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <algorithm>
#include <chrono>

namespace vitals::plugins::process {
namespace {

/// How each measure is named, read and shown.
struct MeasureInfo {
    const char *key;    ///< "memory": the parameters are memory_warning and memory_error
    const char *label;  ///< in messages
    const char *metric; ///< its metric's name
    const char *unit;
    bool below;    ///< worse when smaller (min_age)
    bool summable; ///< added up with aggregate = "sum"
    std::optional<double> (*value)(const Usage &);
    std::string (*show)(double);
};

std::string show_bytes(double bytes) {
    return human_bytes(static_cast<std::uint64_t>(bytes));
}
std::string show_percent(double percent) {
    return fixed(percent, 1) + "%";
}
std::string show_count(double count) {
    return fixed(count, 0);
}
std::string show_seconds(double seconds) {
    if (seconds < 60) return fixed(seconds, 1) + "s";
    if (seconds < 3600) return fixed(seconds / 60, 1) + "m";
    if (seconds < 86400) return fixed(seconds / 3600, 1) + "h";
    return fixed(seconds / 86400, 1) + "d";
}
double age_seconds(const Usage &usage) {
    return std::chrono::duration<double>(usage.age).count();
}

constexpr std::array<MeasureInfo, ResourceLimits::measures> measure_info{{
    {"memory", "memory", "memory_bytes", "bytes", false, true,
     [](const Usage &u) -> std::optional<double> { return static_cast<double>(u.resident_bytes); },
     show_bytes},
    {"cpu", "cpu", "cpu_percent", "percent", false, true,
     [](const Usage &u) { return u.cpu_percent; }, show_percent},
    {"open_files", "open files", "open_files", "count", false, true,
     [](const Usage &u) -> std::optional<double> {
         if (!u.open_files) return std::nullopt;
         return static_cast<double>(*u.open_files);
     },
     show_count},
    {"threads", "threads", "threads", "count", false, true,
     [](const Usage &u) -> std::optional<double> { return static_cast<double>(u.threads); },
     show_count},
    {"max_age", "age", "oldest_age", "seconds", false, false,
     [](const Usage &u) -> std::optional<double> { return age_seconds(u); }, show_seconds},
    {"min_age", "age", "youngest_age", "seconds", true, false,
     [](const Usage &u) -> std::optional<double> { return age_seconds(u); }, show_seconds},
}};

/// A non-negative number from `key`, read as its measure's parameters are written.
std::optional<double> level(const vitals::Params &params, ResourceLimits::Measure measure,
                            const std::string &key) {
    if (!params.has(key.c_str())) return std::nullopt;
    switch (measure) {
    case ResourceLimits::memory:
        return static_cast<double>(*size_param(params, key.c_str()));
    case ResourceLimits::cpu: {
        const double percent = params.number(key.c_str());
        // Written as a positive range test so that NaN, which TOML allows, fails it too.
        if (!(percent >= 0 && percent < 1e6))
            params.reject(key.c_str(),
                          "must be a percentage of one CPU, 0 or more, got " + fixed(percent, 1));
        return percent;
    }
    case ResourceLimits::open_files:
    case ResourceLimits::threads: {
        const std::int64_t count = params.integer(key.c_str());
        if (count < 1)
            params.reject(key.c_str(), "must be 1 or more, got " + std::to_string(count));
        return static_cast<double>(count);
    }
    case ResourceLimits::max_age:
    case ResourceLimits::min_age: {
        const auto limit =
            time_limit(params, key.c_str(),
                       measure == ResourceLimits::max_age ? "every process is older than that"
                                                          : "no process is younger than that");
        return std::chrono::duration<double>(*limit).count();
    }
    case ResourceLimits::measures:
        break;
    }
    return std::nullopt;
}

} // namespace

ResourceLimits::ResourceLimits(const vitals::Params &params) {
    const std::string aggregate = params.string("aggregate");
    if (aggregate != "each" && aggregate != "sum")
        params.reject("aggregate", "must be \"each\" or \"sum\", got \"" + aggregate + "\"");
    sum_ = aggregate == "sum";
    for (std::size_t i = 0; i < measures; ++i) {
        const MeasureInfo &info = measure_info[i];
        const std::string warning_key = info.key + std::string{"_warning"};
        const std::string error_key = info.key + std::string{"_error"};
        Levels &levels = levels_[i];
        levels.warning = level(params, static_cast<Measure>(i), warning_key);
        levels.error = level(params, static_cast<Measure>(i), error_key);
        if (info.below)
            require_not_above(params, error_key.c_str(), levels.error, warning_key.c_str(),
                              levels.warning, info.show, ": a younger process is worse");
        else
            require_not_above(params, warning_key.c_str(), levels.warning, error_key.c_str(),
                              levels.error, info.show);
    }
}

bool ResourceLimits::count_open_files() const {
    return levels_[open_files].set();
}

Judgement ResourceLimits::judge(const std::vector<Usage> &usages) const {
    Judgement judgement;
    const auto judge_value = [&](const MeasureInfo &info, const Levels &levels, double value,
                                 const std::string &whose) {
        const auto crossed = [&](double limit) {
            return info.below ? value < limit : value >= limit;
        };
        const auto add = [&](vitals::Status status, double limit) {
            judgement.status = std::max(judgement.status, status);
            judgement.reasons.push_back(whose + info.label + " " + info.show(value) +
                                        (info.below ? " < " : " >= ") + info.show(limit));
        };
        if (levels.error && crossed(*levels.error))
            add(vitals::Status::error, *levels.error);
        else if (levels.warning && crossed(*levels.warning))
            add(vitals::Status::warning, *levels.warning);
    };

    for (std::size_t i = 0; i < measures; ++i) {
        const MeasureInfo &info = measure_info[i];
        const Levels &levels = levels_[i];
        std::optional<double> reported; // largest, smallest (below) or sum
        for (const Usage &usage : usages) {
            const auto value = info.value(usage);
            if (!value) continue;
            if (sum_ && info.summable)
                reported = reported.value_or(0) + *value;
            else if (!reported || (info.below ? *value < *reported : *value > *reported))
                reported = *value;
            if (!(sum_ && info.summable))
                judge_value(info, levels, *value, "pid " + std::to_string(usage.pid) + " ");
        }
        if (!reported) continue;
        if (sum_ && info.summable) judge_value(info, levels, *reported, "total ");
        judgement.metrics.push_back({info.metric, *reported, info.unit});
    }
    return judgement;
}

} // namespace vitals::plugins::process
