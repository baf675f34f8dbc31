// Building checks from inline TOML for unit tests. SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "app/check_builder.hpp"
#include "config/table_reader.hpp"
#include "loader/plugin_library.hpp"

namespace vitals::test {

inline std::shared_ptr<const PluginLibrary> test_plugin(const std::string &name) {
    const std::string dir = name == "sleepy" ? VITALS_TEST_PLUGIN_DIR : VITALS_SHIPPED_PLUGIN_DIR;
    return PluginLibrary::open(dir + "/" + name + ".so");
}

/// A definition whose params come from `params_toml`, as if read from "inline.toml".
inline CheckDefinition definition(const std::string &name, const std::string &plugin,
                                  std::string_view params_toml,
                                  Duration interval = std::chrono::seconds{1},
                                  Duration timeout = std::chrono::seconds{1}) {
    CheckDefinition check;
    check.name = name;
    check.plugin = plugin;
    check.interval = interval;
    check.timeout = timeout;
    check.params = std::make_shared<const toml::table>(
        toml::parse(params_toml, std::string_view{"inline.toml"}));
    check.where = {"inline.toml", 1, 1};
    return check;
}

inline std::shared_ptr<Check> make_check(const CheckDefinition &definition) {
    ConfigErrors errors;
    auto check = create_check(definition, test_plugin(definition.plugin), errors);
    if (!check) throw std::runtime_error(errors.empty() ? "no check" : errors.front().to_string());
    return check;
}

} // namespace vitals::test
