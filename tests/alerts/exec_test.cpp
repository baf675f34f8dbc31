// The exec notifier with real commands: what a script sees, what its exit means, and a
// command that outlives its timeout. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <pthread.h>
#include <signal.h>

#include <csignal>

#include <chrono>

#include "alerts/make_notifier.hpp"
#include "receivers.hpp"
#include "sample_alert.hpp"

namespace {

using namespace vitals;
using namespace vitals::test::alerts;

/// An executable script in `dir`.
std::filesystem::path script(const vitals::test::TempDir &dir, const std::string &body) {
    const auto file = dir.write("notify.sh", "#!/bin/sh\n" + body);
    std::filesystem::permissions(file, std::filesystem::perms::owner_all);
    return file;
}

NotifierDefinition exec(std::vector<std::string> command) {
    auto definition = notifier_definition("run", NotifierType::exec);
    definition.command = std::move(command);
    return definition;
}

} // namespace

TEST_CASE("exec notifier: the command gets the alert in its environment and as JSON on stdin") {
    vitals::test::TempDir dir;
    const auto command = script(dir, "env > \"$1/env\"\ncat > \"$1/stdin\"\necho notified\n");
    const auto outcome =
        make_notifier(exec({command.string(), dir.path().string()}))->deliver(sample_alert());
    INFO(outcome.error);
    CHECK(outcome.ok());
    const auto env = read_text(dir.path() / "env");
    CHECK(contains(env, "VITALS_ALERT_KIND=firing\n"));
    CHECK(contains(env, "VITALS_CHECK=web\n"));
    CHECK(contains(env, "VITALS_STATUS=error\n"));
    CHECK(contains(env, "VITALS_PREVIOUS_STATUS=ok\n"));
    CHECK(contains(env, "VITALS_MESSAGE=GET / answered 502\n"));
    CHECK(contains(env, "VITALS_HOST=host1\n"));
    CHECK(contains(env, "VITALS_LINK=http://host1:8080/#check-web\n"));
    CHECK(contains(env, "VITALS_LABEL_TEAM=shop\n"));
    CHECK(contains(env, "VITALS_SINCE=20"));
    const auto stdin_json = Poco::JSON::Parser{}
                                .parse(read_text(dir.path() / "stdin"))
                                .extract<Poco::JSON::Object::Ptr>();
    CHECK(stdin_json->getValue<std::string>("check") == "web");
    CHECK(stdin_json->getValue<std::string>("kind") == "firing");
}

TEST_CASE("exec notifier: a non-zero exit is retried with the end of its output") {
    vitals::test::TempDir dir;
    const auto command = script(dir, "echo 'paging failed: queue full' >&2\nexit 3\n");
    const auto outcome = make_notifier(exec({command.string()}))->deliver(sample_alert());
    CHECK(outcome.kind == DeliveryOutcome::Kind::retry);
    CHECK(contains(outcome.error, "exited with 3: paging failed: queue full"));
}

TEST_CASE("exec notifier: a command past its timeout is killed with what it started") {
    vitals::test::TempDir dir;
    const auto command = script(dir, "sleep 30 &\necho $! > \"$1/child\"\nsleep 30\n");
    auto definition = exec({command.string(), dir.path().string()});
    definition.timeout = std::chrono::milliseconds{500};
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = make_notifier(definition)->deliver(sample_alert());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{5});
    CHECK(outcome.kind == DeliveryOutcome::Kind::retry);
    CHECK(contains(outcome.error, "did not finish within 500ms"));
    const auto child = vitals::test::services::read_pid_file(dir.path() / "child");
    REQUIRE(child);
    CHECK(eventually([&] { return !vitals::test::services::process_alive(*child); }, 5s));
}

TEST_CASE("exec notifier: what a command that exits left running in its group is killed") {
    // A notifier starts nothing that outlives it (unlike an on_failure action).
    vitals::test::TempDir dir;
    const auto command =
        script(dir, "sleep 30 </dev/null >/dev/null 2>&1 &\necho $! > \"$1/child\"\n");
    CHECK(
        make_notifier(exec({command.string(), dir.path().string()}))->deliver(sample_alert()).ok());
    const auto child = vitals::test::services::read_pid_file(dir.path() / "child");
    REQUIRE(child);
    CHECK(eventually([&] { return !vitals::test::services::process_alive(*child); }, 5s));
}

TEST_CASE("exec notifier: shell = true runs the command through /bin/sh") {
    vitals::test::TempDir dir;
    auto definition = exec(
        {"echo \"$VITALS_CHECK is $VITALS_STATUS\" > '" + (dir.path() / "out").string() + "'"});
    definition.shell = true;
    CHECK(make_notifier(definition)->deliver(sample_alert()).ok());
    CHECK(read_text(dir.path() / "out") == "web is error\n");
}

TEST_CASE("exec notifier: a command that exits without reading its stdin costs no SIGPIPE") {
    vitals::test::TempDir dir;
    // As in `vitalsd notify`, whatever the test runner inherited: SIGPIPE kills.
    const auto before = std::signal(SIGPIPE, SIG_DFL);
    sigset_t pipe_signal, mask;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe_signal, &mask);
    // stdin closed while it runs: the rest of the alert's JSON meets EPIPE.
    const auto command = script(dir, "exec 0<&-\nsleep 0.3\n");
    auto alert = sample_alert();
    alert.message = std::string(256 * 1024, 'x'); // more than a pipe holds
    CHECK(make_notifier(exec({command.string()}))->deliver(alert).ok());
    pthread_sigmask(SIG_SETMASK, &mask, nullptr);
    std::signal(SIGPIPE, before);
}
