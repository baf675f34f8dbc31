// SPDX-License-Identifier: MIT
#include "config/secret_reference.hpp"

#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "config/table_reader.hpp"

namespace vitals {
namespace fs = std::filesystem;
namespace {

constexpr std::array<std::pair<std::string_view, SecretReference::Source>, 3> sources{{
    {"file", SecretReference::Source::file},
    {"env", SecretReference::Source::env},
    {"credential", SecretReference::Source::credential},
}};

constexpr std::string_view reference_syntax =
    "a secret reference is { file = \"PATH\" }, { env = \"VARIABLE\" } or "
    "{ credential = \"NAME\" }";

/// A password, a key's passphrase or a token file of a few hundred tokens; a path to anything
/// larger is a mistake, and is not read whole.
constexpr std::size_t max_secret_bytes = 64 * 1024;

/// The first line without its line ending, or all of the text.
std::string extent_of(std::string text, SecretExtent extent) {
    if (extent == SecretExtent::first_line) {
        if (const auto newline = text.find('\n'); newline != std::string::npos)
            text.resize(newline);
        if (!text.empty() && text.back() == '\r') text.pop_back();
    }
    return text;
}

std::optional<std::string> read_secret_file(const fs::path &file, const std::string &described,
                                            std::string &why) {
    if (auto problem = secret_file_problem(file)) {
        why = fmt::format("{}: {}", described, *problem);
        return std::nullopt;
    }
    std::ifstream in{file, std::ios::binary};
    std::string text(max_secret_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        why = fmt::format("{}: cannot read '{}'", described, file.string());
        return std::nullopt;
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_secret_bytes) {
        why = fmt::format("{}: '{}' is larger than {} bytes, more than a secret", described,
                          file.string(), max_secret_bytes);
        return std::nullopt;
    }
    return text;
}

/// systemd credential names are file names in $CREDENTIALS_DIRECTORY.
bool is_credential_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

std::optional<std::string> read_credential(const std::string &name, const std::string &described,
                                           std::string &why) {
    if (!is_credential_name(name)) {
        why = fmt::format("{}: a credential name is a file name, without '/'", described);
        return std::nullopt;
    }
    const char *directory = std::getenv("CREDENTIALS_DIRECTORY");
    if (!directory || !*directory) {
        why = fmt::format("{}: $CREDENTIALS_DIRECTORY is not set (systemd sets it for a "
                          "service with LoadCredential=)",
                          described);
        return std::nullopt;
    }
    return read_secret_file(fs::path{directory} / name, described, why);
}

} // namespace

std::string SecretReference::describe() const {
    switch (source) {
    case Source::file:
        return fmt::format("secret file '{}'", name);
    case Source::env:
        return fmt::format("secret environment variable {}", name);
    case Source::credential:
        return fmt::format("secret credential '{}'", name);
    }
    return "secret";
}

std::optional<SecretReference> parse_secret_reference(const toml::table &table,
                                                      const std::string &key_path,
                                                      ConfigErrors &errors) {
    const auto fail = [&](std::string message) {
        errors.push_back({location_of(table.source()), key_path, std::move(message)});
        return std::nullopt;
    };
    if (table.size() != 1) return fail(std::string{reference_syntax});
    // A copy of the proxy pair (it holds references): a reference to it would bind a temporary.
    const auto [key, node] = *table.begin();
    for (const auto &[word, source] : sources) {
        if (key.str() != word) continue;
        const auto *name = node.as_string();
        if (!name || name->get().empty())
            return fail(
                fmt::format("{}: {} names it with a non-empty string", reference_syntax, word));
        return SecretReference{source, name->get()};
    }
    return fail(fmt::format("{}, not {{ {} = ... }}", reference_syntax, key.str()));
}

std::optional<std::string> read_secret(const SecretReference &reference, const fs::path &base_dir,
                                       SecretExtent extent, std::string &why) {
    const std::string described = reference.describe();
    std::optional<std::string> text;
    switch (reference.source) {
    case SecretReference::Source::file: {
        const fs::path given{reference.name};
        text = read_secret_file(given.is_absolute() ? given : (base_dir / given).lexically_normal(),
                                described, why);
        break;
    }
    case SecretReference::Source::env:
        if (const char *value = std::getenv(reference.name.c_str()))
            text = value;
        else
            why = fmt::format("{} is not set", described);
        break;
    case SecretReference::Source::credential:
        text = read_credential(reference.name, described, why);
        break;
    }
    if (!text) return std::nullopt;
    auto secret = extent_of(std::move(*text), extent);
    if (secret.empty()) {
        why = fmt::format("{} is empty", described);
        return std::nullopt;
    }
    return secret;
}

std::optional<std::string> resolve_secret(const toml::table &table, const fs::path &base_dir,
                                          const std::string &key_path, SecretExtent extent,
                                          ConfigErrors &errors) {
    const auto reference = parse_secret_reference(table, key_path, errors);
    if (!reference) return std::nullopt;
    std::string why;
    auto secret = read_secret(*reference, base_dir, extent, why);
    if (!secret) errors.push_back({location_of(table.source()), key_path, std::move(why)});
    return secret;
}

ResolvedSecrets resolve_secret_references(toml::table &table, const fs::path &base_dir,
                                          const std::string &key_prefix, ConfigErrors &errors) {
    ResolvedSecrets resolved;
    std::vector<std::pair<std::string, std::string>> secrets;
    for (const auto &[key, node] : table) {
        const auto *reference = node.as_table();
        if (!reference) continue;
        if (auto secret =
                resolve_secret(*reference, base_dir, key_prefix + "." + std::string{key.str()},
                               SecretExtent::first_line, errors)) {
            resolved.emplace(key.str(), location_of(reference->source()));
            secrets.emplace_back(key.str(), std::move(*secret));
        }
    }
    for (auto &[key, secret] : secrets)
        table.insert_or_assign(key, std::move(secret));
    return resolved;
}

std::optional<std::string> secret_file_problem(const fs::path &file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) return fmt::format("cannot read '{}'", file.string());
    if (!S_ISREG(info.st_mode)) return fmt::format("'{}' is not a regular file", file.string());
    if (info.st_mode & (S_IROTH | S_IWOTH))
        return fmt::format("'{}' is accessible by every user (mode {:04o}): it holds a secret, "
                           "chmod o-rwx it",
                           file.string(), info.st_mode & 07777);
    if (!std::ifstream{file}) return fmt::format("cannot read '{}'", file.string());
    return std::nullopt;
}

} // namespace vitals
