// A configuration problem a user can fix without reading code. SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace vitals {

/// Where something was written: file, line and column (1-based; 0 = unknown).
struct SourceLocation {
    std::string file;
    int line = 0;
    int column = 0;
    bool operator==(const SourceLocation &) const = default;
};

struct ConfigError {
    SourceLocation where;
    std::string key; ///< dotted key path such as "check.disk.interval"; may be empty
    std::string message;

    /// "file:line:column: key: message", the form editors and CI annotate.
    std::string to_string() const;
};

using ConfigErrors = std::vector<ConfigError>;

/// Thrown at the startup boundary when a configuration cannot be used.
class InvalidConfiguration : public std::runtime_error {
public:
    explicit InvalidConfiguration(ConfigErrors errors);
    const ConfigErrors &errors() const noexcept { return errors_; }

private:
    ConfigErrors errors_;
};

} // namespace vitals
