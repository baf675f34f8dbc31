// SPDX-License-Identifier: MIT
#include "bus.hpp"

#include <vitals_plugins/text.hpp>
#include <vitals_plugins/units.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace vitals::systemd {

using namespace vitals::plugins;

namespace {

/// A manager's own socket: systemctl talks to it directly, with no bus daemon between, and
/// so must we (a bus daemon wants a Hello first; the manager does not know that method).
constexpr std::string_view private_socket_suffix = "/systemd/private";

bool is_direct(std::string_view address) {
    return address.size() >= private_socket_suffix.size() &&
           address.substr(address.size() - private_socket_suffix.size()) == private_socket_suffix;
}

/// A path as the value of a D-Bus address key: bytes outside the set the specification
/// leaves as they are written %XX.
std::string escape_address_value(std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string escaped;
    for (const char c : value) {
        const bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                           (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '/' || c == '.' ||
                           c == '\\' || c == '*';
        if (plain) {
            escaped += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            escaped += '%';
            escaped += hex[byte >> 4];
            escaped += hex[byte & 0xf];
        }
    }
    return escaped;
}

/// The user manager's private socket, as `systemctl --user` finds it first: nothing when
/// there is no XDG_RUNTIME_DIR or no manager listening in it.
std::optional<std::string> user_manager_socket() {
    const char *runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime || *runtime != '/') return std::nullopt;
    const std::string socket = std::string{runtime} + std::string{private_socket_suffix};
    if (::access(socket.c_str(), F_OK) != 0) return std::nullopt;
    return socket;
}

/// Where sd_bus_open_system() and sd_bus_open_user() connect, for messages: the address in
/// the environment variable they read, else their default.
std::string library_address(BusTarget::Kind kind) {
    const bool system = kind == BusTarget::Kind::system;
    const char *address =
        std::getenv(system ? "DBUS_SYSTEM_BUS_ADDRESS" : "DBUS_SESSION_BUS_ADDRESS");
    if (address && *address) return address;
    if (system) return "unix:path=/run/dbus/system_bus_socket";
    const char *runtime = std::getenv("XDG_RUNTIME_DIR");
    return "unix:path=" + escape_address_value(std::string{runtime ? runtime : ""} + "/bus");
}

std::uint64_t microseconds_until(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<std::uint64_t>(left.count()) : 1;
}

struct PendingReply {
    Message reply;
};

int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error * /*unused*/) {
    static_cast<PendingReply *>(userdata)->reply.reset(sd_bus_message_ref(reply));
    return 0;
}

struct SlotDeleter {
    void operator()(sd_bus_slot *slot) const noexcept { sd_bus_slot_unref(slot); }
};

} // namespace

std::optional<BusTarget> BusTarget::parse(const std::string &text) {
    if (text == "system") return BusTarget{Kind::system, {}};
    if (text == "user") return BusTarget{Kind::user, {}};
    // "transport:key=value,...": a transport name, then at least one key.
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0 || text.find('=', colon) == std::string::npos)
        return std::nullopt;
    for (const char c : std::string_view{text}.substr(0, colon))
        if (!((c >= 'a' && c <= 'z') || c == '-')) return std::nullopt;
    return BusTarget{Kind::address, text};
}

std::string BusTarget::describe() const {
    switch (kind) {
    case Kind::system:
        return "the system bus";
    case Kind::user:
        return "the user manager";
    case Kind::address:
        break;
    }
    return address;
}

Bus::Bus(const BusTarget &target, Clock::time_point deadline)
    : start_(Clock::now()), deadline_(deadline) {
    sd_bus *bus = nullptr;
    int rc = 0;
    std::optional<std::string> address;
    if (target.kind == BusTarget::Kind::address) address = target.address;
    if (target.kind == BusTarget::Kind::user) {
        if (const auto socket = user_manager_socket())
            address = "unix:path=" + escape_address_value(*socket);
    }
    if (address) {
        rc = sd_bus_new(&bus);
        if (rc >= 0) bus_.reset(bus);
        if (rc >= 0) rc = sd_bus_set_address(bus, address->c_str());
        if (rc >= 0) rc = sd_bus_set_bus_client(bus, is_direct(*address) ? 0 : 1);
        if (rc >= 0) rc = sd_bus_start(bus);
    } else {
        rc = target.kind == BusTarget::Kind::system ? sd_bus_open_system(&bus)
                                                    : sd_bus_open_user(&bus);
        if (rc >= 0) bus_.reset(bus);
    }
    if (rc >= 0) return;
    // sd-bus says ENOMEDIUM ("no medium found") when it has no address for the user bus.
    if (target.kind == BusTarget::Kind::user && rc == -ENOMEDIUM)
        throw BusError{"cannot connect: neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS is "
                       "set (the agent's user has no session)"};
    // An address given in the check already leads the message; the others are worth naming.
    if (target.kind == BusTarget::Kind::address) fail("cannot connect", rc);
    fail("cannot connect to " + address.value_or(library_address(target.kind)), rc);
}

Message Bus::method(const char *path, const char *interface, const char *member) {
    sd_bus_message *message = nullptr;
    const int rc = sd_bus_message_new_method_call(bus_.get(), &message, "org.freedesktop.systemd1",
                                                  path, interface, member);
    if (rc < 0) fail(std::string{"cannot build "} + member, rc);
    return Message{message};
}

Message Bus::call(Message call, const std::string &what) {
    if (Clock::now() >= deadline_)
        throw BusError{what + " not sent: timed out after " +
                       format_duration(Clock::now() - start_)};
    PendingReply pending;
    sd_bus_slot *slot = nullptr;
    int rc = sd_bus_call_async(bus_.get(), &slot, call.get(), on_reply, &pending,
                               microseconds_until(deadline_));
    if (rc < 0) fail(what, rc);
    const std::unique_ptr<sd_bus_slot, SlotDeleter> slot_owner{slot};
    while (!pending.reply) {
        rc = sd_bus_process(bus_.get(), nullptr);
        if (rc < 0) fail(what, rc);
        if (rc > 0 || pending.reply) continue; // more may be queued: process before waiting
        if (Clock::now() >= deadline_)
            throw BusError{what + ": timed out after " + format_duration(Clock::now() - start_)};
        rc = sd_bus_wait(bus_.get(), microseconds_until(deadline_));
        if (rc < 0 && rc != -EINTR) fail(what, rc);
    }
    if (sd_bus_message_is_method_error(pending.reply.get(), nullptr)) {
        const sd_bus_error *error = sd_bus_message_get_error(pending.reply.get());
        std::string text = what + ": ";
        text += error && error->name ? error->name : "error";
        if (error && error->message) text += std::string{": "} + error->message;
        throw BusError{text};
    }
    return std::move(pending.reply);
}

void Bus::fail(const std::string &what, int negative_errno) const {
    throw BusError{what + ": " + describe_errno(-negative_errno)};
}

std::vector<char *> strv(std::vector<std::string> &items) {
    std::vector<char *> pointers;
    pointers.reserve(items.size() + 1);
    for (auto &item : items)
        pointers.push_back(item.data());
    pointers.push_back(nullptr);
    return pointers;
}

} // namespace vitals::systemd
