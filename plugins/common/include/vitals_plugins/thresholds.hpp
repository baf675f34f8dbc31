// Reading a check's warning and error limits from its parameters, and refusing limits that
// could never work: a check that fails before it warns, or warns on every run.
// SPDX-License-Identifier: MIT
#pragma once

#include <vitals/plugin.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace vitals::plugins {

/// A limit on how long something may take, from `key` when it is set. Zero or less is
/// refused because of `consequence`: "must be longer than zero: every run would warn".
std::optional<std::chrono::nanoseconds> time_limit(const vitals::Params &params, const char *key,
                                                   std::string_view consequence);

/// The optional "warning" and "error" limits on how long one `what` ("lookup") may take.
struct TimeLimits {
    std::optional<std::chrono::nanoseconds> warning;
    std::optional<std::chrono::nanoseconds> error;
};

/// "warning" and "error" as time_limit()s, warning not longer than error.
TimeLimits time_limits(const vitals::Params &params, std::string_view what);

/// A percentage from 0 to 100 from `key`.
double percentage(const vitals::Params &params, const char *key);

/// One limit as a message shows it: its key and its value as text.
struct ShownLimit {
    const char *key;
    std::string value;
};

/// Refuses `limit` for standing on the wrong side of `other`:
/// "must not be above error (95.0 > 90.0)", then `why` (": less free space is worse").
[[noreturn]] void reject_order(const vitals::Params &params, const ShownLimit &limit,
                               std::string_view relation, std::string_view sign,
                               const ShownLimit &other, std::string_view why = {});

namespace detail {
template <typename T> struct is_duration : std::false_type {};
template <typename Rep, typename Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};
} // namespace detail

/// Refuses `key` when its `value` is above `other_key`'s `other` ("longer than" for times):
/// for a warning limit that the error limit would pre-empt. `show` writes a value for the
/// message.
template <typename T, typename Show>
void require_not_above(const vitals::Params &params, const char *key, const T &value,
                       const char *other_key, const T &other, Show show,
                       std::string_view why = {}) {
    constexpr std::string_view relation = detail::is_duration<T>::value ? "longer than" : "above";
    if (value > other)
        reject_order(params, {key, show(value)}, relation, ">", {other_key, show(other)}, why);
}

/// The same for limits that may be unset: nothing to compare unless both are set.
template <typename T, typename Show>
void require_not_above(const vitals::Params &params, const char *key, const std::optional<T> &value,
                       const char *other_key, const std::optional<T> &other, Show show,
                       std::string_view why = {}) {
    if (value && other) require_not_above(params, key, *value, other_key, *other, show, why);
}

/// Refuses `key` when its `value` is below `other_key`'s `other`: for limits on something
/// that gets worse as it shrinks (days left), and lower bounds above upper ones.
template <typename T, typename Show>
void require_not_below(const vitals::Params &params, const char *key, const T &value,
                       const char *other_key, const T &other, Show show,
                       std::string_view why = {}) {
    if (value < other)
        reject_order(params, {key, show(value)}, "below", "<", {other_key, show(other)}, why);
}

} // namespace vitals::plugins
