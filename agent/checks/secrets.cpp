// SPDX-License-Identifier: MIT
#include "checks/secrets.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <utility>

#include <vitals_plugins/text.hpp>

#include "loader/plugin_library.hpp"

namespace vitals {
namespace {

/// Shorter values would blank out ordinary words all over a message; a secret
/// this short protects nothing anyway.
constexpr std::size_t min_secret_length = 4;
constexpr std::string_view redacted = "<redacted>";

void add_url_password(std::string_view value, std::vector<std::string> &found) {
    for (auto scheme = value.find("://"); scheme != std::string_view::npos;
         scheme = value.find("://", scheme + 3)) {
        const auto authority = value.substr(scheme + 3);
        const auto at = authority.find('@');
        const auto end = authority.find_first_of("/?# ");
        if (at == std::string_view::npos || (end != std::string_view::npos && end < at)) continue;
        const auto colon = authority.substr(0, at).find(':');
        if (colon != std::string_view::npos)
            found.emplace_back(authority.substr(colon + 1, at - colon - 1));
    }
}

/// A value's words: "DB_PASS" is "db" and "pass", "api-token" "api" and "token".
std::vector<std::string> words_of(std::string_view name) {
    std::vector<std::string> words;
    std::string word;
    for (const char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        } else if (!word.empty()) {
            words.push_back(std::exchange(word, {}));
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

bool is_name_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

/// The value of an assignment starting at `at`: quoted libpq-style ('it\'s'), or up to the
/// next space, '&' or ';' (a query string, a shell command line).
std::string assigned_value(std::string_view text, std::size_t at) {
    std::string value;
    if (at < text.size() && text[at] == '\'') {
        for (++at; at < text.size() && text[at] != '\''; ++at) {
            if (text[at] == '\\' && at + 1 < text.size()) ++at;
            value.push_back(text[at]);
        }
        return value;
    }
    for (; at < text.size() && text[at] != ' ' && text[at] != '&' && text[at] != ';'; ++at)
        value.push_back(text[at]);
    return value;
}

/// Every "NAME=value" (spaces allowed around '=') whose name says secret: libpq's
/// "password=...", a shell's "DB_PASS=... cmd", a query's "api_key=...".
void add_secret_assignments(std::string_view text, std::vector<std::string> &found) {
    for (auto equals = text.find('='); equals != std::string_view::npos;
         equals = text.find('=', equals + 1)) {
        auto name_end = equals;
        while (name_end > 0 && text[name_end - 1] == ' ')
            --name_end;
        auto name_start = name_end;
        while (name_start > 0 && is_name_character(text[name_start - 1]))
            --name_start;
        if (!is_secret_variable(text.substr(name_start, name_end - name_start))) continue;
        auto at = equals + 1;
        while (at < text.size() && text[at] == ' ')
            ++at;
        found.push_back(assigned_value(text, at));
    }
}

/// The value part of a secret list item written "NAME=value" (an environment entry) or
/// "Name: value" (a header): plugins and the programs they run repeat the value alone.
std::optional<std::string> entry_value(std::string_view item) {
    const auto separator = item.find_first_of("=:");
    if (separator == std::string_view::npos || separator == 0) return std::nullopt;
    const auto name = item.substr(0, separator);
    if (!std::all_of(name.begin(), name.end(), is_name_character)) return std::nullopt;
    auto value = item.substr(separator + 1);
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    return std::string{value};
}

/// Every string in a parameter's value: the string itself or a list's items.
std::vector<std::string> strings_in(const toml::node &node) {
    std::vector<std::string> out;
    if (const auto *text = node.as_string()) out.push_back(text->get());
    if (const auto *array = node.as_array())
        for (const auto &item : *array)
            if (const auto *text = item.as_string()) out.push_back(text->get());
    return out;
}

} // namespace

bool is_secret_name(std::string_view key) {
    static constexpr std::array<std::string_view, 8> parts{
        "password", "passwd", "secret", "token", "credential", "api_key", "apikey", "private_key"};
    const std::string lower = plugins::to_lower(key);
    if (lower == "pass" || lower == "auth") return true;
    return std::any_of(parts.begin(), parts.end(), [&](std::string_view part) {
        return lower.find(part) != std::string::npos;
    });
}

bool is_secret_variable(std::string_view name) {
    // Words that are secret on their own in a variable name, though too common inside a
    // parameter key ("keyspace", "passive") for is_secret_name.
    static constexpr std::array<std::string_view, 6> words{"pass", "pwd",    "key",
                                                           "auth", "apikey", "passphrase"};
    if (is_secret_name(name)) return true;
    const auto parts = words_of(name);
    return std::any_of(parts.begin(), parts.end(), [&](const std::string &part) {
        return std::find(words.begin(), words.end(), part) != words.end();
    });
}

std::vector<std::string> embedded_credentials(std::string_view value) {
    std::vector<std::string> found;
    add_url_password(value, found);
    add_secret_assignments(value, found);
    return found;
}

std::shared_ptr<const Secrets> Secrets::of(const CheckDefinition &check,
                                           const PluginLibrary &plugin) {
    return of_params(check, &plugin);
}

std::shared_ptr<const Secrets> Secrets::of_command(const CheckDefinition &check,
                                                   const std::vector<std::string> &command) {
    auto secrets = std::const_pointer_cast<Secrets>(of_params(check, nullptr));
    for (const auto &word : command)
        for (auto &credential : embedded_credentials(word))
            secrets->add(std::move(credential));
    secrets->sort();
    return secrets;
}

std::shared_ptr<const Secrets> Secrets::of_params(const CheckDefinition &check,
                                                  const PluginLibrary *plugin) {
    auto secrets = std::make_shared<Secrets>();
    if (!check.params) return secrets;
    for (const auto &[key, node] : *check.params) {
        const vitals_param_spec *spec = plugin ? plugin->find_param(key.str()) : nullptr;
        const bool secret = (spec && spec->secret) || is_secret_name(key.str()) ||
                            check.params.from_references().contains(key.str());
        for (auto &value : strings_in(node)) {
            auto credentials = embedded_credentials(value);
            // A secret URL or DSN is secret for its password: plugins show the rest
            // (host, path) in their messages, and must be able to.
            const bool connection_string =
                !credentials.empty() || value.find("://") != std::string::npos;
            for (auto &credential : credentials)
                secrets->add(std::move(credential));
            if (!secret || connection_string) continue;
            if (auto part = entry_value(value)) secrets->add(std::move(*part));
            secrets->add(std::move(value));
        }
    }
    secrets->sort();
    return secrets;
}

void Secrets::sort() {
    std::sort(values_.begin(), values_.end(),
              [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
}

void Secrets::add(std::string value) {
    if (value.size() >= min_secret_length &&
        std::find(values_.begin(), values_.end(), value) == values_.end())
        values_.push_back(std::move(value));
}

std::string Secrets::redact(std::string text) const {
    for (const auto &secret : values_) {
        for (auto at = text.find(secret); at != std::string::npos;
             at = text.find(secret, at + redacted.size()))
            text.replace(at, secret.size(), redacted);
    }
    return text;
}

} // namespace vitals
