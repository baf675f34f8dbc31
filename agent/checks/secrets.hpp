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

/// Passwords embedded in a value: "scheme://user:PASSWORD@host" and libpq's
/// "password=PASSWORD" (quoted or not).
std::vector<std::string> embedded_credentials(std::string_view value);

/// What must never reach a log line, a result message or a configuration
/// error: the values of parameters the plugin marks secret or whose names say
/// so, and passwords inside connection strings of any parameter.
class Secrets {
public:
    static std::shared_ptr<const Secrets> of(const CheckDefinition &check,
                                             const PluginLibrary &plugin);

    /// `text` with every secret replaced by "<redacted>".
    std::string redact(std::string text) const;
    bool empty() const { return values_.empty(); }

private:
    void add(std::string value);

    std::vector<std::string> values_; ///< longest first, so a longer secret wins over its part
};

} // namespace vitals
