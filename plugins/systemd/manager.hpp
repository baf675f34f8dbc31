// What the plugin asks a systemd manager over D-Bus (org.freedesktop.systemd1), read-only:
// every method here is open to any user in systemd's own bus policy, so no polkit rule and
// no privilege is needed. SPDX-License-Identifier: MIT
#pragma once

#include "bus.hpp"
#include "unit_facts.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace vitals::systemd {

/// A property's value, of the basic types this plugin reads.
using PropertyValue = std::variant<std::string, std::int64_t, std::uint64_t, bool>;
using Properties = std::map<std::string, PropertyValue, std::less<>>;

class Manager {
public:
    explicit Manager(Bus &bus) : bus_(bus) {}

    /// The manager's SystemState (running, degraded, starting...).
    std::string system_state();
    /// The units the manager has in the failed state.
    std::vector<UnitListing> failed_units();
    /// Units by exact name, loaded if need be: a name with no unit file reads not-found.
    std::vector<UnitListing> units_named(std::vector<std::string> names);
    /// Loaded units whose names match any of the shell-style patterns.
    std::vector<UnitListing> units_matching(std::vector<std::string> patterns);
    /// The properties of `interface` ("org.freedesktop.systemd1.Service") of a unit whose
    /// names are in `wanted`; other properties are skipped unread.
    Properties properties(const UnitListing &unit, const char *interface,
                          const std::vector<std::string_view> &wanted);

private:
    Bus &bus_;
};

/// The string in `properties` under `name`, or "" when it is absent or of another type.
std::string text_property(const Properties &properties, std::string_view name);
/// The number under `name` (any integer type), or `fallback`.
std::int64_t number_property(const Properties &properties, std::string_view name,
                             std::int64_t fallback = 0);

} // namespace vitals::systemd
