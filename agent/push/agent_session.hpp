// The HTTP or HTTPS session `vitalsd push` opens to its agent. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <memory>

#include <Poco/Net/HTTPClientSession.h>

#include "config/listen_address.hpp"

namespace vitals {

/// How to speak TLS to an agent. Default: plain HTTP.
struct ClientTls {
    bool https = false;
    /// PEM certificates the agent's certificate must chain to.
    std::filesystem::path trusted;
    /// `trusted` is the agent's own certificate (its [tls] certificate file): any
    /// certificate in it is a trust anchor, and the host name is not compared, as
    /// the address is the agent's listen address rather than a name it was issued to.
    bool pinned = false;
    std::filesystem::path certificate; ///< PEM; presented when the agent asks (client_ca)
    std::filesystem::path private_key; ///< PEM, for `certificate`
};

/// A session to `address`, not yet connected. Throws Poco::Exception when the
/// certificate files cannot be used.
std::unique_ptr<Poco::Net::HTTPClientSession> open_agent_session(const ListenAddress &address,
                                                                 const ClientTls &tls);

} // namespace vitals
