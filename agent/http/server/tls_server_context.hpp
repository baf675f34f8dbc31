// The server side of TLS, as Poco NetSSL holds it. SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Net/Context.h>

#include "config/tls_settings.hpp"

namespace vitals {

/// Certificate, key, TLS 1.2 as the minimum and, with a client CA, required client
/// certificates (mTLS). Throws std::runtime_error naming the files when they cannot be used.
Poco::Net::Context::Ptr make_tls_server_context(const TlsSettings &settings);

} // namespace vitals
