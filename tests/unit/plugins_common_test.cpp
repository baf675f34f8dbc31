// plugins/common, the library the shipped plugins and the agent share: descriptors, text, sizes
// and thresholds (the Nagios output parser has its own suite in plugins_exec). Thresholds are read
// through the agent's real host functions, with the parameter tables of shipped plugins.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <vitals/plugin.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/sizes.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>

#include "support/plugin_params.hpp"

using namespace vitals::plugins;
using namespace std::chrono_literals;

namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/// Both ends of a new pipe, each owned.
std::array<UniqueFd, 2> owned_pipe() {
    std::array<int, 2> fds{};
    REQUIRE(::pipe2(fds.data(), O_CLOEXEC) == 0);
    return {UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

/// The parameters of a check of the shipped `plugin` whose params are `toml`, as create()
/// sees them.
class PluginParams {
public:
    PluginParams(const std::string &plugin, std::string_view toml) : fixture_(plugin, toml) {}

    const vitals::Params &params() const { return params_; }

    /// The one message the host recorded, as "key: message".
    std::string refusal() const { return fixture_.refusals(); }

private:
    vitals::test::PluginParams fixture_;
    vitals::Params params_{fixture_.host(), fixture_.context()};
};

std::string count_text(std::int64_t count) {
    return std::to_string(count);
}

} // namespace

TEST_CASE("plugins_common: UniqueFd closes what it holds when it goes, and nothing it let go") {
    auto [in, out] = owned_pipe();
    const int held = in.get();
    const int released = out.get();
    {
        const UniqueFd owner{in.release()};
        CHECK(owner.valid());
        UniqueFd other{out.release()};
        CHECK(other.release() == released);
        CHECK_FALSE(other.valid());
    }
    CHECK_FALSE(is_open(held));
    CHECK(is_open(released));
    ::close(released);
}

TEST_CASE(
    "plugins_common: UniqueFd moves ownership, and resetting to its own descriptor keeps it") {
    auto [in, out] = owned_pipe();
    const int fd = in.get();
    UniqueFd moved{std::move(in)};
    CHECK_FALSE(in.valid());
    CHECK(moved.get() == fd);
    moved.reset(fd);
    CHECK(is_open(fd));
    UniqueFd &alias = moved;
    moved = std::move(alias);
    CHECK(moved.get() == fd);
    CHECK(is_open(fd));
    moved = std::move(out);
    CHECK_FALSE(is_open(fd));
}

TEST_CASE("plugins_common: trim takes white space off both ends, as a view of the text") {
    const std::string text = " \t value with spaces\r\n";
    const std::string_view trimmed = trim(text);
    CHECK(trimmed == "value with spaces");
    CHECK(trimmed.data() == text.data() + 3);
    CHECK(trim(" \t\r\n").empty());
    CHECK(trim("").empty());
    CHECK(trim("\v a \v") == "\v a \v"); // only the white space asked for
    CHECK(trim("\v a \v", " \v") == "a");
    CHECK(trim("  a, b  ", " ") == "a, b");
}

TEST_CASE("plugins_common: printable keeps printable ASCII and cuts long text with dots") {
    CHECK(printable("220 ready") == "220 ready");
    CHECK(printable("a\tb\r\n\x1b[31m") == "a?b???[31m");
    CHECK(printable("caf\xC3\xA9") == "caf??"); // a byte at a time: no UTF-8 half kept
    CHECK(printable(std::string(100, 'x')) == std::string(80, 'x') + "...");
    CHECK(printable("abcdef", 3) == "abc...");
    CHECK(printable("abc", 3) == "abc");
    CHECK(printable("") == "");
}

TEST_CASE("plugins_common: case is ignored for A-Z only") {
    CHECK(to_lower("Content-Type: TEXT/Plain 1") == "content-type: text/plain 1");
    CHECK(to_lower("\xC3\x89") == "\xC3\x89"); // UTF-8 É stays: ASCII rules only
    CHECK(equal_ignoring_case("Content-Length", "content-LENGTH"));
    CHECK_FALSE(equal_ignoring_case("Content-Length", "Content-Length "));
    CHECK_FALSE(equal_ignoring_case("\xC3\x89", "\xC3\xA9"));
    CHECK(equal_ignoring_case("", ""));
}

TEST_CASE("plugins_common: compare_ignoring_case orders as lowercase bytes") {
    CHECK(compare_ignoring_case("Accept", "content-length") < 0);
    CHECK(compare_ignoring_case("accept", "ACCEPT") == 0);
    CHECK(compare_ignoring_case("Host", "HOST-x") < 0); // a prefix comes first
    CHECK(compare_ignoring_case("x-b", "X-A") > 0);
    CHECK(compare_ignoring_case("Z", "a") > 0);        // 'z' after 'a', unlike "Z" < "a"
    CHECK(compare_ignoring_case("a", "\xC3\xA9") < 0); // bytes above 0x7f sort last
    CHECK(compare_ignoring_case("_", "a") < 0);        // '_' (0x5f) before 'a', as lowercase
}

TEST_CASE("plugins_common: time limits are optional, longer than zero, warning first") {
    SUBCASE("unset") {
        const PluginParams tcp{"tcp", "host = \"localhost\"\nport = 22\n"};
        const TimeLimits limits = time_limits(tcp.params(), "connection");
        CHECK_FALSE(limits.warning);
        CHECK_FALSE(limits.error);
    }
    SUBCASE("set") {
        const PluginParams tcp{"tcp", "warning = \"100ms\"\nerror = \"1s\"\n"};
        const TimeLimits limits = time_limits(tcp.params(), "connection");
        CHECK(limits.warning == 100ms);
        CHECK(limits.error == 1s);
    }
    SUBCASE("warning after error") {
        const PluginParams tcp{"tcp", "warning = \"2s\"\nerror = \"1s\"\n"};
        CHECK_THROWS_AS(time_limits(tcp.params(), "connection"), vitals::ParamError);
        CHECK(tcp.refusal() ==
              "check.c.params.warning: must not be longer than error (2.00 s > 1.00 s)");
    }
    SUBCASE("zero warning") {
        const PluginParams tcp{"tcp", "warning = \"0s\"\n"};
        CHECK_THROWS_AS(time_limits(tcp.params(), "connection"), vitals::ParamError);
        CHECK(tcp.refusal() ==
              "check.c.params.warning: must be longer than zero: every connection would warn");
    }
    SUBCASE("zero error") {
        const PluginParams tcp{"tcp", "error = \"0s\"\n"};
        CHECK_THROWS_AS(time_limits(tcp.params(), "connection"), vitals::ParamError);
        CHECK(tcp.refusal() ==
              "check.c.params.error: must be longer than zero: every connection would fail");
    }
    SUBCASE("one limit of another name") {
        const PluginParams file_age{"file_age", "warning_age = \"0s\"\n"};
        CHECK_THROWS_AS(time_limit(file_age.params(), "warning_age", "every file would be too old"),
                        vitals::ParamError);
        CHECK(file_age.refusal() ==
              "check.c.params.warning_age: must be longer than zero: every file would be too old");
    }
}

TEST_CASE("plugins_common: a percentage is from 0 to 100, and NaN is none") {
    SUBCASE("in range") {
        const PluginParams disk{"disk", "warning = 0\nerror = 100\n"};
        CHECK(percentage(disk.params(), "warning") == 0);
        CHECK(percentage(disk.params(), "error") == 100);
    }
    SUBCASE("above") {
        const PluginParams disk{"disk", "warning = 100.5\n"};
        CHECK_THROWS_AS(percentage(disk.params(), "warning"), vitals::ParamError);
        CHECK(disk.refusal() ==
              "check.c.params.warning: must be a percentage from 0 to 100, got 100.5");
    }
    SUBCASE("NaN") {
        const PluginParams disk{"disk", "error = nan\n"};
        CHECK_THROWS_AS(percentage(disk.params(), "error"), vitals::ParamError);
        CHECK(disk.refusal() ==
              "check.c.params.error: must be a percentage from 0 to 100, got nan");
    }
}

TEST_CASE("plugins_common: limits out of order are refused with both values and the reason") {
    const PluginParams tls{"tls_cert", "host = \"localhost\"\n"};
    SUBCASE("in order, or equal") {
        require_not_above(tls.params(), "warning_days", std::int64_t{5}, "error_days",
                          std::int64_t{5}, count_text);
        require_not_below(tls.params(), "warning_days", std::int64_t{5}, "error_days",
                          std::int64_t{5}, count_text);
    }
    SUBCASE("above") {
        CHECK_THROWS_AS(require_not_above(tls.params(), "error_days", std::int64_t{30},
                                          "warning_days", std::int64_t{20}, count_text,
                                          ": fewer days left are worse"),
                        vitals::ParamError);
        CHECK(tls.refusal() == "check.c.params.error_days: must not be above warning_days "
                               "(30 > 20): fewer days left are worse");
    }
    SUBCASE("below") {
        CHECK_THROWS_AS(require_not_below(tls.params(), "warning_days", std::int64_t{5},
                                          "error_days", std::int64_t{10}, count_text),
                        vitals::ParamError);
        CHECK(tls.refusal() ==
              "check.c.params.warning_days: must not be below error_days (5 < 10)");
    }
    SUBCASE("either unset") {
        const std::optional<std::int64_t> unset;
        require_not_above(tls.params(), "warning_days", unset, "error_days",
                          std::optional<std::int64_t>{1}, count_text);
        require_not_above(tls.params(), "warning_days", std::optional<std::int64_t>{9},
                          "error_days", unset, count_text);
    }
}

TEST_CASE("plugins_common: sizes in decimal or binary units, any case, a bare number as bytes") {
    CHECK(parse_size("4096") == 4096u);
    CHECK(parse_size("10GiB") == 10ull << 30);
    CHECK(parse_size("1.5 kb") == 1500u);
    CHECK(parse_size("500MB") == 500'000'000u);
    CHECK(parse_size("2 mib") == 2u << 20);
    CHECK_FALSE(parse_size("10G").has_value()); // GB or GiB? Nobody can tell
    CHECK_FALSE(parse_size("-1MiB").has_value());
    CHECK_FALSE(parse_size("MiB").has_value());
    CHECK_FALSE(parse_size("").has_value());
    CHECK_FALSE(parse_size("99999999999 PiB").has_value()); // beyond 2^64 bytes
}

TEST_CASE("plugins_common: a size parameter is refused at its key unless it reads as a size") {
    SUBCASE("unset") {
        const PluginParams disk{"disk", ""};
        CHECK_FALSE(size_param(disk.params(), "free_warning").has_value());
    }
    SUBCASE("a size") {
        const PluginParams disk{"disk", "free_warning = \"2GiB\"\n"};
        CHECK(size_param(disk.params(), "free_warning") == 2ull << 30);
    }
    SUBCASE("not a size") {
        const PluginParams disk{"disk", "free_error = \"lots\"\n"};
        CHECK_THROWS_AS(size_param(disk.params(), "free_error"), vitals::ParamError);
        CHECK(disk.refusal() == "check.c.params.free_error: must be a size such as \"10GiB\", "
                                "\"500MB\" or a number of bytes, got \"lots\"");
    }
}
