// Every usable plugin found in the plugin directories. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loader/plugin_library.hpp"

namespace vitals {

class PluginCatalog {
public:
    /// Loads every *.so in `dirs` (in order; the first plugin of a name wins).
    /// Refused files are logged and listed in refusals(); scanning goes on.
    static PluginCatalog scan(const std::vector<std::filesystem::path> &dirs);

    std::shared_ptr<const PluginLibrary> find(std::string_view name) const;
    std::vector<std::string> names() const;
    const std::vector<std::string> &refusals() const noexcept { return refusals_; }

private:
    std::map<std::string, std::shared_ptr<const PluginLibrary>, std::less<>> plugins_;
    std::vector<std::string> refusals_;
};

} // namespace vitals
