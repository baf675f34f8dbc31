// SPDX-License-Identifier: MIT
#include "core/utf8.hpp"

namespace vitals {

std::size_t utf8_sequence_length(std::string_view text) {
    if (text.empty()) return 0;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto continuation = [&](std::size_t i) {
        return i < text.size() && (byte(i) & 0xC0) == 0x80;
    };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!continuation(1) || !continuation(2)) return 0;
        if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
        if (lead == 0xED && byte(1) >= 0xA0) return 0; // surrogate
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
        if (lead == 0xF0 && byte(1) < 0x90) return 0;  // overlong
        if (lead == 0xF4 && byte(1) >= 0x90) return 0; // above U+10FFFF
        return 4;
    }
    return 0;
}

bool is_valid_utf8(std::string_view text) {
    while (!text.empty()) {
        const auto length = utf8_sequence_length(text);
        if (length == 0) return false;
        text.remove_prefix(length);
    }
    return true;
}

bool is_plain_text(std::string_view text) {
    while (!text.empty()) {
        const auto length = utf8_sequence_length(text);
        if (length == 0) return false;
        const auto lead = static_cast<unsigned char>(text[0]);
        const bool c0_or_del = length == 1 && (lead < 0x20 || lead == 0x7f);
        const bool c1 = length == 2 && lead == 0xC2 && static_cast<unsigned char>(text[1]) < 0xA0;
        if (c0_or_del || c1) return false;
        text.remove_prefix(length);
    }
    return true;
}

} // namespace vitals
