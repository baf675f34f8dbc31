// SPDX-License-Identifier: MIT
#include "core/process_usage.hpp"

#include <fstream>

#include <sys/resource.h>
#include <unistd.h>

namespace vitals {
namespace {

double seconds_of(const timeval &time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
}

} // namespace

std::optional<ProcessUsage> read_process_usage() {
    // statm's second field: resident pages. getrusage only knows the peak.
    std::ifstream statm{"/proc/self/statm"};
    std::uint64_t size_pages = 0, resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return std::nullopt;
    return ProcessUsage{seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime),
                        resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE))};
}

} // namespace vitals
