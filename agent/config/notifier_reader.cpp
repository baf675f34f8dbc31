// SPDX-License-Identifier: MIT
#include "config/notifier_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <vitals_plugins/text.hpp>

#include "config/secret_reference.hpp"
#include "config/table_reader.hpp"
#include "core/host_name.hpp"
#include "core/names.hpp"

namespace vitals {
namespace fs = std::filesystem;
namespace {
using namespace std::chrono_literals;
using plugins::equal_ignoring_case;

constexpr NotifierType notifier_types[] = {NotifierType::alertmanager, NotifierType::webhook,
                                           NotifierType::email, NotifierType::exec};

std::optional<NotifierType> notifier_type(std::string_view word) {
    for (auto type : notifier_types)
        if (to_string(type) == word) return type;
    return std::nullopt;
}

/// Why `url` cannot be posted to, or nullopt: http or https, a host, no user:password (a
/// secret there would be logged with every error).
std::optional<std::string> url_problem(const std::string &url) {
    try {
        const Poco::URI uri{url};
        if (uri.getScheme() != "http" && uri.getScheme() != "https")
            return "must start with http:// or https://";
        if (uri.getHost().empty()) return "has no host";
        if (!uri.getUserInfo().empty())
            return "must not hold a user or password (use token or headers)";
        return std::nullopt;
    } catch (const Poco::Exception &) {
        return "is not a URL";
    }
}

/// A mailbox as SMTP takes it: local@domain, nothing that could end a command or a header.
bool is_address(const std::string &address) {
    const auto at = address.find('@');
    return at != std::string::npos && at > 0 && at + 1 < address.size() &&
           address.find_first_of(" \t\r\n<>,;\"") == std::string::npos;
}

/// An HTTP header name: a token (RFC 9110), so nothing can be smuggled into the request.
bool is_header_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
    });
}

/// Whom a TLS receiver must be: a CA file (default: the system's) and whether to check at all.
void read_tls_trust(TableReader &reader, NotifierDefinition &notifier, const fs::path &base_dir) {
    if (auto ca_file = reader.string("ca_file")) {
        const fs::path given{*ca_file};
        notifier.ca_file = given.is_absolute() ? given : (base_dir / given).lexically_normal();
        std::error_code ec;
        if (!fs::is_regular_file(notifier.ca_file, ec))
            reader.invalid("ca_file",
                           fmt::format("'{}' is not a readable file", notifier.ca_file.string()));
    }
    if (auto verify = reader.boolean("verify")) notifier.verify = *verify;
}

void read_urls(TableReader &reader, NotifierDefinition &notifier, bool several) {
    if (several) {
        if (auto urls = reader.strings("urls")) notifier.urls = std::move(*urls);
    }
    if (auto url = reader.string("url")) notifier.urls.insert(notifier.urls.begin(), *url);
    const auto &raw = reader.raw();
    if (!raw.contains("url") && !(several && raw.contains("urls"))) {
        reader.missing(several ? "url' or 'urls" : "url");
        return;
    }
    if (several && raw.contains("urls") && notifier.urls.empty())
        reader.invalid("urls", "must name at least one URL");
    for (const auto &url : notifier.urls)
        if (auto problem = url_problem(url))
            reader.invalid(raw.contains("urls") && !raw.contains("url") ? "urls" : "url",
                           fmt::format("\"{}\" {}", url, *problem));
}

void read_alertmanager(TableReader &reader, NotifierDefinition &notifier,
                       const fs::path &base_dir) {
    read_urls(reader, notifier, true);
    // Alertmanager resolves an alert it has not heard of for resolve_timeout (5m by default).
    if (auto resend = reader.duration("resend", {10s, 1h})) notifier.resend = *resend;
    read_tls_trust(reader, notifier, base_dir);
}

void read_webhook(TableReader &reader, NotifierDefinition &notifier, const fs::path &base_dir,
                  ConfigErrors &errors) {
    read_urls(reader, notifier, false);
    read_tls_trust(reader, notifier, base_dir);
    if (auto format = reader.string("format")) {
        if (*format == "json" || *format == "slack")
            notifier.format = *format;
        else
            reader.invalid("format", fmt::format("\"{}\" is not json or slack", *format));
    }
    if (const auto *headers = reader.table("headers")) {
        TableReader header_reader{*headers, reader.path("headers"), errors};
        for (const auto &[name, node] : *headers) {
            auto value = header_reader.string(name.str());
            if (!value) continue;
            if (!is_header_name(name.str()))
                header_reader.invalid(name.str(), "is not an HTTP header name");
            else if (value->find_first_of("\r\n") != std::string::npos)
                header_reader.invalid(name.str(), "must be one line");
            else if (equal_ignoring_case(name.str(), "Content-Type") ||
                     equal_ignoring_case(name.str(), "Content-Length") ||
                     equal_ignoring_case(name.str(), "Host"))
                header_reader.invalid(name.str(), "is set by the notifier");
            else
                notifier.headers.emplace_back(name.str(), std::move(*value));
        }
    }
    const bool inline_token = reader.raw().contains("token");
    if (auto token = reader.secret("token", base_dir, SecretExtent::first_line))
        notifier.token = std::move(*token);
    if (auto token_file = reader.string("token_file")) {
        if (inline_token) {
            reader.invalid("token_file", "give token or token_file, not both");
        } else {
            std::string why;
            const SecretReference reference{SecretReference::Source::file, *token_file};
            if (auto token = read_secret(reference, base_dir, SecretExtent::first_line, why))
                notifier.token = std::move(*token);
            else
                reader.invalid("token_file", why);
        }
    }
    if (notifier.token.find_first_of("\r\n") != std::string::npos)
        reader.invalid(inline_token ? "token" : "token_file", "the token must be one line");
    const bool has_authorization =
        std::any_of(notifier.headers.begin(), notifier.headers.end(), [](const auto &header) {
            return equal_ignoring_case(header.first, "Authorization");
        });
    if (has_authorization && !notifier.token.empty())
        reader.invalid("headers", "an Authorization header and a token: give one of them");
}

void read_email(TableReader &reader, NotifierDefinition &notifier, const fs::path &base_dir) {
    if (auto host = reader.string("smtp_host"))
        notifier.smtp_host = *host;
    else if (!reader.raw().contains("smtp_host"))
        reader.missing("smtp_host");
    if (auto tls = reader.string("tls")) {
        if (*tls == "starttls" || *tls == "tls" || *tls == "none")
            notifier.tls = *tls;
        else
            reader.invalid("tls", fmt::format("\"{}\" is not starttls, tls or none", *tls));
    }
    // The submission ports: 587 with STARTTLS, 465 with TLS from the first byte.
    notifier.smtp_port = notifier.tls == "tls" ? 465 : notifier.tls == "starttls" ? 587 : 25;
    if (auto port = reader.integer("smtp_port", 1, 65535))
        notifier.smtp_port = static_cast<unsigned>(*port);
    if (auto username = reader.string("username")) notifier.username = *username;
    if (auto password = reader.secret("password", base_dir, SecretExtent::first_line))
        notifier.password = std::move(*password);
    if (!notifier.username.empty() && notifier.password.empty())
        reader.invalid("username", "a username needs a password");
    if (notifier.username.empty() && !notifier.password.empty())
        reader.invalid("password", "a password needs a username");
    if (!notifier.password.empty() && notifier.tls == "none")
        reader.invalid("password",
                       "would be sent in clear text: set tls = \"starttls\" or \"tls\"");
    notifier.from = "vitals@" + host_name();
    if (auto from = reader.string("from")) {
        notifier.from = *from;
        if (!is_address(*from))
            reader.invalid("from", fmt::format("\"{}\" is not an e-mail address", *from));
    }
    if (auto to = reader.strings("to")) {
        notifier.to = std::move(*to);
        if (notifier.to.empty()) reader.invalid("to", "must name at least one address");
        for (const auto &address : notifier.to)
            if (!is_address(address))
                reader.invalid("to", fmt::format("\"{}\" is not an e-mail address", address));
    } else if (!reader.raw().contains("to")) {
        reader.missing("to");
    }
    read_tls_trust(reader, notifier, base_dir);
}

void read_exec(TableReader &reader, NotifierDefinition &notifier) {
    if (auto shell = reader.boolean("shell")) notifier.shell = *shell;
    if (auto command = reader.strings("command")) {
        notifier.command = std::move(*command);
        if (notifier.command.empty() || notifier.command.front().empty())
            reader.invalid("command", "must name a program");
        else if (notifier.shell && notifier.command.size() != 1)
            reader.invalid("command", "with shell = true, the command is one string for /bin/sh");
        else if (!notifier.shell && !fs::path{notifier.command.front()}.is_absolute())
            reader.invalid("command", fmt::format("\"{}\" must be an absolute path (the agent "
                                                  "does not search PATH; or set shell = true)",
                                                  notifier.command.front()));
        else if (!notifier.shell && ::access(notifier.command.front().c_str(), X_OK) != 0)
            reader.invalid("command",
                           fmt::format("'{}' is not an executable file", notifier.command.front()));
    } else if (!reader.raw().contains("command")) {
        reader.missing("command");
    }
}

std::optional<NotifierDefinition> read_notifier(const toml::table &table, std::size_t index,
                                                const fs::path &base_dir, ConfigErrors &errors) {
    NotifierDefinition notifier;
    notifier.where = location_of(table.source());
    const std::size_t errors_before = errors.size();
    TableReader reader{table, fmt::format("notifier[{}]", index), errors};

    if (auto name = reader.string("name")) {
        notifier.name = *name;
        if (!is_valid_name(*name))
            reader.invalid("name", "notifier names use letters, digits, '_', '-' and '.' (at "
                                   "most 128)");
    } else if (!table.contains("name")) {
        reader.missing("name");
    }
    std::optional<NotifierType> type;
    if (auto word = reader.string("type")) {
        type = notifier_type(*word);
        if (!type)
            reader.invalid(
                "type", fmt::format("\"{}\" is not alertmanager, webhook, email or exec", *word));
    } else if (!table.contains("type")) {
        reader.missing("type");
    }
    if (auto min_status = reader.string("min_status")) {
        if (*min_status == "warning")
            notifier.min_status = Status::warning;
        else if (*min_status == "error")
            notifier.min_status = Status::error;
        else
            reader.invalid("min_status",
                           fmt::format("\"{}\" is not warning or error", *min_status));
    }
    if (auto groups = reader.strings("groups")) {
        for (const auto &group : *groups)
            if (!is_valid_name(group))
                reader.invalid("groups", fmt::format("\"{}\" is not a valid group name", group));
        notifier.groups = std::move(*groups);
    }
    if (auto repeat =
            reader.duration("repeat", {.min = 1min, .max = 31 * 24h, .zero_means_none = true}))
        notifier.repeat = *repeat;
    if (auto send_resolved = reader.boolean("send_resolved"))
        notifier.send_resolved = *send_resolved;
    if (auto timeout = reader.duration("timeout", {100ms, 5min})) notifier.timeout = *timeout;
    if (auto queue_size = reader.integer("queue_size", 1, 100000))
        notifier.queue_size = static_cast<std::size_t>(*queue_size);

    if (type) {
        notifier.type = *type;
        switch (*type) {
        case NotifierType::alertmanager:
            read_alertmanager(reader, notifier, base_dir);
            break;
        case NotifierType::webhook:
            read_webhook(reader, notifier, base_dir, errors);
            break;
        case NotifierType::email:
            read_email(reader, notifier, base_dir);
            break;
        case NotifierType::exec:
            read_exec(reader, notifier);
            break;
        }
        // Keys of another type are unknown here, and the message lists this type's own.
        reader.reject_unknown_keys();
    }
    if (errors.size() != errors_before) return std::nullopt;
    return notifier;
}

} // namespace

std::vector<NotifierDefinition> read_notifiers(const toml::array &notifiers,
                                               const fs::path &base_dir, ConfigErrors &errors) {
    std::vector<NotifierDefinition> read;
    std::map<std::string, SourceLocation, std::less<>> seen;
    std::size_t index = 0;
    for (const toml::node &node : notifiers) {
        const std::string key = fmt::format("notifier[{}]", index++);
        const auto *table = node.as_table();
        if (!table) {
            errors.push_back(
                {location_of(node.source()), key, "expected a table: write [[notifier]]"});
            continue;
        }
        // Each notifier has a delivery thread of its own: their number is bounded.
        if (index > max_notifiers) {
            errors.push_back({location_of(node.source()), key,
                              fmt::format("at most {} notifiers; a notifier's `groups` lets one "
                                          "serve many checks",
                                          max_notifiers)});
            break;
        }
        auto notifier = read_notifier(*table, index - 1, base_dir, errors);
        if (!notifier) continue;
        const auto [first, inserted] = seen.emplace(notifier->name, notifier->where);
        if (!inserted) {
            errors.push_back({location_of(table->get("name")->source()), key + ".name",
                              fmt::format("duplicate notifier name '{}', first defined at {}:{}",
                                          notifier->name, first->second.file, first->second.line)});
            continue;
        }
        read.push_back(std::move(*notifier));
    }
    return read;
}

} // namespace vitals
