// An HttpResponse as bytes on the wire. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "http/http_types.hpp"

namespace vitals {

/// The standard reason phrase for `status` ("Service Unavailable").
std::string_view reason_phrase(int status);

/// Appends the status line, headers and (unless `head_only`) the body to `out`.
/// `keep_alive` false adds "Connection: close". Header names and values that a
/// handler built from untrusted text lose any CR or LF, so no header can be injected.
void write_response(const HttpResponse &response, bool head_only, bool keep_alive,
                    std::string &out);

/// A minimal error response (JSON body naming the problem) for requests that
/// never reached the router.
HttpResponse error_response(int status, std::string_view detail);

} // namespace vitals
