// Fuzzes the parser of Nagios plugin output (status text, long text and performance data),
// which reads whatever a script prints. SPDX-License-Identifier: MIT
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <vitals_plugins/nagios_output.hpp>

#include "fuzz_check.hpp"

namespace {

using namespace vitals::plugins;

bool is_metric_name(std::string_view name) {
    if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return name.front() != '_' && name.back() != '_' && name.find("__") == std::string::npos;
}

void check_output(std::string_view output, bool complete) {
    const PluginOutput parsed = parse_output(output, complete);
    // The message is one line: no control characters, no white space at either end.
    for (const char c : parsed.text)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    FUZZ_CHECK(parsed.text.empty() || (parsed.text.front() != ' ' && parsed.text.back() != ' '));
    FUZZ_CHECK(parsed.text.size() <= output.size());
    FUZZ_CHECK(parsed.long_text.size() <= output.size());

    for (const auto &item : parsed.perfdata) {
        FUZZ_CHECK(!item.label.empty());
        FUZZ_CHECK(std::isfinite(item.value));
        FUZZ_CHECK(unit_for_uom(item.uom).has_value());
        FUZZ_CHECK(!item.min || std::isfinite(*item.min));
        FUZZ_CHECK(!item.max || std::isfinite(*item.max));
    }
    // Metric names are lower_snake_case and unique, one per item, in order.
    const auto metrics = to_metrics(parsed.perfdata);
    FUZZ_CHECK(metrics.size() == parsed.perfdata.size());
    std::set<std::string> names;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
        FUZZ_CHECK(is_metric_name(metrics[i].name));
        FUZZ_CHECK(names.insert(metrics[i].name).second);
        FUZZ_CHECK(metrics[i].value == parsed.perfdata[i].value);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view output{reinterpret_cast<const char *>(data), size};
    check_output(output, true);
    check_output(output, false);
    // Performance data on its own, as it follows the '|'.
    for (const auto &item : parse_perfdata(output))
        FUZZ_CHECK(!item.label.empty() && std::isfinite(item.value));
    return 0;
}
