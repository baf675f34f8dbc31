// The HTTP or HTTPS session `vitalsd push` opens to its agent. SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include <Poco/Net/HTTPClientSession.h>

#include "cli/client_tls.hpp"
#include "config/listen_address.hpp"

namespace vitals {

/// A session to `address`, not yet connected: HTTPS with TLS 1.2 at least, trusting
/// only `tls.trusted`. Throws Poco::Exception when the certificate files cannot be used.
std::unique_ptr<Poco::Net::HTTPClientSession> open_agent_session(const ListenAddress &address,
                                                                 const ClientTls &tls);

/// Whether `error`, from an HTTPS session, is the agent's certificate failing verification.
bool agent_certificate_rejected(const Poco::Exception &error);

} // namespace vitals
