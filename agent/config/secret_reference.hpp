// Secrets kept out of configuration files: { file = ... }, { env = ... }, { credential = ... }.
// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <toml++/toml.h>

#include "config/config_error.hpp"

namespace vitals {

/// Where a secret is kept instead of in agent.toml or conf.d: a file (a Kubernetes secret
/// volume), an environment variable, or a systemd credential (LoadCredential=, read from
/// $CREDENTIALS_DIRECTORY).
struct SecretReference {
    enum class Source { file, env, credential };
    Source source = Source::file;
    std::string name; ///< the path, variable or credential name as written

    /// "file '/run/secrets/pg'", "env PG_PASSWORD", "credential 'pg'": what errors name, never
    /// the value.
    std::string describe() const;
};

/// How much of the secret counts: a password is the first line (a file written with echo
/// ends in a newline); a token file is every line.
enum class SecretExtent { first_line, whole };

/// A TOML table that stands for a secret: `{ file = "..." }`, `{ env = "..." }` or
/// `{ credential = "..." }`. Anything else is an error at `key_path`, located at the table.
std::optional<SecretReference>
parse_secret_reference(const toml::table &table, const std::string &key_path, ConfigErrors &errors);

/// The secret `reference` stands for, read now (so a reload reads it again), or nullopt with
/// `why`, which names the reference and never holds the value. A file (relative paths against
/// `base_dir`) or credential must be a regular file no other user may read or write, and
/// none of the three may be empty.
std::optional<std::string> read_secret(const SecretReference &reference,
                                       const std::filesystem::path &base_dir, SecretExtent extent,
                                       std::string &why);

/// parse_secret_reference then read_secret, every problem an error at `key_path` located at
/// the table.
std::optional<std::string> resolve_secret(const toml::table &table,
                                          const std::filesystem::path &base_dir,
                                          const std::string &key_path, SecretExtent extent,
                                          ConfigErrors &errors);

/// Where each value of a table that was a secret reference was written, by key.
using ResolvedSecrets = std::map<std::string, SourceLocation, std::less<>>;

/// Replaces every value of `table` that is a table by the secret it refers to (first line),
/// for a plugin's parameters, which are never tables. Returns the keys replaced; a reference
/// that cannot be read is an error at `key_prefix`.<key> and stays as it was.
ResolvedSecrets resolve_secret_references(toml::table &table, const std::filesystem::path &base_dir,
                                          const std::string &key_prefix, ConfigErrors &errors);

/// Why `file` may not hold a secret (missing, unreadable, readable or writable by
/// every user), or nullopt when it is fine.
std::optional<std::string> secret_file_problem(const std::filesystem::path &file);

} // namespace vitals
