// SPDX-License-Identifier: MIT
#include "support/plugin_params.hpp"

#include "checks/host_context.hpp"
#include "support/check_fixture.hpp"

namespace vitals::test {

struct PluginParams::State {
    State(const std::string &plugin, std::string_view toml)
        : definition(test::definition("c", plugin, toml)), library(test_plugin(plugin)),
          context(definition, *library, errors) {}

    CheckDefinition definition;
    std::shared_ptr<const PluginLibrary> library;
    ConfigErrors errors;
    CreateContext context;
};

PluginParams::PluginParams(const std::string &plugin, std::string_view toml)
    : state_(std::make_unique<State>(plugin, toml)) {}

PluginParams::~PluginParams() = default;

const vitals_host_api *PluginParams::host() const {
    return &host_api();
}

vitals_context *PluginParams::context() const {
    return &state_->context;
}

std::string PluginParams::refusals() const {
    std::string text;
    for (const auto &error : state_->errors)
        text += (text.empty() ? "" : "\n") + error.key + ": " + error.message;
    return text;
}

} // namespace vitals::test
