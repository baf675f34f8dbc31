// The systemd plugin against a real `systemd --user` with unit files the tests write, observed
// through vitalsd's HTTP output. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "service_checks.hpp"
#include "user_manager.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace vitals::test::systemd;
using namespace std::chrono_literals;

/// A unit's metric: named without the unit, which is its systemd_unit label.
std::optional<double> unit_metric(const Object::Ptr &check, const std::string &name,
                                  const std::string &unit) {
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto item = metrics->getObject(static_cast<unsigned>(i));
        const auto labels = item->getObject("labels");
        if (text(item, "name") == name && labels && labels->has("systemd_unit") &&
            labels->getValue<std::string>("systemd_unit") == unit)
            return item->getValue<double>("value");
    }
    return std::nullopt;
}

/// The units every test's manager knows. Timers fire 100 ms after they start (AccuracySec:
/// a timer's default lets systemd postpone it by up to a minute).
const std::map<std::string, std::string> &test_units() {
    static const std::map<std::string, std::string> units{
        {"sleeper.service", "[Service]\nExecStart=/bin/sleep infinity\n"},
        {"failer.service", "[Service]\nExecStart=/bin/sh -c 'exit 1'\n"},
        // Fails 100 ms after each start and is restarted 50 ms later, with no start limit.
        {"restarter.service", "[Unit]\nStartLimitIntervalSec=0\n[Service]\n"
                              "ExecStart=/bin/sh -c 'sleep 0.1; exit 1'\n"
                              "Restart=always\nRestartSec=50ms\n"},
        {"nightly.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 3'\n"},
        {"nightly.timer", "[Timer]\nOnActiveSec=100ms\nAccuracySec=1ms\n"},
        {"tidy.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"},
        {"tidy.timer", "[Timer]\nOnActiveSec=100ms\nAccuracySec=1ms\n"},
        {"never.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"},
        {"never.timer", "[Timer]\nOnCalendar=2099-01-01\n"},
        {"once.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"},
    };
    return units;
}

/// The inside of a check's params: the manager's bus, then `more`.
std::string on(const UserManager &manager, const std::string &more = "") {
    return "bus = " + toml_string(manager.address()) + (more.empty() ? "" : ", " + more);
}

std::string message(const Object::Ptr &check) {
    return text(check, "message");
}

/// A Unix socket that accepts connections (the kernel does, into the backlog) and never
/// says a word: a bus whose handshake never ends.
class SilentUnixListener {
public:
    explicit SilentUnixListener(const std::filesystem::path &path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const std::string text = path.string();
        REQUIRE(text.size() < sizeof address.sun_path);
        text.copy(address.sun_path, text.size());
        REQUIRE(fd_ >= 0);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
    }
    ~SilentUnixListener() { ::close(fd_); }
    SilentUnixListener(const SilentUnixListener &) = delete;
    SilentUnixListener &operator=(const SilentUnixListener &) = delete;

private:
    int fd_ = -1;
};

} // namespace

TEST_CASE("systemd: units by name and glob on a real user manager, a failed one is an error and "
          "degrades the manager") {
    UserManager manager{test_units()};
    manager.systemctl({"start", "sleeper.service"});
    // bus = "user" finds the manager as systemctl --user does: through XDG_RUNTIME_DIR, which
    // the agent inherits.
    ::setenv("XDG_RUNTIME_DIR", manager.runtime_dir().c_str(), 1);
    Agent agent{check_toml("running", "systemd",
                           on(manager, R"(units = ["sleeper.service"], sub_state = "running")")) +
                check_toml("glob", "systemd", on(manager, R"(units = ["sleep*.service"])")) +
                check_toml("as_user", "systemd", R"(bus = "user", units = ["sleeper.service"])") +
                check_toml("manager", "systemd", on(manager)) +
                check_toml("failer", "systemd", on(manager, R"(units = ["failer.service"])")) +
                check_toml("missing", "systemd", on(manager, R"(units = ["nosuch.service"])")) +
                check_toml("no_match", "systemd", on(manager, R"(units = ["nomatch-*.service"])")) +
                check_toml("wrong_sub", "systemd",
                           on(manager, R"(units = ["sleeper.service"], sub_state = "exited")"))};
    ::unsetenv("XDG_RUNTIME_DIR");

    auto check = wait_for_status(agent.port(), "running", "ok");
    CHECK(message(check) == "sleeper.service active (running)");
    CHECK(unit_metric(check, "restarts", "sleeper.service") == 0.0);
    CHECK(metric(check, "units") == 1.0);
    check = wait_for_status(agent.port(), "glob", "ok");
    CHECK(message(check) == "sleeper.service active (running)");
    check = wait_for_status(agent.port(), "as_user", "ok");
    CHECK(message(check) == "sleeper.service active (running)");
    check = wait_for_status(agent.port(), "manager", "ok");
    CHECK(message(check) == "manager running");
    CHECK(metric(check, "failed_units") == 0.0);
    // Not started yet: inactive where active is expected.
    check = wait_for_status(agent.port(), "failer", "error");
    CHECK(message(check) == "failer.service is inactive (dead), expected active");

    check = wait_for_status(agent.port(), "missing", "error");
    CHECK(message(check) == "nosuch.service: no such unit");
    check = wait_for_status(agent.port(), "no_match", "error");
    CHECK(message(check) == "no loaded unit matches nomatch-*.service");
    check = wait_for_status(agent.port(), "wrong_sub", "error");
    CHECK(message(check) == "sleeper.service is active (running), expected sub-state exited");

    manager.systemctl({"start", "--no-block", "failer.service"});
    check = wait_until(agent.port(), "failer", [](const Object::Ptr &json) {
        return message(json) == "failer.service failed (exit status 1)";
    });
    CHECK(text(check, "status") == "error");
    CHECK(metric(check, "units_failed") == 1.0);
    check = wait_for_status(agent.port(), "manager", "warning");
    CHECK(message(check) == "manager degraded: failed failer.service");
    CHECK(metric(check, "failed_units") == 1.0);

    const auto metrics = http_get(agent.port(), "/metrics");
    REQUIRE(metrics.status == 200);
    // NRestarts only grows: a counter, the unit a label of its own.
    CHECK(contains(metrics.body,
                   R"(metric="restarts",unit="count",systemd_unit="sleeper.service"})"));
    CHECK(contains(metrics.body, "# TYPE vitals_check_metric_total counter"));
    const TempDir dir;
    const auto lint = run_command(
        {"sh", "-c",
         "promtool check metrics < '" + dir.write("m.txt", metrics.body).string() + "'"});
    INFO(lint.output);
    CHECK(lint.exit_code == 0);
}

TEST_CASE("systemd: a service restarting over and over warns, then fails, above its limits") {
    UserManager manager{test_units()};
    manager.systemctl({"start", "restarter.service"});
    Agent agent{check_toml("warned", "systemd",
                           on(manager, R"(units = ["restarter.service"], restarts_warning = 1, )"
                                       R"(restarts_error = 1000)")) +
                check_toml("failed", "systemd",
                           on(manager, R"(units = ["restarter.service"], restarts_error = 3)"))};

    // Between its runs the service is activating (auto-restart), which warns on its own:
    // wait for the restarts to be counted.
    auto check = wait_until(agent.port(), "warned", [](const Object::Ptr &json) {
        return contains(message(json), "restarter.service restarted ");
    });
    CHECK(text(check, "status") == "warning");
    CHECK(contains(message(check), " times (more than 1)"));
    CHECK(*unit_metric(check, "restarts", "restarter.service") > 1.0);
    check = wait_until(agent.port(), "failed", [](const Object::Ptr &json) {
        return contains(message(json), " times (more than 3)");
    });
    CHECK(text(check, "status") == "error");
    CHECK(*unit_metric(check, "restarts", "restarter.service") > 3.0);
    CHECK(std::stoi(manager.property("restarter.service", "NRestarts")) > 3);
}

TEST_CASE("systemd: timers by their last trigger and the run they started, oneshots by their exit "
          "status") {
    UserManager manager{test_units()};
    manager.systemctl({"start", "nightly.timer", "tidy.timer", "never.timer", "once.service"});
    Agent agent{
        check_toml("nightly", "systemd", on(manager, R"(units = ["nightly.timer"])")) +
        check_toml("tidy", "systemd",
                   on(manager, R"(units = ["tidy.timer"], last_trigger_warning = "1h")")) +
        check_toml("tidy_stale", "systemd",
                   on(manager, R"(units = ["tidy.timer"], last_trigger_warning = "300ms", )"
                               R"(last_trigger_error = "1h")")) +
        check_toml("never", "systemd",
                   on(manager, R"(units = ["never.timer"], last_trigger_error = "1d")")) +
        check_toml("oneshot", "systemd", on(manager, R"(units = ["once.service"])")) +
        check_toml("oneshot_failed", "systemd", on(manager, R"(units = ["nightly.service"])"))};

    // The nightly job that failed is an error, though its timer is as active as ever.
    auto check = wait_for_status(agent.port(), "nightly", "error");
    CHECK(message(check) == "nightly.timer: last run of nightly.service failed (exit status 3)");
    check = wait_for_status(agent.port(), "oneshot_failed", "error");
    CHECK(message(check) == "nightly.service failed (exit status 3)");

    check = wait_until(agent.port(), "tidy", [](const Object::Ptr &json) {
        return text(json, "status") == "ok" && contains(message(json), "triggered");
    });
    CHECK(contains(message(check), "tidy.timer active (elapsed), triggered "));
    REQUIRE(unit_metric(check, "since_last_trigger", "tidy.timer").has_value());
    CHECK(*unit_metric(check, "since_last_trigger", "tidy.timer") >= 0.0);
    CHECK(*unit_metric(check, "since_last_trigger", "tidy.timer") < 60.0);
    check = wait_until(agent.port(), "tidy_stale", [](const Object::Ptr &json) {
        return text(json, "status") == "warning" && contains(message(json), " ago (more than ");
    });
    CHECK(contains(message(check), "tidy.timer last triggered "));
    CHECK(contains(message(check), " ago (more than 300.0 ms)"));

    check = wait_for_status(agent.port(), "never", "error");
    CHECK(message(check) == "never.timer never triggered");
    CHECK_FALSE(unit_metric(check, "since_last_trigger", "never.timer").has_value());

    check = wait_for_status(agent.port(), "oneshot", "ok");
    CHECK(message(check) == "once.service active (exited), last run exit status 0");
    CHECK(unit_metric(check, "exit_status", "once.service") == 0.0);
}

TEST_CASE("systemd: a bus that never answers times out within the check's deadline, a missing one "
          "is an error naming where it was looked for") {
    const TempDir dir;
    const auto silent_socket = dir.path() / "silent.sock";
    const SilentUnixListener silent{silent_socket};
    const auto absent_socket = dir.path() / "absent.sock";
    // The system bus where the agent is told it is (sd-bus reads the variable): nowhere.
    const std::string system_address = "unix:path=" + (dir.path() / "system_bus_socket").string();
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", system_address.c_str(), 1);
    Agent agent{check_toml("system", "systemd", R"(units = ["nginx.service"])") +
                check_toml("silent", "systemd",
                           "bus = " + toml_string("unix:path=" + silent_socket.string()), "2s",
                           "1s") +
                check_toml("absent", "systemd",
                           "bus = " + toml_string("unix:path=" + absent_socket.string()))};
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");

    auto check = wait_for_status(agent.port(), "silent", "error");
    INFO(message(check));
    CHECK(contains(message(check), "unix:path=" + silent_socket.string() + ": "));
    CHECK(contains(message(check), ": SystemState: timed out after "));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
    check = wait_for_status(agent.port(), "absent", "error");
    CHECK(message(check) ==
          "unix:path=" + absent_socket.string() + ": cannot connect: no such file or directory");
    check = wait_for_status(agent.port(), "system", "error");
    CHECK(message(check) ==
          "the system bus: cannot connect to " + system_address + ": no such file or directory");
}

TEST_CASE("systemd: parameters are checked at load, each at its file, line and key") {
    const auto result = check_config(
        check_toml("bad_bus", "systemd", R"(bus = "session")") +
        check_toml("no_type", "systemd", R"(units = ["nginx"])") +
        check_toml("template", "systemd", R"(units = ["getty@.service"])") +
        check_toml("failed_state", "systemd", R"(units = ["a.service"], active_state = "failed")") +
        check_toml("odd_state", "systemd", R"(units = ["a.service"], active_state = "up")") +
        check_toml("restarts", "systemd",
                   R"(units = ["a.service"], restarts_warning = 5, restarts_error = 2)") +
        check_toml("trigger", "systemd", R"(units = ["a.timer"], last_trigger_warning = "0s")") +
        check_toml("nothing", "systemd", "manager = false") +
        check_toml("no_units", "systemd", "restarts_error = 1") +
        check_toml("fine", "systemd",
                   R"(units = ["nginx.service", "app-*.service", "getty@tty1.service"], )"
                   R"(restarts_error = 3, bus = "unix:path=/run/dbus/system_bus_socket")"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    // Each [check] table is five lines, params last: the first check's params are on line 5.
    CHECK(contains(result.output, "checks.toml:5:18: check.bad_bus.params.bus: "));
    CHECK(contains(result.output,
                   "check.bad_bus.params.bus: must be \"system\", \"user\" or a "
                   "D-Bus address such as \"unix:path=/run/dbus/system_bus_socket\", "
                   "got \"session\""));
    CHECK(contains(result.output, "check.no_type.params.units: \"nginx\" names no unit type; "
                                  "write it in full, e.g. \"nginx.service\", or as a glob"));
    CHECK(contains(result.output, "check.template.params.units: \"getty@.service\" is a template; "
                                  "name an instance or use a glob such as \"getty@*.service\""));
    CHECK(contains(result.output, "check.failed_state.params.active_state: cannot be failed"));
    CHECK(contains(result.output, "check.odd_state.params.active_state: must be one of active, "));
    CHECK(contains(result.output,
                   "check.restarts.params.restarts_warning: must not be above restarts_error"));
    CHECK(contains(result.output,
                   "check.trigger.params.last_trigger_warning: must be longer than zero"));
    CHECK(contains(result.output, "check.nothing.params.manager: is false and no units are "
                                  "listed: nothing to check"));
    CHECK(contains(result.output, "check.no_units.params.units: is missing"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK(contains(result.output, "9 configuration error(s)"));
}

TEST_CASE("systemd: through a bus daemon, as a client of the bus rather than of the manager's own "
          "socket") {
    UserManager manager{test_units()};
    // The user session's dbus-daemon (Debian's dbus.socket and dbus.service user units): the
    // manager registers org.freedesktop.systemd1 on it, as the system manager does on the
    // system bus. It admits its own user only, so the plugin runs as that user here, through
    // `vitalsd run`.
    manager.systemctl({"start", "dbus.socket", "sleeper.service"});
    manager.systemctl({"start", "dbus.service"});
    const auto bus_address = "unix:path=" + (manager.runtime_dir() / "bus").string();
    const auto run = [&](const std::string &units) {
        return manager.as_user({VITALSD_PATH, "run", "--plugin",
                                std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/systemd.so", "--param",
                                "bus=" + bus_address, "--param", "units=" + units});
    };
    // The bus daemon knows systemd1 once the manager has connected to it: wait for that.
    CommandOutput result;
    REQUIRE_MESSAGE(eventually(
                        [&] {
                            result = run(R"(["sleeper.service"])");
                            return result.exit_code == 0;
                        },
                        10s),
                    result.output);
    CHECK(contains(result.output, "message   sleeper.service active (running)\n"));
    result = run(R"(["nosuch.service"])");
    CHECK(result.exit_code == 2);
    CHECK(contains(result.output, "message   nosuch.service: no such unit\n"));
}
