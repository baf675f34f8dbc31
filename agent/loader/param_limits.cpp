// SPDX-License-Identifier: MIT
#include "loader/param_limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "core/utf8.hpp"

namespace vitals {
namespace {

constexpr std::uint32_t known_limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX;

bool has_min(const vitals_param_spec &spec) {
    return (spec.limits & VITALS_LIMIT_MIN) != 0;
}
bool has_max(const vitals_param_spec &spec) {
    return (spec.limits & VITALS_LIMIT_MAX) != 0;
}

bool is_ranged_type(std::int32_t type) {
    return type == VITALS_PARAM_INT || type == VITALS_PARAM_FLOAT || type == VITALS_PARAM_DURATION;
}

bool is_text_type(std::int32_t type) {
    return type == VITALS_PARAM_STRING || type == VITALS_PARAM_STRING_LIST;
}

/// What a parameter of `type` is, for "expected an integer from 1 to 10".
std::string_view value_noun(std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_INT:
        return "an integer";
    case VITALS_PARAM_DURATION:
        return "a duration";
    default:
        return "a number";
    }
}

/// A bound spelled in the type's own terms: 65535, 0.5, 1m30s.
std::string bound_text(std::int32_t type, double bound) {
    if (type == VITALS_PARAM_DURATION)
        return format_duration(
            std::chrono::duration_cast<Duration>(std::chrono::duration<double>{bound}));
    if (type == VITALS_PARAM_INT) return fmt::format("{}", static_cast<std::int64_t>(bound));
    return fmt::format("{}", bound);
}

/// The value compared with the bounds: seconds for a duration.
std::optional<double> as_number(const ParamValue &value) {
    if (const auto *integer = std::get_if<std::int64_t>(&value))
        return static_cast<double>(*integer);
    if (const auto *number = std::get_if<double>(&value)) return *number;
    if (const auto *duration = std::get_if<Duration>(&value)) return to_seconds(*duration);
    return std::nullopt;
}

std::string value_text(const ParamValue &value) {
    if (const auto *integer = std::get_if<std::int64_t>(&value)) return fmt::format("{}", *integer);
    if (const auto *number = std::get_if<double>(&value)) return fmt::format("{}", *number);
    if (const auto *duration = std::get_if<Duration>(&value)) return format_duration(*duration);
    return {};
}

std::string quoted_choices(const vitals_param_spec &spec) {
    std::string text;
    for (const auto choice : param_choices(spec))
        text += fmt::format("{}\"{}\"", text.empty() ? "" : ", ", choice);
    return text;
}

bool is_choice(const vitals_param_spec &spec, std::string_view text) {
    const auto choices = param_choices(spec);
    return std::find(choices.begin(), choices.end(), text) != choices.end();
}

std::optional<std::string> range_problem(const vitals_param_spec &spec) {
    if (spec.limits & ~known_limits)
        return fmt::format("has limits bits {:#x} this agent does not know",
                           spec.limits & ~known_limits);
    if (!spec.limits) return std::nullopt;
    if (!is_ranged_type(spec.type))
        return fmt::format("has limits, which apply only to integer, number and duration "
                           "parameters, not to {}",
                           param_type_name(spec.type));
    for (const auto &[set, bound, name] : {std::tuple{has_min(spec), spec.min, "minimum"},
                                           std::tuple{has_max(spec), spec.max, "maximum"}}) {
        if (!set) continue;
        if (!std::isfinite(bound)) return fmt::format("has a {} that is not a number", name);
        if (spec.type == VITALS_PARAM_INT &&
            (bound != std::trunc(bound) || std::fabs(bound) > 9.0e18))
            return fmt::format("is an integer with a {} of {}, not a whole number", name, bound);
        if (spec.type == VITALS_PARAM_DURATION && (bound < 0 || bound > 9.0e9))
            return fmt::format("is a duration with a {} of {} seconds, not one a duration can be",
                               name, bound);
    }
    if (has_min(spec) && has_max(spec) && spec.min > spec.max)
        return fmt::format("has a minimum greater than its maximum ({} > {})",
                           bound_text(spec.type, spec.min), bound_text(spec.type, spec.max));
    return std::nullopt;
}

std::optional<std::string> choices_problem(const vitals_param_spec &spec) {
    if (!spec.choices) return std::nullopt;
    if (!is_text_type(spec.type))
        return fmt::format(
            "has choices, which apply only to string and string-list parameters, not to {}",
            param_type_name(spec.type));
    std::size_t count = 0;
    for (; spec.choices[count]; ++count) {
        if (count == max_param_choices)
            return fmt::format("has more than {} choices, or a choices list without its NULL end",
                               max_param_choices);
        if (!is_plain_text(spec.choices[count]))
            return fmt::format("has choice #{} that is not valid UTF-8 text without control "
                               "characters",
                               count + 1);
    }
    if (count == 0) return "has an empty choices list: no value could be given";
    return std::nullopt;
}

/// A declared default that breaks its own limits would refuse every check that leaves the
/// parameter out, blaming a line the operator never wrote.
std::optional<std::string> default_problem(const vitals_param_spec &spec) {
    if (!spec.default_value || (!spec.limits && !spec.choices)) return std::nullopt;
    // Text unfit to print is the loader's to refuse, without quoting it.
    if (!is_plain_text(spec.default_value)) return std::nullopt;
    const auto value = param_from_text(spec.default_value, spec.type);
    if (std::holds_alternative<std::string>(value))
        return fmt::format("has a default \"{}\" that is not {}", spec.default_value,
                           param_type_name(spec.type));
    if (auto violation = limits_violation(spec, std::get<ParamValue>(value)))
        return fmt::format("has a default \"{}\" outside its own limits: {}", spec.default_value,
                           *violation);
    return std::nullopt;
}

} // namespace

std::optional<std::string> declared_limits_problem(const vitals_param_spec &spec) {
    if (auto problem = range_problem(spec)) return problem;
    if (auto problem = choices_problem(spec)) return problem;
    return default_problem(spec);
}

std::vector<std::string_view> param_choices(const vitals_param_spec &spec) {
    std::vector<std::string_view> choices;
    for (std::size_t i = 0; spec.choices && spec.choices[i] && i < max_param_choices; ++i)
        choices.emplace_back(spec.choices[i]);
    return choices;
}

std::string range_text(const vitals_param_spec &spec) {
    if (!is_ranged_type(spec.type)) return {};
    if (has_min(spec) && has_max(spec))
        return fmt::format("from {} to {}", bound_text(spec.type, spec.min),
                           bound_text(spec.type, spec.max));
    if (has_min(spec)) return "at least " + bound_text(spec.type, spec.min);
    if (has_max(spec)) return "at most " + bound_text(spec.type, spec.max);
    return {};
}

std::optional<std::string> limits_violation(const vitals_param_spec &spec,
                                            const ParamValue &value) {
    const auto got = [&](const std::string &shown) {
        return spec.secret ? std::string{} : ", got " + shown;
    };
    if (const auto number = as_number(value)) {
        const bool below = has_min(spec) && *number < spec.min;
        const bool above = has_max(spec) && *number > spec.max;
        if (!below && !above) return std::nullopt;
        return fmt::format("expected {} {}{}", value_noun(spec.type), range_text(spec),
                           got(value_text(value)));
    }
    if (!spec.choices) return std::nullopt;
    if (const auto *text = std::get_if<std::string>(&value)) {
        if (is_choice(spec, *text)) return std::nullopt;
        return fmt::format("expected one of {}{}", quoted_choices(spec),
                           got(fmt::format("\"{}\"", *text)));
    }
    if (const auto *items = std::get_if<std::vector<std::string>>(&value)) {
        for (std::size_t i = 0; i < items->size(); ++i)
            if (!is_choice(spec, (*items)[i]))
                return fmt::format("item {}: expected one of {}{}", i + 1, quoted_choices(spec),
                                   got(fmt::format("\"{}\"", (*items)[i])));
    }
    return std::nullopt;
}

} // namespace vitals
