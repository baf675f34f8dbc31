// Vitals "memory" checker: available memory and swap use, against the host's memory or the
// agent's cgroup limit. SPDX-License-Identifier: MIT
#include "cgroup_memory.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using namespace vitals::plugins;
using vitals::Status;

constexpr const char *meminfo_path = "/proc/meminfo";

// key, type, required, default, description, secret
constexpr vitals_param_spec memory_params[] = {
    {"available_warning", VITALS_PARAM_FLOAT, 0, "10",
     "Warn when less than this percentage of memory is available (0-100)", 0},
    {"available_error", VITALS_PARAM_FLOAT, 0, "5",
     "Fail when less than this percentage of memory is available (0-100)", 0},
    {"swap_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when this percentage of swap is used (0-100); unset: swap never warns", 0},
    {"swap_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when this percentage of swap is used (0-100); unset: swap never fails", 0},
    {"cgroup", VITALS_PARAM_BOOL, 0, "true",
     "Judge available memory against the memory limit of the agent's cgroup (a container's) "
     "when it has one",
     0},
    {}, // the NULL key that ends the table
};

/// The "Key:   1234 kB" lines of /proc/meminfo, in bytes.
std::map<std::string, std::uint64_t, std::less<>> parse_meminfo(const std::string &text) {
    std::map<std::string, std::uint64_t, std::less<>> values;
    std::istringstream lines{text};
    std::string line;
    while (std::getline(lines, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto digits = line.find_first_of("0123456789", colon);
        if (digits == std::string::npos) continue;
        std::uint64_t number = 0;
        const auto [end, error] =
            std::from_chars(line.data() + digits, line.data() + line.size(), number);
        if (error != std::errc{}) continue;
        // Every size in meminfo is in kB, which the kernel means as KiB; counts carry no unit.
        const bool kibibytes =
            std::string_view{end, line.data() + line.size()}.find("kB") != std::string_view::npos;
        values[line.substr(0, colon)] = kibibytes ? number * 1024 : number;
    }
    return values;
}

struct Memory {
    std::uint64_t total_bytes; ///< the host's, or the cgroup's limit
    std::uint64_t available_bytes;
    std::uint64_t swap_total_bytes;
    std::uint64_t swap_free_bytes;
    std::string limited_by; ///< the cgroup directory whose limit total_bytes is, if any

    double available_percent() const {
        return static_cast<double>(available_bytes) / static_cast<double>(total_bytes) * 100;
    }
    std::uint64_t swap_used_bytes() const {
        return swap_total_bytes - std::min(swap_free_bytes, swap_total_bytes);
    }
    double swap_used_percent() const {
        if (swap_total_bytes == 0) return 0;
        return static_cast<double>(swap_used_bytes()) / static_cast<double>(swap_total_bytes) * 100;
    }
};

class MemoryCheck {
public:
    explicit MemoryCheck(const vitals::Params &params)
        : available_warning_(percentage(params, "available_warning")),
          available_error_(percentage(params, "available_error")),
          cgroup_(params.boolean("cgroup")) {
        const auto percent = [](double value) { return fixed(value, 1); };
        require_not_above(params, "available_error", available_error_, "available_warning",
                          available_warning_, percent, ": less available memory is worse");
        if (params.has("swap_warning")) swap_warning_ = percentage(params, "swap_warning");
        if (params.has("swap_error")) swap_error_ = percentage(params, "swap_error");
        require_not_above(params, "swap_warning", swap_warning_, "swap_error", swap_error_,
                          percent);
    }

    void run(vitals::Run &run) const {
        std::ifstream file{meminfo_path};
        if (!file.is_open()) {
            run.error(std::string{"cannot read "} + meminfo_path + ": " + describe_errno(errno));
            return;
        }
        std::ostringstream text;
        text << file.rdbuf();
        const auto values = parse_meminfo(text.str());
        const auto value = [&values](std::string_view key) -> std::optional<std::uint64_t> {
            const auto found = values.find(key);
            if (found == values.end()) return std::nullopt;
            return found->second;
        };
        const auto total = value("MemTotal");
        // MemAvailable (Linux 3.14+) is the kernel's own estimate of what can be allocated
        // without swapping, page cache included; MemFree alone would alarm on every busy host.
        const auto available = value("MemAvailable");
        if (!total || *total == 0 || !available) {
            run.error(std::string{meminfo_path} + " has no MemTotal or MemAvailable (Linux "
                                                  "older than 3.14?)");
            return;
        }
        Memory memory{*total,
                      std::min(*available, *total),
                      value("SwapTotal").value_or(0),
                      value("SwapFree").value_or(0),
                      {}};
        if (cgroup_) within_cgroup_limit(memory);
        report(run, memory);
    }

private:
    /// In a cgroup with a memory limit (a container), that limit is what runs out, whatever
    /// the host has: the kernel's OOM killer acts on it. Swap stays the host's.
    static void within_cgroup_limit(Memory &memory) {
        const auto location = cgroup::locate_own("memory");
        if (!location) return;
        const auto limited = memory::memory_limit(*location, memory.total_bytes);
        if (!limited) return;
        memory.total_bytes = limited->limit;
        memory.available_bytes = limited->limit - std::min(limited->working_set, limited->limit);
        memory.limited_by = limited->directory;
    }

    void report(vitals::Run &run, const Memory &memory) const {
        const double available = memory.available_percent();
        run.metric("available_percent", available, "percent");
        run.metric("available_bytes", static_cast<double>(memory.available_bytes), "bytes");
        run.metric("total_bytes", static_cast<double>(memory.total_bytes), "bytes");
        run.metric("swap_used_percent", memory.swap_used_percent(), "percent");
        run.metric("swap_used_bytes", static_cast<double>(memory.swap_used_bytes()), "bytes");
        run.metric("swap_total_bytes", static_cast<double>(memory.swap_total_bytes), "bytes");

        Status status = Status::ok;
        std::vector<std::string> reasons;
        const auto add = [&](Status level, std::string reason) {
            status = std::max(status, level);
            reasons.push_back(std::move(reason));
        };
        if (available < available_error_)
            add(Status::error, "available < " + fixed(available_error_, 1) + "%");
        else if (available < available_warning_)
            add(Status::warning, "available < " + fixed(available_warning_, 1) + "%");
        // Without swap there is nothing to fill: swap thresholds apply only where swap exists.
        if (memory.swap_total_bytes > 0) {
            const double swap = memory.swap_used_percent();
            if (swap_error_ && swap >= *swap_error_)
                add(Status::error, "swap used >= " + fixed(*swap_error_, 1) + "%");
            else if (swap_warning_ && swap >= *swap_warning_)
                add(Status::warning, "swap used >= " + fixed(*swap_warning_, 1) + "%");
        }

        std::string message =
            human_bytes(memory.available_bytes) + " of " + human_bytes(memory.total_bytes) +
            " available (" + fixed(available, 1) + "%)" +
            (memory.limited_by.empty() ? "" : " within the cgroup limit of " + memory.limited_by) +
            ", ";
        if (memory.swap_total_bytes == 0)
            message += "no swap";
        else
            message += "swap " + fixed(memory.swap_used_percent(), 1) + "% used (" +
                       human_bytes(memory.swap_used_bytes()) + " of " +
                       human_bytes(memory.swap_total_bytes) + ")";
        for (std::size_t i = 0; i < reasons.size(); ++i)
            message += (i ? ", " : ": ") + reasons[i];
        run.result(status, message);
    }

    double available_warning_;
    double available_error_;
    std::optional<double> swap_warning_;
    std::optional<double> swap_error_;
    bool cgroup_;
};

} // namespace

VITALS_CPP_PLUGIN(MemoryCheck, "memory", "0.2.0",
                  "Available memory (MemAvailable, or room under the agent's cgroup limit) and "
                  "swap use",
                  memory_params)
