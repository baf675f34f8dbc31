// agent.toml [tls], apart from the rest of the configuration so the TLS module
// (agent/tls/) can include it without toml++. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>

namespace vitals {

/// agent.toml [tls]: HTTPS instead of HTTP, optionally with client certificates.
struct TlsSettings {
    std::filesystem::path certificate; ///< PEM chain; empty: plain HTTP
    std::filesystem::path private_key; ///< PEM
    std::filesystem::path
        client_ca; ///< PEM; set: every client must present a certificate it signed
    /// PEM certificate and key `vitalsd push` presents to an agent with client_ca.
    /// The agent itself never opens them (it may not be allowed to read the key).
    std::filesystem::path client_certificate;
    std::filesystem::path client_key;
    bool enabled() const { return !certificate.empty(); }
    bool operator==(const TlsSettings &) const = default;
};

} // namespace vitals
