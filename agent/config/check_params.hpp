// A check's params, compared as TOML values. SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <utility>

#include <toml++/toml.h>

#include "config/secret_reference.hpp"

namespace vitals {

/// The plugin's own parameters of one check, with toml++ source regions for errors. Shared
/// rather than copied: the table usually points into the whole parsed document, which it
/// keeps alive. Two are equal when their tables are (toml::table ==: the same keys holding
/// the same types and values), however each was written: key order, inline or not, `0x10`
/// or `16`; an integer never equals a float. No table equals an empty one: both give the
/// plugin nothing.
class CheckParams {
public:
    CheckParams() = default;
    CheckParams(std::shared_ptr<const toml::table> table, ResolvedSecrets from_references = {})
        : table_(std::move(table)), from_references_(std::move(from_references)) {}

    explicit operator bool() const { return table_ != nullptr; }
    const toml::table &operator*() const { return *table_; }
    const toml::table *operator->() const { return table_.get(); }

    /// The keys whose values were secret references, and where each reference is written:
    /// their values are secret, and errors about them point at the reference. Not compared:
    /// the values read are, in the table, so a rotated secret restarts the check.
    const ResolvedSecrets &from_references() const { return from_references_; }

    friend bool operator==(const CheckParams &a, const CheckParams &b) {
        return a.or_empty() == b.or_empty();
    }

private:
    const toml::table &or_empty() const {
        static const toml::table empty;
        return table_ ? *table_ : empty;
    }

    std::shared_ptr<const toml::table> table_;
    ResolvedSecrets from_references_;
};

} // namespace vitals
