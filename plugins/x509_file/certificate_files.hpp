// Certificates and keys read from files, PEM or DER, for the x509_file check.
// SPDX-License-Identifier: MIT
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>
#include <vector>

namespace vitals::x509_file {

struct X509Deleter {
    void operator()(X509 *cert) const noexcept { X509_free(cert); }
};
struct KeyDeleter {
    void operator()(EVP_PKEY *key) const noexcept { EVP_PKEY_free(key); }
};
struct StoreDeleter {
    void operator()(X509_STORE *store) const noexcept { X509_STORE_free(store); }
};
using Certificate = std::unique_ptr<X509, X509Deleter>;
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using TrustStore = std::unique_ptr<X509_STORE, StoreDeleter>;

/// Something a run cannot read; its text is the whole reason ("/a.pem: no such file").
struct ReadFailure {
    std::string reason;
};

/// The files `pattern` names: itself when it has no glob characters (whether or not it
/// exists: reading it says why not), else every match in name order, directories left out.
/// Throws ReadFailure when a pattern matches nothing or cannot be searched.
std::vector<std::string> expand(const std::string &pattern);

/// Whether `path` has any of glob(7)'s special characters.
bool is_pattern(const std::string &path);

/// Every certificate in the file at `path`: all the CERTIFICATE blocks of a PEM file (other
/// blocks, such as a key in the same file, are skipped), or the one of a DER file.
/// Throws ReadFailure when the file cannot be read or holds no certificate.
std::vector<Certificate> read_certificates(const std::string &path);

/// The private key in the file at `path`, PEM or DER. An encrypted key is a ReadFailure: the
/// agent has no passphrase and must never prompt for one.
PrivateKey read_private_key(const std::string &path);

/// The CA certificates in the PEM file at `path`, as a store to verify chains against.
TrustStore read_trust_store(const std::string &path);

} // namespace vitals::x509_file
