// The agent's one loopback rule and its one way of comparing secrets.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "core/loopback.hpp"
#include "core/secret_digest.hpp"

using vitals::is_loopback;
using vitals::same_secret;

TEST_CASE("loopback: names, 127.0.0.0/8, ::1 and IPv4-mapped 127.x are this machine") {
    for (const char *host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"})
        CHECK_MESSAGE(is_loopback(host), host);
    for (const char *host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::ffff:10.0.0.1",
                             "localhost.example", "", "1.127.0.0"})
        CHECK_MESSAGE(!is_loopback(host), host);
}

TEST_CASE("secrets: equal only when the same, whatever the lengths") {
    CHECK(same_secret("s3cret-token", "s3cret-token"));
    CHECK_FALSE(same_secret("s3cret-token", "s3cret-tokeN"));
    CHECK_FALSE(same_secret("s3cret", "s3cret-token")); // a prefix is not the secret
    CHECK_FALSE(same_secret("s3cret-token-and-more", "s3cret-token"));
    CHECK_FALSE(same_secret("", "x"));
    CHECK(same_secret("", ""));
    // What is kept is a SHA-256 digest, not the secret.
    const auto digest = vitals::digest_of_secret("s3cret-token");
    CHECK(digest.size() == 32);
    CHECK(std::string(digest.begin(), digest.end()).find("s3cret") == std::string::npos);
}
