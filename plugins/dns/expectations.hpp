// How a dns check compares an answer with what it expects, for the system resolver's
// addresses and a chosen server's records alike. SPDX-License-Identifier: MIT
#pragma once

#include <vitals/plugin.hpp>

#include <regex>
#include <string>
#include <vector>

namespace vitals::dns {

/// How `expect` is compared with the answer.
enum class Match {
    all,   ///< each expected item is in the answer (the answer may hold more: a subset)
    any,   ///< at least one of them is
    exact, ///< the answer is exactly the expected set
    regex, ///< each expected pattern matches at least one item, as a whole
};

/// `match` from the parameters, `all` when unset; `regex` only where `regex_allowed`. Refuses
/// a match without expect, which would do nothing.
Match read_match(const vitals::Params &params, bool regex_allowed);

/// "a, b, c and 4 more": an answer of a hundred items still fits a message.
std::string list_items(const std::vector<std::string> &items);

/// What the answer lacks ("missing 10.0.0.9"), or "" when it meets the expectation.
/// `patterns` are `expected` compiled, for Match::regex.
std::string mismatch(const std::vector<std::string> &expected,
                     const std::vector<std::regex> &patterns, Match match,
                     const std::vector<std::string> &answer);

} // namespace vitals::dns
