// SPDX-License-Identifier: MIT
#include "checks/plugin_text.hpp"

#include <algorithm>

#include "core/utf8.hpp"

namespace vitals {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";
/// However long the text, no more than this is ever looked at past the limit: plugins are
/// bounded too.
constexpr std::size_t max_overshoot = 4 * 1024 * 1024;

bool is_control(std::string_view piece) {
    return piece.size() == 1 && (static_cast<unsigned char>(piece[0]) < 0x20 || piece[0] == 0x7f);
}

/// Cuts `text` to at most `max_bytes` at a character boundary, marking the cut.
std::string bounded(std::string text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    text.resize(cut);
    return text + "…";
}

} // namespace

std::string clean_plugin_text(std::string_view text, std::size_t max_bytes,
                              const Secrets *secrets) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text.substr(i));
        const std::string_view piece = length ? text.substr(i, length) : replacement_character;
        i += length ? length : 1;
        if (is_control(piece)) {
            if (piece[0] == '\n' || piece[0] == '\r' || piece[0] == '\t') out += ' ';
            continue;
        }
        out += piece;
        // Without secrets only the cut remains to be found; with them, redaction must see a
        // secret whole before the cut, or half of it would survive.
        if (!secrets && out.size() > max_bytes) break;
        if (out.size() > max_bytes + max_overshoot) break;
    }
    if (secrets) out = secrets->redact(std::move(out));
    return bounded(std::move(out), max_bytes);
}

} // namespace vitals
