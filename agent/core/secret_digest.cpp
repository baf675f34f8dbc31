// SPDX-License-Identifier: MIT
#include "core/secret_digest.hpp"

#include <Poco/SHA2Engine.h>

namespace vitals {

SecretDigest digest_of_secret(std::string_view secret) {
    Poco::SHA2Engine sha256{Poco::SHA2Engine::SHA_256};
    sha256.update(secret.data(), static_cast<unsigned>(secret.size()));
    return sha256.digest();
}

bool same_secret(std::string_view given, std::string_view expected) {
    return Poco::DigestEngine::constantTimeEquals(digest_of_secret(given),
                                                  digest_of_secret(expected));
}

} // namespace vitals
