// SPDX-License-Identifier: MIT
#include "loader/elf_extent.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

namespace vitals {
namespace {

/// Reads exactly `size` bytes at `offset`; false if the file has fewer.
bool read_at(int fd, void *data, std::size_t size, std::uint64_t offset) {
    auto *bytes = static_cast<char *>(data);
    while (size > 0) {
        const ssize_t n = ::pread(fd, bytes, size, static_cast<off_t>(offset));
        if (n <= 0) return false;
        bytes += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

/// The end of `count` entries of `entry_size` bytes at `offset`; nullopt on overflow.
std::optional<std::uint64_t> table_end(std::uint64_t offset, std::uint64_t count,
                                       std::uint64_t entry_size) {
    std::uint64_t bytes = 0, end = 0;
    if (__builtin_mul_overflow(count, entry_size, &bytes) ||
        __builtin_add_overflow(offset, bytes, &end))
        return std::nullopt;
    return end;
}

/// The furthest byte the header and the program and section header tables reach.
std::optional<std::uint64_t> described_end(int fd, const Elf64_Ehdr &header, std::uint64_t size) {
    const auto programs = table_end(header.e_phoff, header.e_phnum, header.e_phentsize);
    const auto sections = header.e_shoff == 0
                              ? std::optional<std::uint64_t>{0}
                              : table_end(header.e_shoff, header.e_shnum, header.e_shentsize);
    if (!programs || !sections) return std::nullopt;
    std::uint64_t end = std::max({std::uint64_t{sizeof header}, *programs, *sections});
    // The segments the dynamic linker maps: only readable when the table itself is there.
    if (*programs > size || header.e_phentsize < sizeof(Elf64_Phdr)) return end;
    for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment{};
        if (!read_at(fd, &segment, sizeof segment, header.e_phoff + i * header.e_phentsize))
            return end;
        const auto segment_end = table_end(segment.p_offset, 1, segment.p_filesz);
        if (!segment_end) return std::nullopt;
        end = std::max(end, *segment_end);
    }
    return end;
}

} // namespace

std::optional<std::string> elf_shortfall(int fd, std::uint64_t size) {
    if (size == 0) return "is empty";
    unsigned char ident[EI_NIDENT]{};
    const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(size, EI_NIDENT));
    if (!read_at(fd, ident, have, 0)) return "could not be read back";
    if (std::memcmp(ident, ELFMAG, std::min<std::size_t>(have, SELFMAG)) != 0) return std::nullopt;
    if (have < EI_NIDENT || size < sizeof(Elf64_Ehdr))
        return fmt::format("holds {} bytes, less than an ELF header", size);
    if (ident[EI_CLASS] != ELFCLASS64) return std::nullopt;
    Elf64_Ehdr header{};
    if (!read_at(fd, &header, sizeof header, 0)) return "could not be read back";
    const auto end = described_end(fd, header, size);
    if (!end) return "has ELF headers that describe more than any file can hold";
    if (*end > size) return fmt::format("holds {} bytes; its ELF headers describe {}", size, *end);
    return std::nullopt;
}

} // namespace vitals
