// SPDX-License-Identifier: MIT
#include "loader/param_text.hpp"

#include <charconv>

#include <fmt/format.h>
#include <vitals/plugin.h>
#include <vitals_plugins/text.hpp>

namespace vitals {

std::string_view param_type_name(std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_STRING:
        return "a string";
    case VITALS_PARAM_INT:
        return "an integer";
    case VITALS_PARAM_FLOAT:
        return "a number";
    case VITALS_PARAM_BOOL:
        return "a boolean";
    case VITALS_PARAM_DURATION:
        return "a duration string such as \"500ms\" or \"10s\"";
    case VITALS_PARAM_STRING_LIST:
        return "an array of strings";
    default:
        return "an unknown type";
    }
}

std::variant<ParamValue, std::string> param_from_text(std::string_view text, std::int32_t type) {
    const auto invalid = [&] {
        return fmt::format("default \"{}\" is not {}", text, param_type_name(type));
    };
    switch (type) {
    case VITALS_PARAM_STRING:
        return ParamValue{std::string{text}};
    case VITALS_PARAM_INT: {
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || end != text.data() + text.size()) return invalid();
        return ParamValue{value};
    }
    case VITALS_PARAM_FLOAT: {
        double value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || end != text.data() + text.size()) return invalid();
        return ParamValue{value};
    }
    case VITALS_PARAM_BOOL:
        if (text == "true") return ParamValue{true};
        if (text == "false") return ParamValue{false};
        return invalid();
    case VITALS_PARAM_DURATION:
        if (auto parsed = parse_duration(text)) return ParamValue{*parsed};
        return invalid();
    case VITALS_PARAM_STRING_LIST: {
        std::vector<std::string> items;
        while (!text.empty()) {
            const auto comma = text.find(',');
            const auto item = plugins::trim(text.substr(0, comma), " ");
            if (!item.empty()) items.emplace_back(item);
            if (comma == std::string_view::npos) break;
            text.remove_prefix(comma + 1);
        }
        return ParamValue{std::move(items)};
    }
    default:
        return invalid();
    }
}

} // namespace vitals
