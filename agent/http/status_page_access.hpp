// What the status page shows a caller without the read scope, and how a browser signs in.
// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "core/status.hpp"
#include "http/http_types.hpp"

namespace vitals {

/// The page for a caller with the probe scope only: the overall status and how to
/// present a token, nothing about the host, the agent or its checks.
std::string render_restricted_page(Status overall);

/// The answer for GET / before any page is rendered, if it is not the page: a caller below
/// the probe scope, or one asking to sign in (`/?login`) without read, gets 401 with a
/// Basic challenge, so a browser asks for a token as the password; `/?login` with read
/// redirects to the page. A browser cannot send bearer tokens, but it sends the Basic
/// credentials it was given with every later request, the page's own polling included.
std::optional<HttpResponse> status_page_gate(const HttpRequest &request);

} // namespace vitals
