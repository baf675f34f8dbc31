// The parameters a shipped plugin's create() sees, for tests of plugin-side code.
// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <vitals/plugin.h>

namespace vitals::test {

/// A check of the shipped `plugin` whose params are `toml`, as create() sees them: the
/// plugin's parameter table and the agent's own host functions. Only the C ABI shows here,
/// so that code written against <vitals/plugin.hpp> can use it: that header's vitals::Status
/// and the agent's are two types of one name.
class PluginParams {
public:
    PluginParams(const std::string &plugin, std::string_view toml);
    ~PluginParams();
    PluginParams(const PluginParams &) = delete;
    PluginParams &operator=(const PluginParams &) = delete;

    const vitals_host_api *host() const;
    vitals_context *context() const;

    /// What the host recorded against the parameters, "key: message", one a line.
    std::string refusals() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace vitals::test
