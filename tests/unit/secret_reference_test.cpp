// Secret references in agent.toml and conf.d: { file }, { env }, { credential }, read when the
// configuration is. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "config/config_reader.hpp"
#include "support/config_case.hpp"
#include "support/scoped_environment.hpp"

using namespace vitals;
using vitals::test::ScopedEnvironment;

namespace {

const std::string secret = "S3cret-Pa55word-value";

using SecretCase = vitals::test::ConfigCase;
using vitals::test::errors_of;

/// A check whose `password` is `reference`, written on line 3 of conf.d/checks.toml.
std::string check_with(const std::string &reference) {
    return "[check.db]\nplugin = \"postgres\"\nparams = { host = \"db\", password = " + reference +
           " }\n";
}

std::string password_of(const ConfigReadResult &result) {
    REQUIRE(result.errors.empty());
    REQUIRE(result.config.checks.size() == 1);
    const auto &params = result.config.checks[0].params;
    REQUIRE(params->get("password") != nullptr);
    return params->get("password")->value_or(std::string{"(not a string)"});
}

} // namespace

TEST_CASE("secret references: a file gives its first line, its newline dropped") {
    SecretCase c;
    c.dir.write_secret("pg", secret + "\nsecond line\n");
    const auto result =
        c.read("", check_with("{ file = \"" + (c.dir.path() / "pg").string() + "\" }"));
    CHECK(password_of(result) == secret);
    // The value is marked as from a reference, at the reference: secret, and errors point there.
    const auto &references = result.config.checks[0].params.from_references();
    REQUIRE(references.contains("password"));
    CHECK(references.at("password").line == 3);
    CHECK(references.at("password").file.ends_with("checks.toml"));
    // A relative path is read next to the conf.d file that names it.
    c.dir.write_secret("conf.d/pg", secret + "\r\n");
    CHECK(password_of(c.read("", check_with("{ file = \"pg\" }"))) == secret);
}

TEST_CASE("secret references: an environment variable and a systemd credential") {
    SecretCase c;
    {
        const ScopedEnvironment variable{"VITALS_TEST_PG_PASSWORD", secret};
        CHECK(password_of(c.read("", check_with("{ env = \"VITALS_TEST_PG_PASSWORD\" }"))) ==
              secret);
    }
    c.dir.write_secret("credentials/pg", secret + "\n");
    const ScopedEnvironment credentials{"CREDENTIALS_DIRECTORY",
                                        (c.dir.path() / "credentials").string()};
    CHECK(password_of(c.read("", check_with("{ credential = \"pg\" }"))) == secret);
}

TEST_CASE("secret references: what cannot be read is an error at file, line and key") {
    SecretCase c;
    const auto error_for = [&](const std::string &reference) {
        const auto result = c.read("", check_with(reference));
        CHECK(result.config.checks.empty());
        const std::string errors = errors_of(result);
        CHECK(errors.find("checks.toml:3:") != std::string::npos);
        CHECK(errors.find(": check.db.params.password: ") != std::string::npos);
        CHECK(errors.find(secret) == std::string::npos);
        return errors;
    };
    CHECK(error_for("{ file = \"missing\" }").find("secret file 'missing': cannot read") !=
          std::string::npos);
    const auto open = c.dir.write("conf.d/open", secret + "\n");
    std::filesystem::permissions(open, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    CHECK(error_for("{ file = \"open\" }").find("accessible by every user") != std::string::npos);
    c.dir.write_secret("conf.d/large", std::string(64 * 1024 + 1, 'x'));
    CHECK(error_for("{ file = \"large\" }").find("is larger than 65536 bytes") !=
          std::string::npos);
    c.dir.write_secret("conf.d/empty", "\n" + secret);
    CHECK(error_for("{ file = \"empty\" }").find("secret file 'empty' is empty") !=
          std::string::npos);
    ::unsetenv("VITALS_TEST_UNSET_VARIABLE");
    CHECK(error_for("{ env = \"VITALS_TEST_UNSET_VARIABLE\" }")
              .find("secret environment variable VITALS_TEST_UNSET_VARIABLE is not set") !=
          std::string::npos);
    {
        const ScopedEnvironment none{"CREDENTIALS_DIRECTORY", ""};
        CHECK(error_for("{ credential = \"pg\" }").find("$CREDENTIALS_DIRECTORY is not set") !=
              std::string::npos);
    }
    const ScopedEnvironment credentials{"CREDENTIALS_DIRECTORY", c.dir.path().string()};
    CHECK(error_for("{ credential = \"missing\" }")
              .find("secret credential 'missing': cannot read") != std::string::npos);
    CHECK(error_for("{ credential = \"../pg\" }").find("without '/'") != std::string::npos);
    CHECK(error_for("{ file = \"a\", env = \"B\" }").find("a secret reference is") !=
          std::string::npos);
    CHECK(error_for("{ path = \"pg\" }").find("not { path = ... }") != std::string::npos);
    CHECK(error_for("{ file = 3 }").find("non-empty string") != std::string::npos);
}

TEST_CASE("secret references: read again at every load, so a rotated secret changes the check") {
    SecretCase c;
    const auto file = c.dir.write_secret("conf.d/pg", secret + "\n");
    const auto first = c.read("", check_with("{ file = \"pg\" }"));
    const auto again = c.read("", check_with("{ file = \"pg\" }"));
    REQUIRE(first.config.checks.size() == 1);
    REQUIRE(again.config.checks.size() == 1);
    CHECK(first.config.checks[0] == again.config.checks[0]);
    c.dir.write_secret("conf.d/pg", "rotated-" + secret + "\n");
    const auto rotated = c.read("", check_with("{ file = \"pg\" }"));
    CHECK(password_of(rotated) == "rotated-" + secret);
    CHECK_FALSE(first.config.checks[0] == rotated.config.checks[0]);
}

TEST_CASE("secret references: [access] tokens, an endpoint's token and the TLS key passphrase") {
    SecretCase c;
    const std::string read_token = "r3ad-t0ken-from-a-secret";
    const std::string write_token = "wr1te-t0ken-from-a-secret";
    c.dir.write_secret("endpoint-token", "end-point-token-0123456789\n");
    c.dir.write_secret("passphrase", "key passphrase\n");
    c.dir.write("server.crt", "not read here");
    c.dir.write_secret("server.key", "not read here");
    const ScopedEnvironment tokens{"VITALS_TEST_TOKENS",
                                   "read " + read_token + " grafana\nwrite " + write_token + "\n"};
    const auto result = c.read(
        "[access]\ntoken_file = { env = \"VITALS_TEST_TOKENS\" }\n"
        "[tls]\ncertificate = \"server.crt\"\nkey = \"server.key\"\n"
        "key_passphrase = { file = \"passphrase\" }\n"
        "[[endpoint]]\npath = \"/up/<token>\"\ntoken_file = { file = \"endpoint-token\" }\n");
    INFO(errors_of(result));
    REQUIRE(result.errors.empty());
    const auto &agent = result.config.agent;
    REQUIRE(agent.access.tokens.size() == 2);
    CHECK(agent.access.tokens[0].secret == read_token);
    CHECK(agent.access.tokens[0].name == "grafana");
    CHECK(agent.access.tokens[1].scope == Scope::write);
    CHECK(agent.access.anonymous == Scope::probe);
    CHECK(agent.tls.key_passphrase == "key passphrase");
    REQUIRE(agent.endpoints.size() == 1);
    CHECK(agent.endpoints[0].token == "end-point-token-0123456789");

    // A bad line of the secret is located at the reference, with its line, never its text.
    const ScopedEnvironment bad{"VITALS_TEST_TOKENS", "read " + read_token + "\nread short\n"};
    const auto refused = c.read("\n[access]\ntoken_file = { env = \"VITALS_TEST_TOKENS\" }\n");
    const std::string errors = errors_of(refused);
    CHECK(errors.find("agent.toml:4:14: access.token_file (line 2 of the secret): token shorter") !=
          std::string::npos);
    CHECK(errors.find("short") == errors.find("shorter"));
    CHECK(errors.find(read_token) == std::string::npos);
    CHECK(errors_of(c.read("[tls]\nkey_passphrase = { env = \"VITALS_TEST_TOKENS\" }\n"))
              .find("tls.key_passphrase: decrypts key, which is not set") != std::string::npos);
}
