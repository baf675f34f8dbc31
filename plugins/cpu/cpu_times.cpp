// The host's CPU time from /proc/stat. SPDX-License-Identifier: MIT
#include "cpu_times.hpp"

#include <array>
#include <charconv>
#include <string_view>
#include <system_error>

namespace vitals::plugins::cpu {

std::optional<CpuTimes> parse_proc_stat(const std::string &text) {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice", the first line;
    // kernels before 2.6.11 stop early, and missing fields read as 0.
    if (!text.starts_with("cpu ")) return std::nullopt;
    const std::string_view line{
        text.data(), text.find('\n') == std::string::npos ? text.size() : text.find('\n')};
    std::array<std::uint64_t, 8> fields{};
    const char *at = line.data() + 3;
    const char *end = line.data() + line.size();
    std::size_t read = 0;
    for (; read < fields.size(); ++read) {
        while (at < end && *at == ' ')
            ++at;
        if (at == end) break;
        const auto [next, error] = std::from_chars(at, end, fields[read]);
        if (error != std::errc{}) return std::nullopt;
        at = next;
    }
    if (read < 4) return std::nullopt;
    const auto [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
    return CpuTimes{user + nice, system + irq + softirq, idle, iowait, steal};
}

std::optional<Utilisation> utilisation(const CpuTimes &before, const CpuTimes &after) {
    // Counters only grow, but a CPU taken offline takes its ticks out of the sum: clamp at 0.
    const auto delta = [](std::uint64_t from, std::uint64_t to) {
        return static_cast<double>(to > from ? to - from : 0);
    };
    const double user = delta(before.user, after.user);
    const double system = delta(before.system, after.system);
    const double idle = delta(before.idle, after.idle);
    const double iowait = delta(before.iowait, after.iowait);
    const double steal = delta(before.steal, after.steal);
    const double total = user + system + idle + iowait + steal;
    if (total <= 0) return std::nullopt;
    const double percent = 100 / total;
    return Utilisation{(user + system + steal) * percent, user * percent, system * percent,
                       iowait * percent, steal * percent};
}

} // namespace vitals::plugins::cpu
