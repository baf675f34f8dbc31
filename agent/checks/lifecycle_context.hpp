// The contexts of init(), deinit() and destroy_ex(). SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "checks/host_context.hpp"

namespace vitals {

/// Passed to init() and deinit(): they belong to the library, not to a check, so the host
/// names the plugin in their log lines. Keeps what the plugin logged, so that an init()
/// that refuses can be reported with the reason it gave.
class LibraryContext final : public vitals_context {
public:
    explicit LibraryContext(std::string plugin) : vitals_context(std::move(plugin), nullptr) {}

    void logged(int32_t level, const std::string &line) override {
        lines_.push_back({level, line});
    }
    /// Why init() refused, as the plugin said it: its warning and error lines, else
    /// whatever it logged; empty when it said nothing.
    std::string reason() const;

private:
    struct Line {
        int32_t level;
        std::string text;
    };
    std::vector<Line> lines_;
};

/// Passed to destroy_ex(): the check's name (its log lines are the check's), schedule and
/// secrets, as create() had them.
class DestroyContext final : public vitals_context {
public:
    DestroyContext(std::string check, std::shared_ptr<const Secrets> check_secrets,
                   CheckTiming timing)
        : vitals_context(std::move(check), std::move(check_secrets), timing) {}
};

} // namespace vitals
