// agent.toml [tls], apart from the rest of the configuration: the server's TLS
// context needs only this. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>

namespace vitals {

/// agent.toml [tls]: HTTPS instead of HTTP, optionally with client certificates.
struct TlsSettings {
    std::filesystem::path certificate; ///< PEM chain; empty: plain HTTP
    std::filesystem::path private_key; ///< PEM
    /// Decrypts private_key when it is encrypted; usually a secret reference in agent.toml.
    std::string key_passphrase;
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
