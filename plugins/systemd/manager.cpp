// SPDX-License-Identifier: MIT
#include "manager.hpp"

#include <vitals_plugins/text.hpp>

#include <algorithm>

namespace vitals::systemd {

using namespace vitals::plugins;

namespace {

constexpr const char *manager_path = "/org/freedesktop/systemd1";
constexpr const char *manager_interface = "org.freedesktop.systemd1.Manager";
constexpr const char *properties_interface = "org.freedesktop.DBus.Properties";

/// Throws BusError for a reply that does not read as `what` expects.
void check_read(int rc, const char *what) {
    if (rc < 0)
        throw BusError{std::string{"cannot read the reply to "} + what + ": " +
                       describe_errno(-rc)};
}

void append_strv(sd_bus_message *call, std::vector<std::string> &items, const char *what) {
    auto pointers = strv(items);
    check_read(sd_bus_message_append_strv(call, pointers.data()), what);
}

/// The a(ssssssouso) of ListUnits and its siblings.
std::vector<UnitListing> read_listings(sd_bus_message *reply, const char *what) {
    std::vector<UnitListing> units;
    check_read(sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ssssssouso)"), what);
    while (true) {
        const char *name = nullptr, *description = nullptr, *load = nullptr, *active = nullptr,
                   *sub = nullptr, *following = nullptr, *path = nullptr, *job_type = nullptr,
                   *job_path = nullptr;
        std::uint32_t job_id = 0;
        const int rc =
            sd_bus_message_read(reply, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                &following, &path, &job_id, &job_type, &job_path);
        check_read(rc, what);
        if (rc == 0) break;
        units.push_back({name, load, active, sub, path});
    }
    check_read(sd_bus_message_exit_container(reply), what);
    std::sort(units.begin(), units.end(),
              [](const UnitListing &a, const UnitListing &b) { return a.name < b.name; });
    return units;
}

/// A basic value of D-Bus type `type`, read as the C type sd-bus writes it (`Read`, e.g.
/// uint32_t for 'u') and kept as `Kept` (the widest of its signedness).
template <typename Read, typename Kept>
PropertyValue read_basic(sd_bus_message *reply, char type, const char *what) {
    Read value{};
    check_read(sd_bus_message_read_basic(reply, type, &value), what);
    return Kept{value};
}

/// One variant's value, when it is a string, boolean or integer of 32 or 64 bits (what the
/// plugin reads); skipped otherwise.
std::optional<PropertyValue> read_variant(sd_bus_message *reply, const char *what) {
    char type = 0;
    const char *contents = nullptr;
    check_read(sd_bus_message_peek_type(reply, &type, &contents), what);
    if (type != SD_BUS_TYPE_VARIANT || !contents || contents[1] != '\0' ||
        std::string_view{"sobuitx"}.find(contents[0]) == std::string_view::npos) {
        check_read(sd_bus_message_skip(reply, "v"), what);
        return std::nullopt;
    }
    check_read(sd_bus_message_enter_container(reply, SD_BUS_TYPE_VARIANT, contents), what);
    PropertyValue value;
    switch (contents[0]) {
    case 's':
    case 'o':
        value = read_basic<const char *, std::string>(reply, contents[0], what);
        break;
    case 'b': // sd-bus writes a boolean as an int
        value = std::get<std::int64_t>(read_basic<int, std::int64_t>(reply, 'b', what)) != 0;
        break;
    case 'u':
        value = read_basic<std::uint32_t, std::uint64_t>(reply, 'u', what);
        break;
    case 't':
        value = read_basic<std::uint64_t, std::uint64_t>(reply, 't', what);
        break;
    case 'i':
        value = read_basic<std::int32_t, std::int64_t>(reply, 'i', what);
        break;
    default: // 'x', the one left of those admitted above
        value = read_basic<std::int64_t, std::int64_t>(reply, 'x', what);
        break;
    }
    check_read(sd_bus_message_exit_container(reply), what);
    return value;
}

} // namespace

std::string Manager::system_state() {
    auto call = bus_.method(manager_path, properties_interface, "Get");
    check_read(sd_bus_message_append(call.get(), "ss", manager_interface, "SystemState"),
               "SystemState");
    const auto reply = bus_.call(std::move(call), "SystemState");
    const auto value = read_variant(reply.get(), "SystemState");
    if (!value || !std::holds_alternative<std::string>(*value))
        throw BusError{"SystemState is not a string"};
    return std::get<std::string>(*value);
}

std::vector<UnitListing> Manager::failed_units() {
    auto call = bus_.method(manager_path, manager_interface, "ListUnitsFiltered");
    std::vector<std::string> states{"failed"};
    append_strv(call.get(), states, "ListUnitsFiltered");
    const auto reply = bus_.call(std::move(call), "ListUnitsFiltered");
    return read_listings(reply.get(), "ListUnitsFiltered");
}

std::vector<UnitListing> Manager::units_named(std::vector<std::string> names) {
    if (names.empty()) return {};
    auto call = bus_.method(manager_path, manager_interface, "ListUnitsByNames");
    append_strv(call.get(), names, "ListUnitsByNames");
    const auto reply = bus_.call(std::move(call), "ListUnitsByNames");
    return read_listings(reply.get(), "ListUnitsByNames");
}

std::vector<UnitListing> Manager::units_matching(std::vector<std::string> patterns) {
    if (patterns.empty()) return {};
    auto call = bus_.method(manager_path, manager_interface, "ListUnitsByPatterns");
    std::vector<std::string> any_state;
    append_strv(call.get(), any_state, "ListUnitsByPatterns");
    append_strv(call.get(), patterns, "ListUnitsByPatterns");
    const auto reply = bus_.call(std::move(call), "ListUnitsByPatterns");
    return read_listings(reply.get(), "ListUnitsByPatterns");
}

Properties Manager::properties(const UnitListing &unit, const char *interface,
                               const std::vector<std::string_view> &wanted) {
    const std::string what = "the properties of " + unit.name;
    auto call = bus_.method(unit.path.c_str(), properties_interface, "GetAll");
    check_read(sd_bus_message_append(call.get(), "s", interface), what.c_str());
    const auto reply = bus_.call(std::move(call), what);
    Properties properties;
    check_read(sd_bus_message_enter_container(reply.get(), SD_BUS_TYPE_ARRAY, "{sv}"),
               what.c_str());
    while (true) {
        int rc = sd_bus_message_enter_container(reply.get(), SD_BUS_TYPE_DICT_ENTRY, "sv");
        check_read(rc, what.c_str());
        if (rc == 0) break;
        const char *name = nullptr;
        check_read(sd_bus_message_read_basic(reply.get(), 's', &name), what.c_str());
        if (std::find(wanted.begin(), wanted.end(), std::string_view{name}) != wanted.end()) {
            if (auto value = read_variant(reply.get(), what.c_str())) properties[name] = *value;
        } else {
            check_read(sd_bus_message_skip(reply.get(), "v"), what.c_str());
        }
        check_read(sd_bus_message_exit_container(reply.get()), what.c_str());
    }
    check_read(sd_bus_message_exit_container(reply.get()), what.c_str());
    return properties;
}

std::string text_property(const Properties &properties, std::string_view name) {
    const auto found = properties.find(name);
    if (found == properties.end()) return {};
    const auto *text = std::get_if<std::string>(&found->second);
    return text ? *text : std::string{};
}

std::int64_t number_property(const Properties &properties, std::string_view name,
                             std::int64_t fallback) {
    const auto found = properties.find(name);
    if (found == properties.end()) return fallback;
    if (const auto *signed_value = std::get_if<std::int64_t>(&found->second)) return *signed_value;
    if (const auto *unsigned_value = std::get_if<std::uint64_t>(&found->second))
        return static_cast<std::int64_t>(std::min<std::uint64_t>(*unsigned_value, INT64_MAX));
    return fallback;
}

} // namespace vitals::systemd
