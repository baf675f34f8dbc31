// SPDX-License-Identifier: MIT
#include "core/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace vitals {

DescriptorLimit raise_descriptor_limit(std::size_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {0, 0};
    const DescriptorLimit found{limit.rlim_cur, limit.rlim_cur};
    if (limit.rlim_cur >= wanted) return found;
    rlimit raised = limit;
    raised.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) return found;
    return {limit.rlim_cur, raised.rlim_cur};
}

} // namespace vitals
