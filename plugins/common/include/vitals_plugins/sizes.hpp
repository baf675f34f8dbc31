// Sizes as users write them in parameters: "10GiB", "500MB", "4096". SPDX-License-Identifier: MIT
#pragma once

#include <vitals/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::plugins {

/// "10GiB", "1.5 TB", "4096": bytes, with decimal (kB, MB, ...) or binary (KiB, MiB, ...) units
/// in any case. A bare "G" is refused: nobody can tell whether it means GB or GiB.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// The size in the string parameter `key` when it is set; refused at the key unless it reads
/// as parse_size() reads it.
std::optional<std::uint64_t> size_param(const vitals::Params &params, const char *key);

} // namespace vitals::plugins
