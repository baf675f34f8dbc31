// A configured check: one plugin instance plus its settings. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>

#include "config/configuration.hpp"
#include "loader/plugin_library.hpp"
#include "results/check_result.hpp"
#include "results/result_store.hpp"

namespace vitals {

class Check {
public:
    /// Validates the check's params against the plugin's declared table, then
    /// calls the plugin's create(). Returns nullptr after adding to `errors`.
    static std::unique_ptr<Check> create(const CheckDefinition &definition,
                                         std::shared_ptr<const PluginLibrary> plugin,
                                         ConfigErrors &errors);
    ~Check();
    Check(const Check &) = delete;
    Check &operator=(const Check &) = delete;

    /// Runs the plugin once. Not reentrant: the caller serialises runs (the
    /// ABI promises a plugin one thread per instance at a time).
    CheckResult run(std::chrono::steady_clock::time_point deadline);

    const CheckDefinition &definition() const { return definition_; }
    const std::string &name() const { return definition_.name; }
    CheckInfo info() const;

private:
    Check(CheckDefinition definition, std::shared_ptr<const PluginLibrary> plugin, void *instance);

    CheckDefinition definition_;
    std::shared_ptr<const PluginLibrary> plugin_; // keeps the code loaded while the instance lives
    void *instance_;
};

} // namespace vitals
