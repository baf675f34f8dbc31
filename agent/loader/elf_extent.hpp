// How much of an ELF file its headers describe. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vitals {

/// Why the file of `size` bytes open at `fd` is cut short: its ELF headers describe
/// bytes past its end ("holds 4096 bytes; its headers describe 70112"). A copy still
/// being written looks like this, and the dynamic linker would map it and then fault on
/// the missing pages, killing the process (SIGBUS) instead of refusing it. nullopt when
/// every described byte is there, or when it is no 64-bit ELF file at all (dlopen()
/// refuses that with its own words).
std::optional<std::string> elf_shortfall(int fd, std::uint64_t size);

} // namespace vitals
