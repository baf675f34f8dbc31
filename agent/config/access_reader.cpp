// SPDX-License-Identifier: MIT
#include "config/access_reader.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include <fmt/format.h>

namespace vitals {
namespace fs = std::filesystem;
namespace {

/// Short tokens can be guessed; 16 characters of any sane generator are enough.
constexpr std::size_t min_token_length = 16;

fs::path resolve(const fs::path &base_dir, const std::string &path) {
    const fs::path given{path};
    return given.is_absolute() ? given : (base_dir / given).lexically_normal();
}

/// "<scope> <token> [name]" per line; '#' starts a comment line. `line_at` says where a line
/// is for its errors: in the token file, or at the secret reference the text came from.
template <typename LineAt>
void read_token_lines(const std::string &text, LineAt line_at, AccessSettings &access,
                      ConfigErrors &errors) {
    std::istringstream in{text};
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::istringstream words{line};
        std::string scope_word, secret, name, extra;
        words >> scope_word;
        if (scope_word.empty() || scope_word.front() == '#') continue;
        words >> secret >> name >> extra;
        const auto [where, key] = line_at(number);
        const auto scope = parse_scope(scope_word);
        if (!scope || *scope == Scope::none) {
            errors.push_back(
                {where, key,
                 fmt::format("unknown scope \"{}\": expected probe, read or write", scope_word)});
        } else if (secret.empty()) {
            errors.push_back({where, key, "expected \"<scope> <token> [name]\""});
        } else if (secret.size() < min_token_length) {
            errors.push_back(
                {where, key, fmt::format("token shorter than {} characters", min_token_length)});
        } else if (!extra.empty()) {
            errors.push_back({where, key, "expected \"<scope> <token> [name]\""});
        } else {
            access.tokens.push_back(
                {*scope, secret, name.empty() ? fmt::format("line {}", number) : name});
        }
    }
}

/// token_file = { file | env | credential = ... }: the token file's lines from a secret.
void read_token_reference(TableReader &reader, const fs::path &base_dir, AccessSettings &access,
                          ConfigErrors &errors) {
    const auto text = reader.secret("token_file", base_dir, SecretExtent::whole);
    if (!text) return;
    const auto where = location_of(reader.raw().get("token_file")->source());
    const auto line_at = [&](int number) {
        return std::pair{where, fmt::format("access.token_file (line {} of the secret)", number)};
    };
    const std::size_t before = errors.size();
    read_token_lines(*text, line_at, access, errors);
    if (access.tokens.empty() && errors.size() == before)
        reader.invalid("token_file", "the secret holds no token");
}

} // namespace

void read_access(const toml::table &table, const fs::path &base_dir, AccessSettings &access,
                 ConfigErrors &errors) {
    TableReader reader{table, "access", errors};
    if (const toml::node *node = table.get("token_file"); node && node->is_table()) {
        access.anonymous = Scope::probe;
        read_token_reference(reader, base_dir, access, errors);
    } else if (auto file = reader.string("token_file")) {
        access.token_file = resolve(base_dir, *file);
        access.anonymous = Scope::probe;
        if (auto problem = secret_file_problem(access.token_file)) {
            reader.invalid("token_file", *problem);
        } else {
            const std::size_t before = errors.size();
            std::ifstream in{access.token_file};
            const std::string text{std::istreambuf_iterator<char>{in},
                                   std::istreambuf_iterator<char>{}};
            const auto line_at = [&](int number) {
                return std::pair{SourceLocation{access.token_file.string(), number, 1},
                                 std::string{"token"}};
            };
            read_token_lines(text, line_at, access, errors);
            if (access.tokens.empty() && errors.size() == before)
                reader.invalid("token_file", fmt::format("'{}' holds no token", *file));
        }
    }
    if (auto anonymous = reader.string("anonymous")) {
        if (auto scope = parse_scope(*anonymous))
            access.anonymous = *scope;
        else
            reader.invalid("anonymous", "expected none, probe, read or write");
    }
    reader.reject_unknown_keys();
}

void read_tls(const toml::table &table, const fs::path &base_dir, TlsSettings &tls,
              ConfigErrors &errors) {
    TableReader reader{table, "tls", errors};
    const auto readable = [&](std::string_view key, const fs::path &file) {
        if (!std::ifstream{file})
            reader.invalid(key, fmt::format("cannot read '{}'", file.string()));
    };
    if (auto certificate = reader.string("certificate")) {
        tls.certificate = resolve(base_dir, *certificate);
        readable("certificate", tls.certificate);
    } else if (table.contains("key") || table.contains("client_ca")) {
        reader.missing("certificate");
    }
    if (auto key = reader.string("key")) {
        tls.private_key = resolve(base_dir, *key);
        if (auto problem = secret_file_problem(tls.private_key)) reader.invalid("key", *problem);
    } else if (table.contains("certificate")) {
        reader.missing("key");
    }
    if (auto passphrase = reader.secret("key_passphrase", base_dir)) {
        tls.key_passphrase = *passphrase;
        if (!table.contains("key"))
            reader.invalid("key_passphrase", "decrypts key, which is not set");
    }
    if (auto ca = reader.string("client_ca")) {
        tls.client_ca = resolve(base_dir, *ca);
        readable("client_ca", tls.client_ca);
    }
    // Checked by `vitalsd push` when it uses them: it runs as another user than the agent.
    if (auto certificate = reader.string("client_certificate"))
        tls.client_certificate = resolve(base_dir, *certificate);
    else if (table.contains("client_key"))
        reader.missing("client_certificate");
    if (auto key = reader.string("client_key"))
        tls.client_key = resolve(base_dir, *key);
    else if (table.contains("client_certificate"))
        reader.missing("client_key");
    reader.reject_unknown_keys();
}

} // namespace vitals
