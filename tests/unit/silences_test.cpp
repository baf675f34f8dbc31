// Maintenance windows (their syntax, time zones, DST) and the silence board.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "alerts/silence_board.hpp"
#include "config/maintenance_window.hpp"
#include "core/utc_time.hpp"
#include "support/manual_clock.hpp"

namespace vitals {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::system_clock;

MaintenanceWindow window(std::string_view text) {
    auto parsed = parse_maintenance_window(text);
    if (const auto *problem = std::get_if<std::string>(&parsed)) FAIL(*problem);
    return std::get<MaintenanceWindow>(parsed);
}

std::string problem(std::string_view text) {
    auto parsed = parse_maintenance_window(text);
    const auto *found = std::get_if<std::string>(&parsed);
    return found ? *found : "(accepted)";
}

/// An instant given in UTC.
system_clock::time_point utc(std::chrono::year_month_day day, std::chrono::minutes time) {
    return sys_days{day} + time;
}

constexpr auto y2026 = std::chrono::year{2026};

} // namespace

TEST_CASE("maintenance windows: days, lists, ranges and every day") {
    // 2026-12-06 is a Sunday.
    const auto sunday = y2026 / 12 / 6;
    CHECK(window("sun 02:00-04:00 UTC").active_until(utc(sunday, 2h + 30min)) == utc(sunday, 4h));
    CHECK_FALSE(window("sun 02:00-04:00 UTC").active_until(utc(sunday, 4h)));
    CHECK_FALSE(window("sun 02:00-04:00 UTC").active_until(utc(sunday, 1h + 59min)));
    CHECK(window("sun 02:00-04:00 UTC").active_until(utc(sunday, 2h)));
    CHECK_FALSE(window("mon-fri 02:00-04:00 UTC").active_until(utc(sunday, 3h)));
    CHECK(window("mon-fri 02:00-04:00 UTC").active_until(utc(y2026 / 12 / 9, 3h)));
    CHECK(window("sat,SUN 02:00-04:00 UTC").active_until(utc(sunday, 3h)));
    CHECK(window("fri-mon 02:00-04:00 UTC").active_until(utc(sunday, 3h))); // wraps
    CHECK_FALSE(window("fri-mon 02:00-04:00 UTC").active_until(utc(y2026 / 12 / 8, 3h)));
    CHECK(window("mon,wed-fri,sun 10:00-24:00 UTC").active_until(utc(sunday, 23h + 59min)) ==
          utc(y2026 / 12 / 7, 0min));
    CHECK(window("* 00:00-24:00 UTC").active_until(utc(y2026 / 12 / 8, 12h)));
}

TEST_CASE("maintenance windows: an end before the start crosses midnight") {
    const auto friday = y2026 / 12 / 4;
    const auto saturday = y2026 / 12 / 5;
    const auto w = window("fri 22:00-02:00 UTC");
    CHECK(w.active_until(utc(friday, 23h)) == utc(saturday, 2h));
    CHECK(w.active_until(utc(saturday, 1h + 59min)) == utc(saturday, 2h));
    CHECK_FALSE(w.active_until(utc(saturday, 2h)));
    CHECK_FALSE(w.active_until(utc(saturday, 23h))); // starts on Fridays only
    CHECK_FALSE(w.active_until(utc(friday, 1h)));    // Thursday's would be, not Friday's
}

TEST_CASE("maintenance windows: a zone's offset, and the last Sundays of March and October "
          "in Europe/Berlin") {
    // Winter: CET, UTC+1. 02:00-04:00 Berlin = 01:00-03:00 UTC.
    const auto w = window("sun 02:00-04:00 Europe/Berlin");
    CHECK_FALSE(w.active_until(utc(y2026 / 12 / 6, 0h + 59min)));
    CHECK(w.active_until(utc(y2026 / 12 / 6, 1h)) == utc(y2026 / 12 / 6, 3h));
    // Summer: CEST, UTC+2.
    CHECK(w.active_until(utc(y2026 / 7 / 5, 0h)) == utc(y2026 / 7 / 5, 2h));
    // 2026-03-29: at 02:00 CET clocks go to 03:00 CEST (01:00 UTC). 02:00-03:00 never
    // happens on the wall, so the window is the hour 03:00-04:00 CEST, 01:00-02:00 UTC.
    const auto spring = y2026 / 3 / 29;
    CHECK_FALSE(w.active_until(utc(spring, 0h + 59min)));
    CHECK(w.active_until(utc(spring, 1h)) == utc(spring, 2h));
    CHECK(w.active_until(utc(spring, 1h + 59min)) == utc(spring, 2h));
    CHECK_FALSE(w.active_until(utc(spring, 2h)));
    // A window starting inside the gap opens when the gap ends.
    CHECK(window("sun 02:30-03:30 Europe/Berlin").active_until(utc(spring, 1h)) ==
          utc(spring, 1h + 30min));
    // 2026-10-25: at 03:00 CEST clocks go back to 02:00 CET (01:00 UTC): 02:00-03:00
    // happens twice, the window lasts three hours, 00:00-03:00 UTC.
    const auto autumn = y2026 / 10 / 25;
    CHECK_FALSE(w.active_until(utc(autumn, -1min)));
    CHECK(w.active_until(utc(autumn, 0h)) == utc(autumn, 3h));
    CHECK(w.active_until(utc(autumn, 1h + 30min)) == utc(autumn, 3h));
    CHECK(w.active_until(utc(autumn, 2h + 59min)) == utc(autumn, 3h));
    CHECK_FALSE(w.active_until(utc(autumn, 3h)));
}

TEST_CASE("maintenance windows: malformed ones say what is wrong") {
    CHECK(problem("sun") == "expected \"DAYS HH:MM-HH:MM [ZONE]\", e.g. \"mon-fri 22:00-22:30 "
                            "UTC\"");
    CHECK(problem("sun 02:00-04:00 UTC extra").starts_with("expected"));
    CHECK(problem("sunday 02:00-04:00").starts_with("'sunday' is not a day"));
    CHECK(problem("mon-fri-sat 02:00-04:00").starts_with("'mon-fri-sat' is not a day"));
    CHECK(problem("mon, 02:00-04:00").starts_with("'' is not a day"));
    CHECK(problem("sun 2:00-04:00").starts_with("'2:00-04:00' is not a time range"));
    CHECK(problem("sun 02:00-24:01").starts_with("'02:00-24:01' is not a time range"));
    CHECK(problem("sun 24:00-01:00").starts_with("'24:00-01:00' is not a time range"));
    CHECK(problem("sun 02:60-03:00").starts_with("'02:60-03:00' is not a time range"));
    CHECK(problem("sun 02:00").starts_with("'02:00' is not a time range"));
    CHECK(problem("sun 02:00-02:00") == "'02:00-02:00' is empty (\"00:00-24:00\" is a whole day)");
    CHECK(problem("sun 02:00-04:00 Mars/Olympus") ==
          "unknown time zone 'Mars/Olympus' (an IANA name from /usr/share/zoneinfo, e.g. "
          "\"Europe/Berlin\" or \"UTC\")");
    CHECK(problem("sun 02:00-04:00") == "(accepted)"); // the host's zone
}

TEST_CASE("silence board: a silence holds until its expiry, then is gone") {
    auto clock = std::make_shared<test::ManualClock>();
    SilenceBoard board{clock};
    const auto start = board.now();
    const auto before = board.version();
    board.silence({"disk", start + 2h, "deploy-bot", "resizing", start});
    CHECK(board.version() > before);
    const auto quiet = board.silenced("disk", start + 1h);
    REQUIRE(quiet);
    CHECK(quiet->until == start + 2h);
    CHECK(quiet->by == "deploy-bot");
    CHECK(quiet->reason == "resizing");
    CHECK(quiet->window.empty());
    CHECK_FALSE(board.silenced("cpu", start));
    CHECK_FALSE(board.silenced("disk", start + 2h));
    CHECK(board.list(start).silences.size() == 1);
    CHECK(board.list(start + 2h).silences.empty());
    // Expired: lifting finds nothing.
    clock->advance(2h);
    CHECK_FALSE(board.lift("disk"));
}

TEST_CASE("silence board: lifting, replacing, and a silence of a check that is gone") {
    auto clock = std::make_shared<test::ManualClock>();
    SilenceBoard board{clock};
    const auto start = board.now();
    board.silence({"disk", start + 2h, "a", "first", start});
    board.silence({"disk", start + 4h, "b", "second", start});
    CHECK(board.silenced("disk", start + 3h)->reason == "second");
    CHECK(board.lift("disk"));
    CHECK_FALSE(board.silenced("disk", start));
    CHECK_FALSE(board.lift("disk"));
    // No check is known to the board: a silence of a removed check stays until it expires.
    board.silence({"gone", start + 1h, "a", "r", start});
    board.set_windows({});
    CHECK(board.silenced("gone", start));
}

TEST_CASE("silence board: windows silence their check, and a silence wins over a window") {
    auto clock = std::make_shared<test::ManualClock>();
    SilenceBoard board{clock};
    const auto sunday = utc(y2026 / 12 / 6, 3h);
    board.set_windows({{"backup", {window("sat 00:00-01:00 UTC"), window("sun 02:00-04:00 UTC")}}});
    const auto quiet = board.silenced("backup", sunday);
    REQUIRE(quiet);
    CHECK(quiet->window == "sun 02:00-04:00 UTC");
    CHECK(quiet->until == utc(y2026 / 12 / 6, 4h));
    CHECK(quiet->by.empty());
    const auto listing = board.list(sunday);
    REQUIRE(listing.windows.size() == 1);
    CHECK(listing.windows[0].check == "backup");
    CHECK_FALSE(board.silenced("backup", utc(y2026 / 12 / 6, 5h)));
    board.silence({"backup", sunday + 1h, "op", "longer", sunday});
    CHECK(board.silenced("backup", sunday)->by == "op");
}

TEST_CASE("silence board: maintenance with and without an end") {
    auto clock = std::make_shared<test::ManualClock>();
    SilenceBoard board{clock};
    const auto start = board.now();
    CHECK_FALSE(board.in_maintenance(start));
    CHECK_FALSE(board.leave_maintenance());
    board.enter_maintenance({"kernel update", "ops", start, start + 30min});
    REQUIRE(board.in_maintenance(start + 29min));
    CHECK(board.in_maintenance(start)->reason == "kernel update");
    CHECK_FALSE(board.in_maintenance(start + 30min));
    board.enter_maintenance({"open-ended", "ops", start, std::nullopt});
    CHECK(board.in_maintenance(start + 1000h));
    CHECK(board.leave_maintenance());
    CHECK_FALSE(board.in_maintenance(start));
}

TEST_CASE("silence board: restored state drops what expired while the agent was down") {
    auto clock = std::make_shared<test::ManualClock>();
    SilenceBoard board{clock};
    const auto now = board.now();
    board.restore({{"old", now - 1s, "a", "r", now - 1h}, {"live", now + 1h, "a", "r", now - 1h}},
                  Maintenance{"over", "a", now - 2h, now - 1h});
    const auto kept = board.kept(now);
    REQUIRE(kept.silences.size() == 1);
    CHECK(kept.silences[0].check == "live");
    CHECK_FALSE(kept.maintenance);
}

} // namespace vitals
