// /proc/self/mountinfo read: which file system is mounted where. SPDX-License-Identifier: MIT
#include <vitals_plugins/mountinfo.hpp>

#include <algorithm>

namespace vitals::plugins {
namespace {

/// "\040" -> " ": mountinfo escapes space, tab, newline and backslash as three octal digits.
std::string unescape(std::string_view field) {
    std::string text;
    text.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        const auto is_octal = [&](std::size_t at) {
            return at < field.size() && field[at] >= '0' && field[at] <= '7';
        };
        if (field[i] == '\\' && is_octal(i + 1) && is_octal(i + 2) && is_octal(i + 3)) {
            text += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0'));
            i += 3;
        } else {
            text += field[i];
        }
    }
    return text;
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (start < line.size()) {
        const auto end = std::min(line.find(' ', start), line.size());
        if (end > start) fields.push_back(line.substr(start, end - start));
        start = end + 1;
    }
    return fields;
}

} // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
    // 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    // (1)(2)(3)   (4)   (5)         (6)        (7...)   - (8)  (9)       (10)
    std::vector<MountEntry> entries;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        const auto fields = split_fields(text.substr(start, end - start));
        start = end + 1;
        const auto separator = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 6 || separator == fields.end() || separator + 1 == fields.end() ||
            separator - fields.begin() < 6)
            continue;
        const auto super_options =
            separator + 3 < fields.end() ? std::string{*(separator + 3)} : std::string{};
        entries.push_back({std::string{fields[2]}, unescape(fields[3]), unescape(fields[4]),
                           std::string{*(separator + 1)}, super_options});
    }
    return entries;
}

} // namespace vitals::plugins
