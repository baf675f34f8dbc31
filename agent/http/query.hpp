// The query string of a request. SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitals {

/// Decoded `a=1&b&c=x,y` parameters; a key may repeat.
class Query {
public:
    explicit Query(std::string_view raw);

    bool has(std::string_view key) const;
    std::optional<std::string> get(std::string_view key) const;
    /// Every value of `key`, each also split at commas: `exclude=a,b&exclude=c`.
    std::vector<std::string> list(std::string_view key) const;
    /// A flag such as `?verbose`, `?verbose=1`, `?verbose=false`.
    std::optional<bool> flag(std::string_view key) const;

private:
    std::multimap<std::string, std::string, std::less<>> values_;
};

} // namespace vitals
