// Compiled as C++17 with strict warnings: the SDK's C++ headers must stay usable there.
// SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals/testing.hpp>

namespace {

constexpr const char *modes[] = {"a", "b", nullptr};
[[maybe_unused]] constexpr vitals_param_spec params[] = {
    vitals::Param::string("mode", "m").choices(modes).required(),
    vitals::Param::duration("pause", "p").fallback("1s").max(std::chrono::seconds{5}).min(0),
    {}};

} // namespace
