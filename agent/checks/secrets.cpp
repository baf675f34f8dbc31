// SPDX-License-Identifier: MIT
#include "checks/secrets.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "loader/plugin_library.hpp"

namespace vitals {
namespace {

/// Shorter values would blank out ordinary words all over a message; a secret
/// this short protects nothing anyway.
constexpr std::size_t min_secret_length = 4;
constexpr std::string_view redacted = "<redacted>";

std::string lowercase(std::string_view text) {
    std::string out{text};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

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

void add_conninfo_password(std::string_view value, std::vector<std::string> &found) {
    const std::string lower = lowercase(value);
    for (auto key = lower.find("password"); key != std::string::npos;
         key = lower.find("password", key + 1)) {
        auto at = key + 8;
        while (at < value.size() && value[at] == ' ')
            ++at;
        if (at >= value.size() || value[at] != '=') continue;
        ++at;
        while (at < value.size() && value[at] == ' ')
            ++at;
        std::string secret;
        if (at < value.size() && value[at] == '\'') {
            for (++at; at < value.size() && value[at] != '\''; ++at) {
                if (value[at] == '\\' && at + 1 < value.size()) ++at;
                secret.push_back(value[at]);
            }
        } else {
            for (; at < value.size() && value[at] != ' ' && value[at] != '&' && value[at] != ';';
                 ++at)
                secret.push_back(value[at]);
        }
        found.push_back(std::move(secret));
    }
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
    const std::string lower = lowercase(key);
    if (lower == "pass" || lower == "auth") return true;
    return std::any_of(parts.begin(), parts.end(), [&](std::string_view part) {
        return lower.find(part) != std::string::npos;
    });
}

std::vector<std::string> embedded_credentials(std::string_view value) {
    std::vector<std::string> found;
    add_url_password(value, found);
    add_conninfo_password(value, found);
    return found;
}

std::shared_ptr<const Secrets> Secrets::of(const CheckDefinition &check,
                                           const PluginLibrary &plugin) {
    auto secrets = std::make_shared<Secrets>();
    if (!check.params) return secrets;
    for (const auto &[key, node] : *check.params) {
        const vitals_param_spec *spec = plugin.find_param(key.str());
        const bool secret = (spec && spec->secret) || is_secret_name(key.str());
        for (auto &value : strings_in(node)) {
            auto credentials = embedded_credentials(value);
            // A secret URL or DSN is secret for its password: plugins show the rest
            // (host, path) in their messages, and must be able to.
            const bool connection_string =
                !credentials.empty() || value.find("://") != std::string::npos;
            for (auto &credential : credentials)
                secrets->add(std::move(credential));
            if (secret && !connection_string) secrets->add(std::move(value));
        }
    }
    std::sort(secrets->values_.begin(), secrets->values_.end(),
              [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    return secrets;
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
