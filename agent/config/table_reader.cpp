// SPDX-License-Identifier: MIT
#include "config/table_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/byte_size.hpp"

namespace vitals {
namespace {

/// Records why `value` is outside `bounds`, shown with `show`; true when it is inside.
template <class T, class Show>
bool within(TableReader &reader, std::string_view key, const T &value, const Bounds<T> &bounds,
            Show show) {
    if (bounds.admits(value)) return true;
    const std::string none =
        bounds.zero_means_none ? fmt::format("{} (none) or ", show(T{})) : std::string{};
    if (value < bounds.min)
        reader.invalid(key, fmt::format("must be {}at least {} (got {})", none, show(bounds.min),
                                        show(value)));
    else
        reader.invalid(
            key, fmt::format("must be {}at most {} (got {})", none, show(bounds.max), show(value)));
    return false;
}

} // namespace

SourceLocation location_of(const toml::source_region &region) {
    return SourceLocation{region.path ? *region.path : std::string{},
                          static_cast<int>(region.begin.line),
                          static_cast<int>(region.begin.column)};
}

std::string_view toml_type_name(const toml::node &node) {
    switch (node.type()) {
    case toml::node_type::string:
        return "string";
    case toml::node_type::integer:
        return "integer";
    case toml::node_type::floating_point:
        return "float";
    case toml::node_type::boolean:
        return "boolean";
    case toml::node_type::array:
        return "array";
    case toml::node_type::table:
        return "table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
        return "date/time";
    case toml::node_type::none:
        break;
    }
    return "nothing";
}

TableReader::TableReader(const toml::table &table, std::string key_prefix, ConfigErrors &errors)
    : table_(table), prefix_(std::move(key_prefix)), errors_(errors) {}

std::string TableReader::path(std::string_view key) const {
    return prefix_.empty() ? std::string{key} : prefix_ + "." + std::string{key};
}

const toml::node *TableReader::find(std::string_view key) {
    known_.emplace(key);
    return table_.get(key);
}

void TableReader::wrong_type(std::string_view key, const toml::node &node,
                             std::string_view expected) {
    errors_.push_back({location_of(node.source()), path(key),
                       fmt::format("expected {}, got {}", expected, toml_type_name(node))});
}

void TableReader::missing(std::string_view key) {
    errors_.push_back(
        {location_of(table_.source()), path(key), fmt::format("missing required key '{}'", key)});
}

void TableReader::invalid(std::string_view key, std::string message) {
    const toml::node *node = table_.get(key);
    const auto where = location_of(node ? node->source() : table_.source());
    errors_.push_back({where, path(key), std::move(message)});
}

std::optional<std::string> TableReader::string(std::string_view key) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    if (const auto *value = node->as_string()) return value->get();
    wrong_type(key, *node, "a string");
    return std::nullopt;
}

std::optional<std::string> TableReader::text(std::string_view key, std::size_t max_bytes) {
    auto value = string(key);
    if (!value || value->size() <= max_bytes) return value;
    invalid(key, fmt::format("must be at most {} bytes long (got {})", max_bytes, value->size()));
    return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    const auto *value = node->as_integer();
    if (!value) {
        wrong_type(key, *node, "an integer");
        return std::nullopt;
    }
    const auto as_is = [](std::int64_t v) { return std::to_string(v); };
    if (!within(*this, key, value->get(), Bounds<std::int64_t>{min, max}, as_is))
        return std::nullopt;
    return value->get();
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    if (const auto *value = node->as_boolean()) return value->get();
    wrong_type(key, *node, "a boolean");
    return std::nullopt;
}

std::optional<Duration> TableReader::duration(std::string_view key,
                                              const Bounds<Duration> &bounds) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    const auto *text = node->as_string();
    if (!text) {
        wrong_type(key, *node, duration_syntax_hint);
        return std::nullopt;
    }
    const auto parsed = parse_duration(text->get());
    if (!parsed) {
        invalid(key, fmt::format("\"{}\" is not {}", text->get(), duration_syntax_hint));
        return std::nullopt;
    }
    // "0s" rather than format_duration's exact "0ns": how anyone writes "none".
    const auto show = [](Duration d) { return d == Duration::zero() ? "0s" : format_duration(d); };
    if (!within(*this, key, *parsed, bounds, show)) return std::nullopt;
    return parsed;
}

std::optional<std::uint64_t> TableReader::size(std::string_view key,
                                               const Bounds<std::uint64_t> &bounds) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    const auto *text = node->as_string();
    if (!text) {
        wrong_type(key, *node, "a size such as \"64KiB\"");
        return std::nullopt;
    }
    const auto bytes = parse_bytes(text->get());
    if (!bytes) {
        invalid(key, fmt::format("\"{}\" is not a size such as \"64KiB\" or \"256MiB\" (units B, "
                                 "KB, MB, GB, TB, KiB, MiB, GiB, TiB)",
                                 text->get()));
        return std::nullopt;
    }
    if (!within(*this, key, *bytes, bounds, format_bytes)) return std::nullopt;
    return bytes;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    const auto *array = node->as_array();
    if (!array) {
        wrong_type(key, *node, "an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> items;
    for (const toml::node &item : *array) {
        if (const auto *text = item.as_string()) {
            items.push_back(text->get());
        } else {
            wrong_type(key, item, "a string in the array");
            return std::nullopt;
        }
    }
    return items;
}

std::optional<std::string> TableReader::secret(std::string_view key,
                                               const std::filesystem::path &base_dir,
                                               SecretExtent extent) {
    const toml::node *node = find(key);
    if (!node) return std::nullopt;
    if (const auto *value = node->as_string()) return value->get();
    if (const auto *reference = node->as_table())
        return resolve_secret(*reference, base_dir, path(key), extent, errors_);
    wrong_type(key, *node, "a string or a secret reference such as { file = \"PATH\" }");
    return std::nullopt;
}

const toml::table *TableReader::table(std::string_view key) {
    const toml::node *node = find(key);
    if (!node) return nullptr;
    if (const auto *value = node->as_table()) return value;
    wrong_type(key, *node, "a table");
    return nullptr;
}

const toml::array *TableReader::array(std::string_view key) {
    const toml::node *node = find(key);
    if (!node) return nullptr;
    if (const auto *value = node->as_array()) return value;
    wrong_type(key, *node, "an array");
    return nullptr;
}

void TableReader::retired(std::string_view key, std::string_view instead) {
    retired_.emplace(key); // reported here, not again as unknown, and never suggested
    for (const auto &[name, node] : table_)
        if (name.str() == key)
            errors_.push_back({location_of(name.source()), path(key),
                               fmt::format("'{}' is no longer a setting: {}", key, instead)});
}

void TableReader::reject_unknown_keys() {
    for (const auto &[key, node] : table_) {
        if (known_.contains(key.str()) || retired_.contains(key.str())) continue;
        errors_.push_back({location_of(key.source()), path(key.str()),
                           fmt::format("unknown key '{}' (expected one of: {})", key.str(),
                                       fmt::join(known_, ", "))});
    }
}

} // namespace vitals
