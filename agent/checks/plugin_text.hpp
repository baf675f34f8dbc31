// Text a plugin hands the host, made fit for JSON, HTML and the log. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "checks/secrets.hpp"

namespace vitals {

/// `text` as valid UTF-8 (bad bytes become U+FFFD) on one line (line breaks and tabs become
/// spaces, other control characters such as ESC go), without `secrets` (may be null), and at
/// most `max_bytes` long, cut at a character boundary with "…" appended.
std::string clean_plugin_text(std::string_view text, std::size_t max_bytes, const Secrets *secrets);

} // namespace vitals
