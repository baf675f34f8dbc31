// JSON pieces shared by the routes. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace vitals {

/// {"error": ..., "detail": ...} for 4xx answers of the native routes.
std::string render_error(std::string_view error, std::string_view detail);

} // namespace vitals
