// Text into HTML. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace vitals {

/// Escapes & < > " ' so any text (plugin messages are untrusted) is safe both
/// between tags and inside a quoted attribute.
std::string html_escape(std::string_view text);

} // namespace vitals
