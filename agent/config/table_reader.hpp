// Typed, located access to one TOML table. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config_error.hpp"
#include "config/secret_reference.hpp"
#include "config/setting_bounds.hpp"
#include "core/duration.hpp"

namespace vitals {

SourceLocation location_of(const toml::source_region &region);

/// Reads keys of one table, recording a located error for every wrong type or
/// value, and remembering which keys were asked for so the rest can be
/// reported as unknown. Getters return nullopt when the key is absent or bad.
/// Every number, duration, size and free text takes the bounds it must keep, so each
/// setting's range is declared where the setting is read (and in the docs beside it).
class TableReader {
public:
    /// key_prefix is the dotted path of the table, e.g. "check.disk".
    TableReader(const toml::table &table, std::string key_prefix, ConfigErrors &errors);

    std::optional<std::string> string(std::string_view key);
    /// Free text a person writes, such as a description: at most `max_bytes`.
    std::optional<std::string> text(std::string_view key, std::size_t max_bytes);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    std::optional<bool> boolean(std::string_view key);
    std::optional<Duration> duration(std::string_view key, const Bounds<Duration> &bounds);
    /// A size such as "64KiB" (see parse_bytes), in bytes.
    std::optional<std::uint64_t> size(std::string_view key, const Bounds<std::uint64_t> &bounds);
    std::optional<std::vector<std::string>> strings(std::string_view key);
    /// A secret: written inline, or a secret reference ({ file = ... }, { env = ... },
    /// { credential = ... }, see secret_reference.hpp) read now, relative files against
    /// `base_dir`. Errors name the reference, never the value.
    std::optional<std::string> secret(std::string_view key, const std::filesystem::path &base_dir,
                                      SecretExtent extent = SecretExtent::first_line);
    const toml::table *table(std::string_view key);
    const toml::array *array(std::string_view key);

    /// Records an error for a key that is missing, located at the table.
    void missing(std::string_view key);
    /// Records an error about a key's value, located at the value.
    void invalid(std::string_view key, std::string message);
    /// Records an error for a key a former version read and this one does not, saying
    /// what took its place, located at the key.
    void retired(std::string_view key, std::string_view instead);
    /// Reports every key no getter asked for.
    void reject_unknown_keys();

    std::string path(std::string_view key) const;
    const toml::table &raw() const { return table_; }

private:
    const toml::node *find(std::string_view key);
    void wrong_type(std::string_view key, const toml::node &node, std::string_view expected);

    const toml::table &table_;
    std::string prefix_;
    ConfigErrors &errors_;
    std::set<std::string, std::less<>> known_;
    std::set<std::string, std::less<>> retired_;
};

std::string_view toml_type_name(const toml::node &node);

} // namespace vitals
