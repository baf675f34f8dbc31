// The TLS module's client side: the HTTPS session `vitalsd push` opens to its agent.
// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>

#include "config/listen_address.hpp"
#include "push/client_tls.hpp"

namespace vitals {

/// An HTTPS session to `address`, not yet connected. Throws Poco::Exception when
/// the certificate files cannot be used.
std::unique_ptr<Poco::Net::HTTPClientSession> https_agent_session(const ListenAddress &address,
                                                                  const ClientTls &tls);

/// Whether `error` is the agent's certificate failing verification.
bool is_certificate_rejection(const Poco::Exception &error);

} // namespace vitals
