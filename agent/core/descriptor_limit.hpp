// The process's file descriptor limit, raised to what the agent needs. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace vitals {

/// What raise_descriptor_limit() found and did.
struct DescriptorLimit {
    std::size_t before; ///< the soft limit found
    std::size_t now;    ///< the soft limit after: at most the hard limit
};

/// Raises the soft RLIMIT_NOFILE to `wanted` if it is lower, as far as the hard limit
/// allows (never lowers it). systemd starts services with a soft limit of 1024, which
/// a thousand open HTTP connections outgrow.
DescriptorLimit raise_descriptor_limit(std::size_t wanted);

} // namespace vitals
