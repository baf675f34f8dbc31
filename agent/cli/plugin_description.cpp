// SPDX-License-Identifier: MIT
#include "cli/plugin_description.hpp"

#include <fmt/format.h>

#include "http/json_writer.hpp"
#include "loader/param_limits.hpp"

namespace vitals {
namespace {

/// How the table names a type, in words a reader of the docs expects.
std::string_view type_words(std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_STRING:
        return "string";
    case VITALS_PARAM_INT:
        return "integer";
    case VITALS_PARAM_FLOAT:
        return "number";
    case VITALS_PARAM_BOOL:
        return "boolean";
    case VITALS_PARAM_DURATION:
        return "duration";
    case VITALS_PARAM_STRING_LIST:
        return "list of strings";
    default:
        return "unknown";
    }
}

/// How JSON names a type: the vitals_param_type constant's own name, for programs.
std::string_view type_identifier(std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_STRING:
        return "string";
    case VITALS_PARAM_INT:
        return "int";
    case VITALS_PARAM_FLOAT:
        return "float";
    case VITALS_PARAM_BOOL:
        return "bool";
    case VITALS_PARAM_DURATION:
        return "duration";
    case VITALS_PARAM_STRING_LIST:
        return "string_list";
    default:
        return "unknown";
    }
}

std::string abi_version(const PluginLibrary &plugin) {
    return fmt::format("{}.{}", plugin.descriptor().abi_major, plugin.descriptor().abi_minor);
}

/// `text` inside a table cell: a '|' would end the cell.
std::string cell(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        if (c == '|') escaped += '\\';
        escaped += c;
    }
    return escaped;
}

/// `text` as inline code, whatever backticks it holds.
std::string code(std::string_view text) {
    if (text.empty()) return "`\"\"`";
    if (text.find('`') != std::string_view::npos) return fmt::format("`` {} ``", text);
    return fmt::format("`{}`", text);
}

std::string limits_cell(const vitals_param_spec &spec) {
    if (const auto range = range_text(spec); !range.empty()) return range;
    const auto choices = param_choices(spec);
    if (choices.empty()) return "—";
    std::string text = spec.type == VITALS_PARAM_STRING_LIST ? "each one of " : "one of ";
    for (std::size_t i = 0; i < choices.size(); ++i)
        text += (i ? ", " : "") + code(choices[i]);
    return text;
}

std::string table_row(const vitals_param_spec &spec) {
    return fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", cell(code(spec.key)),
                       type_words(spec.type), spec.required ? "yes" : "no",
                       cell(spec.default_value ? code(spec.default_value) : "—"),
                       cell(limits_cell(spec)), spec.secret ? "yes" : "no",
                       cell(spec.description ? spec.description : ""));
}

void write_bound(JsonWriter &json, const vitals_param_spec &spec, std::uint32_t bit, double bound) {
    if (spec.limits & bit)
        json.number(bound);
    else
        json.null();
}

void write_param(JsonWriter &json, const vitals_param_spec &spec) {
    json.begin_object();
    json.key("key").string(spec.key);
    json.key("type").string(type_identifier(spec.type));
    json.key("required").boolean(spec.required != 0);
    json.key("default");
    if (spec.default_value)
        json.string(spec.default_value);
    else
        json.null();
    json.key("min");
    write_bound(json, spec, VITALS_LIMIT_MIN, spec.min);
    json.key("max");
    write_bound(json, spec, VITALS_LIMIT_MAX, spec.max);
    json.key("choices");
    if (spec.choices) {
        json.begin_array();
        for (const auto choice : param_choices(spec))
            json.string(choice);
        json.end_array();
    } else {
        json.null();
    }
    json.key("secret").boolean(spec.secret != 0);
    json.key("description");
    if (spec.description)
        json.string(spec.description);
    else
        json.null();
    json.end_object();
}

} // namespace

std::string parameters_markdown(const PluginLibrary &plugin) {
    std::string text = fmt::format("{}\n", parameters_begin_marker);
    if (!plugin.descriptor().params) {
        text += "The plugin declares no parameter table: it reads any key and checks the "
                "values itself.\n";
    } else if (plugin.params().empty()) {
        text += "The plugin takes no parameters.\n";
    } else {
        text += "| key | type | required | default | range or choices | secret | description |\n"
                "|---|---|---|---|---|---|---|\n";
        for (const auto &spec : plugin.params())
            text += table_row(spec);
    }
    return text + fmt::format("{}\n", parameters_end_marker);
}

std::string plugin_markdown(const PluginLibrary &plugin) {
    const auto &descriptor = plugin.descriptor();
    std::string text =
        fmt::format("# `{}` {}\n\n", plugin.name(), descriptor.version ? descriptor.version : "");
    if (descriptor.description) text += fmt::format("{}\n\n", descriptor.description);
    text += fmt::format("Plugin ABI {}, from `{}`.\n\n## Parameters\n\n", abi_version(plugin),
                        plugin.file().string());
    return text + parameters_markdown(plugin);
}

std::string plugin_json(const PluginLibrary &plugin) {
    const auto &descriptor = plugin.descriptor();
    JsonWriter json;
    json.begin_object();
    json.key("name").string(plugin.name());
    json.key("version").string_or_null(
        descriptor.version ? std::optional<std::string>{descriptor.version} : std::nullopt);
    json.key("description")
        .string_or_null(descriptor.description ? std::optional<std::string>{descriptor.description}
                                               : std::nullopt);
    json.key("abi").string(abi_version(plugin));
    json.key("file").string(plugin.file().string());
    json.key("params");
    if (descriptor.params) {
        json.begin_array();
        for (const auto &spec : plugin.params())
            write_param(json, spec);
        json.end_array();
    } else {
        json.null();
    }
    json.end_object();
    return json.take() + "\n";
}

} // namespace vitals
