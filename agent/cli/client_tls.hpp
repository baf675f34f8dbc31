// How `vitalsd push` speaks TLS to its agent. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>

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

} // namespace vitals
