// How notifiers speak TLS to a receiver (HTTPS, SMTP). SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>

#include <Poco/Net/Context.h>

namespace vitals {

/// A client context trusting `ca_file` (empty: the system's CAs), checking the receiver's
/// certificate and name unless `verify` is false. Throws Poco::Exception for a bad CA file.
Poco::Net::Context::Ptr tls_client_context(const std::filesystem::path &ca_file, bool verify);

} // namespace vitals
