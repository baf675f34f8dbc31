// The secret values among a check's parameters, kept out of every output. SPDX-License-Identifier:
// MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/configuration.hpp"

namespace vitals {

class PluginLibrary;

/// A key that names a secret whatever the plugin declares: password, token, ...
bool is_secret_name(std::string_view key);

/// A variable or query-parameter name that names a secret: DB_PASS, MYSQL_PWD, API_KEY,
/// plus everything is_secret_name() accepts.
bool is_secret_variable(std::string_view name);

/// Passwords embedded in a value: "scheme://user:PASSWORD@host", and the value of every
/// assignment to a secret-looking name: libpq's "password=PASSWORD" (quoted or not),
/// "DB_PASS=x cmd" in a command line, "?api_key=x" in a URL.
std::vector<std::string> embedded_credentials(std::string_view value);

/// What must never reach a log line, a result message or a configuration
/// error: the values of parameters the plugin marks secret or whose names say
/// so (and, for their "NAME=value" or "Name: value" items, the value alone),
/// and the passwords and secret assignments inside any parameter.
class Secrets {
public:
    static std::shared_ptr<const Secrets> of(const CheckDefinition &check,
                                             const PluginLibrary &plugin);

    /// For a command run beside the check (its on_failure action), where the plugin's own
    /// declarations are not at hand: the parameters secret by name or by reference, and the
    /// passwords and secret assignments in `command`'s words.
    static std::shared_ptr<const Secrets> of_command(const CheckDefinition &check,
                                                     const std::vector<std::string> &command);

    /// `text` with every secret replaced by "<redacted>".
    std::string redact(std::string text) const;
    bool empty() const { return values_.empty(); }

private:
    /// `plugin` null: without the secrets only the plugin declares.
    static std::shared_ptr<const Secrets> of_params(const CheckDefinition &check,
                                                    const PluginLibrary *plugin);
    void add(std::string value);
    void sort(); ///< longest first

    std::vector<std::string> values_; ///< longest first, so a longer secret wins over its part
};

} // namespace vitals
