// Declared parameter ranges and choices (ABI 1.1): the loader's judgement of a table, and
// conf.d values checked against it before create(). SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "app/check_builder.hpp"
#include "loader/param_limits.hpp"
#include "loader/plugin_library.hpp"
#include "support/check_fixture.hpp"

using namespace vitals;

namespace {

const char *const modes[] = {"fast", "thorough", nullptr};

vitals_param_spec ranged(std::int32_t type, std::uint32_t limits, double min, double max,
                         const char *default_value = nullptr) {
    return {.key = "k",
            .type = type,
            .default_value = default_value,
            .min = min,
            .max = max,
            .limits = limits};
}

vitals_param_spec chosen(std::int32_t type, const char *const *choices,
                         const char *default_value = nullptr) {
    return {.key = "k", .type = type, .default_value = default_value, .choices = choices};
}

constexpr auto both = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX;

std::string problem(const vitals_param_spec &spec) {
    return declared_limits_problem(spec).value_or("");
}

std::string violation(const vitals_param_spec &spec, ParamValue value) {
    return limits_violation(spec, value).value_or("");
}

std::shared_ptr<const PluginLibrary> open_test_plugin(const std::string &dir,
                                                      const std::string &name) {
    return PluginLibrary::open(dir + "/" + name + ".so");
}

std::string refusal_of(const std::string &name) {
    try {
        open_test_plugin(VITALS_BAD_PLUGIN_DIR, name);
    } catch (const PluginLoadError &e) {
        return e.what();
    }
    FAIL("expected ", name, " to be refused");
    return {};
}

bool contains_line(const std::string &text, const std::string &line) {
    return text.find(line + "\n") != std::string::npos;
}

/// Every error create_check() reports for the `limited` plugin with `params_toml`.
std::string errors_for(std::string_view params_toml) {
    const auto definition = test::definition("lim", "limited", params_toml);
    ConfigErrors errors;
    const auto check =
        create_check(definition, open_test_plugin(VITALS_TEST_PLUGIN_DIR, "limited"), errors);
    std::string text;
    for (const auto &error : errors)
        text += error.to_string() + "\n";
    if (check) CHECK(errors.empty());
    return text;
}

} // namespace

TEST_CASE("param limits: ranges in words, in the type's own unit") {
    CHECK(range_text(ranged(VITALS_PARAM_INT, both, 1, 65535)) == "from 1 to 65535");
    CHECK(range_text(ranged(VITALS_PARAM_INT, VITALS_LIMIT_MIN, 1, 0)) == "at least 1");
    CHECK(range_text(ranged(VITALS_PARAM_FLOAT, VITALS_LIMIT_MAX, 0, 0.5)) == "at most 0.5");
    CHECK(range_text(ranged(VITALS_PARAM_DURATION, both, 0.1, 90)) == "from 100ms to 1m30s");
    CHECK(range_text(ranged(VITALS_PARAM_INT, 0, 1, 2)) == ""); // no bits, no range
    CHECK(range_text(chosen(VITALS_PARAM_STRING, modes)) == "");
}

TEST_CASE("param limits: a value outside the range is named with the range") {
    const auto port = ranged(VITALS_PARAM_INT, both, 1, 65535);
    CHECK(violation(port, std::int64_t{80}) == "");
    CHECK(violation(port, std::int64_t{1}) == "");
    CHECK(violation(port, std::int64_t{65535}) == "");
    CHECK(violation(port, std::int64_t{0}) == "expected an integer from 1 to 65535, got 0");
    CHECK(violation(port, std::int64_t{70000}) == "expected an integer from 1 to 65535, got 70000");

    const auto share = ranged(VITALS_PARAM_FLOAT, VITALS_LIMIT_MAX, 0, 0.5);
    CHECK(violation(share, -3.0) == ""); // no minimum declared
    CHECK(violation(share, 0.75) == "expected a number at most 0.5, got 0.75");

    const auto wait = ranged(VITALS_PARAM_DURATION, VITALS_LIMIT_MIN, 1, 0);
    CHECK(violation(wait, Duration{std::chrono::seconds{1}}) == "");
    CHECK(violation(wait, Duration{std::chrono::milliseconds{500}}) ==
          "expected a duration at least 1s, got 500ms");
}

TEST_CASE("param limits: a string or list item outside the choices is named with the choices") {
    const auto mode = chosen(VITALS_PARAM_STRING, modes);
    CHECK(violation(mode, std::string{"fast"}) == "");
    CHECK(violation(mode, std::string{"slow"}) ==
          R"(expected one of "fast", "thorough", got "slow")");
    const auto list = chosen(VITALS_PARAM_STRING_LIST, modes);
    CHECK(violation(list, std::vector<std::string>{}) == "");
    CHECK(violation(list, std::vector<std::string>{"fast", "thorough"}) == "");
    CHECK(violation(list, std::vector<std::string>{"fast", "Fast"}) ==
          R"(item 2: expected one of "fast", "thorough", got "Fast")");

    auto secret = mode;
    secret.secret = 1;
    CHECK(violation(secret, std::string{"hunter2"}) == R"(expected one of "fast", "thorough")");
    auto secret_port = ranged(VITALS_PARAM_INT, both, 1, 10);
    secret_port.secret = 1;
    CHECK(violation(secret_port, std::int64_t{11}) == "expected an integer from 1 to 10");
}

TEST_CASE("param limits: a table that contradicts itself is a problem the loader names") {
    CHECK(problem(ranged(VITALS_PARAM_INT, both, 1, 65535, "80")) == "");
    CHECK(problem(chosen(VITALS_PARAM_STRING_LIST, modes, "fast, thorough")) == "");
    CHECK(problem(ranged(VITALS_PARAM_INT, both, 1, 65535, "0")) ==
          "has a default \"0\" outside its own limits: expected an integer from 1 to 65535, got 0");
    CHECK(problem(ranged(VITALS_PARAM_DURATION, VITALS_LIMIT_MAX, 0, 10, "1m")) ==
          "has a default \"1m\" outside its own limits: expected a duration at most 10s, got 1m");
    CHECK(problem(ranged(VITALS_PARAM_INT, VITALS_LIMIT_MIN, 1, 0, "many")) ==
          "has a default \"many\" that is not an integer");
    CHECK(problem(chosen(VITALS_PARAM_STRING, modes, "slow")) ==
          "has a default \"slow\" outside its own limits: expected one of \"fast\", \"thorough\", "
          "got \"slow\"");
    CHECK(problem(chosen(VITALS_PARAM_STRING_LIST, modes, "fast,slow")) ==
          "has a default \"fast,slow\" outside its own limits: item 2: expected one of \"fast\", "
          "\"thorough\", got \"slow\"");

    CHECK(problem(ranged(VITALS_PARAM_BOOL, VITALS_LIMIT_MAX, 0, 1)) ==
          "has limits, which apply only to integer, number and duration parameters, not to a "
          "boolean");
    CHECK(problem(ranged(VITALS_PARAM_STRING, VITALS_LIMIT_MIN, 1, 0)) ==
          "has limits, which apply only to integer, number and duration parameters, not to a "
          "string");
    CHECK(problem(chosen(VITALS_PARAM_INT, modes)) ==
          "has choices, which apply only to string and string-list parameters, not to an "
          "integer");
    CHECK(problem(ranged(VITALS_PARAM_INT, 4, 0, 0)) ==
          "has limits bits 0x4 this agent does not know");
    CHECK(problem(ranged(VITALS_PARAM_INT, both, 10, 5)) ==
          "has a minimum greater than its maximum (10 > 5)");
    CHECK(problem(ranged(VITALS_PARAM_INT, VITALS_LIMIT_MIN, 0.5, 0)) ==
          "is an integer with a minimum of 0.5, not a whole number");
    CHECK(problem(ranged(VITALS_PARAM_FLOAT, VITALS_LIMIT_MAX, 0, NAN)) ==
          "has a maximum that is not a number");
    CHECK(problem(ranged(VITALS_PARAM_DURATION, VITALS_LIMIT_MIN, -1, 0)) ==
          "is a duration with a minimum of -1 seconds, not one a duration can be");

    const char *const empty[] = {nullptr};
    CHECK(problem(chosen(VITALS_PARAM_STRING, empty)) ==
          "has an empty choices list: no value could be given");
    const char *const not_text[] = {"fine", "bell\a", nullptr};
    CHECK(problem(chosen(VITALS_PARAM_STRING, not_text)) ==
          "has choice #2 that is not valid UTF-8 text without control characters");
    std::vector<const char *> endless(max_param_choices + 1, "same");
    endless.push_back(nullptr);
    CHECK(problem(chosen(VITALS_PARAM_STRING, endless.data())) ==
          "has more than 256 choices, or a choices list without its NULL end");
}

TEST_CASE("param limits: the loader reads a 1.1 table's limits and refuses contradictions") {
    const auto plugin = open_test_plugin(VITALS_TEST_PLUGIN_DIR, "limited");
    CHECK(plugin->descriptor().abi_minor == 1);
    const auto *port = plugin->find_param("port");
    REQUIRE(port != nullptr);
    CHECK(port->limits == (VITALS_LIMIT_MIN | VITALS_LIMIT_MAX));
    CHECK(port->max == 65535);
    REQUIRE(plugin->find_param("mode") != nullptr);
    CHECK(param_choices(*plugin->find_param("mode")) ==
          std::vector<std::string_view>{"fast", "thorough"});

    CHECK(refusal_of("default_out_of_range") ==
          std::string{VITALS_BAD_PLUGIN_DIR} +
              "/default_out_of_range.so: plugin 'default_out_of_range' parameter 'port' has a "
              "default \"0\" outside its own limits: expected an integer from 1 to 65535, got 0");
    CHECK(refusal_of("limits_on_bool") ==
          std::string{VITALS_BAD_PLUGIN_DIR} +
              "/limits_on_bool.so: plugin 'limits_on_bool' parameter 'verbose' has limits, which "
              "apply only to integer, number and duration parameters, not to a boolean");
    CHECK(refusal_of("choices_not_text") ==
          std::string{VITALS_BAD_PLUGIN_DIR} +
              "/choices_not_text.so: plugin 'choices_not_text' parameter 'mode' has choice #2 "
              "that is not valid UTF-8 text without control characters");
}

TEST_CASE("param limits: conf.d values outside them are refused before create(), at their lines") {
    CHECK(errors_for("") == ""); // every default within its limits
    CHECK(errors_for("port = 65535\ncount = 1\nratio = 0.5\nwait = \"100ms\"\nmode = "
                     "\"thorough\"\ncolours = [\"green\"]\npassword = \"fast\"") == "");

    const auto errors = errors_for("port = 70000\ncount = 0\nratio = 0.75\nwait = \"2m\"\n"
                                   "mode = \"slow\"\ncolours = [\"red\", \"mauve\"]\n"
                                   "password = \"hunter2\"\n");
    INFO(errors);
    CHECK(contains_line(errors,
                        "inline.toml:1:8: check.lim.params.port: expected an integer from 1 to "
                        "65535, got 70000"));
    CHECK(contains_line(
        errors, "inline.toml:2:9: check.lim.params.count: expected an integer at least 1, got 0"));
    CHECK(contains_line(
        errors,
        "inline.toml:3:9: check.lim.params.ratio: expected a number at most 0.5, got 0.75"));
    CHECK(contains_line(errors, "inline.toml:4:8: check.lim.params.wait: expected a duration from "
                                "100ms to 1m, got 2m"));
    CHECK(contains_line(errors, "inline.toml:5:8: check.lim.params.mode: expected one of "
                                "\"fast\", \"thorough\", got \"slow\""));
    CHECK(contains_line(errors, "inline.toml:6:11: check.lim.params.colours: item 2: expected one "
                                "of \"red\", \"green\", \"blue\", got \"mauve\""));
    CHECK(contains_line(errors, "inline.toml:7:12: check.lim.params.password: expected one of "
                                "\"fast\", \"thorough\""));
    CHECK(errors.find("hunter2") == std::string::npos);
}
