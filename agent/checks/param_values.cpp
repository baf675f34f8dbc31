// SPDX-License-Identifier: MIT
#include "checks/param_values.hpp"

#include <fmt/format.h>
#include <vitals/plugin.h>

#include "config/table_reader.hpp"

namespace vitals {
namespace {

std::string mismatch(const toml::node &node, std::int32_t type) {
    return fmt::format("expected {}, got {}", param_type_name(type), toml_type_name(node));
}

} // namespace

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

} // namespace vitals
