// How a dns check compares an answer with what it expects. SPDX-License-Identifier: MIT
#include "expectations.hpp"

#include <vitals_plugins/text.hpp>

#include <algorithm>

namespace vitals::dns {

using vitals::plugins::join;

Match read_match(const vitals::Params &params, bool regex_allowed) {
    if (!params.has("match")) return Match::all;
    const std::string match = params.string("match");
    Match read = Match::all;
    if (match == "all")
        read = Match::all;
    else if (match == "any")
        read = Match::any;
    else if (match == "exact")
        read = Match::exact;
    else if (match == "regex" && regex_allowed)
        read = Match::regex;
    else
        params.reject("match", std::string{"must be all, any"} +
                                   (regex_allowed ? ", exact or regex" : " or exact") + ", got \"" +
                                   match + "\"");
    if (!params.has("expect")) params.reject("match", "has no effect without expect");
    return read;
}

std::string list_items(const std::vector<std::string> &items) {
    constexpr std::size_t shown = 8;
    std::vector<std::string> head;
    for (const auto &item : items) {
        if (head.size() == shown) break;
        head.push_back(item.size() > 80 ? item.substr(0, 80) + "..." : item);
    }
    std::string text = join(head, ", ");
    if (items.size() > shown) text += " and " + std::to_string(items.size() - shown) + " more";
    return text;
}

std::string mismatch(const std::vector<std::string> &expected,
                     const std::vector<std::regex> &patterns, Match match,
                     const std::vector<std::string> &answer) {
    const auto in = [](const std::vector<std::string> &list, const std::string &item) {
        return std::find(list.begin(), list.end(), item) != list.end();
    };
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const bool found = match == Match::regex
                               ? std::any_of(answer.begin(), answer.end(),
                                             [&](const std::string &item) {
                                                 return std::regex_match(item, patterns[i]);
                                             })
                               : in(answer, expected[i]);
        if (!found) missing.push_back(expected[i]);
    }
    switch (match) {
    case Match::any:
        return missing.size() == expected.size() ? "expected any of " + list_items(expected) : "";
    case Match::all:
        return missing.empty() ? "" : "missing " + list_items(missing);
    case Match::regex:
        return missing.empty() ? "" : "nothing matches " + list_items(missing);
    case Match::exact: {
        std::vector<std::string> unexpected;
        for (const auto &item : answer)
            if (!in(expected, item)) unexpected.push_back(item);
        std::vector<std::string> problems;
        if (!missing.empty()) problems.push_back("missing " + list_items(missing));
        if (!unexpected.empty()) problems.push_back("unexpected " + list_items(unexpected));
        return join(problems, "; ");
    }
    }
    return {};
}

} // namespace vitals::dns
