// Sizes such as "256MiB". SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitals {

/// Parses "<number>[unit]" with B, KB/MB/GB/TB (powers of 1000) or
/// KiB/MiB/GiB/TiB (powers of 1024); nullopt when malformed.
std::optional<std::uint64_t> parse_bytes(std::string_view text);

/// The largest binary unit that divides `bytes` exactly: "64KiB", "1GiB", "1500B".
/// parse_bytes reads it back as the same size.
std::string format_bytes(std::uint64_t bytes);

} // namespace vitals
