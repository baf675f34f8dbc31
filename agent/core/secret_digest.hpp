// Secrets compared without giving them away. SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

#include <Poco/DigestEngine.h>

namespace vitals {

using SecretDigest = Poco::DigestEngine::Digest;

/// The SHA-256 of a secret: what the agent keeps of a token, so a memory dump does not
/// give it away, and what it compares, so the time a comparison takes depends on neither
/// secret's length nor on where they differ.
SecretDigest digest_of_secret(std::string_view secret);

/// Whether `given` is `expected`, compared as digests in constant time.
bool same_secret(std::string_view given, std::string_view expected);

} // namespace vitals
