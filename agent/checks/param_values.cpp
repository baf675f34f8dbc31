// SPDX-License-Identifier: MIT
#include "checks/param_values.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <vitals/plugin.h>
#include <vitals_plugins/text.hpp>

#include "config/table_reader.hpp"

namespace vitals {
namespace {

std::string mismatch(const toml::node &node, std::int32_t type) {
    return fmt::format("expected {}, got {}", param_type_name(type), toml_type_name(node));
}

} // namespace

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

std::variant<ParamValue, std::string> param_from_node(const toml::node &node, std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_STRING:
        if (const auto *v = node.as_string()) return ParamValue{v->get()};
        break;
    case VITALS_PARAM_INT:
        if (const auto *v = node.as_integer()) return ParamValue{v->get()};
        break;
    case VITALS_PARAM_FLOAT:
        if (const auto *v = node.as_floating_point()) return ParamValue{v->get()};
        if (const auto *v = node.as_integer()) return ParamValue{static_cast<double>(v->get())};
        break;
    case VITALS_PARAM_BOOL:
        if (const auto *v = node.as_boolean()) return ParamValue{v->get()};
        break;
    case VITALS_PARAM_DURATION:
        if (const auto *v = node.as_string()) {
            if (auto parsed = parse_duration(v->get())) return ParamValue{*parsed};
            return fmt::format("\"{}\" is not {}", v->get(), duration_syntax_hint);
        }
        break;
    case VITALS_PARAM_STRING_LIST:
        if (const auto *array = node.as_array()) {
            std::vector<std::string> items;
            for (const auto &item : *array) {
                const auto *text = item.as_string();
                if (!text)
                    return fmt::format("expected strings in the array, got {}",
                                       toml_type_name(item));
                items.push_back(text->get());
            }
            return ParamValue{std::move(items)};
        }
        break;
    default:
        return fmt::format("unknown parameter type {}", type);
    }
    return mismatch(node, type);
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
