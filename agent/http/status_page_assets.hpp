// The status page's files, embedded at build time. SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace vitals::assets {

/// agent/http/status_page/*, byte for byte (see embed_assets.cmake).
extern const std::string_view status_html; ///< the page template, {{placeholders}} and all
extern const std::string_view status_css;
extern const std::string_view status_js;

} // namespace vitals::assets
