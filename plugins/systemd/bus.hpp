// A D-Bus connection to a systemd manager through sd-bus, every call bounded by the run's
// deadline. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>

#include <systemd/sd-bus.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vitals::systemd {

using vitals::plugins::Clock;

/// Which manager a check talks to, as the `bus` parameter names it.
struct BusTarget {
    enum class Kind { system, user, address };
    Kind kind = Kind::system;
    std::string address; ///< for Kind::address: "unix:path=/run/dbus/system_bus_socket"

    /// "system", "user" or a D-Bus address; nullopt when `text` is none of these.
    static std::optional<BusTarget> parse(const std::string &text);
    /// "the system bus", "the user manager", "unix:path=..." for messages.
    std::string describe() const;
};

/// What went wrong on the bus, as a message names it: "timed out after 1.2 s",
/// "org.freedesktop.DBus.Error.AccessDenied: ...".
class BusError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MessageDeleter {
    void operator()(sd_bus_message *message) const noexcept { sd_bus_message_unref(message); }
};
using Message = std::unique_ptr<sd_bus_message, MessageDeleter>;

/// One connection, opened for one run and closed with it: a manager or bus daemon that
/// restarted between runs costs nothing, and no state outlives the run.
class Bus {
public:
    /// Starts connecting (sd-bus finishes the handshake on the first call). Throws BusError
    /// when the socket cannot be reached at all.
    Bus(const BusTarget &target, Clock::time_point deadline);

    /// A method call to systemd (org.freedesktop.systemd1) to fill with arguments.
    Message method(const char *path, const char *interface, const char *member);

    /// Sends `call` and waits for its reply until the deadline; `what` names the call in
    /// errors ("ListUnitsByNames", "the properties of nginx.service"). sd_bus_call() is not used:
    /// it waits for the authentication handshake without any bound, so a peer that accepts
    /// and never answers would hold the run far past its timeout.
    Message call(Message call, const std::string &what);

private:
    struct Closer {
        void operator()(sd_bus *bus) const noexcept { sd_bus_close_unref(bus); }
    };

    [[noreturn]] void fail(const std::string &what, int negative_errno) const;

    std::unique_ptr<sd_bus, Closer> bus_;
    Clock::time_point start_;
    Clock::time_point deadline_;
};

/// A strv argument for sd_bus_message_append_strv: pointers into `items`, null-terminated.
std::vector<char *> strv(std::vector<std::string> &items);

} // namespace vitals::systemd
